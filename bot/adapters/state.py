"""The bot's durable memory: a tiny key-value store with per-key expiry.

Two backends behave identically: SQLite on local disk (the default, zero setup) and Redis (for
hosts such as Heroku whose disk is wiped on every restart). Every backend failure surfaces as
`StateStoreError`, so callers handle one exception type whichever backend is configured.
"""

from __future__ import annotations

import asyncio
import logging
import math
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlsplit

from bot.core.errors import StateStoreError
from bot.core.ports import StateStore

_T = TypeVar("_T")

log = logging.getLogger(__name__)

# Expired rows are already invisible to reads; purging them is only housekeeping, so it runs
# alongside a write at most this often instead of costing a DELETE on every write.
SQLITE_PURGE_INTERVAL_SECONDS = 60.0

REDIS_MAX_CONNECTIONS = 10


def _check_ttl(ttl_seconds: float | None) -> None:
    # A zero, negative or NaN TTL has no sensible meaning and Redis rejects it; refusing it in
    # both backends keeps them identical instead of one of them silently storing nothing.
    if ttl_seconds is not None and not (ttl_seconds > 0 and math.isfinite(ttl_seconds)):
        raise ValueError(f"ttl_seconds must be a positive finite number or None, not {ttl_seconds}")


class SQLiteStateStore:
    """State in one SQLite file.

    All SQLite work runs in worker threads so a slow disk never stalls the event loop; one
    connection behind a lock serialises it. The file is opened on first use, so constructing a
    store never fails and an unusable path is reported by `ping` (or the first operation).
    """

    def __init__(self, path: Path, *, clock: Callable[[], float] = time.time) -> None:
        self.path = path
        self.description = f"SQLite at {path}"
        # Wall-clock time, not monotonic: expiry times are stored and must still mean the same
        # thing after a restart.
        self._clock = clock
        self._lock = threading.Lock()
        self._connection: sqlite3.Connection | None = None
        self._closed = False
        self._last_purge = -math.inf

    async def get(self, key: str) -> str | None:
        return await self._run(self._get, key)

    async def put(self, key: str, value: str, ttl_seconds: float | None) -> None:
        _check_ttl(ttl_seconds)
        await self._run(self._put, key, value, ttl_seconds)

    async def delete(self, key: str) -> None:
        await self._run(self._delete, key)

    async def keys(self, prefix: str) -> list[str]:
        return await self._run(self._keys, prefix)

    async def put_if_absent(self, key: str, value: str, ttl_seconds: float | None) -> bool:
        _check_ttl(ttl_seconds)
        return await self._run(self._put_if_absent, key, value, ttl_seconds)

    async def ping(self) -> None:
        await self._run(self._ping)

    async def close(self) -> None:
        await asyncio.to_thread(self._close)

    async def _run(self, operation: Callable[..., _T], *args: object) -> _T:
        return await asyncio.to_thread(self._locked, operation, *args)

    def _locked(self, operation: Callable[..., _T], *args: object) -> _T:
        with self._lock:
            if self._closed:
                raise StateStoreError(f"{self.description}: the store is closed")
            try:
                return operation(self._open(), *args)
            except (sqlite3.Error, OSError) as exc:
                raise StateStoreError(f"{self.description}: {exc}") from exc

    def _open(self) -> sqlite3.Connection:
        if self._connection is not None:
            return self._connection
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: transactions are begun explicitly below, never implicitly by the
        # driver. timeout: wait for a write lock held by another process (e.g. the doctor).
        connection = sqlite3.connect(
            self.path, timeout=5.0, isolation_level=None, check_same_thread=False
        )
        try:
            connection.execute("PRAGMA journal_mode=WAL")
            # NORMAL in WAL mode: every commit survives a crash or SIGKILL of the process (what
            # restarts and deploys do); only a power cut could lose the last ones. FULL would
            # fsync each of the ~8 checkpoints a job writes on the writer's critical path.
            connection.execute("PRAGMA synchronous=NORMAL")
            with _transaction(connection):
                connection.execute(
                    "CREATE TABLE IF NOT EXISTS state ("
                    " key TEXT PRIMARY KEY NOT NULL,"
                    " value TEXT NOT NULL,"
                    " expires_at REAL"
                    ") WITHOUT ROWID"
                )
                connection.execute(
                    "CREATE INDEX IF NOT EXISTS state_expiry ON state (expires_at)"
                    " WHERE expires_at IS NOT NULL"
                )
                # Lets `ping` prove the file is writable without touching the user's keys.
                connection.execute(
                    "CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT)"
                )
        except BaseException:
            connection.close()
            raise
        self._connection = connection
        return connection

    def _expires_at(self, now: float, ttl_seconds: float | None) -> float | None:
        return None if ttl_seconds is None else now + ttl_seconds

    def _purge_if_due(self, connection: sqlite3.Connection, now: float) -> None:
        if now - self._last_purge >= SQLITE_PURGE_INTERVAL_SECONDS:
            connection.execute("DELETE FROM state WHERE expires_at <= ?", (now,))
            self._last_purge = now

    def _get(self, connection: sqlite3.Connection, key: str) -> str | None:
        row = connection.execute(
            "SELECT value FROM state WHERE key = ? AND (expires_at IS NULL OR expires_at > ?)",
            (key, self._clock()),
        ).fetchone()
        return None if row is None else str(row[0])

    def _put(
        self, connection: sqlite3.Connection, key: str, value: str, ttl_seconds: float | None
    ) -> None:
        now = self._clock()
        with _transaction(connection):
            connection.execute(
                "INSERT INTO state (key, value, expires_at) VALUES (?, ?, ?)"
                " ON CONFLICT (key) DO UPDATE"
                " SET value = excluded.value, expires_at = excluded.expires_at",
                (key, value, self._expires_at(now, ttl_seconds)),
            )
            self._purge_if_due(connection, now)

    def _put_if_absent(
        self, connection: sqlite3.Connection, key: str, value: str, ttl_seconds: float | None
    ) -> bool:
        now = self._clock()
        with _transaction(connection):
            # An expired row still occupies the key until purged; it counts as absent, so the
            # conflicting row is overwritten exactly when it has expired.
            cursor = connection.execute(
                "INSERT INTO state (key, value, expires_at) VALUES (?, ?, ?)"
                " ON CONFLICT (key) DO UPDATE"
                " SET value = excluded.value, expires_at = excluded.expires_at"
                " WHERE state.expires_at IS NOT NULL AND state.expires_at <= ?",
                (key, value, self._expires_at(now, ttl_seconds), now),
            )
            written = cursor.rowcount == 1
            self._purge_if_due(connection, now)
        return written

    def _delete(self, connection: sqlite3.Connection, key: str) -> None:
        with _transaction(connection):
            connection.execute("DELETE FROM state WHERE key = ?", (key,))

    def _keys(self, connection: sqlite3.Connection, prefix: str) -> list[str]:
        # Not LIKE (case-insensitive, `%`/`_` wildcards) nor substr() (stops at a NUL): keys
        # with the prefix form one contiguous run in BINARY order starting at the prefix itself,
        # so walk the primary key from there and stop at the first key outside the run.
        cursor = connection.execute(
            "SELECT key FROM state WHERE key >= ? AND (expires_at IS NULL OR expires_at > ?)"
            " ORDER BY key",
            (prefix, self._clock()),
        )
        found: list[str] = []
        for (key,) in cursor:
            if not key.startswith(prefix):
                break
            found.append(key)
        cursor.close()
        return found

    def _ping(self, connection: sqlite3.Connection) -> None:
        with _transaction(connection):
            connection.execute(
                "INSERT INTO meta (name, value) VALUES ('last_ping', ?)"
                " ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                (repr(self._clock()),),
            )

    def _close(self) -> None:
        with self._lock:
            self._closed = True
            if self._connection is not None:
                self._connection.close()
                self._connection = None


