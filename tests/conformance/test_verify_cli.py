"""`jimeng-mock verify` end to end: against `jimeng-mock serve` running as a real process, and a broken target."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from xml.etree import ElementTree

import pytest

from mockserver.cli.main import main

SECRET = "sk-verify-SECRET-77"
ADMIN_TOKEN = "admin-verify-TOKEN-5"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def served_mock() -> Iterator[str]:
    command = [sys.executable, "-m", "mockserver", "serve", "--clock", "virtual", "--port", "0"]
    command += ["--admin-token", ADMIN_TOKEN]  # verify advances its clock with --mock-admin-token
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert process.stdout is not None
        banner = process.stdout.readline()  # printed once the socket listens and the app is built
        assert "listening on" in banner, banner
        yield banner.split("listening on ")[1].split()[0]
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()


def test_verify_against_a_served_mock_passes(
    served_mock: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    junit, report = tmp_path / "junit.xml", tmp_path / "report.json"
    code = main(
        [
            "verify", "--provider", "octopusx", "--base-url", f"{served_mock}/octopusx", "--api-key", SECRET,
            "--budget", "1", "--mock-admin", f"{served_mock}/__admin", "--mock-admin-token", ADMIN_TOKEN,
            "--junit", str(junit), "--json", str(report),
        ]
    )  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0, out
    assert "media_matches_request" in out and "OK:" in out and "1/1 paid submissions" in out
    document = json.loads(report.read_text())
    assert document[0]["ok"] is True and document[0]["submissions"] == 1
    suite = ElementTree.parse(junit).getroot().find("testsuite")
    assert suite is not None and suite.get("failures") == "0" and int(suite.get("tests", "0")) > 20
    assert SECRET not in out + report.read_text() + junit.read_text()
    assert ADMIN_TOKEN not in out + report.read_text() + junit.read_text()


def test_verify_takes_octopusx_with_or_without_the_sdk_v1(served_mock: str, capsys: pytest.CaptureFixture[str]) -> None:
    for base_url in (f"{served_mock}/octopusx/v1", f"{served_mock}/octopusx/v1/", f"{served_mock}/octopusx"):
        code = main(["verify", "--provider", "octopusx", "--base-url", base_url, "--api-key", SECRET])
        assert code == 0, capsys.readouterr().out
        assert "OK:" in capsys.readouterr().out


def test_verify_against_a_broken_target_fails(served_mock: str, capsys: pytest.CaptureFixture[str]) -> None:
    # the crazyrouter contract pointed at the jimmyai gateway: every answer is in the wrong shape
    code = main(["verify", "--provider", "crazyrouter", "--base-url", f"{served_mock}/jimmyai", "--api-key", SECRET])
    captured = capsys.readouterr()
    assert code == 1
    assert "FAIL" in captured.out and "breaks its contract" in captured.err
    assert SECRET not in captured.out + captured.err


def test_verify_reports_an_unreachable_gateway(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["verify", "--provider", "gptge", "--base-url", f"http://127.0.0.1:{free_port()}", "--timeout", "5"])
    assert code == 1
    assert "Gateway unreachable" in capsys.readouterr().out
