"""The Telegram fake, proven with the real python-telegram-bot client (and raw httpx)."""

from __future__ import annotations

import datetime as dtm
import threading
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, InputFile
from telegram.constants import ChatAction, ParseMode
from telegram.error import BadRequest, Conflict, InvalidToken, RetryAfter

from tests.fakes.telegram import FakeTelegram, format_text, utf16_len

USER = 1001


@pytest.fixture
async def bot(telegram: FakeTelegram) -> AsyncIterator[Bot]:
    async with Bot(telegram.token, base_url=f"{telegram.api_url}/bot") as client:
        yield client


def api(telegram: FakeTelegram, method: str, **kwargs: Any) -> httpx.Response:
    return httpx.post(f"{telegram.api_url}/bot{telegram.token}/{method}", timeout=5, **kwargs)


def get(url: str, **kwargs: Any) -> httpx.Response:
    return httpx.get(url, timeout=5, **kwargs)


def keyboard(*data: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(d, callback_data=d) for d in data]])


# -- identity, envelope, errors -------------------------------------------------------------------


async def test_get_me_through_the_real_client(telegram: FakeTelegram, bot: Bot) -> None:
    me = await bot.get_me()
    assert me.id == 123456 and me.is_bot and me.username == "blogbot_test_bot"
    assert bot.username == "blogbot_test_bot"


async def test_wrong_token_is_invalid_token(telegram: FakeTelegram) -> None:
    with pytest.raises(InvalidToken):
        async with Bot("999:wrong-token", base_url=f"{telegram.api_url}/bot"):
            pass
    response = get(f"{telegram.api_url}/bot999:wrong/getMe")
    assert response.status_code == 401
    assert response.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}


def test_unknown_method_case_insensitivity_json_and_get(telegram: FakeTelegram) -> None:
    missing = api(telegram, "sendCarrierPigeon")
    assert missing.status_code == 404
    assert missing.json() == {"ok": False, "error_code": 404, "description": "Not Found"}
    assert api(telegram, "GETME").json()["result"]["username"] == "blogbot_test_bot"
    telegram.send_text(USER, "hi")
    sent = api(telegram, "sendMessage", json={"chat_id": str(USER), "text": "json body"})
    assert sent.json()["result"]["text"] == "json body"
    query = httpx.get(
        f"{telegram.api_url}/bot{telegram.token}/sendMessage",
        params={"chat_id": USER, "text": "query string"},
    )
    assert query.json()["result"]["message_id"] == 3
    assert [m.text for m in telegram.bot_messages(USER)] == ["json body", "query string"]
    assert telegram.calls("sendmessage")[0] == {"chat_id": str(USER), "text": "json body"}


def test_unknown_parameters_are_ignored_but_reported(telegram: FakeTelegram) -> None:
    telegram.send_text(USER, "hi")
    response = api(telegram, "sendMessage", data={"chat_id": USER, "text": "x", "colour": "red"})
    assert response.json()["ok"] is True
    assert telegram.errors == [
        "sendMessage: parameter 'colour' is not in Bot API 10.1 (Telegram ignores it)"
    ]
    telegram.errors.clear()


def test_missing_required_field_and_unknown_chat(telegram: FakeTelegram) -> None:
    no_text = api(telegram, "sendMessage", data={"chat_id": USER})
    assert no_text.status_code == 400
    assert no_text.json()["description"] == "Bad Request: message text is empty"
    unknown = api(telegram, "sendMessage", data={"chat_id": 42, "text": "hello"})
    assert unknown.json()["description"] == "Bad Request: chat not found"


def test_malformed_update_from_a_test_is_caught_by_result_validation(
    telegram: FakeTelegram,
) -> None:
    telegram.send_message_update(USER, {"location": {"latitude": 1.5}})
    assert api(telegram, "getUpdates").json()["ok"] is True
    problem = "result[0].message.location.longitude: required field of Location missing"
    assert any(problem in error for error in telegram.errors)
    telegram.errors.clear()


# -- sending, formatting, limits ------------------------------------------------------------------


async def test_html_is_parsed_into_text_and_entities(telegram: FakeTelegram, bot: Bot) -> None:
    telegram.send_text(USER, "hello")
    html = "<b>Draft</b> ready &amp; <a href='https://github.com/o/r/pull/1'>PR #1</a> 😀 <i>ok</i>"
    message = await bot.send_message(USER, html, parse_mode=ParseMode.HTML)
    assert message.text == "Draft ready & PR #1 😀 ok"
    assert [(e.type, e.offset, e.length) for e in message.entities] == [
        ("bold", 0, 5),
        ("text_link", 14, 5),
        ("italic", 23, 2),  # the emoji counts as two UTF-16 units
    ]
    [sent] = telegram.bot_messages(USER)
    assert sent.text == message.text and sent.raw_text == html and sent.parse_mode == "HTML"
    assert sent.message_id == 2  # the user's message was 1


