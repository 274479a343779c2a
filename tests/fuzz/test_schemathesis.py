"""schemathesis over every contract against a served mock (`jimeng-mock serve`, a real process): positive and
negative cases for every operation, its built-in checks plus the project's own response checks and a bound on every
answer's time. Bounded for CI: a few examples per operation."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.config import SchemathesisConfig
from schemathesis.config._checks import POSITIVE_DATA_ACCEPTANCE_EXPECTED_STATUSES, PositiveDataAcceptanceConfig
from schemathesis.core.parameters import ParameterLocation
from schemathesis.specs.openapi.checks import ignored_auth, negative_data_rejection

from mockserver.conformance import Exchange, checks
from mockserver.conformance.target import signing_of
from mockserver.contracts.contract import load_contract
from mockserver.core.volc_v4 import KeyPair
from mockserver.gateways import PROVIDER_IDS
from tests.fuzz.served import SLOWEST_ANSWER, Served, served
from tests.support import VolcengineSignature

EXAMPLES = 25
# Schema-valid but refused on purpose: what a schema cannot see (an image's bytes, a task id that does not exist)
# is checked in code, as the gateways do. The contract says which of an operation's responses those refusals are
# (`x-refuses-schema-valid` on the response, naming what the schema cannot see); schemathesis's "valid data is
# accepted" check runs on every operation with those statuses, and only those, added to the ones it accepts.
REFUSAL = "x-refuses-schema-valid"
# jimeng2api validates `headers.authorization` before it looks at the key: no header is a 400 params_invalid,
# not a 401 (reference gateways.md, observed), which schemathesis's "ignored auth" check reads as auth ignored.
EXCLUDED_FOR = {"jimeng2api": [ignored_auth]}
# Faithful leniency schemathesis's negative cases read as "invalid request accepted": new-api ignores query
# parameters it does not know (observed); jimeng2api's admin API is open while no admin key is configured
# (`admin_auth_disabled`, observed), as in the mock's default settings.
LENIENT = {
    ("octopusx", "listVideos"),
    *(("jimeng2api", op) for op in load_contract("jimeng2api").operations if op.startswith("admin")),
}
KEY = "sk-schemathesis"
AUTH = {"Authorization": f"Bearer {KEY}"}
PAIR = KeyPair("AKLTschemathesis", "schemathesis-secret")
"""What a gateway that takes signatures (`x-conformance.auth`) is sent in place of the key: a request signed with it."""


@schemathesis.check
def jimeng_conformance(ctx: Any, response: Any, case: Any) -> bool | None:
    """The project's response checks (documented status, content type, headers, schema, error catalogue, hints)."""
    provider = case.operation.schema.raw_schema["x-provider"]
    headers = {k.lower(): v[0] if isinstance(v, list) else v for k, v in response.headers.items()}
    path = case.formatted_path
    exchange = Exchange(load_contract(provider), case.method, path, response.status_code, headers, response.content)
    for registered in checks("response"):
        registered(exchange)
    return None


def credentials(case: Any) -> dict[str, Any]:
    """The key (or, for a gateway that takes signatures, the signature), unless the case is negative in its headers
    (it may be about a missing Authorization): the keyword arguments of the call."""
    negative_headers = case.meta is not None and case.meta.is_negative_at(ParameterLocation.HEADER)
    if negative_headers:
        return {"headers": {}}
    if signing_of(case.operation.schema.raw_schema["x-provider"]):
        return {"headers": {}, "auth": VolcengineSignature(PAIR)}
    return {"headers": AUTH}


def excluded(provider: str, operation: Any) -> list[Any]:
    matched = load_contract(provider).match(operation.method, operation.path)
    lenient = matched is not None and (provider, matched.operation_id) in LENIENT
    return EXCLUDED_FOR.get(provider, []) + ([negative_data_rejection] if lenient else [])


@schemathesis.check
def answered_in_time(ctx: Any, response: Any, case: Any) -> bool | None:
    """No answer slower than the fuzz suite's bound."""
    assert response.elapsed <= SLOWEST_ANSWER, f"answered in {response.elapsed:.1f} s (bound {SLOWEST_ANSWER} s)"
    return None


@pytest.fixture(scope="module")
def server() -> Iterator[Served]:
    # with a key configured the mock refuses others, as the real gateways do (by default it accepts any key)
    with served({"JIMENG_MOCK_API_KEYS": f"{KEY},{PAIR}"}) as running:
        yield running


def load(provider: str, base: str) -> Any:
    document = copy.deepcopy(dict(load_contract(provider).document))
    document["servers"] = [{"url": f"{base}/{provider}"}]
    return schemathesis.openapi.from_dict(document, config=SchemathesisConfig())


def accept_documented_refusals(operation: Any) -> None:
    """Let "valid data is accepted" take the statuses the contract marks as refusals of schema-valid requests."""
    responses = operation.definition.raw.get("responses", {})
    refusals = [status for status, response in responses.items() if REFUSAL in response]
    statuses = [*POSITIVE_DATA_ACCEPTANCE_EXPECTED_STATUSES, *refusals]
    operation.schema.config.checks.positive_data_acceptance = PositiveDataAcceptanceConfig(expected_statuses=statuses)


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=["positive", "negative"])
@pytest.mark.parametrize("provider", PROVIDER_IDS)
def test_every_operation_holds_under_generated_requests(server: Served, provider: str, mode: GenerationMode) -> None:
    schema = load(provider, server.base)
    for result in schema.get_all_operations():
        operation = result.ok()
        skipped = excluded(provider, operation)
        accept_documented_refusals(operation)

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy(generation_mode=mode))
        def exchange(case: Any) -> None:
            case.call_and_validate(
                base_url=f"{server.base}/{provider}",
                **credentials(case),
                additional_checks=[jimeng_conformance, answered_in_time],
                excluded_checks=skipped,  # noqa: B023 (called at once, in this iteration)
            )

        try:
            exchange()
        except Unsatisfiable:
            assert mode is GenerationMode.NEGATIVE, f"{operation.label}: no valid request can be generated"
            # an operation without parameters or body has no invalid request to send
    assert server.alive(), "the server stopped answering"
