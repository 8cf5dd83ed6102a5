"""State namespaces: bots and blogs sharing one store never see each other's records.

Built through the real composition (`bot.app.build_state`) on SQLite and a real Redis; the last
tests run the real bot process.
"""

from __future__ import annotations

import asyncio
import logging
import random
import sqlite3
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as aioredis
from pydantic import SecretStr

from bot.adapters.state import (
    LEGACY_CLAIM_KEY,
    NamespacedStore,
    RedisStateStore,
    SQLiteStateStore,
    state_namespace,
)
from bot.app import build_state, migrate_legacy_state
from bot.config import Settings, load_settings
from bot.core.conversation import Conversation, ConversationStore, PostThread
from bot.core.jobs import JOB_TTL_SECONDS, Inbox, JobRecord, JobStore
from bot.core.ports import StateStore
from tests.botprocess import WRITER_ID, BotProcess
from tests.fakes.github import FakeGitHub
from tests.fakes.telegram import FakeTelegram
from tests.fakes.workers_ai import FakeWorkersAI
from tests.helpers_chat import FIRST, SHORTER, post_file, send_and_wait

CHAT = 1001
MESSAGE = 1
HOUR = 3600


def settings_for(token: str, repo: str, *, state_path: Path, redis_url: str | None) -> Settings:
    return load_settings(
        _env_file=None,
        telegram_bot_token=token,
        cloudflare_account_id="account",
        cloudflare_api_token="cloudflare-token",
        github_token="github-token",
        github_repo=repo,
        state_path=state_path,
        redis_url=redis_url,
        dyno=None,
    )


@dataclass
class Shared:
    """One store shared by several bots: SQLite file or Redis database."""

    kind: str
    state_path: Path
    redis_url: str | None
    opened: list[StateStore]

    def bot(self, token: str, repo: str) -> NamespacedStore:
        store = build_state(
            settings_for(token, repo, state_path=self.state_path, redis_url=self.redis_url)
        )
        self.opened.append(store)
        return store

    def raw(self) -> StateStore:
        """The store under the namespaces, as the previous version used it."""
        store: StateStore
        if self.redis_url:
            store = RedisStateStore(self.redis_url)
        else:
            store = SQLiteStateStore(self.state_path)
        self.opened.append(store)
        return store

    async def all_raw_keys(self) -> list[str]:
        return await self.raw().keys("")


def bot_token(secret: str) -> tuple[str, str]:
    """A token with a bot id no other test run uses (they may share the Redis server)."""
    bot_id = str(random.randrange(10**9, 10**10))
    return f"{bot_id}:{secret}-{uuid.uuid4().hex}", bot_id


@pytest.fixture(params=["sqlite", "redis"])
async def shared(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Shared]:
    redis_url = request.getfixturevalue("redis_url") if request.param == "redis" else None
    store = Shared(request.param, tmp_path / "state.sqlite3", redis_url, [])
    yield store
    for opened in store.opened:
        await opened.close()


async def forget_bots(redis_url: str | None, *bot_ids: str) -> None:
    if not redis_url:
        return
    client = aioredis.from_url(redis_url)
    try:
        for bot_id in bot_ids:
            keys = [k async for k in client.scan_iter(match=f"blogbot:bot:{bot_id}:*")]
            if keys:
                await client.delete(*keys)
    finally:
        await client.aclose()


def thread(number: int) -> PostThread:
    return PostThread(
        number=number,
        url=f"https://github.com/other/site/pull/{number}",
        branch="blogbot/2026-01-01-other",
        path="content/posts/2026-01-01-other.md",
        file_sha="abc",
        commit_url="https://github.com/other/site/commit/abc",
        date="2026-01-01",
        title="Another bot's post",
        description="Not this bot's.",
        tags=["other"],
        body="Body.",
        words=1,
    )


def update(update_id: int) -> dict[str, Any]:
    return {"update_id": update_id, "message": {"message_id": MESSAGE, "text": "hi"}}


