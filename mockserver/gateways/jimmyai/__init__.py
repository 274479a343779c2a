"""jimmyai Seedance (seed 004): `POST /api/open-api/v1/seedance/videos` and `GET /api/open-api/v1/videos/{task_id}`."""

from mockserver.gateways.jimmyai.routes import JimmyaiProvider

provider = JimmyaiProvider()

__all__ = ["JimmyaiProvider", "provider"]
