"""State in one SQLite file on local disk: the default, zero setup."""

from __future__ import annotations

import asyncio
import math
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from bot.adapters.state.ttl import check_ttl
from bot.core.errors import StateStoreError

_T = TypeVar("_T")

# Expired rows are already invisible to reads; purging them is only housekeeping, so it runs
# alongside a write at most this often instead of costing a DELETE on every write.
SQLITE_PURGE_INTERVAL_SECONDS = 60.0


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
        check_ttl(ttl_seconds)
        await self._run(self._put, key, value, ttl_seconds)

    async def delete(self, key: str) -> None:
        await self._run(self._delete, key)

    async def keys(self, prefix: str) -> list[str]:
        return await self._run(self._keys, prefix)

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
    # IMMEDIATE takes the write lock up front, so a transaction's statements (a write and the
    # purge) can't be interleaved with another process's write; the commit is all-or-nothing
    # on disk.
    connection.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    connection.execute("COMMIT")
