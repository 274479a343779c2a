"""The legacy session-token routes `/token/check`, `/token/points`, `/token/receive` (reference A.2: the newest
server no longer registers them; many deployed copies do). They take raw session ids, never API keys."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from mockserver.gateways.jimeng2api import errors
from mockserver.gateways.jimeng2api.accounts import parse_token, split_tokens
from mockserver.gateways.jimeng2api.body import read_payload
from mockserver.gateways.jimeng2api.gateway import Gateway
from mockserver.gateways.jimeng2api.models.failures import LOGGED_OUT as _LOGGED_OUT
from mockserver.gateways.jimeng2api.routes.headers import require_authorization_header
from mockserver.gateways.kit.http import JsonResponse

_ZERO = {"giftCredit": 0, "purchaseCredit": 0, "vipCredit": 0, "totalCredit": 0}


class TokenRoutes:
    def __init__(self, gateway: Gateway) -> None:
        self.gateway = gateway

    async def check(self, request: Request) -> Response:
        payload = await read_payload(request, self.gateway.context.settings.max_json_depth)
        token = payload.fields.get("token")
        if not isinstance(token, str):
            raise errors.params_invalid("body.token")
        return JsonResponse({"live": not parse_token(token).expired})

    async def points(self, request: Request) -> Response:
        await read_payload(request, self.gateway.context.settings.max_json_depth)
        require_authorization_header(request)
        now = self.gateway.context.clock.now()
        answer = []
        for raw in split_tokens(request.headers["authorization"]):
            session = parse_token(raw)
            if session.expired:  # getCredit throws -2002: the whole request fails
                raise errors.Jimeng2ApiError(
                    401, _LOGGED_OUT, error_type="authentication_error", code="invalid_api_key"
                )
            answer.append({"token": raw, "points": self.gateway.accounts.account(session, now).points()})
        return JsonResponse(answer)

    async def receive(self, request: Request) -> Response:
        """Claims the daily credits only for a token whose balance is empty; reports the balance either way."""
        await read_payload(request, self.gateway.context.settings.max_json_depth)
        require_authorization_header(request)
        now = self.gateway.context.clock.now()
        answer: list[dict[str, Any]] = []
        for raw in split_tokens(request.headers["authorization"]):
            session = parse_token(raw)
            if session.expired:
                answer.append({"token": raw, "credits": dict(_ZERO), "received": False, "error": _LOGGED_OUT})
                continue
            account = self.gateway.accounts.account(session, now)
            received = account.balance <= 0 and self.gateway.accounts.receive(session, now)
            answer.append({"token": raw, "credits": account.points(), "received": received})
        return JsonResponse(answer)
