"""State in Redis, for hosts such as Heroku whose disk is wiped on every restart."""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qs, urlsplit

from bot.adapters.state.ttl import check_ttl
from bot.core.errors import StateStoreError

REDIS_MAX_CONNECTIONS = 10


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
        check_ttl(ttl_seconds)
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
