"""The bot's durable memory: a tiny key-value store with per-key expiry.

Two backends behave identically: SQLite on local disk (the default, zero setup) and Redis (for
hosts such as Heroku whose disk is wiped on every restart). Every backend failure surfaces as
`StateStoreError`, so callers handle one exception type whichever backend is configured.
`namespaced` lets several bots and blogs share one store.
"""

from __future__ import annotations

from pathlib import Path

from bot.adapters.state.namespaced import (
    LEGACY_CLAIM_KEY,
    NamespacedStore,
    migrate_legacy_keys,
    state_namespace,
)
from bot.adapters.state.redis import REDIS_MAX_CONNECTIONS, RedisStateStore
from bot.adapters.state.sqlite import SQLITE_PURGE_INTERVAL_SECONDS, SQLiteStateStore
from bot.core.ports import StateStore

__all__ = [
    "LEGACY_CLAIM_KEY",
    "REDIS_MAX_CONNECTIONS",
    "SQLITE_PURGE_INTERVAL_SECONDS",
    "NamespacedStore",
    "RedisStateStore",
    "SQLiteStateStore",
    "migrate_legacy_keys",
    "open_state_store",
    "state_namespace",
    "state_on_ephemeral_disk",
]


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
