"""What the Redis store sends for a request's calls: a loop turn's journal entries in one transaction, numbered in
the order they were appended; a taken id refused without touching its task; a batch that cannot be sent failing
each of its entries as a store failure."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import replace

import pytest
import redis

from mockserver.engine import StoreUnavailable
from mockserver.stores.base import encode_task
from mockserver.stores.redis import RedisStore
from tests.stores.processes import free_port
from tests.stores.test_awaited_path import run
from tests.stores.test_store_failure import redis_on
from tests.stores.test_task_store import task as make_task


@pytest.fixture
def stores(url_of: object) -> Iterator[tuple[RedisStore, RedisStore]]:
    """Two instances on one emptied Redis database."""
    url = url_of("redis")  # type: ignore[operator]
    pair = (RedisStore(url), RedisStore(url))
    yield pair
    for store in pair:
        store.close()


def pushes(store: RedisStore) -> int:
    with redis.Redis.from_url(store.url) as client:
        return int(client.info("commandstats").get("cmdstat_rpush", {}).get("calls", 0))


def test_a_loop_turns_journal_entries_go_in_one_push_per_instance_numbered_as_appended(
    stores: tuple[RedisStore, RedisStore],
) -> None:
    first, second = stores
    before = pushes(first)

    async def append() -> list[int]:
        appends = [(first if n % 2 else second).ajournal_append(b"entry %d" % n, 100) for n in range(40)]
        return list(await asyncio.gather(*appends))

    numbers = run(stores, append())
    assert pushes(first) - before == 2
    assert sorted(numbers) == list(range(1, 41))
    for parity in (0, 1):  # each instance's entries: consecutive, in the order its requests appended them
        mine = numbers[parity::2]
        assert mine == list(range(mine[0], mine[0] + 20))
    kept = dict(first.journal_entries(100))
    assert [kept[number] for number in numbers] == [b"entry %d" % n for n in range(40)]


def test_the_journal_keeps_the_newest_entries_and_numbers_on_across_turns(
    stores: tuple[RedisStore, RedisStore],
) -> None:
    first, second = stores

    async def append() -> list[int]:
        numbers = list(await asyncio.gather(*(first.ajournal_append(b"a%d" % n, 5) for n in range(4))))
        return numbers + list(await asyncio.gather(*(second.ajournal_append(b"b%d" % n, 5) for n in range(3))))

    assert run(stores, append()) == list(range(1, 8))
    assert second.journal_entries(5) == [(3, b"a2"), (4, b"a3"), (5, b"b0"), (6, b"b1"), (7, b"b2")]
    first.journal_clear()
    assert first.journal_append(b"c", 5) == 8 and second.journal_entries(5) == [(8, b"c")]


def test_a_journal_written_by_a_version_that_numbered_its_entries_is_left_aside_then_cleared(
    stores: tuple[RedisStore, RedisStore],
) -> None:
    first, _ = stores
    earlier = ("jimeng-mock:exchanges", "jimeng-mock:journal-seq")
    with redis.Redis.from_url(first.url) as client:  # that version's layout: "<seq> <packed>", and its own count
        client.rpush(earlier[0], b"1 old-packed", b"2 old-packed")
        client.set(earlier[1], 2)
        assert first.journal_entries(5) == [] and first.journal_len(5) == 0
        assert first.journal_append(b"new", 5) == 1  # an instance of that version still counting moves nothing
        assert first.journal_entries(5) == [(1, b"new")]
        first.journal_clear()  # what that version kept (requests as they came, credentials and all) goes too
        assert client.exists(*earlier) == 0


def test_an_awaited_add_of_a_taken_id_leaves_the_stored_task_as_it_was(stores: tuple[RedisStore, RedisStore]) -> None:
    first, second = stores
    stored = make_task("shared-id")
    taken = replace(stored, request={"prompt": "another"}, expires_at=stored.expires_at + 50)

    async def add() -> list[bool]:
        return [await first.aadd(stored), await second.aadd(taken)]

    assert run(stores, add()) == [True, False]
    found = second.get("shared-id", now=0.0)
    assert found is not None and found.request == stored.request and found.expires_at == stored.expires_at
    assert len(second) == 1


def test_a_journal_batch_that_cannot_be_sent_fails_each_entry_as_a_store_failure() -> None:
    port = free_port()
    with redis_on(port) as server:
        store = RedisStore(f"redis://127.0.0.1:{port}/0")
        server.terminate()
        server.communicate(timeout=10)

    async def append() -> list[BaseException | int]:
        try:
            appends = (store.ajournal_append(b"entry", 100) for _ in range(3))
            return list(await asyncio.gather(*appends, return_exceptions=True))
        finally:
            store.close()

    failures = asyncio.run(append())
    assert len(failures) == 3 and all(isinstance(failure, StoreUnavailable) for failure in failures)


def test_scripts_redis_has_forgotten_are_loaded_again_and_the_task_stored_once(
    stores: tuple[RedisStore, RedisStore],
) -> None:
    first, second = stores
    stored, taken = make_task("a"), replace(make_task("b"), id="a", request={"prompt": "another"})

    def forget() -> None:
        with redis.Redis.from_url(first.url) as client:
            client.script_flush()

    async def calls() -> list[object]:
        await first.aadd(make_task("warm"))  # the scripts loaded on this connection
        await first.apoll_task("warm", "p")
        forget()
        added = [await first.aadd(stored), await first.aadd(taken)]
        forget()
        polled = await first.apoll_task("a", "p")
        return [*added, None if polled is None else polled.polls]

    assert run(stores, calls()) == [True, False, 1]
    forget()
    assert second.add(make_task("c")) and not second.add(replace(make_task("c"), request={"prompt": "x"}))
    forget()
    polled = second.record_poll("a", "p")
    assert polled is not None and polled.polls == 2 and polled.request == stored.request
    found = second.get("c", now=0.0)
    assert found is not None and found.request == make_task("c").request
    assert len(second) == 3


def test_a_claim_that_stored_only_the_text_is_no_task(stores: tuple[RedisStore, RedisStore]) -> None:
    first, _ = stores
    with redis.Redis.from_url(first.url) as client:  # what a claim leaves when its second sending never arrives
        client.hset("jimeng-mock:task:half", "data", encode_task(make_task("half")))
    assert first.get("half", now=0.0) is None
    assert first.record_poll("half", "p") is None
    assert first.add(make_task("half"))  # the id is free: the claim stores it whole
    found = first.get("half", now=0.0)
    assert found is not None and found.polls == 0