@pytest.mark.parametrize(
    ("html", "reason"),
    [
        ("1 < 2", 'Unsupported start tag "" at byte offset 2'),
        ("AT&T", 'Character "&" must be escaped as "&amp;" at byte offset 2'),
        ("<b>bold</i>", 'expected "</b>", found "</i>"'),
        ("<b>never closed", 'Can\'t find end tag corresponding to start tag "b"'),
        ("line<br>break", 'Unsupported start tag "br"'),
        ('<span class="x">s</span>', 'Tag "span" must have class "tg-spoiler"'),
    ],
)
async def test_malformed_html_is_rejected(
    telegram: FakeTelegram, bot: Bot, html: str, reason: str
) -> None:
    telegram.send_text(USER, "hello")
    with pytest.raises(BadRequest, match="Can't parse entities") as caught:
        await bot.send_message(USER, html, parse_mode=ParseMode.HTML)
    assert reason.lower() in caught.value.message.lower()
    assert telegram.bot_messages(USER) == []


async def test_markdown_v2_escaping(telegram: FakeTelegram, bot: Bot) -> None:
    telegram.send_text(USER, "hello")
    with pytest.raises(BadRequest, match=r"(?i)character '\.' is reserved"):
        await bot.send_message(USER, "Done.", parse_mode=ParseMode.MARKDOWN_V2)
    message = await bot.send_message(
        USER, r"*Done*\. See [PR \#1](https://x.io/p/1) `a_b`", parse_mode=ParseMode.MARKDOWN_V2
    )
    assert message.text == "Done. See PR #1 a_b"
    assert [e.type for e in message.entities] == ["bold", "text_link", "code"]
    with pytest.raises(BadRequest, match=r"(?i)can't find end of italic entity"):
        await bot.send_message(USER, "_open", parse_mode=ParseMode.MARKDOWN_V2)
    with pytest.raises(BadRequest, match="Unsupported parse_mode"):
        await bot.send_message(USER, "x", parse_mode="Textile")


async def test_text_length_is_counted_in_utf16_units(telegram: FakeTelegram, bot: Bot) -> None:
    telegram.send_text(USER, "hello")
    await bot.send_message(USER, "a" * 4096)
    await bot.send_message(USER, "😀" * 2048)
    assert utf16_len("😀" * 2048) == 4096
    for too_long in ("a" * 4097, "😀" * 2048 + "a"):
        with pytest.raises(BadRequest, match="Message is too long"):
            await bot.send_message(USER, too_long)
    # The limit applies after parsing: markup does not count.
    await bot.send_message(USER, "<b>" + "a" * 4096 + "</b>", parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match="Message text is empty"):
        await bot.send_message(USER, "  \n ")
    assert len(telegram.bot_messages(USER)) == 3


async def test_callback_data_limit_is_64_bytes(telegram: FakeTelegram, bot: Bot) -> None:
    telegram.send_text(USER, "hello")
    await bot.send_message(USER, "ok", reply_markup=keyboard("é" * 32))  # 64 bytes
    with pytest.raises(BadRequest, match=r"(?i)button_data_invalid"):
        await bot.send_message(USER, "too much", reply_markup=keyboard("x" * 65))
    bad_markup = api(
        telegram, "sendMessage", data={"chat_id": USER, "text": "x", "reply_markup": "{"}
    )
    assert "can't parse reply keyboard markup" in bad_markup.json()["description"]
    text_only = '{"inline_keyboard": [[{"text": "no action"}]]}'
    response = api(
        telegram, "sendMessage", data={"chat_id": USER, "text": "x", "reply_markup": text_only}
    )
    assert "Text buttons are unallowed" in response.json()["description"]


async def test_reply_markup_is_echoed_and_reply_to_is_embedded(
    telegram: FakeTelegram, bot: Bot
) -> None:
    incoming = telegram.send_text(USER, "write a post")
    message = await bot.send_message(
        USER, "Working", reply_markup=keyboard("cancel"), reply_to_message_id=incoming["message_id"]
    )
    assert message.reply_markup == keyboard("cancel")
    assert message.reply_to_message is not None
    assert message.reply_to_message.text == "write a post"
    [sent] = telegram.bot_messages(USER)
    assert sent.reply_to_message_id == incoming["message_id"]
    assert sent.buttons == [{"text": "cancel", "callback_data": "cancel"}]
    with pytest.raises(BadRequest, match="Message to be replied not found"):
        await bot.send_message(USER, "x", reply_to_message_id=999)