@contextmanager
def _transaction(connection: sqlite3.Connection) -> Iterator[None]:
    # IMMEDIATE takes the write lock up front, so a read-then-write such as put_if_absent can't
    # be interleaved with another process's write; the commit is all-or-nothing on disk.
    connection.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    connection.execute("COMMIT")


class RedisStateStore:
    """State in Redis, under a namespace prefix so several apps can share one server."""

    def __init__(self, url: str, *, namespace: str = "blogbot:") -> None:
        self.namespace = namespace
        # Imported here: without REDIS_URL the bot never loads redis (about 6 MB of RSS).
        import redis.asyncio as aioredis
        from redis.exceptions import RedisError

        self._redis_errors: tuple[type[BaseException], ...] = (RedisError, OSError)
        self._secrets = _url_secrets(url)
        try:
            self.description = f"Redis at {_redacted_url(url)}"
            # Heroku Key-Value Store serves TLS (rediss://) with a self-signed certificate;
            # Heroku's own docs have clients skip verification for it.
            tls: dict[str, Any] = {"ssl_cert_reqs": None} if url.startswith("rediss://") else {}
            # A blocking pool makes a burst of concurrent callers queue for a connection instead
            # of failing with "Too many connections"; the cap stays well under small hosted
            # plans' connection limits (Heroku's smallest allows 20).
            pool = aioredis.BlockingConnectionPool.from_url(
                url,
                **tls,
                max_connections=REDIS_MAX_CONNECTIONS,
                timeout=10,
                decode_responses=True,
                socket_connect_timeout=5,
                socket_timeout=5,
                health_check_interval=30,
            )
            self._client: aioredis.Redis = aioredis.Redis.from_pool(pool)
        except (ValueError, RedisError) as exc:
            # from None: the original exception (or its context) might quote the URL.
            raise StateStoreError(f"invalid Redis URL: {self._scrub(exc)}") from None

    async def get(self, key: str) -> str | None:
        with self._translate_errors():
            value = await self._client.get(self.namespace + key)
        return None if value is None else str(value)

    async def put(self, key: str, value: str, ttl_seconds: float | None) -> None:
        _check_ttl(ttl_seconds)
        # A plain SET also clears any earlier TTL, which is the "refreshed on every put" rule.
        with self._translate_errors():
            await self._client.set(self.namespace + key, value, px=_milliseconds(ttl_seconds))

    async def delete(self, key: str) -> None:
        with self._translate_errors():
            await self._client.delete(self.namespace + key)

    async def keys(self, prefix: str) -> list[str]:
        pattern = _escape_glob(self.namespace + prefix) + "*"
        start = len(self.namespace)
        found: set[str] = set()  # SCAN may return a key more than once
        with self._translate_errors():
            async for key in self._client.scan_iter(match=pattern, count=1000):
                found.add(str(key)[start:])
        return sorted(found)

    async def put_if_absent(self, key: str, value: str, ttl_seconds: float | None) -> bool:
        _check_ttl(ttl_seconds)
        with self._translate_errors():
            written = await self._client.set(
                self.namespace + key, value, px=_milliseconds(ttl_seconds), nx=True
            )
        return bool(written)

    async def ping(self) -> None:
        with self._translate_errors():
            await self._client.ping()
            # PING also answers on a read-only replica or a server out of memory. A SET is
            # refused in both cases before it runs; XX makes it a no-op on a missing key, and
            # the NUL makes the probe key one the bot never uses.
            await self._client.set(self.namespace + "\x00ping-probe", "", xx=True, px=1)

    async def close(self) -> None:
        with self._translate_errors():
            await self._client.aclose()

    @contextmanager
    def _translate_errors(self) -> Iterator[None]:
        try:
            yield
        except self._redis_errors as exc:
            # from None: keep redis-py's exception chain (which we don't control) out of logs.
            raise StateStoreError(
                f"{self.description}: {type(exc).__name__}: {self._scrub(exc)}"
            ) from None

    def _scrub(self, exc: BaseException) -> str:
        message = str(exc)
        for secret in self._secrets:
            message = message.replace(secret, "***")
        return message


