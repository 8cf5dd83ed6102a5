"""The review loop's Telegram side: its buttons are routed (strangers refused first), and what
the writer reads is valid Telegram HTML whatever a maintainer wrote."""

from __future__ import annotations

from typing import cast

import pytest

from bot.core.jobs import Inbox, JobStore
from bot.core.ports import Feedback
from bot.core.reviews import Notice, ReviewRecords
from bot.core.writer import Writer
from bot.telegram.application import BotApplication, build_application, register
from bot.telegram.reviews import APPLY, IGNORE, ReviewDesk, closed_text, feedback_text
from tests.unit.fakes import MemoryStateStore
from tests.unit.test_button_routes import STRANGER_ID, WRITER_ID, press


@pytest.fixture(scope="module")
def app() -> BotApplication:
    app = build_application(token="123:secret", api_url="http://127.0.0.1:9")
    desk = ReviewDesk(ReviewRecords(MemoryStateStore()))
    register(
        app,
        cast(Writer, object()),
        [WRITER_ID],
        job_store=cast(JobStore, object()),
        inbox=cast(Inbox, object()),
        more_buttons=desk.handlers,
    )
    return app


@pytest.mark.parametrize(("data", "handler"), [(APPLY.data, "apply"), (IGNORE.data, "ignore")])
def test_the_review_buttons_reach_their_handlers(
    app: BotApplication, data: str, handler: str
) -> None:
    assert len(data.encode()) <= 64
    assert press(app, data) == handler
    assert press(app, data, user_id=STRANGER_ID) == "not_yours"
    assert press(app, data + "x") == "out_of_date"


def notice(item: Feedback, title: str = "Cats & <dogs>") -> Notice:
    return Notice(42, 3, "feedback", "https://gh/pull/3?a=1&b=2", title, feedback=item)


def test_a_forwarded_review_is_escaped_and_shortened() -> None:
    body = "Use <b>bold</b> & fix it. " + "x" * 2000
    item = Feedback("review", 1, "ann", body, "https://gh/r?1&2", review_state="CHANGES_REQUESTED")
    text = feedback_text(notice(item))
    assert text.startswith("💬 <b>ann</b> requested changes on ")
    assert '<a href="https://gh/pull/3?a=1&amp;b=2">#3</a> “Cats &amp; &lt;dogs&gt;”' in text
    assert "Use &lt;b&gt;bold&lt;/b&gt; &amp; fix it." in text and "<b>bold</b>" not in text
    assert len(text) < 1200 and "…</blockquote>" in text
    assert '<a href="https://gh/r?1&amp;2">Open on GitHub</a>' in text


def test_an_inline_comment_says_where_and_an_approval_needs_no_words() -> None:
    inline = Feedback("review_comment", 2, "bob", "Typo", "u", path="posts/a<b>.md", line=4)
    assert "commented on" in feedback_text(notice(inline))
    assert "(<code>posts/a&lt;b&gt;.md</code>, line 4)" in feedback_text(notice(inline))
    approval = Feedback("review", 3, "cy", "", "u", review_state="APPROVED")
    assert feedback_text(notice(approval)).startswith("✅ <b>cy</b> approved")
    assert "<blockquote>" not in feedback_text(notice(approval))


def test_merged_and_closed() -> None:
    merged = Notice(42, 3, "merged", "https://gh/pull/3", "Hi", post_url="https://b/x?a&b/")
    assert "🎉 Pull request" in closed_text(merged) and "was merged" in closed_text(merged)
    assert 'href="https://b/x?a&amp;b/"' in closed_text(merged)
    closed = Notice(42, 3, "closed", "https://gh/pull/3", "Hi")
    assert "was closed without merging" in closed_text(closed)
