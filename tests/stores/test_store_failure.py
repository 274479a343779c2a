"""A shared store that stops answering, with real processes: Redis stopped under a serving mock. Each request
meanwhile is answered 503 in its gateway's own error format (never a 500, never a hang), and the mock serves again
as soon as Redis is back, without a restart."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from tests.stores.processes import free_port, serving, wait_until
from tests.stores.test_serving import AUTH, SUBMIT

BODY = {"model": "jimeng-video-3.0", "prompt": "a cat"}
GPTGE_SUBMIT = "/gptge/task/jimeng/text2video"


@contextmanager
def redis_on(port: int) -> Iterator[subprocess.Popen[str]]:
    binary = shutil.which("redis-server")
    assert binary, "redis-server is not installed: `make test` installs it (apt-get install redis-server)"
    command = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        wait_until(lambda: _answers(port), process, "redis-server")
        yield process
    finally:
        process.terminate()
        process.communicate(timeout=10)


def _answers(port: int) -> bool:
    import redis

    try:
        with redis.Redis(port=port, socket_connect_timeout=1) as client:
            return bool(client.ping())
    except redis.ConnectionError:
        return False


def test_a_stopped_redis_is_a_503_in_each_gateways_format_until_it_is_back() -> None:
    port = free_port()
    url = f"redis://127.0.0.1:{port}/0"
    with (
        redis_on(port) as first_redis,
        serving("--store", url, "--clock", "virtual") as served,
        httpx.Client(base_url=served.base, headers=AUTH, timeout=30) as http,
    ):
        task_id = http.post(SUBMIT, json=BODY).json()["task_id"]
        assert http.get(f"/crazyrouter/jimeng/fetch/{task_id}").status_code == 200

        first_redis.terminate()
        first_redis.communicate(timeout=10)
        poll = http.get(f"/crazyrouter/jimeng/fetch/{task_id}")
        assert poll.status_code == 503
        assert poll.headers["Retry-After"] == "1"
        assert poll.json() == {"code": "mock_fault", "message": "scripted fault: HTTP 503", "data": None}
        submit = http.post(SUBMIT, json=BODY)
        assert submit.status_code == 503 and submit.json()["code"] == "mock_fault"
        gptge = http.post(GPTGE_SUBMIT, json={"prompt": "a cat"})
        assert gptge.status_code == 503
        assert gptge.json()["code"] != 10000 and "request_id" in gptge.json()  # gptge's own envelope

        with redis_on(port):  # back, empty (it kept nothing on disk)
            again = http.post(SUBMIT, json=BODY)
            assert again.status_code == 200, again.text
            fetched = http.get(f"/crazyrouter/jimeng/fetch/{again.json()['task_id']}")
            assert fetched.status_code == 200
            assert fetched.json()["data"]["status"] == "queued"
            journal = http.get("/__admin/journal").json()["entries"]
            assert [entry["status"] for entry in journal] == [200, 200]