def _milliseconds(ttl_seconds: float | None) -> int | None:
    # Rounded up: a key may outlive its TTL by under a millisecond but never expire early.
    return None if ttl_seconds is None else max(1, math.ceil(ttl_seconds * 1000))


def _escape_glob(text: str) -> str:
    return "".join("\\" + char if char in "\\*?[]" else char for char in text)


def _url_secrets(url: str) -> list[str]:
    try:
        parts = urlsplit(url)
        secrets = [parts.password] if parts.password else []
        secrets += [v for v in parse_qs(parts.query).get("password", []) if v]
    except ValueError:
        return []
    return sorted(secrets, key=len, reverse=True)  # longest first: one may contain another


def _redacted_url(url: str) -> str:
    # Rebuilt from parts rather than edited: the user-info and the query string (redis-py reads
    # `?password=` there) are dropped entirely, so no secret can survive.
    parts = urlsplit(url)
    if parts.scheme == "unix":
        return f"unix://{parts.path}"
    host = parts.hostname or "localhost"
    if ":" in host:
        host = f"[{host}]"
    port = parts.port or 6379
    database = parts.path.lstrip("/") or "0"
    return f"{parts.scheme}://{host}:{port}/{database}"


def state_namespace(*, bot_token: str, repo: str) -> str:
    """The key prefix of one bot writing to one blog: `bot:<bot id>:<owner/name>:`.

    The bot id is the numeric part of the token before the colon (Telegram's public id of the
    bot); the part after the colon is the secret and never goes into a key. The repository is
    lowercased, as GitHub treats owner/name. Neither part can contain a colon, so no namespace
    is a prefix of another.
    """
    bot_id = bot_token.split(":", 1)[0].strip()
    if not bot_id.isascii() or not bot_id.isdigit():
        raise ValueError("the bot token does not start with the bot's numeric id")
    repo = repo.strip().lower()
    if ":" in repo or repo.count("/") != 1:
        raise ValueError("the repository must look like owner/name")
    return f"bot:{bot_id}:{repo}:"


