"""Crazyrouter (seed 000): jimeng-video-3.0 through `/jimeng/submit/videos` and `/jimeng/fetch/{task_id}`."""

from mockserver.gateways.crazyrouter.routes import CrazyrouterProvider

provider = CrazyrouterProvider()

__all__ = ["CrazyrouterProvider", "provider"]
