"""CONVERSATION_TTL_HOURS, through the composition root: a conversation lives that many hours.

`bot.app.build_writer` makes the ConversationStore from the settings; the state store below is the
real SQLite one on a clock the test moves.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.adapters.state import SQLiteStateStore
from bot.app import build_model, build_repository, build_writer
from bot.config import load_settings
from bot.core.conversation import Conversation, ConversationStore, PostThread

CHAT = 1001
HOUR = 3600.0
MINUTE = 60.0


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def thread(number: int) -> PostThread:
    return PostThread(
        number=number,
        url=f"https://github.com/acme/blog/pull/{number}",
        branch=f"blogbot/post-{number}",
        path=f"content/posts/post-{number}.md",
        file_sha="abc",
        commit_url="",
        date="2026-11-27T10:00:00+00:00",
        title="A post",
        description="About a post.",
        tags=["a"],
        body="Body\n",
        words=1,
    )


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def conversations(tmp_path: Path, clock: Clock) -> AsyncIterator[ConversationStore]:
    """The writer's conversation store, built from settings with a 24 hour TTL."""
    settings = load_settings(
        _env_file=None,
        telegram_bot_token="123456:TEST-token",
        cloudflare_account_id="account",
        cloudflare_api_token="cloudflare-token",
        github_token="github-token",
        github_repo="acme/blog",
        state_path=tmp_path / "state.sqlite3",
        redis_url=None,
        dyno=None,
        conversation_ttl_hours=24,
    )
    model, repository = build_model(settings), build_repository(settings)
    state = SQLiteStateStore(settings.state_path, clock=clock)
    try:
        yield build_writer(settings, model, repository, state).conversations
    finally:
        await state.close()
        await model.aclose()
        repository.close()


async def test_a_24_hour_ttl_keeps_a_conversation_for_23_hours_59_minutes(
    conversations: ConversationStore, clock: Clock
) -> None:
    conversation = Conversation(chat_id=CHAT)
    conversation.remember(thread(7))
    await conversations.save(conversation)

    clock.now += 24 * HOUR - MINUTE
    kept = await conversations.load(CHAT)
    assert kept.current == 7 and list(kept.posts) == [7]


async def test_a_24_hour_ttl_forgets_the_conversation_after_24_hours(
    conversations: ConversationStore, clock: Clock
) -> None:
    conversation = Conversation(chat_id=CHAT)
    conversation.remember(thread(7))
    await conversations.save(conversation)

    clock.now += 24 * HOUR
    forgotten = await conversations.load(CHAT)
    assert forgotten.current is None and forgotten.posts == {}


async def test_every_save_starts_the_24_hours_again(
    conversations: ConversationStore, clock: Clock
) -> None:
    conversation = Conversation(chat_id=CHAT)
    conversation.remember(thread(7))
    await conversations.save(conversation)
    clock.now += 20 * HOUR
    await conversations.save(await conversations.load(CHAT))

    clock.now += 20 * HOUR  # 40 hours after the first save, 20 after the last
    assert (await conversations.load(CHAT)).current == 7
