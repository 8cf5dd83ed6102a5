"""The review loop end to end: maintainers on GitHub, the writer in Telegram, the real bot.

The bot polls every 0.2 s here (REVIEW_POLL_SECONDS); the maintainer's side is the fake
GitHub's test helpers (a review, a comment, a merge), as a person in the web UI would do them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.botprocess import WRITER_ID, BotProcess, bot_environment
from tests.fakes.github import FakeGitHub
from tests.fakes.telegram import BotMessage, FakeTelegram
from tests.fakes.workers_ai import FakeWorkersAI
from tests.helpers_chat import FIRST, model_post, post_file, send_and_wait

POLL_SECONDS = "0.2"
SHORT_INTRO = model_post("Postgres 17 is here", "Postgres 17: 40% faster.\n\n## Why\n\nPlans.")
WITH_KEVIN = model_post("Postgres 17 is here", "We moved to Postgres 17 with Kevin. 40% faster.")


@pytest.fixture
def review_env(
    telegram: FakeTelegram, workers_ai: FakeWorkersAI, github: FakeGitHub, tmp_path: Path
) -> dict[str, str]:
    return bot_environment(
        telegram,
        workers_ai,
        github,
        tmp_path,
        REVIEW_POLL_SECONDS=POLL_SECONDS,
        SITE_BASE_URL="https://blog.example.com/posts/{slug}/",
    )


@pytest.fixture
def bot(review_env: dict[str, str], telegram: FakeTelegram, tmp_path: Path) -> Iterator[BotProcess]:
    process = BotProcess(review_env, tmp_path, telegram).start()
    yield process
    process.stop()
    process.assert_no_secrets_logged()


def _open_post(telegram: FakeTelegram, workers_ai: FakeWorkersAI) -> BotMessage:
    workers_ai.queue_reply(FIRST)
    return send_and_wait(telegram, "A post about Postgres 17, 40% faster", "Pull request #1")


def _new_messages(telegram: FakeTelegram, after: int) -> list[BotMessage]:
    return [m for m in telegram.bot_messages(WRITER_ID) if m.message_id > after]


def _wait_for_watch(github: FakeGitHub) -> None:
    """The bot has listed the pull requests since the PR was opened (it watches it now)."""
    seen = len(github.requests_to("GET", r"/pulls$"))
    github.wait_until(lambda: len(github.requests_to("GET", r"/pulls$")) >= seen + 2, timeout=10)


def test_a_change_request_is_forwarded_and_applied_with_a_reply_on_the_pr(
    bot: BotProcess, telegram: FakeTelegram, workers_ai: FakeWorkersAI, github: FakeGitHub
) -> None:
    result = _open_post(telegram, workers_ai)
    _wait_for_watch(github)

    review = github.add_review(1, "Please shorten the intro to one line.", user="maintainer")

    forwarded = telegram.wait_for_bot_message(WRITER_ID, contains="requested changes", timeout=10)
    assert forwarded.message_id > result.message_id
    assert "maintainer requested changes on #1 “Postgres 17 is here”" in forwarded.text
    assert "Please shorten the intro to one line." in forwarded.text
    assert f"pullrequestreview-{review['id']}" in forwarded.raw_text  # the link to it
    labels = [button["text"] for button in forwarded.buttons]
    assert labels == ["Apply", "Ignore"]

    workers_ai.queue_reply(SHORT_INTRO)
    telegram.press_button(WRITER_ID, forwarded.message_id, "review:apply")
    answer = telegram.wait_for_bot_message(
        WRITER_ID, lambda m: "Revised pull request #1" in m.text or "⚠️" in m.text, timeout=20
    )
    assert "Revised pull request #1" in answer.text

    # The model was asked to make the maintainer's change, on the current post.
    request = workers_ai.run_requests()[-1]["messages"][-1]["content"]
    assert "Please shorten the intro to one line." in request
    assert "@maintainer" in request
    assert post_file(github, 1).content.startswith("Postgres 17: 40% faster.")

    # The maintainer reads the answer on the PR, with the commit's link.
    head = github.pull(1)["head_sha"]
    github.wait_until(lambda: any("Applied in" in c for c in github.pull(1)["comments"]))
    [reply] = [c for c in github.pull(1)["comments"] if "Applied in" in c]
    assert f"/commit/{head}" in reply and head[:7] in reply and "@maintainer" in reply

    # The forwarded message lost its buttons; a second press is answered, not applied again.
    now = {m.message_id: m for m in telegram.bot_messages(WRITER_ID)}
    assert now[forwarded.message_id].buttons == []
    runs = len(workers_ai.run_requests())
    telegram.press_button(
        WRITER_ID, forwarded.message_id, "review:apply", allow_missing_button=True
    )
    telegram.wait_until(lambda: len(telegram.calls("answerCallbackQuery")) >= 2)
    assert "Already handled" in telegram.calls("answerCallbackQuery")[-1].get("text", "")
    assert len(workers_ai.run_requests()) == runs

    # The bot's own "Applied in" comment never comes back to the writer.
    last = max(m.message_id for m in telegram.bot_messages(WRITER_ID))
    github.add_issue_comment(1, "Thanks, looks good now.", user="maintainer")
    telegram.wait_for_bot_message(WRITER_ID, contains="Thanks, looks good now.", timeout=10)
    texts = [m.text for m in _new_messages(telegram, last)]
    assert not any("Applied in" in text for text in texts), texts


def test_a_comment_that_mentions_the_bot_is_applied_without_a_tap(
    bot: BotProcess, telegram: FakeTelegram, workers_ai: FakeWorkersAI, github: FakeGitHub
) -> None:
    _open_post(telegram, workers_ai)
    _wait_for_watch(github)

    workers_ai.queue_reply(WITH_KEVIN)
    github.add_issue_comment(1, "@blogbot mention that Kevin helped.", user="maintainer")

    answer = telegram.wait_for_bot_message(
        WRITER_ID, lambda m: "Revised pull request #1" in m.text or "⚠️" in m.text, timeout=20
    )
    assert "Revised pull request #1" in answer.text
    forwarded = telegram.wait_for_bot_message(WRITER_ID, contains="mention that Kevin", timeout=5)
    assert "Applying it now" in forwarded.text and forwarded.buttons == []
    request = workers_ai.run_requests()[-1]["messages"][-1]["content"]
    assert "mention that Kevin helped." in request and "@blogbot" not in request
    assert "Kevin" in post_file(github, 1).content
    github.wait_until(lambda: any("Applied in" in c for c in github.pull(1)["comments"]))


def test_an_inline_comment_says_where_and_ignore_leaves_the_post(
    bot: BotProcess, telegram: FakeTelegram, workers_ai: FakeWorkersAI, github: FakeGitHub
) -> None:
    _open_post(telegram, workers_ai)
    _wait_for_watch(github)
    path = next(p for p in github.files(github.pull(1)["head"]) if p.startswith("content/posts/"))
    github.add_review_comment(1, "Typo: Postgress", path=path, line=3, user="maintainer")

    forwarded = telegram.wait_for_bot_message(WRITER_ID, contains="Typo: Postgress", timeout=10)
    assert f"maintainer commented on #1 “Postgres 17 is here” ({path}, line 3)" in forwarded.text

    runs = len(workers_ai.run_requests())
    commits = len(github.commits(github.pull(1)["head"]))
    telegram.press_button(WRITER_ID, forwarded.message_id, "review:ignore")
    github.wait_until(
        lambda: (
            not {m.message_id: m for m in telegram.bot_messages(WRITER_ID)}[
                forwarded.message_id
            ].buttons
        )
    )
    assert len(workers_ai.run_requests()) == runs
    assert len(github.commits(github.pull(1)["head"])) == commits


def test_a_merge_is_told_once_even_across_a_restart_and_unchanged_prs_cost_304s(
    bot: BotProcess,
    telegram: FakeTelegram,
    workers_ai: FakeWorkersAI,
    github: FakeGitHub,
    review_env: dict[str, str],
    tmp_path: Path,
) -> None:
    _open_post(telegram, workers_ai)
    _wait_for_watch(github)

    # Nothing changes: every poll after the first look is a 304, free of rate limit, and
    # nothing else is read.
    github.wait_until(lambda: len(github.requests_to("GET", r"/pulls$")) >= 3)
    details = r"/(pulls/1/reviews|pulls/1/comments|issues/1/comments)$"
    reads = len(github.requests_to("GET", details))
    polls = len(github.conditional_requests(r"/pulls$"))
    github.wait_until(lambda: len(github.conditional_requests(r"/pulls$")) >= polls + 5)
    statuses = [status for _, status in github.conditional_requests(r"/pulls$")[polls:]]
    assert statuses and set(statuses) == {304}
    assert len(github.requests_to("GET", details)) == reads

    github.merge_pull(1)
    merged = telegram.wait_for_bot_message(WRITER_ID, contains="was merged", timeout=10)
    assert "Pull request #1 “Postgres 17 is here” was merged." in merged.text
    [path] = [p for p in github.files("main") if p.endswith(".md") and "posts/" in p]
    slug = re.sub(r"^\d{4}-\d{2}-\d{2}-", "", path.rsplit("/", 1)[1].removesuffix(".md"))
    assert f"https://blog.example.com/posts/{slug}/" in merged.text

    # A restart: the bot still knows it told the writer. (With nothing open it lists nothing;
    # a second post gets it watching again, and its comment proves the polls run.)
    bot.stop()
    again = BotProcess(review_env, tmp_path, telegram).start()
    try:
        workers_ai.queue_reply(model_post("Redis at home", "We run Redis on a Pi."))
        # Notes for another post (two paragraphs: not read as a change to the merged one).
        notes = "A post about Redis at home.\n\nMention the Raspberry Pi it runs on."
        send_and_wait(telegram, notes, "Pull request #2")
        _wait_for_watch(github)
        github.add_issue_comment(1, "Late note after the merge.", user="maintainer")
        github.add_issue_comment(2, "Nice one.", user="maintainer")
        telegram.wait_for_bot_message(WRITER_ID, contains="Nice one.", timeout=10)
    finally:
        again.stop()
        again.assert_no_secrets_logged()
    told = [m for m in telegram.bot_messages(WRITER_ID) if m.text.startswith("🎉")]
    assert len(told) == 1
    assert not any("Late note" in m.text for m in telegram.bot_messages(WRITER_ID))


def test_closed_without_merging_is_told_once(
    bot: BotProcess, telegram: FakeTelegram, workers_ai: FakeWorkersAI, github: FakeGitHub
) -> None:
    _open_post(telegram, workers_ai)
    _wait_for_watch(github)
    github.close_pull(1)
    closed = telegram.wait_for_bot_message(WRITER_ID, contains="closed without merging")
    assert "Pull request #1 “Postgres 17 is here” was closed without merging." in closed.text
    polls = len(github.requests_to("GET", r"/pulls$"))
    workers_ai.queue_reply(model_post("Redis at home", "We run Redis on a Pi."))
    send_and_wait(telegram, "A post about Redis at home", "Pull request #2")
    github.wait_until(lambda: len(github.requests_to("GET", r"/pulls$")) >= polls + 3)
    told = [m for m in telegram.bot_messages(WRITER_ID) if "without merging" in m.text]
    assert len(told) == 1
