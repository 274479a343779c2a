"""The envelope api.gpt.ge answers in, for successes and errors alike: Volcengine Visual's own, which it relays
(`families.volcengine_visual`)."""

from mockserver.gateways.families.volcengine_visual import ELAPSED_MS, SUCCESS, envelope, success

__all__ = ["ELAPSED_MS", "SUCCESS", "envelope", "success"]
