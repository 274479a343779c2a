"""The application of compose.yaml: it makes one video through Crazyrouter, as any client would, and knows
nothing of the mock but the base URL it is given. Standard library only, so it runs on a bare Python image."""

from __future__ import annotations

import json
import os
import sys
import time
import urllib.request
from typing import Any

BASE_URL = os.environ.get("CRAZYROUTER_BASE_URL", "http://127.0.0.1:8000/crazyrouter")
HEADERS = {"Authorization": f"Bearer {os.environ.get('CRAZYROUTER_API_KEY', 'sk-local')}"}
POLL_SECONDS = float(os.environ.get("POLL_SECONDS", "2"))


def call(path: str, body: dict[str, Any] | None = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    headers = HEADERS if body is None else {**HEADERS, "Content-Type": "application/json"}
    with urllib.request.urlopen(urllib.request.Request(BASE_URL + path, data=data, headers=headers)) as answer:
        return json.load(answer)


def main() -> int:
    task_id = call("/jimeng/submit/videos", {"model": "jimeng-video-3.0", "prompt": "an orange cat yawning"})["id"]
    print(f"submitted {task_id}", flush=True)
    while (data := call(f"/jimeng/fetch/{task_id}")["data"])["status"] not in ("succeeded", "failed"):
        time.sleep(POLL_SECONDS)
    if data["status"] == "failed":
        print(f"failed: {data['error']}", file=sys.stderr)
        return 1
    with urllib.request.urlopen(data["url"]) as video:
        print(f"downloaded {len(video.read())} bytes of video/mp4 from {data['url'].split('?')[0]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
