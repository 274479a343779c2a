"""The README's examples are real: quoted test code is identical to the tests, Python examples run against the
mock, every shell command is run or checked, every YAML block is loaded by what reads it."""

from __future__ import annotations

import json
import re
import shlex
import time
from itertools import pairwise
from pathlib import Path
from typing import Any

import av
import pytest
import yaml
from starlette.testclient import TestClient

from mockserver import MockServer
from mockserver.cli.main import build_parser
from mockserver.scenarios import ScenarioLibrary, parse
from mockserver.server.app import create_app
from mockserver.server.settings import Settings
from tests.examples.readme_shell import README, ROOT, Shell, Step, matches, sections

MOCK_ADDRESS = "http://127.0.0.1:8000"


def blocks(tag: str, language: str = "python") -> list[tuple[str, str]]:
    """(file named by the tag, code) for each block right after `<!-- tag: file -->`."""
    pattern = rf"<!-- {tag}: (\S+) -->\n```{language}\n(.*?)```"
    return re.findall(pattern, README, flags=re.DOTALL)


def untagged(language: str) -> list[str]:
    return re.findall(rf"(?<!-->\n)```{language}\n(.*?)```", README, flags=re.DOTALL)


def test_quoted_examples_are_the_tests_verbatim() -> None:
    quoted = blocks("verbatim")
    assert len(quoted) >= 9
    assert {name for name, _ in quoted} >= {"tests/examples/test_howto_gateways.py"}
    for name, code in quoted:
        assert code in (ROOT / name).read_text(encoding="utf-8"), f"README block differs from {name}:\n{code}"


RUNS = blocks("runs")


@pytest.mark.filterwarnings("ignore:The Sora API is scheduled to permanently shut down:DeprecationWarning")
@pytest.mark.parametrize("code", [code for _, code in RUNS], ids=[f"runs-{n}" for n in range(len(RUNS))])
def test_the_python_examples_run(code: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each runs as written, against a mock at the address it names; its waits move the mock's virtual clock."""
    assert {name for name, _ in RUNS} == {"tests/examples/test_readme.py"}
    monkeypatch.chdir(tmp_path)
    if MOCK_ADDRESS not in code:  # it starts its own mock (the MockServer example)
        exec(compile(code, "README.md", "exec"), {})
        return
    with MockServer(seed=0) as mock:
        monkeypatch.setattr(time, "sleep", mock.clock.advance)
        exec(compile(code.replace(MOCK_ADDRESS, mock.url), "README.md", "exec"), {})
    for video in tmp_path.glob("*.mp4"):
        assert video.read_bytes()[4:8] == b"ftyp", video.name
    assert len(list(tmp_path.glob("*.mp4"))) == code.count('.mp4", "wb"') + code.count('.mp4")')


def test_one_python_example_per_gateway() -> None:
    for path in ("/crazyrouter", "/gptge", "/jimmyai", "/octopusx/v1", "/jimeng2api"):
        assert any(f'"{MOCK_ADDRESS}{path}"' in code for _, code in RUNS), path


SHELL = [section for section in sections() if any(s.command.startswith("curl") for b in section.blocks for s in b)]


@pytest.mark.parametrize("section", SHELL, ids=[section.heading.lstrip("# ") for section in SHELL])
def test_the_shell_examples_print_what_the_readme_shows(section: Any, tmp_path: Path) -> None:
    """A fresh mock per section, as started in the tour (`--clock virtual`); the blocks of a section share it."""
    with TestClient(create_app(Settings(clock="virtual")), base_url=MOCK_ADDRESS) as client:
        shell = Shell(client, tmp_path)
        for block in section.blocks:
            for step in block:
                check_step(shell, step, tmp_path)


def check_step(shell: Shell, step: Step, workdir: Path) -> None:
    argv = step.command.split()
    if argv[0] == "ffplay":
        assert (workdir / argv[-1]).read_bytes()[4:8] == b"ftyp"
        return
    if argv[0] == "ffprobe":
        with av.open(str(workdir / argv[-1])) as container:
            stream = container.streams.video[0]
            described = f"{stream.codec_context.name}, {stream.width}x{stream.height}, {stream.average_rate} fps"
            assert step.comment.startswith(described), (described, step.comment)
            assert f"{stream.frames} frames" in step.comment
        return
    if not (argv[0] == "curl" or re.match(r"[A-Z_]+=", argv[0])):
        assert not step.shown, f"output shown under a command no test runs: {step.command}"
        return
    output = shell.run(step)
    if not step.shown:  # a command shown without its answer must succeed
        assert shell.status < 400, f"{step.command}\n  -> {shell.status} {output}"
    for shown in step.shown:
        said = f"HTTP {shell.status} {output}" if shown.startswith("HTTP ") and "/" not in shown[:5] else output
        assert matches(shown, said), f"{step.command}\n  README: {shown}\n  mock:   {said}"
    if "-o" in argv:
        assert (workdir / argv[argv.index("-o") + 1]).read_bytes()[4:8] == b"ftyp"


def commands() -> list[Step]:
    return [step for section in sections() for block in section.blocks for step in block]


def test_every_shell_command_is_run_or_checked() -> None:
    """curl, ffprobe and ffplay run above; the install block runs in tests/packaging; the rest is checked here."""
    targets = set(re.findall(r"^([a-z-]+):", (ROOT / "Makefile").read_text(encoding="utf-8"), flags=re.MULTILINE))
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    for step in commands():
        argv = shlex.split(step.command.replace("$KEY", "sk-key"))
        program = argv[0].replace(".venv/bin/", "")
        if program == "make":
            assert argv[1] in targets, step.command
        elif program == "jimeng-mock" or argv[1:3] == ["-m", "mockserver"]:
            check_cli(argv[1:] if program == "jimeng-mock" else argv[3:])
        elif program == "docker":
            check_docker(argv, dockerfile)
        elif program == "python":
            assert argv[1:3] in (["-m", "pip"], ["-m", "build"], ["-m", "venv"], ["-m", "pytest"]), step.command
        else:
            assert program == "curl" or program in ("ffprobe", "ffplay") or re.match(r"[A-Z_]+=", program), step
    install = [step.command for step in commands() if "python -m build" in step.command]
    assert install == ["python -m pip install build && python -m build"]


def check_cli(arguments: list[str]) -> None:
    if arguments == ["--version"]:
        with pytest.raises(SystemExit) as exited:
            build_parser().parse_args(arguments)
        assert exited.value.code == 0
        return
    parsed = vars(build_parser().parse_args(arguments))
    if parsed["command"] == "serve":
        flags = {k: v for k, v in parsed.items() if k not in ("command", "access_log", "replay")}
        Settings.load(flags, environ={})


def check_docker(argv: list[str], dockerfile: str) -> None:
    if argv[1] == "build":
        assert argv[2:] == ["-t", "jimeng-mock", "."]
        return
    assert argv[1:4] == ["run", "--rm", "-p"] and argv[4] == "8000:8000" and "EXPOSE 8000" in dockerfile
    settings = dict(value.split("=", 1) for flag, value in pairwise(argv) if flag == "-e")
    assert settings.pop("JIMENG_MOCK_ADMIN_TOKEN") and "JIMENG_MOCK_ADMIN_TOKEN" in dockerfile
    Settings.load(environ=settings)  # every other variable is a setting
    assert argv[-1] == "jimeng-mock"


def test_every_yaml_block_loads(tmp_path: Path) -> None:
    loaded = [yaml.safe_load(block) for block in untagged("yaml")]
    [workflow] = [doc for doc in loaded if "jobs" in doc]
    service = workflow["jobs"]["test"]["services"]["jimeng-mock"]
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))["services"]["jimeng-mock"]
    assert service["ports"] == compose["ports"] == ["8000:8000"]
    assert set(service["env"]) <= set(compose["environment"]) | {"JIMENG_MOCK_ADMIN_TOKEN"}
    [scenario] = [block for block in untagged("yaml") if block.startswith("description:")]
    assert parse(scenario, "example").description.startswith("What this scenario does")
    [config] = [block for block in untagged("yaml") if block.startswith("# mock.yaml")]
    (tmp_path / "mock.yaml").write_text(config, encoding="utf-8")
    settings = Settings.load(config=tmp_path / "mock.yaml", environ={})
    assert settings.seed == 42 and settings.provider_options["crazyrouter"]["url_ttl"] == 3600


