"""Volcengine Visual (provider id `volcengine`): the signed Action API the Jimeng video models are served on
upstream (CVSync2AsyncSubmitTask, CVSync2AsyncGetResult, CVCancelTask)."""

from mockserver.gateways.volcengine.routes import VolcengineProvider

provider = VolcengineProvider()

__all__ = ["VolcengineProvider", "provider"]
