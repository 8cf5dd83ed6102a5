"""Every command that talks to GitHub explains GitHub's refusals the same way a new post does.

One real bot process per command; GitHub answers 401, 403, 404 and 5xx in turn, and the writer
must read the same one-line explanation each time, never "Something went wrong on my side".
"""

from __future__ import annotations

import pytest

from tests.botprocess import WRITER_ID, BotProcess
from tests.fakes.base import Response
from tests.fakes.github import FakeGitHub, server_error
from tests.fakes.telegram import BotMessage, FakeTelegram
from tests.fakes.workers_ai import FakeWorkersAI

REQUEST = "A post about our move to Postgres 17, mention the 40% speed-up."
DOCS = "https://docs.github.com/rest"

# status -> (GitHub's answer, what the writer must read). 5xx is sent more often than PyGithub
# retries, so the bot really sees the failure.
FAILURES: dict[str, tuple[Response, int, str]] = {
    "401": (
        Response.json(401, {"message": "Bad credentials", "documentation_url": DOCS}),
        1,
        "GitHub rejected the token (401",
    ),
    "403": (
        Response.json(403, {"message": "Resource not accessible by personal access token"}),
        1,
        "may not write to",
    ),
    "404": (
        Response.json(404, {"message": "Not Found", "documentation_url": DOCS}),
        1,
        "cannot find",
    ),
    "5xx": (server_error(502), 10, "GitHub is having trouble right now"),
}


def warning(telegram: FakeTelegram, after: int) -> BotMessage:
    """The first ⚠️ answer newer than message id `after` (a new message or an edited one)."""
    return telegram.wait_for_bot_message(
        WRITER_ID, lambda m: "⚠️" in m.text and m.message_id > after, timeout=30
    )


def newest_id(telegram: FakeTelegram) -> int:
    messages = telegram.bot_messages(WRITER_ID)
    return max((m.message_id for m in messages), default=0)


def open_post(telegram: FakeTelegram) -> BotMessage:
    telegram.send_text(WRITER_ID, REQUEST)
    return telegram.wait_for_bot_message(WRITER_ID, contains="Pull request #1", timeout=30)


def assert_explained(answer: BotMessage, expected: str) -> None:
    assert expected in answer.text, answer.text
    assert "Something went wrong" not in answer.text


def test_revision_explains_each_github_refusal(
    bot: BotProcess, telegram: FakeTelegram, github: FakeGitHub
) -> None:
    open_post(telegram)
    for name, (response, times, expected) in FAILURES.items():
        github.fail_next("*", r"^/repos/", response, times=times)
        before = newest_id(telegram)
        telegram.send_text(WRITER_ID, f"Make it shorter ({name})")
        answer = warning(telegram, before)
        github.clear_faults()
        assert_explained(answer, expected)
        # Nothing was drafted, so the answer promises no kept draft.
        assert "draft is kept" not in answer.text, name


def test_status_explains_each_github_refusal(
    bot: BotProcess, telegram: FakeTelegram, github: FakeGitHub
) -> None:
    open_post(telegram)
    for _name, (response, times, expected) in FAILURES.items():
        github.fail_next("GET", r"/pulls/\d+$", response, times=times)
        before = newest_id(telegram)
        telegram.send_text(WRITER_ID, "/status")
        answer = warning(telegram, before)
        github.clear_faults()
        assert_explained(answer, expected)


def test_discard_explains_each_github_refusal(
    bot: BotProcess, telegram: FakeTelegram, github: FakeGitHub
) -> None:
    open_post(telegram)
    for name, (response, times, expected) in FAILURES.items():
        telegram.send_text(WRITER_ID, "/discard")
        confirm = telegram.wait_for_bot_message(
            WRITER_ID, lambda m: any("Yes, close" in b["text"] for b in m.buttons), timeout=10
        )
        yes = next(b for b in confirm.buttons if "Yes, close" in b["text"])
        github.fail_next("PATCH", r"/pulls/\d+$", response, times=times)
        telegram.press_button(WRITER_ID, confirm.message_id, yes["callback_data"])
        answer = telegram.wait_for_bot_message(
            WRITER_ID,
            lambda m: m.message_id == confirm.message_id and "⚠️" in m.text,  # noqa: B023
        )
        github.clear_faults()
        assert_explained(answer, expected)
        [pull] = github.pulls()
        assert pull["state"] == "open", name  # nothing was closed


@pytest.mark.parametrize("name", list(FAILURES))
def test_retry_explains_each_github_refusal(
    name: str,
    bot: BotProcess,
    telegram: FakeTelegram,
    github: FakeGitHub,
    workers_ai: FakeWorkersAI,
) -> None:
    response, times, expected = FAILURES[name]
    open_post(telegram)
    # The revision is drafted, then committing it fails: the draft is kept for /retry.
    github.fail_next("PUT", r"/contents/", response, times=times)
    before = newest_id(telegram)
    telegram.send_text(WRITER_ID, "Make it shorter")
    first = warning(telegram, before)
    assert_explained(first, expected)
    assert "draft is kept" in first.text
    calls_to_model = len(workers_ai.requests_to("POST", r"/ai/run/"))

    github.fail_next("PUT", r"/contents/", response, times=times)
    telegram.send_text(WRITER_ID, "/retry")
    # The same message says "publishing" and then, once more, what GitHub refused.
    edits_before = len(first.edits)
    again = telegram.wait_for_bot_message(
        WRITER_ID,
        lambda m: (
            m.message_id == first.message_id and len(m.edits) >= edits_before + 2 and "⚠️" in m.text
        ),
        timeout=30,
    )
    github.clear_faults()
    assert_explained(again, expected)
    assert len(workers_ai.requests_to("POST", r"/ai/run/")) == calls_to_model  # no redraft

    telegram.send_text(WRITER_ID, "/retry")
    done = telegram.wait_for_bot_message(WRITER_ID, contains="Revised pull request #1", timeout=30)
    assert done.message_id == first.message_id
