"""The checks can fail: each kind of drift, served by a broken gateway, is caught by the right check."""

from __future__ import annotations

from typing import Any

from mockserver.conformance import Runner, RunResult
from mockserver.conformance.report import as_json, junit, terminal
from tests.conformance.broken import RequestRewrite, Rewrite, broken_target


def run(provider: str, rewrite: Rewrite | None = None, rewrite_request: RequestRewrite | None = None) -> RunResult:
    target, _ = broken_target(provider, rewrite, rewrite_request)
    return Runner(target, budget=1).run()


def failed_checks(result: RunResult) -> set[str]:
    return {o.check for o in result.failures}


def on_poll(change: Any) -> Rewrite:
    def rewrite(method: str, path: str, status: int, body: Any, headers: dict[str, str]) -> Any:
        if "/fetch/" in path and status == 200:
            change(body["data"])
        return status, body, headers

    return rewrite


def test_a_renamed_status_value_is_caught() -> None:
    def rename(data: dict[str, Any]) -> None:
        if data["status"] == "processing":
            data["status"] = "running"

    result = run("crazyrouter", on_poll(rename))
    assert {"status_in_lifecycle", "response_schema_conformance"} <= failed_checks(result)
    assert "Unknown task status" in terminal([result])


def test_a_missing_field_is_caught() -> None:
    result = run("crazyrouter", on_poll(lambda data: data.pop("task_id")))
    failure = next(o.failure for o in result.failures if o.check == "response_schema_conformance")
    assert failure is not None and "task_id" in failure.message


def test_a_status_moving_backwards_is_caught() -> None:
    seen: set[str] = set()

    def backwards(data: dict[str, Any]) -> None:
        if data["status"] == "processing" and "processing" in seen:
            data["status"] = "queued"
        seen.add(data["status"])

    result = run("crazyrouter", on_poll(backwards))
    assert "transition_allowed" in failed_checks(result)
    assert "'processing' -> 'queued'" in terminal([result])


def test_a_terminal_status_that_changes_is_caught() -> None:
    seen: list[str] = []

    def undo(data: dict[str, Any]) -> None:
        if data["status"] == "succeeded" and "succeeded" in seen:
            data.update(status="processing", url="")
        seen.append(data["status"])

    assert "terminal_status_stays" in failed_checks(run("crazyrouter", on_poll(undo)))


def test_success_without_a_url_is_caught() -> None:
    result = run("crazyrouter", on_poll(lambda data: data.update(url="") if data["status"] == "succeeded" else None))
    assert "result_url_exactly_when_succeeded" in failed_checks(result)


def test_progress_going_backwards_is_caught() -> None:
    def invert(method: str, path: str, status: int, body: Any, headers: dict[str, str]) -> Any:
        if method == "GET" and path.startswith("/octopusx/v1/videos/video_") and body.get("status") == "in_progress":
            body["progress"] = 100 - body["progress"]
        return status, body, headers

    assert "progress_never_decreases" in failed_checks(run("octopusx", invert))


def test_a_missing_poll_hint_is_caught() -> None:
    def drop(method: str, path: str, status: int, body: Any, headers: dict[str, str]) -> Any:
        headers.pop("openai-poll-after-ms", None)
        return status, body, headers

    assert "rate_limit_hints" in failed_checks(run("octopusx", drop))


def test_an_undocumented_error_code_is_caught() -> None:
    def recode(method: str, path: str, status: int, body: Any, headers: dict[str, str]) -> Any:
        if status == 400 and body.get("code") == "task_not_exist":
            body["code"] = "no_such_task"
        return status, body, headers

    result = run("crazyrouter", recode)
    failure = next(o.failure for o in result.failures if o.check == "error_in_catalogue")
    assert failure is not None and "no_such_task" in failure.message


def test_an_undocumented_status_code_is_caught() -> None:
    def teapot(method: str, path: str, status: int, body: Any, headers: dict[str, str]) -> Any:
        return (418 if status == 401 else status), body, headers

    assert {"status_code_documented", "error_in_catalogue"} <= failed_checks(run("jimmyai", teapot))


def test_an_expired_result_url_is_caught() -> None:
    def expire(data: dict[str, Any]) -> None:
        if data["url"]:
            data["url"] = data["url"].replace("expires=", "expires=1&was=")

    result = run("crazyrouter", on_poll(expire))
    assert "media_downloads" in failed_checks(result)
    assert "403" in terminal([result])


def test_a_video_of_the_wrong_size_is_caught() -> None:
    def ignore_ratio(path: str, body: Any) -> Any:
        return {**body, "aspect_ratio": "9:16"} if path.endswith("/submit/videos") else body

    result = run("crazyrouter", rewrite_request=ignore_ratio)
    failure = next(o.failure for o in result.failures if o.check == "media_matches_request")
    assert failure is not None and "width 1080 (asked for 1920)" in failure.message


def test_reports_redact_the_api_key_even_when_the_gateway_echoes_it() -> None:
    secret = "sk-live-DO-NOT-LEAK-4242"

    def echo(method: str, path: str, status: int, body: Any, headers: dict[str, str]) -> Any:
        return 418, {"echo": f"Bearer {secret}"}, headers

    target, _ = broken_target("crazyrouter", echo, api_key=secret)
    result = Runner(target, budget=0).run()
    assert not result.ok
    for report in (terminal([result]), as_json([result]), junit([result])):
        assert secret not in report
        assert "Bearer ***" in report
