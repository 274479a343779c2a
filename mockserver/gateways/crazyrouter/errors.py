"""Crazyrouter's errors are new-api's (the gateway software it runs on, `families/newapi.py`), in new-api's two
shapes: `InvalidRequest` and `TaskNotExist` in the task shape, `Unauthorized` (the token middleware) and
`InvalidUrl` (an unknown route or method) in the OpenAI shape."""

from __future__ import annotations

from mockserver.gateways.families.newapi import InvalidRequest, NewApiShape, TaskNotExist

__all__ = ["InvalidRequest", "NewApiShape", "TaskNotExist"]