# --- the key format ----------------------------------------------------------------------------


def test_namespace_is_bot_id_and_lowercased_repository() -> None:
    assert (
        state_namespace(bot_token="123456:AAH-secret", repo="Acme/Blog") == "bot:123456:acme/blog:"
    )
    for token in ("abc:secret", ":secret", "١٢٣:secret"):  # the last: Arabic-Indic digits
        with pytest.raises(ValueError, match="numeric id"):
            state_namespace(bot_token=token, repo="acme/blog")
    with pytest.raises(ValueError, match="owner/name"):
        state_namespace(bot_token="1:s", repo="acme:blog")


# --- two bots, one store -----------------------------------------------------------------------


async def test_two_bots_on_one_store_keep_their_own_records(shared: Shared) -> None:
    token_a, id_a = bot_token("secret-a")
    token_b, id_b = bot_token("secret-b")
    try:
        a = shared.bot(token_a, "acme/blog")
        b = shared.bot(token_b, "other/site")
        same_bot_other_blog = shared.bot(token_a, "acme/docs")
        same_bot_same_blog = shared.bot(token_a, "ACME/Blog")  # GitHub's names ignore case

        # Bot A answered the writer's message 1 in chat 1001 and remembers PR #7.
        await JobStore(a).save(
            JobRecord(chat_id=CHAT, message_id=MESSAGE, text="a", state="answered")
        )
        conversation = Conversation(chat_id=CHAT)
        conversation.remember(thread(7), message_ids=[2])
        await ConversationStore(a, ttl_seconds=HOUR).save(conversation)
        await Inbox(a).keep(5, update(5))

        for other in (b, same_bot_other_blog):
            # The same chat and message id are new to another bot: it must not skip them...
            assert await JobStore(other).get(CHAT, MESSAGE) is None
            assert await JobStore(other).all() == []
            # ...nor revise a PR number of another repository.
            seen = await ConversationStore(other, ttl_seconds=HOUR).load(CHAT)
            assert seen.current is None and seen.posts == {}
            assert await Inbox(other).pending() == []

        seen_again = await ConversationStore(same_bot_same_blog, ttl_seconds=HOUR).load(CHAT)
        assert seen_again.current == 7
        assert (await JobStore(same_bot_same_blog).get(CHAT, MESSAGE)) is not None

        # Bot B's own job for the same ids leaves bot A's alone, and the other way round.
        await JobStore(b).save(JobRecord(chat_id=CHAT, message_id=MESSAGE, text="b"))
        await Inbox(b).keep(5, update(5))
        await Inbox(a).done(5)
        record_a = await JobStore(a).get(CHAT, MESSAGE)
        record_b = await JobStore(b).get(CHAT, MESSAGE)
        assert record_a is not None and record_a.text == "a" and record_a.finished
        assert record_b is not None and record_b.text == "b" and not record_b.finished
        assert [r.text for r in await JobStore(b).unfinished()] == ["b"]
        assert await JobStore(a).unfinished() == []
        assert await Inbox(a).pending() == []
        assert await Inbox(b).pending() == [update(5)]
    finally:
        await forget_bots(shared.redis_url, id_a, id_b)


