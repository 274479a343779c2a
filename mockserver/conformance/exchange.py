"""One request and its response, seen through a gateway's contract."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from mockserver.contracts.contract import Contract, Operation

MISSING: Any = object()


def field_at(document: Any, path: str) -> Any:
    """The value at a dotted path (`data.result.0.url`), or MISSING."""
    node = document
    for part in path.split(".") if path else ():
        if isinstance(node, Mapping) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return MISSING
    return node


@dataclass
class Exchange:
    contract: Contract
    method: str
    path: str  # relative to the gateway's base URL
    status: int
    headers: Mapping[str, str]  # lower-case names
    content: bytes
    request_headers: Mapping[str, str] = field(default_factory=dict)

    @cached_property
    def operation(self) -> Operation | None:
        return self.contract.match(self.method, self.path)

    @property
    def label(self) -> str:
        return self.operation.operation_id if self.operation else f"{self.method.upper()} (unmatched route)"

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    @cached_property
    def json(self) -> Any:
        """The parsed body when it is JSON, else MISSING."""
        if "json" not in self.content_type:
            return MISSING
        try:
            return json.loads(self.content)
        except ValueError:
            return MISSING

    def evidence(self, limit: int = 400) -> str:
        text = self.content[:limit].decode("utf-8", "replace")
        return f"{self.method.upper()} {self.path} -> {self.status} {self.content_type or '(no content type)'}\n{text}"
