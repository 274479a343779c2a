"""Crazyrouter's errors: new-api's (the gateway software it runs on), in new-api's two shapes."""

from __future__ import annotations

from mockserver.gateways.families.newapi import (
    InvalidRequest,
    InvalidUrl,
    MockInternalError,
    NewApiError,
    NewApiShape,
    TaskNotExist,
    Unauthorized,
)

__all__ = [
    "InvalidRequest",
    "InvalidUrl",
    "MockInternalError",
    "NewApiError",
    "NewApiShape",
    "TaskNotExist",
    "Unauthorized",
]
