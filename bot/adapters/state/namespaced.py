"""Namespaces: several bots and blogs sharing one store, and the one-time move of the keys
that versions without namespaces wrote."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from bot.core.ports import StateStore

# The package's name, as before it was split into modules: log filters keep matching.
log = logging.getLogger("bot.adapters.state")


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
    if not await _claim_legacy_keys(store, ttl_by_prefix, claim, len(legacy)):
        return 0
    moved = await _move_legacy_keys(store, legacy)
    await inner.delete(LEGACY_CLAIM_KEY)
    log.info(
        "moved %d state key(s) written by an earlier version into namespace %s",
        moved,
        store.namespace,
    )
    return moved


async def _claim_legacy_keys(
    store: NamespacedStore, ttl_by_prefix: Mapping[str, float], claim: str | None, count: int
) -> bool:
    """True when `store`'s namespace may move the `count` legacy keys: it holds the claim
    already (a move cut short), or takes it now."""
    if claim == store.namespace:
        return True
    if claim is not None:
        log.info(
            "left %d state key(s) without a namespace alone: another bot is moving them",
            count,
        )
        return False
    for prefix in ttl_by_prefix:
        if await store.keys(prefix):
            log.info(
                "left %d state key(s) without a namespace alone: namespace %s is in use "
                "already; they expire on their own",
                count,
                store.namespace,
            )
            return False
    await store.inner.put(LEGACY_CLAIM_KEY, store.namespace, max(ttl_by_prefix.values()))
    return True


async def _move_legacy_keys(store: NamespacedStore, legacy: list[tuple[str, float]]) -> int:
    moved = 0
    for key, ttl in legacy:
        # Copied before the legacy key is deleted: a crash in between only repeats the copy.
        value = await store.inner.get(key)
        if value is not None:
            await store.put(key, value, ttl)
            moved += 1
        await store.inner.delete(key)
    return moved
