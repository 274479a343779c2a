"""The README's five-minute tour, replayed: every response it shows is what the mock answers."""

from __future__ import annotations

from pathlib import Path

from starlette.testclient import TestClient

from mockserver.server.app import create_app
from mockserver.server.settings import Settings

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
AUTH = {"Authorization": "Bearer sk-local"}
BODY = {
    "model": "jimeng-video-3.0",
    "prompt": "An orange cat yawning by the window",
    "duration": 5,
    "aspect_ratio": "9:16",
}


def shown(response_text: str) -> None:
    assert f"# {response_text}" in README, f"the README does not show {response_text}"


def test_the_tour_answers_what_the_readme_shows() -> None:
    with TestClient(create_app(Settings(clock="virtual")), base_url="http://127.0.0.1:8000") as client:
        submitted = client.post("/crazyrouter/jimeng/submit/videos", json=BODY, headers=AUTH)
        shown(submitted.text)
        task = submitted.json()["id"]
        assert f"TASK={task}" in README
        shown(client.get(f"/crazyrouter/jimeng/fetch/{task}", headers=AUTH).text)
        client.post("/__admin/clock/advance", json={"seconds": 300})
        url = client.get(f"/crazyrouter/jimeng/fetch/{task}", headers=AUTH).json()["data"]["url"]
        assert url.split("&signature=")[0] + "&signature=..." in README
        assert client.get(url).status_code == 200
        client.post("/__admin/clock/advance", json={"seconds": 86400})
        assert client.get(url).status_code == 403


def test_the_gptge_example_answers_what_the_readme_shows() -> None:
    body = {"prompt": "An orange cat yawning", "aspect_ratio": "9:16"}
    with TestClient(create_app(Settings(clock="virtual")), base_url="http://127.0.0.1:8000") as client:
        submitted = client.post("/gptge/task/jimeng/text2video", json=body, headers=AUTH)
        shown(submitted.text)
        task = submitted.json()["data"]["task_id"]
        assert f"/gptge/task/{task} " in README
        polled = client.get(f"/gptge/task/{task}", headers=AUTH).text
        head = polled[: polled.index(',"message"')]
        assert f"# {head},...}}" in README, f"the README does not show {head}"