def test_the_scenario_table_covers_the_library() -> None:
    """Each row names scenarios (`name`, `prefix_*` (count), or a range `prefix_a` ... `prefix_b`): together every
    scenario of the library but `default`, and none that is not there."""
    table = README.split("| scenario | what happens |")[1].split("\n\n")[0]
    library = set(ScenarioLibrary.load([]).names()) - {"default"}
    covered: set[str] = set()
    for row in table.splitlines()[2:]:
        named = row.split(" | ")[0]
        for first, last in re.findall(r"`(\w+)` \.\.\. `(\w+)`", named):
            assert {first, last} <= library, (first, last)
            covered |= {n for n in library if first <= n <= last and n.startswith(first.rsplit("_", 1)[0])}
        for name in re.findall(r"`([a-z0-9_*]+)`", named):
            if name.endswith("*"):
                matching = {n for n in library if n.startswith(name[:-1])}
                assert f"`{name}` ({len(matching)})" in row, row
                covered |= matching
            else:
                assert name in library, name
                covered.add(name)
    assert library - covered == set()


def test_the_conftest_example_gives_settings_the_plugin_takes() -> None:
    [conftest] = [block for block in untagged("python") if block.startswith("# conftest.py")]
    namespace: dict[str, Any] = {}
    exec(compile(conftest, "README.md", "exec"), namespace)
    Settings(**namespace["jimeng_mock_settings"].__wrapped__())


def test_the_octopusx_base_url_is_the_same_everywhere() -> None:
    assert "`http://127.0.0.1:8000/octopusx/v1` (the OpenAI SDK's `base_url`)" in README
    assert "127.0.0.1:8000/octopusx`" not in README and "127.0.0.1:8000/octopusx/videos" not in README
    assert json.dumps({"octopusx": f"{MOCK_ADDRESS}/octopusx/v1"})[1:-1] in json.dumps(
        TestClient(create_app(Settings(clock="virtual")), base_url=MOCK_ADDRESS).get("/").json()["gateways"]
    )


def anchor(heading: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation dropped, spaces as hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_the_contents_link_every_section_and_the_links_resolve() -> None:
    contents = README.split("## Contents\n", 1)[1].split("\n## ", 1)[0]
    headings = re.findall(r"^#{2,3} (.+)$", README, flags=re.MULTILINE)
    anchors = {anchor(heading) for heading in headings}
    for heading in re.findall(r"^## (.+)$", README, flags=re.MULTILINE):
        assert heading == "Contents" or f"(#{anchor(heading)})" in contents, f"the contents miss {heading}"
    for target in re.findall(r"\]\(#([^)]+)\)", README):
        assert target in anchors, f"a link to #{target}, which no heading has"
    for target in re.findall(r"\]\(((?!https?:|#)[^)]+)\)", README):
        assert (ROOT / target).exists(), f"a link to {target}, which is not in the repository"