# -- editing and deleting -------------------------------------------------------------------------


async def test_edits_are_tracked_and_identical_edits_fail(telegram: FakeTelegram, bot: Bot) -> None:
    telegram.send_text(USER, "hello")
    status = await bot.send_message(USER, "✍️ Writing…", reply_markup=keyboard("cancel"))
    edited = await bot.edit_message_text(
        "<b>Done</b>", chat_id=USER, message_id=status.message_id, parse_mode=ParseMode.HTML
    )
    assert not isinstance(edited, bool) and edited.text == "Done"
    [message] = telegram.bot_messages(USER)
    assert message.text == "Done" and message.edits == ["✍️ Writing…"]
    assert message.reply_markup is None  # editMessageText without reply_markup drops the keyboard
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_text(
            "<b>Done</b>", chat_id=USER, message_id=status.message_id, parse_mode=ParseMode.HTML
        )
    # Same text without the bold entity is a different content: allowed, as on Telegram.
    await bot.edit_message_text("Done", chat_id=USER, message_id=status.message_id)
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_reply_markup(chat_id=USER, message_id=status.message_id)
    await bot.edit_message_reply_markup(USER, status.message_id, reply_markup=keyboard("again"))
    [message] = telegram.bot_messages(USER)
    assert message.buttons[0]["callback_data"] == "again"
    assert message.edits == ["✍️ Writing…", "Done"]
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await bot.edit_message_text("x", chat_id=USER, message_id=999)
    assert await bot.delete_message(USER, status.message_id)
    assert telegram.bot_messages(USER)[0].deleted
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await bot.edit_message_text("gone", chat_id=USER, message_id=status.message_id)
    with pytest.raises(BadRequest, match="Message to delete not found"):
        await bot.delete_message(USER, status.message_id)


# -- faults ---------------------------------------------------------------------------------------


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_flood_control_429_is_retry_after(telegram: FakeTelegram, bot: Bot) -> None:
    telegram.send_text(USER, "hello")
    telegram.fail_method("sendMessage", retry_after=7)
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(USER, "first")
    assert caught.value.retry_after in (7, dtm.timedelta(seconds=7))
    await bot.send_message(USER, "second")
    assert [c["text"] for c in telegram.calls("sendMessage")] == ["first", "second"]
    assert [m.text for m in telegram.bot_messages(USER)] == ["second"]
    telegram.fail_method("sendMessage", error_code=403)
    response = api(telegram, "sendMessage", data={"chat_id": USER, "text": "x"})
    assert response.json() == {
        "ok": False,
        "error_code": 403,
        "description": "Forbidden: bot was blocked by the user",
    }


# -- updates --------------------------------------------------------------------------------------


async def test_long_poll_wakes_up_when_a_user_writes(telegram: FakeTelegram, bot: Bot) -> None:
    def user_writes_once_polling() -> None:
        telegram.wait_until(lambda: telegram.calls("getUpdates"), timeout=5)
        telegram.send_text(USER, "/start")

    writer = threading.Thread(target=user_writes_once_polling)
    writer.start()
    started = time.monotonic()
    updates = await bot.get_updates(timeout=5)
    elapsed = time.monotonic() - started
    writer.join()
    assert elapsed < 2, f"long poll did not wake up promptly ({elapsed:.2f}s)"
    [update] = updates
    assert update.message is not None and update.message.text == "/start"
    assert update.message.entities[0].type == "bot_command"
    assert update.message.entities[0].offset == 0 and update.message.entities[0].length == 6
    assert update.message.chat.id == USER and update.message.from_user is not None


async def test_offset_confirms_and_limit_and_empty_poll(telegram: FakeTelegram, bot: Bot) -> None:
    for text in ("one", "two", "three"):
        telegram.send_text(USER, text)
    first = await bot.get_updates(limit=2)
    assert [u.message.text for u in first if u.message] == ["one", "two"]
    assert telegram.pending_updates() == 3  # delivered is not confirmed
    again = await bot.get_updates(offset=first[-1].update_id + 1)
    assert [u.message.text for u in again if u.message] == ["three"]
    assert telegram.pending_updates() == 1
    started = time.monotonic()
    assert await bot.get_updates(offset=again[-1].update_id + 1, timeout=0) == ()
    assert telegram.pending_updates() == 0
    assert time.monotonic() - started < 1


