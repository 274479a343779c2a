"""Volcengine Ark content generation (provider id `ark`): the Seedance video tasks every Seedance gateway relays
(create, get, list, delete under /api/v3/contents/generations/tasks), with callbacks really sent."""

from mockserver.gateways.ark.routes import ArkProvider

provider = ArkProvider()

__all__ = ["ArkProvider", "provider"]
