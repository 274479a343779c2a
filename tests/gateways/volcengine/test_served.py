"""`jimeng-mock serve --provider volcengine --clock virtual`, as a user starts it: the official SDK, pointed at the
host and port, signs with the pair the banner prints and the machine's time, and runs a task to done while the
test moves the virtual clock through the admin API."""

from __future__ import annotations

import re

import httpx
import pytest
from volcengine.visual.VisualService import VisualService

from mockserver.cli.main import main
from mockserver.core.volc_v4 import default_key_pair
from tests.conformance.test_verify_cli import ADMIN_TOKEN, served_mock
from tests.server.test_cli import running

__all__ = ["served_mock"]  # the fixture, shared with the verify tests

BANNER_PAIR = re.compile(r"volcengine default key pair: access key (\S+)\s+secret key (\S+)")


def test_the_sdk_against_the_served_root_on_a_virtual_clock() -> None:
    with running("--provider", "volcengine", "--clock", "virtual", "--seed", "3") as (base, banner):
        found = next(match for line in banner if (match := BANNER_PAIR.search(line)))
        service = VisualService()
        service.set_host(base.removeprefix("http://"))
        service.set_scheme("http")
        service.set_ak(found[1])
        service.set_sk(found[2])
        task_id = service.cv_sync2async_submit_task({"req_key": "jimeng_t2v_v30", "prompt": "a cat"})["data"]["task_id"]
        assert httpx.post(f"{base}/__admin/clock/advance", json={"seconds": 3600}).status_code == 200
        done = service.cv_sync2async_get_result({"req_key": "jimeng_t2v_v30", "task_id": task_id})["data"]
        assert done["status"] == "done" and done["video_url"].startswith(base)
        assert httpx.get(done["video_url"]).content[4:8] == b"ftyp"
        listed = httpx.get(f"{base}/__admin/").json()["providers"]
        assert listed["volcengine"] == f"{base}/volcengine"


def test_verify_signs_with_the_pair_it_is_given(served_mock: str, capsys: pytest.CaptureFixture[str]) -> None:
    pair = str(default_key_pair(0))  # the served mock's seed
    code = main(
        [
            "verify", "--provider", "volcengine", "--base-url", f"{served_mock}/volcengine", "--api-key", pair,
            "--budget", "1", "--mock-admin", f"{served_mock}/__admin", "--mock-admin-token", ADMIN_TOKEN,
        ]
    )  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0, out
    assert "1/1 paid submissions" in out and "media_matches_request" in out
    assert default_key_pair(0).secret_key not in out
    refused = main(
        ["verify", "--provider", "volcengine", "--base-url", f"{served_mock}/volcengine", "--api-key", "AK|no"]
    )
    assert refused == 1 and "InvalidAccessKey" in capsys.readouterr().out
