"""The README's examples are real: quoted test code is identical to the tests, runnable code runs."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def blocks(tag: str) -> list[tuple[str, str]]:
    """(file named by the tag, code) for each ```python block right after `<!-- tag: file -->`."""
    pattern = rf"<!-- {tag}: (\S+) -->\n```python\n(.*?)```"
    return re.findall(pattern, README, flags=re.DOTALL)


def test_quoted_examples_are_the_tests_verbatim() -> None:
    quoted = blocks("verbatim")
    assert len(quoted) >= 6
    for name, code in quoted:
        assert code in (ROOT / name).read_text(encoding="utf-8"), f"README block differs from {name}:\n{code}"


def test_the_python_api_example_runs() -> None:
    [(name, code)] = blocks("runs")
    assert name == "tests/examples/test_readme.py"
    exec(compile(code, "README.md", "exec"), {})
