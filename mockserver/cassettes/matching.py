"""Whether a client's request body is the recorded one: JSON compared by value, a redacted recorded field
(`"api_token": "***"`) matching any value; and, when it is not, which field differs."""

from __future__ import annotations

import json
from typing import Any

from mockserver.cassettes.cassette import REDACTED

_ABSENT: Any = object()


def parse(body: bytes) -> Any:
    """The body as JSON, or the raw bytes when it is not JSON (an empty body is None)."""
    if not body.strip():
        return None
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return body


def difference(recorded: Any, sent: Any, where: str = "") -> str | None:
    """None when `sent` matches `recorded`, else which part differs, as `body field <path>: ...`."""
    if isinstance(recorded, str) and recorded == REDACTED:
        return None
    if isinstance(recorded, dict) and isinstance(sent, dict):
        for key in [*recorded, *(k for k in sent if k not in recorded)]:
            found = difference(recorded.get(key, _ABSENT), sent.get(key, _ABSENT), f"{where}.{key}" if where else key)
            if found is not None:
                return found
        return None
    if isinstance(recorded, list) and isinstance(sent, list) and len(recorded) == len(sent):
        for index, (before, after) in enumerate(zip(recorded, sent, strict=True)):
            found = difference(before, after, f"{where}.{index}" if where else str(index))
            if found is not None:
                return found
        return None
    if type(recorded) is type(sent) and recorded == sent:
        return None
    if not where:
        return "the body differs" if recorded is not None or sent is not None else None
    return f"body field {where}: recorded {_show(recorded)}, sent {_show(sent)}"


def _show(value: Any, limit: int = 60) -> str:
    if value is _ABSENT:
        return "nothing"
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, bytes) else repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