async def test_no_token_secret_in_any_stored_key(shared: Shared) -> None:
    token_a, id_a = bot_token("secret-a")
    token_b, id_b = bot_token("secret-b")
    try:
        for token, repo in ((token_a, "Acme/Blog"), (token_b, "other/site")):
            store = shared.bot(token, repo)
            await JobStore(store).save(JobRecord(chat_id=CHAT, message_id=MESSAGE, text="x"))
            await ConversationStore(store, ttl_seconds=HOUR).save(Conversation(chat_id=CHAT))
            await Inbox(store).keep(5, update(5))
            await store.ping()

        keys = await shared.all_raw_keys()
        ours = [k for k in keys if k.startswith((f"bot:{id_a}:", f"bot:{id_b}:"))]
        assert sorted(ours) == sorted(
            f"bot:{bot_id}:{repo}:{key}"
            for bot_id, repo in ((id_a, "acme/blog"), (id_b, "other/site"))
            for key in (f"job:{CHAT}:{MESSAGE}", f"conversation:{CHAT}", "inbox:000000000000005")
        )
        for token in (token_a, token_b):
            secret = token.split(":", 1)[1]
            assert not [k for k in keys if secret in k]
        if shared.redis_url:  # the server's own view, with RedisStateStore's prefix
            client = aioredis.from_url(shared.redis_url, decode_responses=True)
            try:
                everything = [k async for k in client.scan_iter(count=1000)]
            finally:
                await client.aclose()
            for token in (token_a, token_b):
                assert not [k for k in everything if token.split(":", 1)[1] in k]
    finally:
        await forget_bots(shared.redis_url, id_a, id_b)


# --- the previous version's store --------------------------------------------------------------


@dataclass
class LegacyStore:
    """A store the previous version wrote, and how to open it for one bot."""

    raw: StateStore
    bot: Callable[[str], NamespacedStore]
    settings: Settings


@pytest.fixture(params=["sqlite", "redis"])
async def legacy(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[LegacyStore]:
    path = tmp_path / "state.sqlite3"
    opened: list[StateStore] = []
    if request.param == "sqlite":
        settings = settings_for("1:x", "acme/blog", state_path=path, redis_url=None)

        def bot(token: str) -> NamespacedStore:
            store = build_state(
                settings.model_copy(update={"telegram_bot_token": SecretStr(token)})
            )
            opened.append(store)
            return store

        raw: StateStore = SQLiteStateStore(path)
        yield LegacyStore(raw, bot, settings)
    else:
        # Under a private Redis prefix (what build_state can't choose): the legacy keys of a
        # shared server are none of this test's business, and this test's are nobody else's.
        url: str = request.getfixturevalue("redis_url")
        prefix = f"blogbot-test:{uuid.uuid4().hex}:"
        settings = settings_for("1:x", "acme/blog", state_path=path, redis_url=url)

        def bot(token: str) -> NamespacedStore:
            namespace = state_namespace(bot_token=token, repo=settings.github_repo)
            store = NamespacedStore(RedisStateStore(url, namespace=prefix), namespace)
            opened.append(store)
            return store

        raw = RedisStateStore(url, namespace=prefix)
        yield LegacyStore(raw, bot, settings)
        client = aioredis.from_url(url)
        leftovers = [k async for k in client.scan_iter(match=prefix + "*", count=1000)]
        if leftovers:
            await client.delete(*leftovers)
        await client.aclose()
    await raw.close()
    for store in opened:
        await store.close()


async def write_like_the_previous_version(raw: StateStore) -> None:
    await JobStore(raw).save(
        JobRecord(chat_id=CHAT, message_id=MESSAGE, text="old", state="answered")
    )
    conversation = Conversation(chat_id=CHAT)
    conversation.remember(thread(7), message_ids=[2])
    await ConversationStore(raw, ttl_seconds=24 * HOUR).save(conversation)
    await Inbox(raw).keep(5, update(5))
    await raw.put("unrelated", "kept", None)


LEGACY_KEYS = [f"conversation:{CHAT}", "inbox:000000000000005", f"job:{CHAT}:{MESSAGE}"]


async def test_legacy_keys_move_into_the_first_bots_namespace_once(
    legacy: LegacyStore, caplog: pytest.LogCaptureFixture
) -> None:
    await write_like_the_previous_version(legacy.raw)
    a = legacy.bot("111:secret-a")

    with caplog.at_level(logging.INFO, logger="bot.adapters.state"):
        assert await migrate_legacy_state(legacy.settings, a) == 3
    [line] = [r.getMessage() for r in caplog.records]
    assert (
        line
        == "moved 3 state key(s) written by an earlier version into namespace bot:111:acme/blog:"
    )

    job = await JobStore(a).get(CHAT, MESSAGE)
    assert job is not None and job.text == "old" and job.finished
    assert (await ConversationStore(a, ttl_seconds=HOUR).load(CHAT)).current == 7
    assert await Inbox(a).pending() == [update(5)]
    assert sorted(await legacy.raw.keys("")) == sorted(
        ["unrelated", *(f"bot:111:acme/blog:{key}" for key in LEGACY_KEYS)]
    )

    # Idempotent: nothing left to move, for this bot or any other.
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="bot.adapters.state"):
        assert await migrate_legacy_state(legacy.settings, a) == 0
        b = legacy.bot("222:secret-b")
        assert await migrate_legacy_state(legacy.settings, b) == 0
    assert caplog.records == []
    assert sorted(await a.keys("")) == LEGACY_KEYS
    assert await b.keys("") == []