class NamespacedStore:
    """The keys of another store that start with `namespace`, seen without it.

    Several bots and blogs can share one SQLite file or Redis database: each sees only the keys
    of its own namespace, so equal chat and message ids never collide between them.
    """

    def __init__(self, inner: StateStore, namespace: str) -> None:
        if not namespace:
            raise ValueError("the namespace must not be empty")
        self.inner = inner
        self.namespace = namespace
        self.description = f"{inner.description} (namespace {namespace})"

    async def get(self, key: str) -> str | None:
        return await self.inner.get(self.namespace + key)

    async def put(self, key: str, value: str, ttl_seconds: float | None) -> None:
        await self.inner.put(self.namespace + key, value, ttl_seconds)

    async def delete(self, key: str) -> None:
        await self.inner.delete(self.namespace + key)

    async def keys(self, prefix: str) -> list[str]:
        # Every match starts with the namespace, so stripping it keeps the sort order.
        start = len(self.namespace)
        return [key[start:] for key in await self.inner.keys(self.namespace + prefix)]

    async def put_if_absent(self, key: str, value: str, ttl_seconds: float | None) -> bool:
        return await self.inner.put_if_absent(self.namespace + key, value, ttl_seconds)

    async def ping(self) -> None:
        await self.inner.ping()

    async def close(self) -> None:
        await self.inner.close()


# Which namespace is moving the legacy keys; lets a move cut short by a crash resume on the next
# start, and keeps any other bot from taking the rest meanwhile.
LEGACY_CLAIM_KEY = "legacy-keys-claimed-by"


async def migrate_legacy_keys(store: NamespacedStore, ttl_by_prefix: Mapping[str, float]) -> int:
    """Move the keys that versions without namespaces wrote into `store`'s namespace, once.

    `ttl_by_prefix` names the legacy key prefixes and the TTL a moved key gets. A key's remaining
    TTL cannot be read through StateStore, so a moved key starts its full TTL again: it can
    outlive its original expiry by at most one TTL, once. The legacy keys go to the first bot
    that starts with namespaces, and only when its namespace holds none of those kinds yet (a
    store shared with a bot that already moved them keeps its leftovers until they expire).
    Running it again is a no-op. Returns how many keys were moved.
    """
    inner = store.inner
    legacy = [
        (key, ttl) for prefix, ttl in ttl_by_prefix.items() for key in await inner.keys(prefix)
    ]
    claim = await inner.get(LEGACY_CLAIM_KEY)
    if not legacy:
        if claim == store.namespace:  # a finished move whose claim outlived a crash
            await inner.delete(LEGACY_CLAIM_KEY)
        return 0
    if claim is None:
        for prefix in ttl_by_prefix:
            if await store.keys(prefix):
                log.info(
                    "left %d state key(s) without a namespace alone: namespace %s is in use "
                    "already; they expire on their own",
                    len(legacy),
                    store.namespace,
                )
                return 0
        await inner.put(LEGACY_CLAIM_KEY, store.namespace, max(ttl_by_prefix.values()))
    elif claim != store.namespace:
        log.info(
            "left %d state key(s) without a namespace alone: another bot is moving them",
            len(legacy),
        )
        return 0
    moved = 0
    for key, ttl in legacy:
        # Copied before the legacy key is deleted: a crash in between only repeats the copy.
        value = await inner.get(key)
        if value is not None:
            await store.put(key, value, ttl)
            moved += 1
        await inner.delete(key)
    await inner.delete(LEGACY_CLAIM_KEY)
    log.info(
        "moved %d state key(s) written by an earlier version into namespace %s",
        moved,
        store.namespace,
    )
    return moved


def open_state_store(*, redis_url: str | None, sqlite_path: Path) -> StateStore:
    """Redis when a URL is configured, otherwise the SQLite file."""
    if redis_url:
        return RedisStateStore(redis_url)
    return SQLiteStateStore(sqlite_path)


def state_on_ephemeral_disk(*, redis_url: str | None, dyno: str | None) -> bool:
    """True when running on Heroku (which sets DYNO) with state in a local file.

    Heroku wipes a dyno's disk on every restart and at least daily, so that state would be lost.
    """
    return bool(dyno) and not redis_url
