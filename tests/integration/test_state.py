"""Behaviour of the state store, run identically against SQLite and a real Redis."""

from __future__ import annotations

import asyncio
import json
import math
import signal
import socket
import sqlite3
import sys
import traceback
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as aioredis

from bot.adapters.state import (
    SQLITE_PURGE_INTERVAL_SECONDS,
    NamespacedStore,
    RedisStateStore,
    SQLiteStateStore,
    open_state_store,
    state_on_ephemeral_disk,
)
from bot.core.errors import StateStoreError
from bot.core.ports import StateStore
from tests import redis_server

ROOT = Path(__file__).resolve().parents[2]

# Short enough to keep the suite fast against a real Redis, long enough that a read issued right
# after the write still lands before expiry on a loaded machine.
TTL = 0.2


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class Backend:
    """How to (re)open one backend's store, and how to let its time pass."""

    kind: str
    open: Callable[[], StateStore]
    # SQLite runs on a fake clock that must be moved; Redis expires keys in real time, which
    # passes while `eventually` polls, so there it does nothing.
    advance: Callable[[float], None]
    # What a separate process needs to open the same store.
    spec: dict[str, str]


# Keys of other bots and of the version without namespaces, around the namespaced store's own.
NEIGHBOUR_KEYS = ["bot:1:acme/blog:k", "bot:123:acme/blog:k", "bot:12:acme/blogs:k", "k", "job:1:2"]


@pytest.fixture(params=["sqlite", "redis", "sqlite-namespaced"])
async def backend(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Backend]:
    if request.param == "sqlite-namespaced":
        # The same behaviour through the wrapper the bot uses, among other namespaces' keys.
        clock = FakeClock()
        path = tmp_path / "data" / "state.sqlite3"
        namespace = "bot:12:acme/blog:"
        neighbours = SQLiteStateStore(path, clock=clock)
        for key in NEIGHBOUR_KEYS:
            await neighbours.put(key, "not yours", None)
        await neighbours.close()
        yield Backend(
            kind="sqlite",
            open=lambda: NamespacedStore(SQLiteStateStore(path, clock=clock), namespace),
            advance=clock.advance,
            spec={"kind": "sqlite", "path": str(path), "wrap": namespace},
        )
        return
    if request.param == "sqlite":
        clock = FakeClock()
        # A directory that doesn't exist yet: the store must create it.
        path = tmp_path / "data" / "state.sqlite3"
        yield Backend(
            kind="sqlite",
            open=lambda: SQLiteStateStore(path, clock=clock),
            advance=clock.advance,
            spec={"kind": "sqlite", "path": str(path)},
        )
        return
    url: str = request.getfixturevalue("redis_url")
    # Own namespace per test: tests never see each other's keys, nor those of anything else
    # sharing the server.
    namespace = f"blogbot-test:{uuid.uuid4().hex}:"
    yield Backend(
        kind="redis",
        open=lambda: RedisStateStore(url, namespace=namespace),
        advance=lambda seconds: None,
        spec={"kind": "redis", "url": url, "namespace": namespace},
    )
    client = aioredis.from_url(url)
    try:
        leftovers = [key async for key in client.scan_iter(match=namespace + "*", count=1000)]
        if leftovers:
            await client.delete(*leftovers)
    finally:
        await client.aclose()


@pytest.fixture
async def store(backend: Backend) -> AsyncIterator[StateStore]:
    opened = backend.open()
    yield opened
    await opened.close()


EVENTUALLY_SECONDS = 5.0


async def eventually(condition: Callable[[], Awaitable[bool]]) -> None:
    # Polls rather than sleeping for the TTL: it returns as soon as the key is gone, and a
    # loaded machine gets generous slack instead of a flaky failure.
    try:
        async with asyncio.timeout(EVENTUALLY_SECONDS):
            while True:
                if await condition():
                    return
                await asyncio.sleep(0.01)
    except TimeoutError:
        raise AssertionError(f"condition not met within {EVENTUALLY_SECONDS} s") from None


