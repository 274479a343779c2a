"""OctopusX (seed 001): Jimeng video in the OpenAI video format (`/v1/videos`) and the unified `/v1/video/*` routes."""

from mockserver.gateways.octopusx.routes import OctopusxProvider

provider = OctopusxProvider()

__all__ = ["OctopusxProvider", "provider"]
