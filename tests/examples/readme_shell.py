"""The README's shell blocks, read as a user reads them and replayed: each `curl` is sent to the mock (in-process,
on the virtual clock of the tour), `VAR=...` and `$(...)` work as in sh, and each `# ...` line under a command
is the output it must print (`...` stands for any text)."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from starlette.testclient import TestClient

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")


@dataclass
class Step:
    command: str
    comment: str = ""
    """The comment at the end of the command's line."""
    shown: list[str] = field(default_factory=list)
    """The `# ...` lines right under it: what it prints."""


@dataclass
class Section:
    heading: str
    blocks: list[list[Step]]


def sections(text: str = README) -> list[Section]:
    """The README's ```sh blocks, grouped by the heading they are under."""
    found: list[Section] = []
    for part in re.split(r"^(?=#{2,3} )", text, flags=re.MULTILINE):
        heading = part.splitlines()[0] if part.startswith("#") else ""
        blocks = [steps(block) for block in re.findall(r"^```sh\n(.*?)^```", part, flags=re.DOTALL | re.MULTILINE)]
        if blocks:
            found.append(Section(heading, blocks))
    return found


def steps(block: str) -> list[Step]:
    found: list[Step] = []
    for line in block.replace("\\\n", " ").splitlines():
        if line.startswith("# "):
            assert found, f"a comment line opens a block: {line}"
            found[-1].shown.append(line[2:])
        elif line.strip():
            command, _, comment = line.partition("  # ")
            found.append(Step(" ".join(command.split()), comment.strip()))
    return found


def matches(shown: str, output: str) -> bool:
    pattern = ".*?".join(re.escape(piece) for piece in shown.split("..."))
    return re.fullmatch(pattern, output.strip(), flags=re.DOTALL) is not None


class Shell:
    """Runs the curl side of the README's blocks against `client`, in `workdir`."""

    def __init__(self, client: TestClient, workdir: Path) -> None:
        self.client, self.workdir = client, workdir
        self.variables: dict[str, str] = {}
        self.status = 0

    def run(self, step: Step) -> str:
        if assigned := re.fullmatch(r"([A-Z_]+)=\$\((.*)\)", step.command):
            self.variables[assigned[1]] = self.pipeline(assigned[2]).strip()
            return ""
        if assigned := re.fullmatch(r"([A-Z_]+)=(\S+)", step.command):
            self.variables[assigned[1]] = assigned[2]
            return ""
        return self.pipeline(step.command)

    def pipeline(self, command: str) -> str:
        command = re.sub(r"\$\{?([A-Z_]+)\}?", lambda m: self.variables[m[1]], command)
        command, _, redirect = command.partition(" > ")
        first, *filters = command.split(" | ")
        output = self.curl(shlex.split(first))
        for each in filters:
            argv = shlex.split(each)
            if argv == ["head", "-1"]:
                output = output.splitlines()[0]
            elif argv[:2] == ["python3", "-c"]:
                done = subprocess.run([sys.executable, "-c", argv[2]], input=output, capture_output=True, text=True)
                assert done.returncode == 0, done.stderr
                output = done.stdout
            else:
                raise AssertionError(f"the README pipes into {each!r}, which this test cannot check")
        if redirect:
            (self.workdir / redirect.strip()).write_text(output, encoding="utf-8")
            return ""
        return output

    def curl(self, argv: list[str]) -> str:
        assert argv[0] == "curl", argv
        method, headers, data, out, include, url = None, {}, None, None, False, None
        arguments = iter(argv[1:])
        for argument in arguments:
            if argument in ("-s", "-si", "-i"):
                include = include or "i" in argument
            elif argument == "-X":
                method = next(arguments)
            elif argument == "-H":
                name, _, value = next(arguments).partition(":")
                headers[name.strip()] = value.strip()
            elif argument == "-d":
                data = next(arguments)
                headers.setdefault("Content-Type", "application/x-www-form-urlencoded")  # as curl sends it
            elif argument == "-o":
                out = next(arguments)
            elif argument.startswith("-"):
                raise AssertionError(f"curl option {argument} is not understood by this test")
            else:
                url = argument
        assert url is not None and url.startswith("http://127.0.0.1:8000/"), url
        method = method or ("GET" if data is None else "POST")
        response = self.client.request(method, url, content=data, headers=headers)
        self.status = response.status_code
        if out is not None:
            (self.workdir / out).write_bytes(response.content)
            return ""
        if include:
            head = [f"HTTP/1.1 {response.status_code} {response.reason_phrase}"]
            return "\n".join([*head, *(f"{k}: {v}" for k, v in response.headers.items()), "", response.text])
        return response.text