async def wait_until_expired(backend: Backend, store: StateStore, key: str, ttl: float) -> None:
    backend.advance(ttl)

    async def gone() -> bool:
        return await store.get(key) is None

    await eventually(gone)


# --- basic reads and writes --------------------------------------------------------------------


async def test_get_missing_key_is_none(store: StateStore) -> None:
    assert await store.get("nothing-here") is None


async def test_put_then_get(store: StateStore) -> None:
    await store.put("chat:1", '{"step": "draft"}', None)
    assert await store.get("chat:1") == '{"step": "draft"}'


async def test_put_replaces_the_whole_value(store: StateStore) -> None:
    await store.put("k", "a long first value", None)
    await store.put("k", "short", None)
    assert await store.get("k") == "short"


async def test_empty_string_is_a_value_not_a_missing_key(store: StateStore) -> None:
    await store.put("k", "", None)
    assert await store.get("k") == ""
    assert await store.keys("") == ["k"]


async def test_delete(store: StateStore) -> None:
    await store.put("k", "v", None)
    await store.put("other", "w", None)
    await store.delete("k")
    await store.delete("k")  # deleting a missing key is not an error
    assert await store.get("k") is None
    assert await store.get("other") == "w"
    assert await store.keys("") == ["other"]


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("emoji:🎉", "Party 🎉🥳 time"),
        ("日本語", "こんにちは世界"),
        ("rtl", "שלום עולם مرحبا"),
        ("combining", "e\u0301 vs \u00e9"),
        ("control", "nul\x00 tab\t newline\n cr\r bell\x07"),
        ("astral", "\U0001f600\U00010348\U0010fffd"),
        ("json", json.dumps({"text": '«quotes» "and" \\ backslashes'}, ensure_ascii=False)),
    ],
)
async def test_unicode_round_trips_exactly(store: StateStore, key: str, value: str) -> None:
    await store.put(key, value, None)
    assert await store.get(key) == value
    assert await store.keys(key) == [key]


async def test_megabyte_json_value(store: StateStore) -> None:
    document = {"messages": [f"message {i}: ünïcödé ✓ 🚀 " + "x" * 200 for i in range(4000)]}
    value = json.dumps(document, ensure_ascii=False)
    assert len(value.encode()) > 900_000
    await store.put("big", value, None)
    assert await store.get("big") == value


# --- expiry ------------------------------------------------------------------------------------


async def test_key_expires_after_its_ttl(backend: Backend, store: StateStore) -> None:
    await store.put("short", "v", TTL)
    await store.put("forever", "w", None)
    assert await store.get("short") == "v"
    assert await store.keys("") == ["forever", "short"]

    await wait_until_expired(backend, store, "short", TTL)

    assert await store.keys("") == ["forever"]
    assert await store.get("forever") == "w"


async def test_put_resets_the_ttl(backend: Backend, store: StateStore) -> None:
    await store.put("longer", "old", TTL)
    await store.put("longer", "new", 3600)
    await store.put("permanent", "old", TTL)
    await store.put("permanent", "new", None)
    # Expires when the first two would have: once it is gone, so would they be without the reset.
    await store.put("witness", "w", TTL)

    await wait_until_expired(backend, store, "witness", TTL)

    assert await store.get("longer") == "new"
    assert await store.get("permanent") == "new"


async def test_put_with_ttl_on_a_permanent_key_makes_it_expire(
    backend: Backend, store: StateStore
) -> None:
    await store.put("k", "old", None)
    await store.put("k", "new", TTL)
    assert await store.get("k") == "new"
    await wait_until_expired(backend, store, "k", TTL)


@pytest.mark.parametrize("ttl", [0, -1, math.nan, math.inf])
async def test_nonsense_ttl_is_refused(store: StateStore, ttl: float) -> None:
    with pytest.raises(ValueError, match="ttl_seconds"):
        await store.put("k", "v", ttl)
    assert await store.get("k") is None


