"""The live view of a job (bot/telegram/live_draft.py) through python-telegram-bot against the
fake Telegram: what a long draft looks like within Telegram's limits, markup that cannot break
it, throttling, retries and typing renewals."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator

import pytest
from telegram import Bot
from telegram.constants import ParseMode
from telegram.ext import Defaults, ExtBot

from bot.telegram.live_draft import LiveDraft, tail, utf16_units
from tests.fakes.telegram import FakeTelegram, utf16_len

USER = 1001
GROUP = -5005
# Far beyond 4096 UTF-16 units, with markup-looking text and characters outside the BMP.
LONG = "".join(f"Line {i}: <b>bold?</b> & a < b > c 🚀\n" for i in range(400))


@pytest.fixture
async def bot(telegram: FakeTelegram) -> AsyncIterator[Bot]:
    # As the bot runs: HTML unless told otherwise.
    defaults = Defaults(parse_mode=ParseMode.HTML)
    async with ExtBot(telegram.token, base_url=f"{telegram.api_url}/bot", defaults=defaults) as b:
        yield b


async def settle(condition: object, within: float = 5.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not condition():  # type: ignore[operator]
        assert loop.time() < deadline, "condition not met"
        await asyncio.sleep(0.02)


def test_tail_fits_in_utf16_units() -> None:
    assert tail("short", 10) == "short"
    cut = tail("🚀" * 10, 7)
    assert cut == "…🚀🚀🚀" and utf16_units(cut) == 7
    assert utf16_units(tail(LONG, 4096)) <= 4096 and tail(LONG, 4096).startswith("…")
    assert LONG.endswith(tail(LONG, 4096)[1:])


async def test_a_long_draft_in_a_private_chat_shows_its_end(
    telegram: FakeTelegram, bot: Bot
) -> None:
    telegram.send_text(USER, "notes")
    live = LiveDraft(bot, USER, None, shown=None, draft_id=42, draft_interval=0.05).start()
    await live.text(LONG[:100])
    await settle(lambda: len(telegram.drafts(USER)) == 1)
    await live.text(LONG)
    await settle(lambda: len(telegram.drafts(USER)) == 2)
    await live.close()
    first, second = telegram.drafts(USER)
    assert first.text == LONG[:100].strip() and first.parse_mode is None  # plain text
    assert utf16_len(second.text) <= 4096 and second.text.startswith("…")
    assert LONG.strip().endswith(second.text[1:])
    assert {first.draft_id, second.draft_id} == {42}


async def test_a_group_edit_escapes_and_fits(telegram: FakeTelegram, bot: Bot) -> None:
    telegram.send_text(USER, "notes", chat_id=GROUP, chat_type="group")
    status = await bot.send_message(GROUP, "✍️ Drafting your post…")
    live = LiveDraft(
        bot, GROUP, status.message_id, shown="✍️ Drafting your post…", draft_id=1
    ).start()
    await live.text(LONG)
    await settle(lambda: telegram.bot_messages(GROUP)[0].edits)
    await live.close()
    [message] = telegram.bot_messages(GROUP)
    header = "✍️ Drafting your post…\n\n"
    assert message.text.startswith(header + "…")
    assert utf16_len(message.text) <= 4096
    assert LONG.strip().endswith(message.text.removeprefix(header + "…"))  # as written
    assert telegram.drafts(GROUP) == []


async def test_edits_are_throttled_and_the_phase_follows_retries(
    telegram: FakeTelegram, bot: Bot
) -> None:
    telegram.send_text(USER, "notes", chat_id=GROUP, chat_type="group")
    status = await bot.send_message(GROUP, "✍️ Drafting your post…")
    live = LiveDraft(
        bot,
        GROUP,
        status.message_id,
        shown="✍️ Drafting your post…",
        draft_id=1,
        edit_interval=0.3,
    ).start()
    await live.phase("drafting")  # what it says already: no edit
    await live.retrying(2, 4)
    await asyncio.sleep(0.4)  # the backoff before the next try (the first edit waits 0.3 s)
    for words in range(1, 30):
        await live.text("word " * words)
        await asyncio.sleep(0.02)
    await live.phase("publishing")
    await asyncio.sleep(0.4)
    await live.close()
    [message] = telegram.bot_messages(GROUP)
    shown = [*message.edits[1:], message.text]
    assert shown[0] == "⏳ The model is busy, retrying 2/4…"
    assert shown[-1] == "📤 Publishing to GitHub…"
    assert all(text.startswith("✍️ Drafting your post…\n\nword") for text in shown[1:-1])
    edits = [r.at for r in telegram.requests if r.path.endswith("/editMessageText")]
    assert min(b - a for a, b in itertools.pairwise(edits)) >= 0.28
    assert len(edits) <= 5  # 29 words over ~0.6 s, then publishing


async def test_typing_is_renewed_until_closed(telegram: FakeTelegram, bot: Bot) -> None:
    telegram.send_text(USER, "notes")
    live = LiveDraft(bot, USER, None, shown=None, draft_id=1, typing_interval=0.1).start()
    await settle(lambda: len(telegram.chat_actions(USER)) >= 3)
    await live.close()
    count = len(telegram.chat_actions(USER))
    await asyncio.sleep(0.3)
    assert len(telegram.chat_actions(USER)) == count  # nothing after the answer


async def test_a_failed_try_replaces_the_draft_with_the_reason(
    telegram: FakeTelegram, bot: Bot
) -> None:
    telegram.send_text(USER, "notes")
    live = LiveDraft(bot, USER, None, shown=None, draft_id=7, draft_interval=0.05).start()
    await live.text("Half an ans")
    await settle(lambda: len(telegram.drafts(USER)) == 1)
    await live.retrying(2, 4)  # the words so far are gone
    await settle(lambda: len(telegram.drafts(USER)) == 2)
    await live.text("Whole")
    await settle(lambda: len(telegram.drafts(USER)) == 3)
    await live.close()
    busy = "⏳ The model is busy, retrying 2/4…"
    assert [d.text for d in telegram.drafts(USER)] == ["Half an ans", busy, "Whole"]
