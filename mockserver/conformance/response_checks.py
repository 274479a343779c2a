"""Checks of one response: documented status, content type, headers, body schema, error catalogue, rate-limit hints."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mockserver.conformance.exchange import MISSING, Exchange, field_at
from mockserver.conformance.failures import CheckFailure
from mockserver.conformance.registry import check
from mockserver.contracts.contract import ContractError

UNMATCHED_STATUSES = (404, 405)


def unmatched_statuses(exchange: Exchange) -> tuple[int, ...]:
    """What a request no operation takes may be answered: 404 or 405, or the contract's own list
    (`x-unmatched-route-statuses`: an Action API refuses a request without an Action as a missing parameter)."""
    statuses: tuple[int, ...] = tuple(exchange.contract.document.get("x-unmatched-route-statuses", UNMATCHED_STATUSES))
    return statuses


def documented_response(exchange: Exchange) -> Mapping[str, Any] | None:
    """The contract's response object for this status (its `$ref` resolved), or None when undocumented.

    A `default` response (the contracts use it for faults a scenario scripts) documents only what a gateway
    may answer at any time: 429, a 5xx, or a status of its error catalogue. Anything else, a 418 say, is
    undocumented however the contract ends."""
    if exchange.operation is None:
        return None
    responses = exchange.operation.responses()
    if str(exchange.status) in responses:
        key = str(exchange.status)
    elif exchange.status == 429 or exchange.status >= 500 or exchange.status in _catalogue_statuses(exchange):
        key = "default"
    else:
        return None
    response: Mapping[str, Any] | None = responses.get(key)
    if response is not None and "$ref" in response:
        response = exchange.contract.resolve(response["$ref"].removeprefix("#"))
    return response


def _catalogue_statuses(exchange: Exchange) -> set[int]:
    """The statuses the error catalogue names: each entry's own, and the one it takes as a refusal at submit."""
    entries = exchange.contract.document.get("x-errors", ())
    return {int(e[key]) for e in entries for key in ("http_status", "refusal_status") if key in e}


def conformance(exchange: Exchange) -> Mapping[str, Any]:
    extension: Mapping[str, Any] = exchange.contract.document.get("x-conformance", {})
    return extension


@check("response")
def status_code_documented(exchange: Exchange) -> None:
    if exchange.operation is None:
        if exchange.status not in unmatched_statuses(exchange):
            allowed = " or ".join(map(str, unmatched_statuses(exchange)))
            raise CheckFailure(
                "Undocumented route answered",
                f"a route outside the contract must answer {allowed}, not {exchange.status}",
                exchange.evidence(),
            )
        return
    if documented_response(exchange) is None:
        documented = ", ".join(exchange.operation.responses())
        raise CheckFailure(
            "Undocumented status code",
            f"{exchange.label} answered {exchange.status}; the contract documents {documented}",
            exchange.evidence(),
        )


@check("response")
def content_type_documented(exchange: Exchange) -> None:
    response = documented_response(exchange)
    if exchange.operation is None:
        if exchange.status in unmatched_statuses(exchange) and exchange.content_type != "application/json":
            raise CheckFailure("Wrong content type", "an unknown route must answer JSON", exchange.evidence())
        return
    if response is None or not response.get("content"):
        return
    media_types = [m.split(";")[0].lower() for m in response["content"]]
    if not any(_media_matches(exchange.content_type, m) for m in media_types):
        raise CheckFailure(
            "Wrong content type",
            f"{exchange.label} {exchange.status} answered {exchange.content_type or 'no content type'}; "
            f"the contract documents {', '.join(media_types)}",
            exchange.evidence(),
        )


def _media_matches(actual: str, documented: str) -> bool:
    if documented.endswith("/*"):
        return actual.startswith(documented[:-1])
    return actual == documented or documented == "*/*"


@check("response")
def required_headers_present(exchange: Exchange) -> None:
    response = documented_response(exchange)
    for name, spec in (response or {}).get("headers", {}).items():
        if spec.get("required") and name.lower() not in exchange.headers:
            raise CheckFailure(
                "Missing required header",
                f"{exchange.label} {exchange.status} must send {name}",
                exchange.evidence(),
            )


@check("response")
def response_schema_conformance(exchange: Exchange) -> None:
    if exchange.json is MISSING:
        return
    contract = exchange.contract
    if exchange.operation is None:
        if exchange.status not in unmatched_statuses(exchange):
            return
        name = contract.document.get("x-unmatched-route-schema", "Error")
        validator = contract.schema_validator(name)
    else:
        try:
            validator = exchange.operation.response_validator(exchange.status)
        except ContractError:
            return  # an undocumented status or media type: the checks above say so
    errors = sorted(validator.iter_errors(exchange.json), key=str)
    if errors:
        where = ".".join(str(p) for p in errors[0].absolute_path) or "(the body)"
        raise CheckFailure(
            "Response violates schema",
            f"{exchange.label} {exchange.status}: at {where}: {errors[0].message}",
            exchange.evidence(),
        )


def error_code(exchange: Exchange) -> Any:
    for path in conformance(exchange).get("error-code", ()):
        value = field_at(exchange.json, path)
        if value is not MISSING and value is not None:
            return value
    return MISSING


@check("response")
def error_in_catalogue(exchange: Exchange) -> None:
    if exchange.status < 400 or "x-errors" not in exchange.contract.document:
        return
    entries = exchange.contract.errors.values()
    with_status = [e for e in entries if e["http_status"] == exchange.status]
    if not with_status:
        raise CheckFailure(
            "Undocumented error status",
            f"no error of the catalogue is answered with HTTP {exchange.status}",
            exchange.evidence(),
        )
    code = error_code(exchange)
    if code is MISSING:
        return
    if not any(str(e["code"]) == str(code) for e in with_status):
        known = sorted({str(e["code"]) for e in with_status})
        raise CheckFailure(
            "Error code not in catalogue",
            f"HTTP {exchange.status} with code {code!r}; the catalogue has {known} for that status",
            exchange.evidence(),
        )


@check("response")
def rate_limit_hints(exchange: Exchange) -> None:
    if exchange.status >= 400 and "x-errors" in exchange.contract.document:
        code = error_code(exchange)
        hinted = [
            e
            for e in exchange.contract.errors.values()
            if e["http_status"] == exchange.status
            and e.get("retry_after") is not None
            and (code is MISSING or str(e["code"]) == str(code))
        ]
        if hinted and "retry-after" not in exchange.headers:
            raise CheckFailure(
                "Missing Retry-After",
                f"{hinted[0]['name']} is documented with Retry-After: {hinted[0]['retry_after']}",
                exchange.evidence(),
            )
    poll = conformance(exchange).get("poll", {})
    header = poll.get("interval-header")
    polled = exchange.operation is not None and exchange.operation.operation_id == poll.get("operation")
    if header and exchange.status == 200 and polled and header.lower() not in exchange.headers:
        raise CheckFailure(
            "Missing poll hint", f"{exchange.label} must send {header} on every poll", exchange.evidence()
        )