# --- keys(prefix) ------------------------------------------------------------------------------

GLOBBY_KEYS = ["a*b", "a?c", "a[1]", "a]", "a\\d", "a%e", "a_f", "ab", "Ab", "b*", "[x", "a"]


async def test_keys_treats_the_prefix_literally(store: StateStore) -> None:
    for key in GLOBBY_KEYS:
        await store.put(key, "v", None)

    assert await store.keys("a*") == ["a*b"]
    assert await store.keys("a?") == ["a?c"]
    assert await store.keys("a[") == ["a[1]"]
    assert await store.keys("a[1") == ["a[1]"]
    assert await store.keys("a]") == ["a]"]
    assert await store.keys("a\\") == ["a\\d"]
    assert await store.keys("a%") == ["a%e"]  # SQL LIKE wildcards too
    assert await store.keys("a_") == ["a_f"]
    assert await store.keys("[") == ["[x"]
    assert await store.keys("*") == []
    assert await store.keys("?") == []
    assert await store.keys("zzz") == []
    assert await store.keys("a") == sorted(k for k in GLOBBY_KEYS if k.startswith("a"))
    assert "Ab" not in await store.keys("a")  # case-sensitive
    assert await store.keys("") == sorted(GLOBBY_KEYS)


async def test_keys_are_sorted_by_code_point(store: StateStore) -> None:
    keys = ["p:z", "p:é", "p:A", "p:🎉", "p:a", "p:日", "p:", "p:\x00", "p:10", "p:9"]
    for key in reversed(keys):
        await store.put(key, "v", None)
    assert await store.keys("p:") == sorted(keys)
    assert await store.keys("p:\x00") == ["p:\x00"]


async def test_keys_with_many_matches(store: StateStore) -> None:
    expected = [f"many:{i:04d}" for i in range(300)]
    await asyncio.gather(*(store.put(key, "v", None) for key in expected))
    await store.put("manx", "v", None)
    assert await store.keys("many:") == expected


# --- concurrency, persistence, crashes ---------------------------------------------------------


async def test_concurrent_puts_do_not_corrupt(store: StateStore) -> None:
    def shared_value(n: int, i: int) -> str:
        return json.dumps({"n": n, "i": i, "pad": f"{n}-{i}-" * 300})

    async def writer(n: int) -> None:
        for i in range(5):
            await store.put(f"own:{n:02d}", f"{n}:{i}:" + "é" * 500, None)
            await store.put("shared", shared_value(n, i), None)

    await asyncio.gather(*(writer(n) for n in range(30)))

    assert await store.keys("own:") == [f"own:{n:02d}" for n in range(30)]
    for n in range(30):
        assert await store.get(f"own:{n:02d}") == f"{n}:4:" + "é" * 500
    shared = await store.get("shared")
    assert shared is not None
    last = json.loads(shared)
    assert shared == shared_value(last["n"], last["i"])


async def test_values_survive_reopening_the_store(backend: Backend, store: StateStore) -> None:
    await store.put("forever", "kept", None)
    await store.put("hour", "kept too", 3600)
    await store.put("short", "goes", TTL)
    await store.close()

    reopened = backend.open()
    try:
        assert await reopened.get("forever") == "kept"
        assert await reopened.get("hour") == "kept too"
        # The expiry is stored, not forgotten on restart.
        await wait_until_expired(backend, reopened, "short", TTL)
        assert await reopened.keys("") == ["forever", "hour"]
    finally:
        await reopened.close()


CRASH_WRITER = """
import asyncio, json, sys
from pathlib import Path
from bot.adapters.state import NamespacedStore, RedisStateStore, SQLiteStateStore

async def main() -> None:
    spec = json.loads(sys.argv[1])
    if spec["kind"] == "sqlite":
        store = SQLiteStateStore(Path(spec["path"]))
    else:
        store = RedisStateStore(spec["url"], namespace=spec["namespace"])
    if "wrap" in spec:
        store = NamespacedStore(store, spec["wrap"])
    i = 0
    while True:
        i += 1
        body = "ü🎉" * (1000 + (i * 7919) % 20000)
        await store.put(f"crash:{i % 16:02d}", json.dumps({"i": i, "body": body}), None)
        if i == 32:
            print("writing", flush=True)

asyncio.run(main())
"""