async def test_legacy_keys_stay_when_the_namespace_is_in_use(legacy: LegacyStore) -> None:
    a = legacy.bot("111:secret-a")
    await JobStore(a).save(JobRecord(chat_id=CHAT, message_id=9, text="new"))
    await write_like_the_previous_version(legacy.raw)

    assert await migrate_legacy_state(legacy.settings, a) == 0
    assert await JobStore(a).get(CHAT, MESSAGE) is None
    assert sorted(await legacy.raw.keys("")) == sorted(
        [*LEGACY_KEYS, "unrelated", "bot:111:acme/blog:job:1001:9"]
    )


async def test_an_interrupted_move_resumes_for_its_bot_only(legacy: LegacyStore) -> None:
    await write_like_the_previous_version(legacy.raw)
    a = legacy.bot("111:secret-a")
    b = legacy.bot("222:secret-b")
    # What a crash halfway leaves: A's claim, one key moved, the others not yet.
    await legacy.raw.put(LEGACY_CLAIM_KEY, a.namespace, JOB_TTL_SECONDS)
    moved = await legacy.raw.get(f"conversation:{CHAT}")
    assert moved is not None
    await a.put(f"conversation:{CHAT}", moved, HOUR)
    await legacy.raw.delete(f"conversation:{CHAT}")

    assert await migrate_legacy_state(legacy.settings, b) == 0  # not B's to take
    assert await b.keys("") == []
    assert await migrate_legacy_state(legacy.settings, a) == 2
    assert sorted(await a.keys("")) == LEGACY_KEYS
    assert sorted(await legacy.raw.keys("")) == sorted(
        ["unrelated", *(f"bot:111:acme/blog:{key}" for key in LEGACY_KEYS)]
    )


