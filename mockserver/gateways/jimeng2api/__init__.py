"""jimeng2api (seed 003): the self-hosted gateway over the Jimeng / Dreamina web apps: images, compositions,
videos, a task API, models, session tokens with regions and proxies, credits, and its admin API."""

from mockserver.gateways.jimeng2api.routes.app import Jimeng2ApiProvider

provider = Jimeng2ApiProvider()

__all__ = ["Jimeng2ApiProvider", "provider"]
