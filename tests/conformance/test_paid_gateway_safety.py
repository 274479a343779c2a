"""What makes the suite safe to point at a paid gateway: both gptge routes verified, the key redacted as a token
and read from the environment, news while a run waits, a timeout reported as a timeout."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mockserver.cli.main import main
from mockserver.conformance import Runner
from mockserver.conformance.results import REDACTED, redact, redact_document
from mockserver.conformance.target import by_url, in_process
from tests.server.live import live_server


def test_gptge_verifies_image_to_video_as_well_as_text_to_video() -> None:
    news: list[str] = []
    result = Runner(in_process("gptge"), budget=3, progress=news.append).run()  # the keyed probe, then two tasks
    assert result.ok, [o.failure for o in result.failures]
    accepted = [o.operation for o in result.outcomes if o.check == "task_accepted"]
    assert accepted == ["textToVideo", "imageToVideo"]
    media = [o for o in result.outcomes if o.operation == "result media" and o.check == "media_matches_request"]
    assert len(media) == 2 and all(o.passed for o in media)
    assert any("imageToVideo" in line and "submitted" in line for line in news)


def test_progress_names_the_task_its_state_and_the_time() -> None:
    news: list[str] = []
    Runner(in_process("crazyrouter"), budget=1, progress=news.append).run()
    polls = [line for line in news if "next poll in" in line]
    assert polls, news
    assert polls[0].startswith("task ") and " after " in polls[0] and polls[0].endswith(" s")


@pytest.mark.parametrize(
    ("text", "secret", "expected"),
    [
        ("check the key k", "k", f"check the key {REDACTED}"),
        ("Bearer sk-1, sk-10 and sk-1x", "sk-1", f"Bearer {REDACTED}, sk-10 and sk-1x"),
        ('{"key": "true", "ok": true}', "true", f'{{"key": "{REDACTED}", "ok": {REDACTED}}}'),
        ("?api_key=abc&x=1", "abc", f"?api_key={REDACTED}&x=1"),
    ],
)
def test_the_key_is_redacted_as_a_whole_token(text: str, secret: str, expected: str) -> None:
    assert redact(text, [secret]) == expected


def test_a_json_report_stays_json_whatever_the_key() -> None:
    document = {"ok": True, "count": 1, "evidence": "Authorization: Bearer true", "checks": ["true"]}
    assert redact_document(document, ["true"]) == {
        "ok": True,
        "count": 1,
        "evidence": f"Authorization: Bearer {REDACTED}",
        "checks": [REDACTED],
    }


KEYS = st.from_regex(r"[A-Za-z0-9_-]{1,12}", fullmatch=True)
TEXT = st.text(alphabet=st.sampled_from('ab k-_ true"{}:,=.\n'), max_size=40)
DOCUMENTS = st.recursive(
    st.none() | st.booleans() | st.integers() | TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=20,
)


def strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [s for item in value for s in strings(item)]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in [k, *strings(v)]]
    return []


@given(key=KEYS, document=DOCUMENTS)
def test_a_redacted_report_is_json_and_holds_the_key_nowhere_as_a_token(key: str, document: Any) -> None:
    redacted = json.loads(json.dumps(redact_document(document, [key])))
    whole = re.compile(f"(?<![A-Za-z0-9_-]){re.escape(key)}(?![A-Za-z0-9_-])")
    assert not any(whole.search(text) for text in strings(redacted))
    assert json.dumps(redact_document(document, [])) == json.dumps(document)


def test_the_cli_reads_the_key_from_the_environment_and_keeps_reports_valid(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    report = tmp_path / "report.json"
    monkeypatch.setenv("GATEWAY_KEY", "true")
    with live_server(api_keys=("true",)) as (url, _):  # any other key is refused: the run passes with this one
        code = main(
            ["verify", "--provider", "jimmyai", "--base-url", f"{url}/jimmyai", "--api-key-env", "GATEWAY_KEY",
             "--budget", "1", "--json", str(report)]
        )  # fmt: skip
    captured = capsys.readouterr()
    assert code == 0, captured.out
    document = json.loads(report.read_text())  # a key equal to a JSON literal leaves the report valid
    assert document[0]["ok"] is True and document[0]["submissions"] == 1
    assert "its virtual clock found at" in document[0]["target"]  # the mock's admin API, found by itself
    assert "... task " in captured.err  # news while it waited


def test_a_timeout_is_a_timeout_not_a_breach(capsys: pytest.CaptureFixture[str]) -> None:
    target = in_process("crazyrouter")
    target.hint = "; a hint"
    result = Runner(target, budget=1, timeout=5).run()
    assert result.failures == [] and not result.ok
    assert result.timed_out == "the run would pass its 5 s limit (--timeout); a hint"
    code = main(["verify", "--provider", "crazyrouter", "--budget", "1", "--timeout", "5"])
    captured = capsys.readouterr()
    assert code == 3
    assert "TIMED OUT" in captured.out and "timed out" in captured.err and "breaks its contract" not in captured.err


def test_a_target_that_really_waits_says_how_to_reach_a_mock_clock() -> None:
    with live_server(clock="system") as (url, _):
        target = by_url("crazyrouter", f"{url}/crazyrouter", "sk-x")
        target.close()
    assert not target.virtual_time and "pass --mock-admin <server>/__admin" in target.hint
    with live_server() as (url, _):
        found = by_url("crazyrouter", f"{url}/crazyrouter", "sk-x")
        found.close()
    assert found.virtual_time and found.hint == ""


def test_a_mock_whose_admin_wants_a_token_is_found_with_it() -> None:
    with live_server(admin_token="adm-1") as (url, _):
        without = by_url("crazyrouter", f"{url}/crazyrouter", "sk-x")
        with_token = by_url("crazyrouter", f"{url}/crazyrouter", "sk-x", mock_admin_token="adm-1")
        without.close()
        with_token.close()
    assert not without.virtual_time and "--mock-admin-token" in without.hint
    assert with_token.virtual_time and "its virtual clock found at" in with_token.description