async def test_killed_writer_never_leaves_a_half_written_value(backend: Backend) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        CRASH_WRITER,
        json.dumps(backend.spec),
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), timeout=10)
        assert line == b"writing\n"
        await asyncio.sleep(0.05)  # let it get well into the loop, mid-write at any moment
    finally:
        process.send_signal(signal.SIGKILL)
        await process.wait()

    store = backend.open()
    try:
        keys = await store.keys("crash:")
        assert keys == [f"crash:{n:02d}" for n in range(16)]
        for key in keys:
            value = await store.get(key)
            assert value is not None
            record = json.loads(value)
            assert record["body"] == "ü🎉" * (1000 + (record["i"] * 7919) % 20000)
            assert key == f"crash:{record['i'] % 16:02d}"
    finally:
        await store.close()


# --- ping and errors ---------------------------------------------------------------------------


async def test_ping_a_working_store(store: StateStore) -> None:
    await store.ping()
    assert await store.keys("") == []  # the probe leaves nothing behind


@pytest.fixture
def dead_port() -> Iterator[int]:
    """A port that refuses connections: bound (so nothing else takes it) but not listening."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


def all_text(exc: BaseException) -> str:
    return "".join(traceback.format_exception(exc)) + repr(exc)


async def test_unreachable_redis_raises_without_leaking_the_password(dead_port: int) -> None:
    secret = uuid.uuid4().hex
    store = RedisStateStore(f"redis://blogbot:{secret}@127.0.0.1:{dead_port}/0?password={secret}")
    assert secret not in store.description
    try:
        with pytest.raises(StateStoreError) as ping_error:
            await store.ping()
        assert f"127.0.0.1:{dead_port}" in str(ping_error.value)
        with pytest.raises(StateStoreError) as get_error:
            await store.get("k")
        with pytest.raises(StateStoreError) as put_error:
            await store.put("k", "v", None)
    finally:
        await store.close()
    for error in (ping_error.value, get_error.value, put_error.value):
        assert secret not in all_text(error)


def test_malformed_redis_url_raises_without_leaking_the_password() -> None:
    secret = uuid.uuid4().hex
    with pytest.raises(StateStoreError) as error:
        RedisStateStore(f"redis://:{secret}@127.0.0.1:notaport/0")
    assert secret not in all_text(error.value)


async def test_sqlite_in_an_unusable_place_raises_on_ping(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    store = SQLiteStateStore(blocker / "state.sqlite3")  # constructing never fails
    with pytest.raises(StateStoreError, match="SQLite at"):
        await store.ping()
    with pytest.raises(StateStoreError):
        await store.get("k")
    await store.close()


async def test_closed_sqlite_store_refuses_work(tmp_path: Path) -> None:
    store = SQLiteStateStore(tmp_path / "state.sqlite3")
    await store.put("k", "v", None)
    await store.close()
    await store.close()  # idempotent
    with pytest.raises(StateStoreError, match="closed"):
        await store.get("k")


# --- SQLite specifics --------------------------------------------------------------------------


async def test_sqlite_file_uses_wal_and_purges_expired_rows(tmp_path: Path) -> None:
    clock = FakeClock()
    path = tmp_path / "state.sqlite3"
    store = SQLiteStateStore(path, clock=clock)
    await store.put("gone", "v", 1)
    await store.put("kept", "v", None)

    def rows() -> list[Any]:
        with sqlite3.connect(path) as raw:
            assert raw.execute("PRAGMA journal_mode").fetchone() == ("wal",)
            return [row[0] for row in raw.execute("SELECT key FROM state ORDER BY key")]

    clock.advance(1)
    assert await store.get("gone") is None  # invisible at once...
    assert await asyncio.to_thread(rows) == ["gone", "kept"]  # ...but not yet purged
    clock.advance(SQLITE_PURGE_INTERVAL_SECONDS)
    await store.put("another", "v", None)
    assert await asyncio.to_thread(rows) == ["another", "kept"]
    await store.close()


async def test_sqlite_expiry_boundary_is_exact(tmp_path: Path) -> None:
    clock = FakeClock()
    store = SQLiteStateStore(tmp_path / "state.sqlite3", clock=clock)
    await store.put("k", "v", 10)
    clock.advance(9.999)
    assert await store.get("k") == "v"
    clock.advance(0.001)
    assert await store.get("k") is None
    await store.close()


# --- choosing a backend ------------------------------------------------------------------------


async def test_open_state_store_picks_redis_when_a_url_is_set(tmp_path: Path) -> None:
    store = open_state_store(
        redis_url="redis://user:pa55word@cache.example:6380/2?password=pa55word",
        sqlite_path=tmp_path / "state.sqlite3",
    )
    try:
        assert isinstance(store, RedisStateStore)
        assert store.description == "Redis at redis://cache.example:6380/2"
    finally:
        await store.close()


@pytest.mark.parametrize("redis_url", [None, ""])
async def test_open_state_store_falls_back_to_sqlite(tmp_path: Path, redis_url: str | None) -> None:
    path = tmp_path / "state.sqlite3"
    store = open_state_store(redis_url=redis_url, sqlite_path=path)
    assert isinstance(store, SQLiteStateStore)
    assert store.description == f"SQLite at {path}"
    await store.close()


@pytest.mark.parametrize(
    ("url", "description"),
    [
        ("redis://localhost", "Redis at redis://localhost:6379/0"),
        ("rediss://:secret@host.example:25061/0", "Redis at rediss://host.example:25061/0"),
        ("redis://[::1]:7000/3", "Redis at redis://[::1]:7000/3"),
        ("unix:///run/redis.sock?db=1&password=secret", "Redis at unix:///run/redis.sock"),
    ],
)
async def test_redis_description(url: str, description: str) -> None:
    store = RedisStateStore(url)
    assert store.description == description
    await store.close()


@pytest.mark.parametrize(
    ("redis_url", "dyno", "ephemeral"),
    [
        (None, "web.1", True),
        ("", "worker.1", True),
        ("redis://h:6379/0", "worker.1", False),
        (None, None, False),
        (None, "", False),
        ("redis://h:6379/0", None, False),
    ],
)
def test_state_on_ephemeral_disk(redis_url: str | None, dyno: str | None, ephemeral: bool) -> None:
    assert state_on_ephemeral_disk(redis_url=redis_url, dyno=dyno) is ephemeral


# --- the Redis test-server rule ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("ci", "reachable", "binary", "plan"),
    [
        (False, True, True, "use"),
        (True, True, False, "use"),
        (False, False, True, "start"),
        (True, False, True, "start"),
        (False, False, False, "skip"),
        (True, False, False, "fail"),
    ],
)
def test_redis_server_decision(ci: bool, reachable: bool, binary: bool, plan: str) -> None:
    assert redis_server.decide(ci=ci, reachable=reachable, binary_present=binary) == plan


@pytest.mark.parametrize(
    ("value", "ci"),
    [("true", True), ("TRUE", True), ("1", True), ("false", False), ("0", False), ("", False)],
)
def test_running_on_ci(value: str, ci: bool) -> None:
    assert redis_server.running_on_ci({"CI": value}) is ci
    assert redis_server.running_on_ci({}) is False


def test_skip_reason_says_how_to_run_and_hides_passwords() -> None:
    reason = redis_server.how_to_run("redis://user:hunter2@cache.example:6379/15?password=hunter2")
    assert "redis-server" in reason
    assert redis_server.URL_VARIABLE in reason
    assert "redis://cache.example:6379/15" in reason
    assert "hunter2" not in reason
