"""jimeng-mock as a user installs it: the README's install commands, run as written in a fresh virtual environment
outside the checkout (the wheel built from the sdist, as `python -m build` does, then installed with its extras),
then served, listed, verified and used from pytest there.
The build, the install, the start command and the health check are the Dockerfile's own, read from it: no
container builder runs on every machine, so this is where the image's commands are proved."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tarfile
import textwrap
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
PACKAGE_DATA = sorted(
    str(path.relative_to(ROOT)).replace(os.sep, "/")
    for folder, pattern in [
        ("mockserver/contracts/specs", "*.yaml"),
        ("mockserver/scenarios/builtin", "*.yaml"),
        ("mockserver/server/dashboard/templates", "*.html"),
        ("mockserver/server/dashboard/static", "*"),
    ]
    for path in (ROOT / folder).glob(pattern)
)
AUTH = {"Authorization": "Bearer sk-local"}
pytestmark = pytest.mark.xdist_group("wheel")  # one pytest-xdist worker runs them all: one build, one environment
ADMIN_TOKEN = "wheel-test-admin-token"


def dockerfile() -> dict[str, list[str]]:
    """The Dockerfile's instructions, continuation lines joined: {"RUN": [...], "CMD": [...], ...}."""
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8").replace("\\\n", " ")
    found: dict[str, list[str]] = {}
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            instruction, _, rest = line.strip().partition(" ")
            found.setdefault(instruction, []).append(" ".join(rest.split()))
    return found


DOCKER = dockerfile()
[BUILD] = [run for run in DOCKER["RUN"] if "-m build" in run]
[INSTALL] = [run for run in DOCKER["RUN"] if run.startswith("pip install") and ".whl" in run]
START = json.loads(DOCKER["ENTRYPOINT"][0]) + json.loads(DOCKER["CMD"][0])
HEALTHCHECK = json.loads(DOCKER["HEALTHCHECK"][0].split(" CMD ", 1)[1])


def readme_install_block() -> list[str]:
    [block] = re.findall(r"<!-- install: tests/packaging/test_wheel.py -->\n```sh\n(.*?)```", README, flags=re.DOTALL)
    return [line.split("  # ")[0].strip() for line in block.splitlines() if line.strip()]


@pytest.fixture(scope="session")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtual environment outside the checkout, where the README's install commands ran as written:
    in a copy of the sources the Dockerfile copies, `python -m build` (the sdist, then the wheel from it) and
    `pip install` of the wheel with its extras. Then pytest, for the plugin's test. Returns the scripts folder."""
    home = tmp_path_factory.mktemp("fresh")
    source = home / "src"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(ROOT / "mockserver", source / "mockserver", ignore=shutil.ignore_patterns("__pycache__"))
    subprocess.run([sys.executable, "-m", "venv", str(home / "venv")], check=True, timeout=120)
    scripts = home / "venv" / ("Scripts" if os.name == "nt" else "bin")
    activated = {**clean_environment(), "VIRTUAL_ENV": str(home / "venv")}
    activated["PATH"] = f"{scripts}{os.pathsep}{os.environ['PATH']}"
    for command in [*readme_install_block(), "python -m pip install pytest"]:
        done = subprocess.run(command, shell=True, cwd=source, env=activated, capture_output=True, text=True)
        assert done.returncode == 0, f"{command}\n{done.stdout}{done.stderr}"
    return scripts


@pytest.fixture(scope="session")
def dist(installed: Path) -> Path:
    return installed.parent.parent / "src" / "dist"


@pytest.fixture(scope="session")
def venv(installed: Path) -> Path:
    return installed