def test_moved_keys_get_the_current_ttls(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite3"
    settings = settings_for("111:secret", "acme/blog", state_path=path, redis_url=None)
    settings = settings.model_copy(update={"conversation_ttl_hours": 2.0})

    async def migrate() -> None:
        raw = SQLiteStateStore(path)
        await write_like_the_previous_version(raw)
        await raw.close()
        store = build_state(settings)
        await migrate_legacy_state(settings, store)
        await store.close()

    before = time.time()
    asyncio.run(migrate())
    with sqlite3.connect(path) as db:
        expiry = dict(db.execute("SELECT key, expires_at FROM state"))
    namespace = "bot:111:acme/blog:"
    assert expiry[namespace + f"conversation:{CHAT}"] == pytest.approx(before + 2 * HOUR, abs=60)
    assert expiry[namespace + f"job:{CHAT}:{MESSAGE}"] == pytest.approx(
        before + JOB_TTL_SECONDS, abs=60
    )
    assert expiry[namespace + "inbox:000000000000005"] == pytest.approx(
        before + JOB_TTL_SECONDS, abs=60
    )
    assert expiry["unrelated"] is None


# --- end to end: the real bot process ----------------------------------------------------------


def test_another_bots_finished_job_and_conversation_do_not_stop_this_bot(
    bot_env: dict[str, str],
    telegram: FakeTelegram,
    workers_ai: FakeWorkersAI,
    github: FakeGitHub,
    tmp_path: Path,
) -> None:
    # The bot that used this store before (another token, same blog) answered the writer's
    # message 1 and was revising its PR #7.
    other = settings_for(
        "987654:the-old-bots-secret",
        github.repo,
        state_path=Path(bot_env["STATE_PATH"]),
        redis_url=None,
    )

    async def leave_other_bots_state() -> None:
        store = build_state(other)
        await JobStore(store).save(
            JobRecord(chat_id=WRITER_ID, message_id=1, text="old", state="answered")
        )
        conversation = Conversation(chat_id=WRITER_ID)
        conversation.remember(thread(7), message_ids=[2])
        await ConversationStore(store, ttl_seconds=HOUR).save(conversation)
        await store.close()

    asyncio.run(leave_other_bots_state())
    process = BotProcess(bot_env, tmp_path, telegram).start()
    try:
        workers_ai.queue_reply(FIRST)
        # The writer's first message in the chat: message 1, like the other bot's job.
        send_and_wait(telegram, "A post about Postgres 17", "Pull request #1")
    finally:
        process.stop()
    process.assert_no_secrets_logged()
    assert len(github.pulls()) == 1  # a new post, not a revision of the other bot's PR #7
    assert "moved" not in process.logs()  # nothing of the previous version to migrate

    async def records() -> tuple[JobRecord | None, JobRecord | None]:
        this = build_state(
            other.model_copy(update={"telegram_bot_token": SecretStr(telegram.token)})
        )
        that = build_state(other)
        try:
            return await JobStore(this).get(WRITER_ID, 1), await JobStore(that).get(WRITER_ID, 1)
        finally:
            await this.close()
            await that.close()

    mine, theirs = asyncio.run(records())
    assert mine is not None and mine.text == "A post about Postgres 17" and mine.finished
    assert theirs is not None and theirs.text == "old"


def test_a_store_of_the_previous_version_keeps_its_conversation(
    bot_env: dict[str, str],
    telegram: FakeTelegram,
    workers_ai: FakeWorkersAI,
    github: FakeGitHub,
    tmp_path: Path,
) -> None:
    first = BotProcess(bot_env, tmp_path, telegram).start()
    workers_ai.queue_reply(FIRST)
    send_and_wait(telegram, "A post about Postgres 17", "Pull request #1")
    assert first.stop() == 0

    # Turn the store into what the previous version left: the same keys without a namespace.
    namespace = state_namespace(bot_token=telegram.token, repo=github.repo)
    with sqlite3.connect(bot_env["STATE_PATH"]) as db:
        db.execute(
            "UPDATE state SET key = substr(key, ?) WHERE substr(key, 1, ?) = ?",
            (len(namespace) + 1, len(namespace), namespace),
        )
        # That version had no review loop (bot/core/reviews.py): none of its keys.
        db.execute("DELETE FROM state WHERE key LIKE 'reviews:%'")
        legacy_keys = [k for (k,) in db.execute("SELECT key FROM state")]
    assert f"conversation:{WRITER_ID}" in legacy_keys
    db.close()

    second = BotProcess(bot_env, tmp_path, telegram).start()
    try:
        workers_ai.queue_reply(SHORTER)
        send_and_wait(telegram, "make it shorter", "Revised pull request #1")
    finally:
        second.stop()
    second.assert_no_secrets_logged()
    assert len(github.pulls()) == 1
    assert post_file(github, 1).content == "We moved to Postgres 17. 40% faster."
    assert f"moved {len(legacy_keys)} state key(s)" in second.logs()
    with sqlite3.connect(bot_env["STATE_PATH"]) as db:
        keys = [k for (k,) in db.execute("SELECT key FROM state")]
    db.close()
    assert keys and all(k.startswith(namespace) for k in keys)
