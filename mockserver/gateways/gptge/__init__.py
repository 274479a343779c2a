"""api.gpt.ge (seed 002): Jimeng text-to-video and image-to-video in the Volcengine Visual envelope."""

from mockserver.gateways.gptge.routes import GptGeProvider

provider = GptGeProvider()

__all__ = ["GptGeProvider", "provider"]