async def test_allowed_updates_filter_and_callback_queries(
    telegram: FakeTelegram, bot: Bot
) -> None:
    telegram.send_text(USER, "hello")
    sent = await bot.send_message(USER, "Publish?", reply_markup=keyboard("publish", "cancel"))
    query_id = telegram.press_button(USER, sent.message_id, "publish")
    [update] = await bot.get_updates(offset=-1, allowed_updates=["callback_query"])
    assert update.callback_query is not None and update.callback_query.id == query_id
    assert update.callback_query.data == "publish"
    assert update.callback_query.message is not None
    assert update.callback_query.message.message_id == sent.message_id
    assert await bot.answer_callback_query(query_id, text="Publishing")
    assert telegram.callback_answers[query_id]["text"] == "Publishing"
    with pytest.raises(BadRequest, match="Query is too old"):
        await bot.answer_callback_query(query_id)
    telegram.send_text(USER, "filtered out")  # a message: not in allowed_updates any more
    assert await bot.get_updates(offset=update.update_id + 1) == ()
    assert telegram.pending_updates() == 0
    with pytest.raises(ValueError, match="no button"):
        telegram.press_button(USER, sent.message_id, "nope")


async def test_webhook_conflict_and_deletion(telegram: FakeTelegram, bot: Bot) -> None:
    telegram.webhook_url = "https://old-deploy.example/hook"
    with pytest.raises(Conflict, match="webhook is active"):
        await bot.get_updates()
    info = await bot.get_webhook_info()
    assert info.url == "https://old-deploy.example/hook"
    telegram.send_text(USER, "stale")
    assert await bot.delete_webhook(drop_pending_updates=True)
    assert telegram.webhook_url == "" and telegram.pending_updates() == 0
    assert await bot.get_updates() == ()
    with pytest.raises(BadRequest, match=r"(?i)an https url must be provided"):
        await bot.set_webhook("http://insecure.example/hook")
    assert await bot.set_webhook("https://bot.example/hook", secret_token="s3cret")
    assert telegram.webhook_url == "https://bot.example/hook"


async def test_a_newer_poll_terminates_the_older_one(telegram: FakeTelegram) -> None:
    outcome: dict[str, Any] = {}

    def old_poll() -> None:
        outcome["old"] = api(telegram, "getUpdates", data={"timeout": 5}).json()

    poller = threading.Thread(target=old_poll)
    poller.start()
    telegram.wait_until(lambda: telegram.calls("getUpdates"), timeout=5)
    assert api(telegram, "getUpdates", data={"timeout": 0}).json() == {"ok": True, "result": []}
    poller.join(timeout=5)
    assert outcome["old"]["error_code"] == 409
    assert outcome["old"]["description"].startswith("Conflict: terminated by other getUpdates")


def test_stopping_does_not_hang_on_a_pending_long_poll() -> None:
    fake = FakeTelegram().start()
    outcome: dict[str, Any] = {}

    def poll() -> None:
        try:
            outcome["json"] = api(fake, "getUpdates", data={"timeout": 30}).json()
        except httpx.HTTPError as exc:
            outcome["error"] = exc

    poller = threading.Thread(target=poll)
    poller.start()
    fake.wait_until(lambda: fake.calls("getUpdates"), timeout=5)
    started = time.monotonic()
    fake.stop()
    poller.join(timeout=3)
    assert not poller.is_alive()
    assert time.monotonic() - started < 2
    assert outcome.get("json", {"result": []})["result"] == []


# -- the rest of the surface ----------------------------------------------------------------------


async def test_commands_actions_documents_and_chat(telegram: FakeTelegram, bot: Bot) -> None:
    assert await bot.set_my_commands([("start", "Start"), ("help", "How to use me")])
    assert [c["command"] for c in telegram.commands] == ["start", "help"]
    assert [c.command for c in await bot.get_my_commands()] == ["start", "help"]
    with pytest.raises(BadRequest, match=r"(?i)bot_command_invalid"):
        await bot.set_my_commands([("Bad Command", "x")])
    assert await bot.delete_my_commands()
    assert telegram.commands == [] and await bot.get_my_commands() == ()

    telegram.send_text(USER, "hello", first_name="Ada")
    assert await bot.send_chat_action(USER, ChatAction.TYPING)
    assert telegram.chat_actions(USER) == ["typing"]
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_chat_action(4242, ChatAction.TYPING)

    post = b"---\ntitle: Hi\n---\n\n# Hi\n"
    message = await bot.send_document(
        USER, InputFile(post, filename="post.md"), caption="<b>Draft</b>", parse_mode="HTML"
    )
    assert message.document is not None and message.document.file_name == "post.md"
    assert message.caption == "Draft"
    sent = telegram.wait_for_bot_message(USER, lambda m: m.document is not None, timeout=1)
    assert sent.document == ("post.md", post) and sent.text == "Draft"
    file = await bot.get_file(message.document.file_id)
    assert file.file_path is not None

    chat = await bot.get_chat(USER)
    assert chat.id == USER and chat.type == "private" and chat.first_name == "Ada"
    assert await bot.log_out() and await bot.close()


