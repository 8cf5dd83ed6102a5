"""Where a button press goes: routed by its callback data, strangers first, the unknown last.

Buttons stay under old messages for good, so the data they carry (`preview:12`, `discard:12`,
`discard!:12`, `retry:345`, `pick:12`, `new`, `keep`) must keep reaching the same handler.
"""

from __future__ import annotations

from typing import Any, cast

import pytest
from telegram import Update

from bot.core.jobs import Inbox, JobStore
from bot.core.writer import Writer
from bot.telegram import keyboards
from bot.telegram.application import BotApplication, build_application, register

WRITER_ID = 1001
STRANGER_ID = 2002


@pytest.fixture(scope="module")
def app() -> BotApplication:
    app = build_application(token="123:secret", api_url="http://127.0.0.1:9")
    register(
        app,
        cast(Writer, object()),
        [WRITER_ID],
        job_store=cast(JobStore, object()),
        inbox=cast(Inbox, object()),
    )
    return app


def press(app: BotApplication, data: str, user_id: int = WRITER_ID) -> str:
    """The name of the handler a press with `data` reaches."""
    user = {"id": user_id, "is_bot": False, "first_name": "W"}
    chat = {"id": WRITER_ID, "type": "private"}
    message: dict[str, Any] = {"message_id": 7, "date": 0, "chat": chat, "text": "result"}
    query = {"id": "1", "from": user, "chat_instance": "c", "data": data, "message": message}
    update = Update.de_json({"update_id": 1, "callback_query": query}, app.bot)
    for handler in app.handlers[0]:
        if handler.check_update(update):
            return str(handler.callback.__name__)
    raise AssertionError(f"no handler for {data!r}")


@pytest.mark.parametrize(
    ("data", "handler"),
    [
        ("new", "new_post"),
        ("keep", "keep"),
        ("preview:12", "preview"),
        ("discard:12", "discard"),
        ("discard!:12", "discard_confirmed"),
        ("retry:345", "retry"),
        ("pick:12", "pick"),
        ("merged-edit:345", "edit_merged"),
        ("merged-new:345", "new_from_job"),
    ],
)
def test_the_data_of_buttons_already_sent_reaches_its_handler(
    app: BotApplication, data: str, handler: str
) -> None:
    assert press(app, data) == handler
    assert press(app, data, user_id=STRANGER_ID) == "not_yours"


@pytest.mark.parametrize(
    "data",
    [
        "newer",
        "keep it",
        "preview:",
        "preview:x",
        "pick:",
        "pick:x",
        "discard:12\n",
        "discard!:",
        "retry:1:2",
        "?",
    ],
)
def test_unknown_data_is_out_of_date_and_a_stranger_is_still_refused(
    app: BotApplication, data: str
) -> None:
    assert press(app, data) == "out_of_date"
    assert press(app, data, user_id=STRANGER_ID) == "not_yours"


def test_every_button_the_bot_sends_routes_back_with_its_number() -> None:
    pairs = [
        (keyboards.PREVIEW, keyboards.PREVIEW.data(12)),
        (keyboards.DISCARD, keyboards.DISCARD.data(12)),
        (keyboards.DISCARD_CONFIRMED, keyboards.DISCARD_CONFIRMED.data(12)),
        (keyboards.RETRY, keyboards.RETRY.data(2**31)),
        (keyboards.PICK, keyboards.PICK.data(12)),
    ]
    for button, data in pairs:
        match = button.pattern.match(data)
        assert match is not None and int(match.group(1)) in (12, 2**31), data
        assert len(data.encode()) <= 64  # Telegram's limit for callback data
    confirm = keyboards.confirm_discard_keyboard(12).inline_keyboard[0]
    assert [b.callback_data for b in confirm] == ["discard!:12", "keep"]
