"""`jimeng-mock serve` as a user runs it: a real process on a real port, driven over HTTP."""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.metadata import version
from pathlib import Path

import httpx
import pytest

from mockserver.cli.main import build_parser, main

AUTH = {"Authorization": "Bearer sk-test"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def running(*args: str, env: dict[str, str] | None = None, log: Path | None = None) -> Iterator[tuple[str, list[str]]]:
    """Start the server on a free port (`--port 0`); yield its base URL and the banner lines it printed; stop it.
    The banner is printed once the socket listens, so the first request after it is answered: no retry loop.
    With `log`, what it writes after the banner (the access log on stdout, uvicorn's log on stderr) goes there."""
    command = [sys.executable, "-m", "mockserver", "serve", "--port", "0", *args]
    stderr = subprocess.PIPE if log is None else log.open("w")
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=stderr, text=True, env={**os.environ, **(env or {})}
    )
    try:
        assert process.stdout is not None
        banner = []
        while line := process.stdout.readline():
            banner.append(line.rstrip())
            if "/__admin" in line:
                break
        assert banner and "listening on" in banner[0], process.communicate(timeout=10)
        base = banner[0].split("listening on ")[1].split()[0]
        answered = httpx.get(f"{base}/__admin/clock", timeout=5)  # at once: no connection refused, no retry
        assert answered.status_code in (200, 401)  # 401: a token is set
        yield base, banner
    finally:
        process.terminate()
        rest, _ = process.communicate(timeout=10)
        if log is not None:
            stderr.write(rest)  # type: ignore[union-attr]
            stderr.close()  # type: ignore[union-attr]


def test_help_explains_every_flag(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["serve", "--help"])
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    for flag in ("--host", "--port", "--provider", "--seed", "--clock", "--time-scale", "--config", "--api-key"):
        assert flag in text
    assert "JIMENG_MOCK_" in text


def test_help_names_every_setting_that_has_no_flag_and_every_flag_that_is_no_setting() -> None:
    from dataclasses import fields

    from mockserver.cli.main import ENV_HELP
    from mockserver.server.settings import Settings

    commands = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    serve = commands.choices["serve"]
    aliases = {"provider": "root_provider", "api_key": "api_keys", "config": None}
    flagged = {aliases.get(action.dest, action.dest) for action in serve._actions if action.option_strings}
    settings = {field.name for field in fields(Settings)}
    named = set(re.findall(r"\b[a-z]+(?:_[a-z]+)+\b|\bproviders\b", ENV_HELP))
    assert settings - flagged - {"provider_options"} <= named, "a setting with no flag that --help does not name"
    assert "providers" in named  # the config file's name for provider_options
    not_settings = {dest for dest in flagged if dest is not None and dest != "help"} - settings
    assert not_settings == {"replay", "access_log"}
    assert "but --replay and --access-log" in ENV_HELP


def test_every_argument_of_every_command_has_its_help() -> None:
    def arguments(parser: argparse.ArgumentParser, name: str) -> Iterator[tuple[str, argparse.Action]]:
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for command, subparser in action.choices.items():
                    yield from arguments(subparser, f"{name} {command}")
            else:
                yield name, action

    for name, action in arguments(build_parser(), "jimeng-mock"):
        assert action.help, f"{name} {action.option_strings or action.dest} has no help"


def test_parser_requires_a_command() -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args([])