async def test_wait_for_bot_message_and_group_chats(telegram: FakeTelegram, bot: Bot) -> None:
    telegram.send_text(USER, "/start@blogbot_test_bot", chat_id=-100500, chat_type="supergroup")
    [update] = await bot.get_updates()
    assert update.message is not None and update.message.chat.type == "supergroup"
    assert update.message.entities[0].length == len("/start@blogbot_test_bot")

    def reply_later() -> None:
        api(telegram, "sendMessage", data={"chat_id": -100500, "text": "Pull request #1 opened"})

    threading.Thread(target=reply_later).start()
    found = telegram.wait_for_bot_message(-100500, contains="Pull request #1", timeout=5)
    assert found.chat_id == -100500
    with pytest.raises(TimeoutError, match="Pull request #1 opened"):
        telegram.wait_for_bot_message(-100500, contains="never", timeout=0.2)
    edited = telegram.send_message_update(
        USER,
        {"message_id": update.message.message_id, "text": "/help"},
        chat_id=-100500,
        chat_type="supergroup",
        edited=True,
    )
    assert edited["edit_date"] and edited["text"] == "/help"
    [edit] = await bot.get_updates(offset=update.update_id + 1)
    assert edit.edited_message is not None and edit.edited_message.text == "/help"


def test_format_text_matches_telegram() -> None:
    assert format_text('  <pre><code class="language-py">x = 1</code></pre>\n', "HTML") == (
        "x = 1",
        [{"type": "pre", "offset": 0, "length": 5, "language": "py"}],
    )
    assert format_text("<blockquote expandable>q</blockquote>", "HTML")[1][0]["type"] == (
        "expandable_blockquote"
    )
    assert format_text(">a\n>b\nc", "MarkdownV2") == (
        "a\nb\nc",
        [{"type": "blockquote", "offset": 0, "length": 3}],
    )
    assert format_text("see https://example.com/a.", None)[1] == [
        {"type": "url", "offset": 4, "length": 21}
    ]


# -- message drafts (sendMessageDraft) -------------------------------------------------------------


async def test_message_drafts_are_recorded_in_private_chats(
    telegram: FakeTelegram, bot: Bot
) -> None:
    telegram.send_text(USER, "hello")
    assert await bot.send_message_draft(USER, 7, "Draf") is True
    assert await bot.send_message_draft(USER, 7, "<b>Draft</b> &amp; more", parse_mode="HTML")
    assert await bot.send_message_draft(USER, 7, "")  # "Thinking..."
    assert [(d.draft_id, d.text) for d in telegram.drafts(USER)] == [
        (7, "Draf"),
        (7, "Draft & more"),
        (7, ""),
    ]
    first, second, _ = telegram.drafts(USER)
    assert first.at <= second.at and second.parse_mode == "HTML"
    assert telegram.bot_messages(USER) == []  # a draft is no message


async def test_message_drafts_obey_the_rules(telegram: FakeTelegram, bot: Bot) -> None:
    telegram.send_text(USER, "hello")
    telegram.send_text(USER, "hi all", chat_type="group")  # the group is chat -USER
    with pytest.raises(BadRequest, match="private chats only"):
        await bot.send_message_draft(-USER, 1, "text")
    with pytest.raises(BadRequest, match="non-zero"):
        await bot.send_message_draft(USER, 0, "text")
    with pytest.raises(BadRequest, match="too long"):
        await bot.send_message_draft(USER, 1, "x" * 4097)
    await bot.send_message_draft(USER, 1, "😀" * 2048)  # 4096 UTF-16 units: the limit
    with pytest.raises(BadRequest, match="too long"):
        await bot.send_message_draft(USER, 1, "😀" * 2048 + "x")
    with pytest.raises(BadRequest, match="Can't parse entities"):
        await bot.send_message_draft(USER, 1, "a < b", parse_mode="HTML")
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.send_message_draft(4242, 1, "text")
    assert [d.text for d in telegram.drafts(USER)] == ["😀" * 2048]
