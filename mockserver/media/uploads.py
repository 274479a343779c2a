"""The images tasks were given, kept by content so result files can show them.

A result URL carries an image's 16-hex-digit key, never its bytes; the bytes stay here, in a store bounded by
total size that forgets the least recently used first. A file whose image is not here (forgotten, or served by
another mock instance) is drawn without it, in the task's colour."""

from __future__ import annotations

import hashlib
from collections import OrderedDict

MAX_BYTES = 64 * 1024 * 1024
"""The store's budget: the images kept, in bytes as uploaded."""


class UploadStore:
    def __init__(self, max_bytes: int = MAX_BYTES) -> None:
        self.max_bytes = max_bytes
        self._kept: OrderedDict[str, bytes] = OrderedDict()
        self._size = 0

    def keep(self, data: bytes) -> str:
        """Keep `data` (an image already checked readable) and return its key."""
        key = content_key(data)
        if key in self._kept:
            self._kept.move_to_end(key)
            return key
        if len(data) > self.max_bytes:
            return key
        self._kept[key] = data
        self._size += len(data)
        while self._size > self.max_bytes:
            _, dropped = self._kept.popitem(last=False)
            self._size -= len(dropped)
        return key

    def get(self, key: str) -> bytes | None:
        data = self._kept.get(key)
        if data is not None:
            self._kept.move_to_end(key)
        return data

    def clear(self) -> None:
        self._kept.clear()
        self._size = 0


def content_key(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


uploads = UploadStore()
"""The process's store: gateways keep what clients upload, the media renderers read it."""
