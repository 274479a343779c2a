"""Reports of a run: a terminal table (operation by check), JUnit XML for CI, and JSON. Every one is redacted."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any
from xml.etree import ElementTree

from mockserver.conformance.results import Outcome, RunResult, redact_document


def _rows(result: RunResult) -> dict[tuple[str, str], list[Outcome]]:
    rows: dict[tuple[str, str], list[Outcome]] = {}
    for outcome in result.outcomes:
        rows.setdefault((outcome.operation, outcome.check), []).append(outcome)
    return rows


def terminal(results: Sequence[RunResult]) -> str:
    lines: list[str] = []
    for result in results:
        rows = _rows(result)
        width_op = max((len(op) for op, _ in rows), default=9)
        width_check = max((len(check) for _, check in rows), default=5)
        lines.append(f"{result.provider} against {result.target}")
        lines.append(f"  {'operation':<{width_op}}  {'check':<{width_check}}  result")
        first_failures: list[Outcome] = []
        for (operation, check), outcomes in rows.items():
            failed = [o for o in outcomes if not o.passed]
            verdict = f"FAIL ({len(failed)}/{len(outcomes)})" if failed else f"pass ({len(outcomes)})"
            lines.append(f"  {operation:<{width_op}}  {check:<{width_check}}  {verdict}")
            if failed:
                first_failures.append(failed[0])
        for outcome in first_failures:
            failure = outcome.failure
            assert failure is not None
            lines.append("")
            lines.append(f"  {outcome.operation} / {outcome.check}: {failure.title}")
            lines.append(f"    {failure.message}")
            lines.extend(f"    | {line}" for line in failure.evidence.splitlines()[:8])
        notes = sorted({o.note for o in result.outcomes if o.note})
        lines.extend(f"  note: {note}" for note in notes)
        lines.extend(f"  skipped (it would spend more than --budget): {name}" for name in result.skipped)
        if result.timed_out:
            lines.append(f"  TIMED OUT: {result.timed_out}")
        verdict = "OK" if result.ok else f"{len(result.failures)} FAILED"
        if result.timed_out:
            verdict = f"TIMED OUT, {len(result.failures)} failed"
        lines.append(
            f"  {verdict}: {len(result.outcomes)} checks, {result.submissions}/{result.budget} paid submissions, "
            f"{_duration(result)}"
        )
        lines.append("")
    return _redact_all(results, "\n".join(lines))


def as_json(results: Sequence[RunResult]) -> str:
    document: list[dict[str, Any]] = []
    for result in results:
        document.append(
            {
                "provider": result.provider,
                "target": result.target,
                "ok": result.ok,
                "submissions": result.submissions,
                "budget": result.budget,
                "timed_out": result.timed_out or None,
                "skipped": result.skipped,
                "wall_seconds": round(result.wall_seconds, 3),
                "virtual_seconds": round(result.virtual_seconds, 3),
                "checks": [
                    {
                        "operation": o.operation,
                        "check": o.check,
                        "passed": o.passed,
                        **({"note": o.note} if o.note else {}),
                        **(
                            {"title": o.failure.title, "message": o.failure.message, "evidence": o.failure.evidence}
                            if o.failure
                            else {}
                        ),
                    }
                    for o in result.outcomes
                ],
            }
        )
    secrets = [secret for result in results for secret in result.secrets]
    return json.dumps(redact_document(document, secrets), indent=2, ensure_ascii=False)


def junit(results: Sequence[RunResult]) -> str:
    suites = ElementTree.Element("testsuites")
    for result in results:
        rows = _rows(result)
        failures = sum(1 for outcomes in rows.values() if any(not o.passed for o in outcomes))
        suite = ElementTree.SubElement(
            suites,
            "testsuite",
            name=f"jimeng-mock verify {result.provider}",
            tests=str(len(rows)),
            failures=str(failures),
            time=f"{result.wall_seconds:.3f}",
        )
        if result.timed_out:
            suite.set("errors", "1")
        properties = ElementTree.SubElement(suite, "properties")
        ElementTree.SubElement(properties, "property", name="virtual_seconds", value=f"{result.virtual_seconds:.3f}")
        for (operation, check), outcomes in rows.items():
            case = ElementTree.SubElement(suite, "testcase", classname=f"{result.provider}.{operation}", name=check)
            failed = next((o for o in outcomes if o.failure), None)
            if failed and failed.failure:
                node = ElementTree.SubElement(
                    case, "failure", message=f"{failed.failure.title}: {failed.failure.message}"
                )
                node.text = failed.failure.evidence
        if result.timed_out:
            case = ElementTree.SubElement(suite, "testcase", classname=f"{result.provider}.run", name="time_limit")
            ElementTree.SubElement(case, "error", type="timeout", message=result.timed_out)
    text = ElementTree.tostring(suites, encoding="unicode", xml_declaration=True)
    return _redact_all(results, text)


def _duration(result: RunResult) -> str:
    wall = f"{result.wall_seconds:.1f} s"
    return f"{wall} wall, {result.virtual_seconds:.1f} s virtual" if result.virtual_seconds else wall


def _redact_all(results: Sequence[RunResult], text: str) -> str:
    for result in results:
        text = result.redact(text)
    return text
