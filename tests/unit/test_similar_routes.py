"""The "You wrote about this before" buttons reach their handlers; their data fits Telegram."""

from __future__ import annotations

import pytest

from bot.core.jobs import JobRecord
from bot.core.similar_posts import SimilarPost
from bot.telegram.application import BotApplication
from bot.telegram.similar_replies import GO_AHEAD, UPDATE_EXISTING, keyboard, question
from tests.unit.test_button_routes import STRANGER_ID, app, press

__all__ = ["app"]  # the fixture, shared with test_button_routes


@pytest.mark.parametrize(
    ("data", "handler"),
    [
        ("similar-go:345", "go_ahead"),
        ("similar-update:345", "update_existing"),
        ("similar-go:", "out_of_date"),
        ("similar-update:x", "out_of_date"),
    ],
)
def test_presses_reach_their_handler(app: BotApplication, data: str, handler: str) -> None:
    assert press(app, data) == handler


def test_a_strangers_press_is_refused(app: BotApplication) -> None:
    assert press(app, "similar-update:345", user_id=STRANGER_ID) == "not_yours"


def test_the_question_links_the_post_and_offers_both_choices() -> None:
    found = SimilarPost("_posts/a&b.md", "Tips <& tricks>", "https://x/blob/main/a&b.md", 0.9, "s")
    text = question(found)
    assert '<a href="https://x/blob/main/a&amp;b.md">Tips &lt;&amp; tricks&gt;</a>' in text
    assert "You wrote about this before" in text
    record = JobRecord(chat_id=1, message_id=2**40, text="notes")
    [[go, update]] = keyboard(record).inline_keyboard
    assert (go.text, update.text) == ("Go ahead", "Update that post instead")
    assert go.callback_data == GO_AHEAD.data(2**40)
    assert update.callback_data == UPDATE_EXISTING.data(2**40)
    assert all(len(str(b.callback_data).encode()) <= 64 for b in (go, update))
