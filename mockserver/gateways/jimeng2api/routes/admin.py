"""The server's own admin API under `/admin/api/` (reference A.2, A.11): API keys, managed tokens, tasks.
The admin key is the provider option `admin_key` (the server's ADMIN_API_KEY); with none configured the mock
accepts any non-empty key (`x-admin-key` or Bearer); `admin_auth_disabled: true` (ADMIN_AUTH_DISABLED) lets every
request in."""

from __future__ import annotations

from functools import partial
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from mockserver.gateways.jimeng2api.accounts import ManagedToken
from mockserver.gateways.jimeng2api.body import read_payload
from mockserver.gateways.jimeng2api.errors import Jimeng2ApiError, bad_request, params_invalid
from mockserver.gateways.jimeng2api.gateway import Gateway
from mockserver.gateways.jimeng2api.models.catalog import REGIONS
from mockserver.gateways.jimeng2api.routes.headers import credential
from mockserver.gateways.kit.http import JsonResponse, public_base

TOKEN_STATUSES = ("unchecked", "healthy", "unhealthy", "disabled")
TASK_LIST_LIMIT = 200
MAX_FIELD_CHARS = 1024
"""The longest name, token or proxy URL the mock keeps (assumed: the server's Postgres text columns have none)."""


def _not_found(what: str, item_id: str) -> Jimeng2ApiError:
    return Jimeng2ApiError(404, f"{what} {item_id} not found", param="id", code="not_found")


def _full(what: str, limit: int) -> Jimeng2ApiError:
    return bad_request(f"the mock keeps at most {limit} {what} (the max_accounts setting): delete one first", None)


def _within_length(fields: dict[str, Any]) -> None:
    for name in ("name", "token", "proxy_url"):
        if isinstance(fields.get(name), str) and len(fields[name]) > MAX_FIELD_CHARS:
            raise bad_request(f"{name} is longer than the mock keeps ({MAX_FIELD_CHARS} characters)", name)


class AdminRoutes:
    def __init__(self, gateway: Gateway) -> None:
        self.gateway = gateway
        self.accounts = gateway.accounts
        configured = gateway.context.settings.options.get("admin_key")
        self.admin_key: str | None = configured if isinstance(configured, str) and configured else None
        self.auth_disabled = gateway.context.settings.options.get("admin_auth_disabled") is True

    def _authorize(self, request: Request) -> None:
        """`requireAdmin`: `x-admin-key`, else the Bearer credential, equal to the configured key. With no key
        configured (the provider option `admin_key`) any non-empty key passes: the mock cannot know the operator's."""
        if self.auth_disabled:  # ADMIN_AUTH_DISABLED=true
            return
        provided = request.headers.get("x-admin-key") or credential(request)
        if self.admin_key is None and provided:
            return
        if provided is None or provided != self.admin_key:
            raise Jimeng2ApiError(401, "管理 API Key 无效", error_type="authentication_error", code="invalid_admin_key")

    def _now(self) -> float:
        return self.gateway.context.clock.now()

    async def config(self, request: Request) -> Response:
        return JsonResponse({"admin_auth_disabled": self.auth_disabled})

    async def list_keys(self, request: Request) -> Response:
        self._authorize(request)
        return JsonResponse({"data": [key.redacted() for key in self.accounts.api_keys.values()]})

    async def create_key(self, request: Request) -> Response:
        self._authorize(request)
        name = (await read_payload(request, self.gateway.context.settings.max_json_depth)).fields.get("name")
        if not isinstance(name, str) or not name.strip():
            raise params_invalid("body.name")
        _within_length({"name": name})
        if len(self.accounts.api_keys) >= self.accounts.limit:
            raise _full("API keys", self.accounts.limit)
        key = self.accounts.issue_key(name, self._now())
        return JsonResponse({"api_key": key.redacted(), "secret": key.secret})

    async def delete_key(self, request: Request) -> Response:
        self._authorize(request)
        key = self.accounts.api_keys.pop(request.path_params["item_id"], None)
        if key is None:
            raise _not_found("API Key", request.path_params["item_id"])
        return JsonResponse(key.redacted())

    async def list_tokens(self, request: Request) -> Response:
        self._authorize(request)
        tokens = sorted(self.accounts.tokens.values(), key=lambda t: (t.sort_order, t.id))
        return JsonResponse({"data": [token.redacted() for token in tokens]})

    async def create_token(self, request: Request) -> Response:
        self._authorize(request)
        fields = (await read_payload(request, self.gateway.context.settings.max_json_depth)).fields
        for name in ("name", "token"):
            if not isinstance(fields.get(name), str) or not fields[name].strip():
                raise params_invalid(f"body.{name}")
        chosen = self._token_fields(fields)
        if len(self.accounts.tokens) >= self.accounts.limit:
            raise _full("managed tokens", self.accounts.limit)
        token = self.accounts.add_token(chosen, self._now())
        return JsonResponse(token.redacted())

    async def update_token(self, request: Request) -> Response:
        self._authorize(request)
        token = self._token(request)
        fields = (await read_payload(request, self.gateway.context.settings.max_json_depth)).fields
        self.accounts.patch_token(token, self._token_fields(fields), self._now())
        return JsonResponse(token.redacted())

    async def delete_token(self, request: Request) -> Response:
        self._authorize(request)
        token = self._token(request)
        del self.accounts.tokens[token.id]
        return JsonResponse({"deleted": True})

    async def list_tasks(self, request: Request) -> Response:
        self._authorize(request)
        context = self.gateway.context
        views = (await context.engine.atasks(context.provider_id))[-TASK_LIST_LIMIT:]
        address = partial(public_base, request, context.settings.public_url)
        return JsonResponse({"data": [self.gateway.task_object(view, address) for view in reversed(views)]})

    async def list_alerts(self, request: Request) -> Response:
        self._authorize(request)
        return JsonResponse({"data": []})

    def _token(self, request: Request) -> ManagedToken:
        token = self.accounts.tokens.get(request.path_params["item_id"])
        if token is None:
            raise _not_found("Token", request.path_params["item_id"])
        return token

    @staticmethod
    def _token_fields(fields: dict[str, Any]) -> dict[str, Any]:
        chosen: dict[str, Any] = {
            k: fields[k] for k in ("name", "token", "proxy_url", "status", "sort_order") if k in fields
        }
        for name in ("name", "token"):  # an update is held to what a create is (assumed: the listing stays whole)
            if name in chosen and (not isinstance(chosen[name], str) or not chosen[name].strip()):
                raise params_invalid(f"body.{name}")
        if "region" in fields:
            region = str(fields["region"]).lower()
            if region not in REGIONS:
                raise bad_request("region 必须是 cn/us/hk/jp/sg 之一", "region")
            chosen["region"] = region
        if "status" in chosen and chosen["status"] not in TOKEN_STATUSES:
            raise bad_request(f"status 必须是 {'/'.join(TOKEN_STATUSES)} 之一", "status")
        if "sort_order" in chosen and (
            isinstance(chosen["sort_order"], bool) or not isinstance(chosen["sort_order"], int)
        ):
            raise params_invalid("body.sort_order")
        if "proxy_url" in chosen and chosen["proxy_url"] is not None and not isinstance(chosen["proxy_url"], str):
            raise params_invalid("body.proxy_url")
        _within_length(chosen)
        return chosen