def test_bad_settings_exit_with_a_message(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    config = tmp_path / "bad.yaml"
    config.write_text("providers:\n  crazyrouter:\n    url_ttl: -5\n")
    assert main(["serve", "--config", str(config)]) == 2
    assert "url_ttl must be a positive number" in capsys.readouterr().err
    assert main(["serve", "--time-scale", "0"]) == 2


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out.strip() == f"jimeng-mock {version('jimeng-mock')}"


def test_a_taken_port_is_one_clear_line_and_no_banner() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        command = [sys.executable, "-m", "mockserver", "serve", "--port", str(port)]
        done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "listening" not in done.stdout  # a script waiting for the banner is not fooled
    assert done.stderr.strip() == (
        f"jimeng-mock: cannot listen on 127.0.0.1:{port}: the address is already in use "
        "(another server is running there: stop it or choose another --port)"
    )


def test_the_banner_and_the_index_give_octopusx_the_sdk_base_url() -> None:
    with running("--clock", "virtual") as (base, banner):
        assert f"  octopusx     {base}/octopusx/v1" in banner
        assert httpx.get(f"{base}/").json()["gateways"]["octopusx"] == f"{base}/octopusx/v1"
        listed = httpx.get(f"{base}/octopusx/v1/videos", headers=AUTH)
        assert listed.status_code == 200 and listed.json()["object"] == "list"


def test_served_end_to_end_over_a_real_socket() -> None:
    with running("--clock", "virtual", "--seed", "7") as (base, banner):
        assert f"{base}/crazyrouter" in "\n".join(banner)
        assert f"{base}/__admin" in "\n".join(banner)
        with httpx.Client(base_url=base, timeout=10) as http:
            submitted = http.post(
                "/crazyrouter/jimeng/submit/videos",
                headers=AUTH,
                json={"model": "jimeng-video-3.0", "prompt": "a cat", "aspect_ratio": "9:16"},
            )
            assert submitted.status_code == 200
            task_id = submitted.json()["task_id"]
            assert http.get(f"/crazyrouter/jimeng/fetch/{task_id}", headers=AUTH).json()["data"]["status"] == "queued"
            assert http.post("/__admin/clock/advance", json={"seconds": 3600}).status_code == 200
            data = http.get(f"/crazyrouter/jimeng/fetch/{task_id}", headers=AUTH).json()["data"]
            assert data["status"] == "succeeded" and data["url"].startswith(base)
            video = http.get(data["url"])
            assert video.status_code == 200 and video.content[4:8] == b"ftyp"
            assert http.get(data["url"], headers={"Range": "bytes=0-3"}).status_code == 206


def test_the_access_log_names_each_request_with_the_keys_in_its_query_masked(tmp_path: Path) -> None:
    log = tmp_path / "serve.log"
    with running("--clock", "virtual", "--access-log", log=log) as (base, _):
        polled = httpx.get(f"{base}/crazyrouter/jimeng/fetch/1?key=sk-query-secret&after=2", headers=AUTH)
        assert polled.status_code < 500
    written = log.read_text()
    assert '"GET /crazyrouter/jimeng/fetch/1?key=***&after=2 HTTP/1.1" ' + str(polled.status_code) in written
    assert "sk-query-secret" not in written and "sk-test" not in written


def test_without_access_log_no_request_is_logged(tmp_path: Path) -> None:
    log = tmp_path / "serve.log"
    with running("--clock", "virtual", log=log) as (base, _):
        assert httpx.get(f"{base}/crazyrouter/jimeng/fetch/1", headers=AUTH).status_code < 500
    assert "/crazyrouter/jimeng/fetch/1" not in log.read_text()


def test_provider_at_the_root_and_settings_from_the_environment(tmp_path: Path) -> None:
    config = tmp_path / "mock.yaml"
    config.write_text("api_keys: [sk-test]\nproviders:\n  crazyrouter:\n    timings: {queued: 1, processing: 2}\n")
    env = {"JIMENG_MOCK_CLOCK": "virtual", "JIMENG_MOCK_CONFIG": str(config)}
    with running("--provider", "crazyrouter", env=env) as (base, banner):
        assert any("(root)" in line and "crazyrouter" in line for line in banner)
        with httpx.Client(base_url=base, timeout=10) as http:
            refused = http.post(
                "/jimeng/submit/videos",
                headers={"Authorization": "Bearer other"},
                json={"model": "jimeng-video-3.0", "prompt": "a"},
            )
            assert refused.status_code == 401
            task_id = http.post(
                "/jimeng/submit/videos", headers=AUTH, json={"model": "jimeng-video-3.0", "prompt": "a"}
            ).json()["id"]
            http.post("/__admin/clock/advance", json={"seconds": 3})
            assert http.get(f"/jimeng/fetch/{task_id}", headers=AUTH).json()["data"]["status"] == "succeeded"


def test_scenarios_list_and_show(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scenarios", "list"]) == 0
    listing = capsys.readouterr().out
    assert "moderation_fail" in listing and "fails moderation at 80 %" in listing
    assert main(["scenarios", "show", "cdn_lag"]) == 0
    assert "unavailable_for: 3" in capsys.readouterr().out
    assert main(["scenarios", "show", "nope"]) == 2
    assert "unknown mock scenario 'nope'" in capsys.readouterr().err


def test_replay_serves_a_cassette_over_a_real_socket(tmp_path: Path) -> None:
    import json as _json

    from mockserver.cassettes import Cassette, Interaction

    poll = Interaction(
        0.0,
        "GET",
        "/crazyrouter/jimeng/fetch/1",
        "",
        {},
        b"",
        200,
        {"content-type": "application/json"},
        b'{"recorded":true}',
    )
    cassette = tmp_path / "c.json"
    Cassette([poll]).save(cassette)
    port = free_port()
    command = [sys.executable, "-m", "mockserver", "replay", str(cassette), "--port", str(port)]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as process:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 20
        while True:
            try:
                answer = httpx.get(f"{base}/crazyrouter/jimeng/fetch/1", timeout=1)
                break
            except httpx.TransportError:
                assert process.poll() is None and time.monotonic() < deadline
                time.sleep(0.05)
        assert answer.json() == {"recorded": True}
        assert httpx.get(f"{base}/elsewhere").status_code == 404
        process.terminate()
        _, err = process.communicate(timeout=10)
    report = _json.loads(err[err.index("{") :])
    assert report["served"] == 1 and report["unmatched"][0]["request"] == "GET /elsewhere"


def test_replay_refuses_a_bad_cassette(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{}")
    assert main(["replay", str(bad)]) == 2
    assert "cassette version None" in capsys.readouterr().err
    assert main(["serve", "--replay", str(bad)]) == 2


def test_a_served_process_freezes_its_start_heap() -> None:
    # in a child process: freezing is for the life of the process, not for this test run's
    probe = (
        "import gc; from mockserver.cli.main import settle_heap; before = gc.get_freeze_count(); "
        "settle_heap(); print(before, gc.get_freeze_count() > 1000)"
    )
    answer = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert answer.stdout.split() == ["0", "True"]


def test_in_a_served_process_what_survives_a_collection_is_frozen_and_stored_tasks_are_freed_all_the_same() -> None:
    # in a child process, as above; the collector's older generations then have nothing left to walk
    probe = """
import gc, json
from bench.gateways import GATEWAYS
from bench.inprocess import InProcessMock
from mockserver.cli.main import settle_heap

mock = InProcessMock()
settle_heap()
gateway = GATEWAYS[0]
submit = gateway.submit(mock.runtime.clock.now())
statuses = {mock.call(submit)[0] for _ in range(2000)}
gc.collect(0)
stored = gc.get_freeze_count()
old = len(gc.get_objects(generation=1)) + len(gc.get_objects(generation=2))
mock.runtime.reset()
freed = stored - gc.get_freeze_count()
print(json.dumps({"statuses": sorted(statuses), "old": old, "freed_per_task": freed / 2000}))
"""
    answer = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    figures = json.loads(answer.stdout)
    assert figures["statuses"] == [200]
    assert figures["old"] == 0
    assert figures["freed_per_task"] >= 4  # a task, its schedule, phases and request, freed by reference counting


def test_serving_leaves_no_reference_cycles_for_the_freeze_to_keep() -> None:
    # in a child process, as above: every gateway's submits, polls and refused requests, and the admin's reads, after
    # one of each (what is built once); then what the collector froze is given back to it, to find any cycle it kept
    probe = """
import gc, json
from dataclasses import replace
from bench.gateways import GATEWAYS
from bench.inprocess import InProcessMock
from bench.load import HttpRequest
from mockserver.cli.main import settle_heap

mock = InProcessMock()
now = mock.runtime.clock.now()
kinds = []
for gateway in GATEWAYS:
    submit = gateway.submit(now)
    task_id = gateway.task_id(json.loads(mock.call(submit)[1]))
    kinds += [submit, gateway.poll(task_id, now), gateway.poll("no-such-task", now), replace(submit, body=b"{nope")]
kinds += [HttpRequest("GET", "/__admin/"), HttpRequest("GET", "/__admin/journal?limit=50")]
for request in kinds:
    mock.call(request)
settle_heap()
statuses = set()
for _ in range(200):
    statuses |= {mock.call(request)[0] for request in kinds}
gc.collect()
gc.unfreeze()
print(json.dumps({"statuses": sorted(statuses), "requests": 200 * len(kinds), "kept": gc.collect()}))
"""
    answer = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    figures = json.loads(answer.stdout)
    assert 200 in figures["statuses"] and any(400 <= status < 500 for status in figures["statuses"])
    assert figures["kept"] < 500, figures  # one object a request would be 6,000 and more


def test_the_banner_names_the_dashboard() -> None:
    from mockserver.cli.main import banner
    from mockserver.server.settings import Settings

    lines = banner(Settings(port=8123, providers=("ark",))).splitlines()
    assert "  admin      http://127.0.0.1:8123/__admin" in lines
    assert "  dashboard  http://127.0.0.1:8123/__admin/ui/" in lines
    with running("--clock", "virtual") as (base, _):
        assert "<html" in httpx.get(f"{base}/__admin/ui/").text  # the page it names is there


def test_the_banner_says_whether_the_admin_api_wants_a_token() -> None:
    with running("--admin-token", "t") as (base, banner):
        assert any(line.endswith(f"{base}/__admin (token required)") for line in banner)
        assert httpx.get(f"{base}/__admin/clock", headers={"Authorization": "Bearer t"}).status_code == 200
        assert httpx.get(f"{base}/__admin/clock").status_code == 401


def test_the_banner_warns_when_the_admin_api_is_open_beyond_loopback() -> None:
    from mockserver.cli.main import banner
    from mockserver.server.settings import Settings

    lines = banner(Settings(host="0.0.0.0", allow_open_admin=True)).splitlines()
    assert lines[-1] == "warning: the admin API is open to anyone who can reach 0.0.0.0 (--allow-open-admin)"
    assert not any("warning" in line for line in banner(Settings(host="0.0.0.0", admin_token="t")).splitlines())
