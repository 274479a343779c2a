"""`make run` on a fresh machine: it creates the environment, installs only what serving needs and serves."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]


def test_make_run_installs_the_server_alone_and_serves(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    command = ["make", "--no-print-directory", "run", f"VENV={venv}", "PORT=0", "ARGS=--clock virtual"]
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("JIMENG_MOCK_", "MAKE"))}
    process = subprocess.Popen(
        command, cwd=ROOT, env=environ, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True,  # make's child, the server, is stopped with it
    )  # fmt: skip
    try:
        assert process.stdout is not None
        lines = []
        while (line := process.stdout.readline()) and "listening on" not in line:
            lines.append(line)
        assert "listening on" in line, "".join(lines) + process.communicate(timeout=30)[1]
        base = line.split("listening on ")[1].split()[0]
        assert httpx.get(f"{base}/__admin/clock").json()["mode"] == "virtual"
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.communicate(timeout=30)
    installed = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "list", "--format=freeze"], capture_output=True, text=True
    ).stdout.lower()
    assert "jimeng-mock==" in installed and "uvicorn==" in installed
    for tool in ("pytest", "mypy", "hypothesis", "schemathesis", "av", "openai", "ruff"):
        assert f"\n{tool}==" not in f"\n{installed}", f"make run installed {tool}"