def clean_environment() -> dict[str, str]:
    """This process's environment without what would make the fresh one find the checkout or its settings."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "JIMENG_MOCK_", "VIRTUAL_ENV"))}


def test_the_dockerfile_builds_and_installs_as_the_readme_does() -> None:
    """The image runs the README's commands: `python -m build` (into /dist) after installing build, then a pip
    install of the wheel."""
    assert BUILD == "python -m build --outdir /dist" and "pip install --no-cache-dir build" in DOCKER["RUN"]
    assert readme_install_block()[0] == "python -m pip install build && python -m build"
    install = shlex.split(INSTALL.split("&&")[0])
    assert install[:2] == ["pip", "install"] and install[-1] == "/tmp/wheels/*.whl"
    assert readme_install_block()[1].startswith('python -m pip install "dist/jimeng_mock-0.1.0-py3-none-any.whl')


def outside(venv: Path, *command: str, **options: Any) -> subprocess.CompletedProcess[str]:
    """Run a command of the fresh environment in its own folder, far from the checkout's sources."""
    environ = clean_environment()
    return subprocess.run(
        [str(venv / command[0]), *command[1:]],
        cwd=venv.parent.parent,
        env=environ,
        capture_output=True,
        text=True,
        timeout=300,
        **options,
    )


@contextmanager
def serving(venv: Path, *command: str, env: dict[str, str] | None = None) -> Iterator[str]:
    """A real server process from the fresh environment; yields its base URL, read from the banner it prints
    once its socket listens."""
    environ = clean_environment()
    process = subprocess.Popen(
        [str(venv / command[0]), *command[1:]],
        cwd=venv.parent.parent,
        env={**environ, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        banner = process.stdout.readline()
        assert "listening on" in banner, process.communicate(timeout=10)
        port = banner.split("listening on ")[1].split()[0].rsplit(":", 1)[1]
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.communicate(timeout=10)


def test_the_sdist_and_the_wheel_carry_every_contract_and_scenario(dist: Path) -> None:
    [sdist], [wheel] = dist.glob("*.tar.gz"), dist.glob("*.whl")
    with tarfile.open(sdist) as archive:
        in_sdist = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    with zipfile.ZipFile(wheel) as archive:
        in_wheel = set(archive.namelist())
    assert len(PACKAGE_DATA) >= 60
    assert set(PACKAGE_DATA) <= in_sdist
    assert set(PACKAGE_DATA) <= in_wheel
    assert not [name for name in in_wheel if name.startswith(("tests/", "bench/"))]


def test_the_installed_package_is_the_wheel_not_the_checkout(venv: Path) -> None:
    found = outside(venv, "python", "-c", "import mockserver; print(mockserver.__file__)")
    assert "site-packages" in found.stdout and str(ROOT) not in found.stdout, found
    version = outside(venv, "jimeng-mock", "--version")
    assert version.returncode == 0 and version.stdout.strip() == "jimeng-mock 0.1.0"
    extras = outside(venv, "python", "-c", "import av, redis")  # the README installs [redis,verify]
    assert extras.returncode == 0, extras.stderr


def test_serve_answers_a_submit_and_a_poll(venv: Path) -> None:
    with serving(venv, "jimeng-mock", "serve", "--port", "0", "--clock", "virtual") as base:
        body = {"model": "jimeng-video-3.0", "prompt": "a cat"}
        submitted = httpx.post(f"{base}/crazyrouter/jimeng/submit/videos", json=body, headers=AUTH)
        assert submitted.status_code == 200, submitted.text
        polled = httpx.get(f"{base}/crazyrouter/jimeng/fetch/{submitted.json()['id']}", headers=AUTH)
        assert polled.status_code == 200 and polled.json()["data"]["status"] == "queued"
        assert httpx.get(f"{base}/__admin/openapi.yaml").text.startswith("openapi: 3.1")


def test_the_dashboard_is_served_from_the_wheel(venv: Path) -> None:
    """Its templates, script and stylesheet come from the installed package, and Jinja2 with it."""
    with serving(venv, "jimeng-mock", "serve", "--port", "0", "--clock", "virtual") as base:
        page = httpx.get(f"{base}/__admin/ui/", headers={"Accept": "text/html"})
        assert page.status_code == 200 and "text/html" in page.headers["content-type"]
        assert "/__admin/ui/static/dashboard.js" in page.text and f"{base}/crazyrouter" in page.text
        script = httpx.get(f"{base}/__admin/ui/static/dashboard.js")
        assert script.status_code == 200 and "/__admin" in script.text
        assert httpx.get(f"{base}/__admin/ui/static/pages.js").status_code == 200
        assert httpx.get(f"{base}/__admin/ui/static/dashboard.css").status_code == 200
        index = httpx.get(f"{base}/", headers={"Accept": "text/html"})
        assert 'href="/__admin/ui/"' in index.text


def test_scenarios_list_shows_the_whole_library(venv: Path) -> None:
    listed = outside(venv, "jimeng-mock", "scenarios", "list")
    assert listed.returncode == 0, listed.stderr
    shipped = {Path(name).stem for name in PACKAGE_DATA if "/builtin/" in name}
    assert {line.split()[0] for line in listed.stdout.splitlines()} == {"default", *shipped}


@pytest.mark.parametrize("provider", ["crazyrouter", "octopusx", "gptge", "jimeng2api", "jimmyai"])
def test_verify_in_process_passes(venv: Path, provider: str) -> None:
    verified = outside(venv, "jimeng-mock", "verify", "--provider", provider)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "OK:" in verified.stdout


def test_the_pytest_plugin_works_from_the_wheel(venv: Path) -> None:
    test_file = venv.parent.parent / "test_with_the_mock.py"
    test_file.write_text(
        textwrap.dedent(
            """
            import httpx


            def test_jimmyai_completes(jimeng_mock):
                base = jimeng_mock.url_for("jimmyai")
                body = {"model": "seedance2.0-std", "prompt": "a cat"}
                headers = {"Authorization": "Bearer sk-test"}
                created = httpx.post(f"{base}/api/open-api/v1/seedance/videos", json=body, headers=headers)
                task_id = created.json()["data"]["task_id"]
                view = jimeng_mock.clock.advance_until(task_id, "completed")
                assert view.succeeded
            """
        ),
        encoding="utf-8",
    )
    ran = outside(venv, "python", "-m", "pytest", "-q", "-p", "no:cacheprovider", test_file.name)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "1 passed" in ran.stdout


def test_the_container_start_command_serves_and_passes_its_health_check(venv: Path) -> None:
    """The image's ENTRYPOINT + CMD (on a free port rather than 8000) with the admin token the image expects
    from its environment; then its HEALTHCHECK, and compose.yaml's application against it."""
    assert START[:4] == ["jimeng-mock", "serve", "--host", "0.0.0.0"] and "EXPOSE" in DOCKER
    environ = {"JIMENG_MOCK_ADMIN_TOKEN": ADMIN_TOKEN, "JIMENG_MOCK_SCENARIO": "instant"}
    with serving(venv, *START, "--port", "0", env=environ) as base:
        port = base.rsplit(":", 1)[1]
        assert HEALTHCHECK[0] == "python"
        health = outside(venv, *[part.replace("8000", port) for part in HEALTHCHECK])
        assert health.returncode == 0, health.stderr

        app = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))["services"]["app"]
        settings = {k: v.replace("jimeng-mock:8000", f"127.0.0.1:{port}") for k, v in app["environment"].items()}
        script = ROOT / app["volumes"][0].split(":")[0]
        made = subprocess.run(
            [sys.executable, str(script)], env={**os.environ, **settings}, capture_output=True, text=True, timeout=60
        )
        assert made.returncode == 0, made.stderr
        assert "downloaded" in made.stdout and "bytes of video/mp4" in made.stdout


def test_the_container_start_command_refuses_an_open_admin_api(venv: Path) -> None:
    """The image binds every interface: without JIMENG_MOCK_ADMIN_TOKEN it does not start, rather than serve an
    admin API (reset, the clock) to anyone who reaches the port."""
    refused = outside(venv, *START, "--port", "0")
    assert refused.returncode == 2 and "listening" not in refused.stdout
    assert "refusing to serve the admin API on 0.0.0.0 without a token" in refused.stderr
