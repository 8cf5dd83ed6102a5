"""Conversations end to end: revisions on the same PR, starting over, lifecycle, restarts."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from bot.telegram.chat_queue import LONG_PIECE_CHARS
from tests.botprocess import STRANGER_ID, WRITER_ID, BotProcess
from tests.fakes.github import FakeGitHub
from tests.fakes.telegram import FakeTelegram
from tests.fakes.workers_ai import FakeWorkersAI
from tests.helpers_chat import FIRST, SHORTER, model_post, post_file, post_text, send_and_wait

RETITLED = model_post("Why we love Postgres 17", "We moved to Postgres 17. It is 40% faster.")


def test_a_follow_up_revises_the_same_pull_request(
    bot: BotProcess, telegram: FakeTelegram, workers_ai: FakeWorkersAI, github: FakeGitHub
) -> None:
    workers_ai.queue_reply(FIRST)
    send_and_wait(telegram, "A post about Postgres 17, 40% faster", "Pull request #1")
    workers_ai.queue_reply(RETITLED)
    reply = send_and_wait(telegram, "friendlier title, and shorter", "Revised pull request #1")

    assert "Title: Postgres 17 is here → Why we love Postgres 17" in reply.text
    assert "Words: " in reply.text and "→" in reply.text
    assert len(github.pulls()) == 1
    pull = github.pull(1)
    assert pull["title"] == "Why we love Postgres 17"
    branch_commits = [
        c
        for c in github.commits(pull["head"])
        if c["sha"] not in {m["sha"] for m in github.commits("main")}
    ]
    assert len(branch_commits) == 2  # the first version, then one commit for the revision
    post = post_file(github, 1)
    assert post["title"] == "Why we love Postgres 17"
    assert post.content == "We moved to Postgres 17. It is 40% faster."

    # The model saw the history and the current post, and was asked for the change.
    revise_request = workers_ai.run_requests()[-1]["messages"]
    everything = "\n".join(m["content"] for m in revise_request)
    assert revise_request[0]["role"] == "system"
    assert "A post about Postgres 17, 40% faster" in everything  # the earlier turn
    assert "It is 40% faster.\n\n## Why\n\nPlans." in revise_request[-1]["content"]  # current post
    assert "friendlier title, and shorter" in revise_request[-1]["content"]


def test_new_starts_a_second_pull_request(
    bot: BotProcess, telegram: FakeTelegram, workers_ai: FakeWorkersAI, github: FakeGitHub
) -> None:
    workers_ai.queue_reply(FIRST)
    send_and_wait(telegram, "A post about Postgres 17", "Pull request #1")
    send_and_wait(telegram, "/new", "next message starts a new post")
    workers_ai.queue_reply(model_post("Redis at home", "We run Redis on a Pi."))
    send_and_wait(telegram, "A post about Redis", "Pull request #2")
    assert [p["title"] for p in github.pulls()] == ["Postgres 17 is here", "Redis at home"]
    assert len({p["head"] for p in github.pulls()}) == 2


def test_a_merged_pull_request_makes_the_next_message_a_new_post(
    bot: BotProcess, telegram: FakeTelegram, workers_ai: FakeWorkersAI, github: FakeGitHub
) -> None:
    workers_ai.queue_reply(FIRST)
    send_and_wait(telegram, "A post about Postgres 17", "Pull request #1")
    github.merge_pull(1)
    workers_ai.queue_reply(model_post("Next steps", "What comes after Postgres 17."))
    # Notes of a post of their own (longer than a change to the merged one would be).
    notes = "Now one about next steps after Postgres 17. " * 5 + "\n\nAnd what we learned."
    reply = send_and_wait(telegram, notes, "Pull request #2")
    assert "Pull request #1 was merged, so this starts a new post." in reply.text
    assert github.pull(1)["merged"] and github.pull(2)["state"] == "open"


def test_replying_to_an_earlier_result_revises_that_post(
    bot: BotProcess, telegram: FakeTelegram, workers_ai: FakeWorkersAI, github: FakeGitHub
) -> None:
    workers_ai.queue_reply(FIRST)
    first_result = send_and_wait(telegram, "A post about Postgres 17", "Pull request #1")
    send_and_wait(telegram, "/new", "next message starts a new post")
    workers_ai.queue_reply(model_post("Redis at home", "We run Redis on a Pi."))
    send_and_wait(telegram, "A post about Redis", "Pull request #2")
    redis_before = github.file(
        github.pull(2)["head"],
        next(
            iter(p for p in github.files(github.pull(2)["head"]) if p not in github.files("main"))
        ),
    )

    workers_ai.queue_reply(SHORTER)
    reply = send_and_wait(
        telegram,
        "make it shorter",
        "Revised pull request #1",
        reply_to_message_id=first_result.message_id,
    )
    assert "#1" in reply.text
    assert post_file(github, 1).content == "We moved to Postgres 17. 40% faster."
    redis_after = github.file(
        github.pull(2)["head"],
        next(
            iter(p for p in github.files(github.pull(2)["head"]) if p not in github.files("main"))
        ),
    )
    assert redis_after == redis_before
    assert len(github.pulls()) == 2


def test_discard_closes_the_pull_request_and_deletes_the_branch(
    bot: BotProcess, telegram: FakeTelegram, workers_ai: FakeWorkersAI, github: FakeGitHub
) -> None:
    workers_ai.queue_reply(FIRST)
    result = send_and_wait(telegram, "A post about Postgres 17", "Pull request #1")
    branch = github.pull(1)["head"]
    assert [b["text"] for b in result.buttons] == [
        "Open pull request #1",
        "Preview",
        "New post",
        "Discard",
    ]

    confirm = send_and_wait(telegram, "/discard", "Close pull request")
    assert github.pull(1)["state"] == "open"  # nothing happens before the confirmation
    yes = next(b for b in confirm.buttons if b["text"].startswith("Yes"))
    assert len(yes["callback_data"].encode()) <= 64
    telegram.press_button(WRITER_ID, confirm.message_id, yes["callback_data"])
    done = telegram.wait_for_bot_message(WRITER_ID, contains="Closed pull request #1", timeout=20)
    assert branch in done.text
    assert github.pull(1)["state"] == "closed" and not github.pull(1)["merged"]
    assert branch not in github.branches()

    # The old result's Discard button is now stale, and says so politely.
    query = telegram.press_button(WRITER_ID, result.message_id, "discard:1")
    telegram.wait_until(lambda: query in telegram.callback_answers)
    assert "out of date" in telegram.callback_answers[query]["text"]


def test_buttons_refuse_other_users(
    bot: BotProcess, telegram: FakeTelegram, workers_ai: FakeWorkersAI, github: FakeGitHub
) -> None:
    workers_ai.queue_reply(FIRST)
    result = send_and_wait(telegram, "A post about Postgres 17", "Pull request #1")
    query = telegram.press_button(STRANGER_ID, result.message_id, "discard:1", chat_id=WRITER_ID)
    telegram.wait_until(lambda: query in telegram.callback_answers)
    assert "only the bot's allowed writers" in telegram.callback_answers[query]["text"]
    assert github.pull(1)["state"] == "open"


def test_status_shows_the_current_post(
    bot: BotProcess, telegram: FakeTelegram, workers_ai: FakeWorkersAI, github: FakeGitHub
) -> None:
    assert "no current post" in send_and_wait(telegram, "/status", "no current post").text
    workers_ai.queue_reply(FIRST)
    send_and_wait(telegram, "A post about Postgres 17", "Pull request #1")
    status = send_and_wait(telegram, "/status", "Postgres 17 is here")
    assert "#1 is open" in status.text
    assert "words" in status.text and "Last update" in status.text
    assert any(b.get("url") == github.pull(1)["html_url"] for b in status.buttons)


def test_a_long_paste_in_three_pieces_is_one_job(
    bot: BotProcess, telegram: FakeTelegram, workers_ai: FakeWorkersAI, github: FakeGitHub
) -> None:
    pieces = ["A" * 3990 + " one", "B" * 3990 + " two", "the end of my notes"]
    # Long pieces keep the job open for the next one; the short last piece closes it.
    assert all(len(piece) >= LONG_PIECE_CHARS for piece in pieces[:2])
    for piece in pieces:
        telegram.send_text(WRITER_ID, piece)
    telegram.wait_for_bot_message(WRITER_ID, contains="Pull request #1", timeout=20)
    assert len(workers_ai.run_requests()) == 1
    prompt = workers_ai.run_requests()[0]["messages"][-1]["content"]
    # The model got the pieces in order, one per line (chat_queue.Job.text), each exactly once.
    assert "\n".join(pieces) in prompt
    assert [prompt.count(piece) for piece in pieces] == [1, 1, 1]
    assert prompt.count("A" * 3990) == 1 and prompt.count("B" * 3990) == 1
    assert len(github.pulls()) == 1
    assert len(telegram.bot_messages(WRITER_ID)) == 1  # one status message, edited into the result


def test_a_message_during_a_job_waits_for_it(
    bot: BotProcess, telegram: FakeTelegram, workers_ai: FakeWorkersAI, github: FakeGitHub
) -> None:
    workers_ai.model_latency = 0.5
    workers_ai.queue_reply(FIRST)
    workers_ai.queue_reply(SHORTER)
    telegram.send_text(WRITER_ID, "A post about Postgres 17")
    telegram.wait_until(lambda: workers_ai.run_requests())
    telegram.send_text(WRITER_ID, "make it shorter")
    telegram.wait_for_bot_message(WRITER_ID, contains="Revised pull request #1", timeout=20)
    assert len(github.pulls()) == 1  # queued behind, not run in parallel on the same branch
    assert post_file(github, 1).content == "We moved to Postgres 17. 40% faster."


def test_cancel_stops_a_job_in_progress(
    bot: BotProcess, telegram: FakeTelegram, workers_ai: FakeWorkersAI, github: FakeGitHub
) -> None:
    workers_ai.model_latency = 2.0
    telegram.send_text(WRITER_ID, "A post about Postgres 17")
    telegram.wait_until(lambda: workers_ai.run_requests())
    telegram.send_text(WRITER_ID, "/cancel")
    telegram.wait_for_bot_message(WRITER_ID, contains="Cancelled", timeout=20)
    assert github.write_requests() == []
    workers_ai.model_latency = 0
    assert "Nothing is running" in send_and_wait(telegram, "/cancel", "Nothing is running").text


def test_the_conversation_expires_after_its_ttl(
    bot_env: dict[str, str],
    telegram: FakeTelegram,
    workers_ai: FakeWorkersAI,
    github: FakeGitHub,
    tmp_path: Path,
) -> None:
    ttl_seconds = 1.0
    bot_env["CONVERSATION_TTL_HOURS"] = str(ttl_seconds / 3600)
    process = BotProcess(bot_env, tmp_path, telegram).start()
    try:
        workers_ai.queue_reply(FIRST)
        send_and_wait(telegram, "A post about Postgres 17", "Pull request #1")
        time.sleep(ttl_seconds + 0.2)  # the one thing a TTL test must do: let the time pass
        workers_ai.queue_reply(model_post("Another post", "Fresh start."))
        send_and_wait(telegram, "and now?", "Pull request #2")
    finally:
        process.stop()
    assert github.pull(1)["state"] == "open"  # the PR outlives the conversation


@pytest.fixture(params=["sqlite", "redis"])
def backend_env(
    request: pytest.FixtureRequest, bot_env: dict[str, str]
) -> Iterator[dict[str, str]]:
    if request.param == "sqlite":
        yield bot_env
        return
    url: str = request.getfixturevalue("redis_url")
    client = redis.Redis.from_url(url)
    for key in client.scan_iter("blogbot:*"):
        client.delete(key)
    yield {**bot_env, "REDIS_URL": url}
    for key in client.scan_iter("blogbot:*"):
        client.delete(key)
    client.close()


def test_a_restart_keeps_the_conversation(
    backend_env: dict[str, str],
    telegram: FakeTelegram,
    workers_ai: FakeWorkersAI,
    github: FakeGitHub,
    tmp_path: Path,
) -> None:
    first = BotProcess(backend_env, tmp_path, telegram).start()
    workers_ai.queue_reply(FIRST)
    send_and_wait(telegram, "A post about Postgres 17", "Pull request #1")
    assert first.stop() == 0

    second = BotProcess(backend_env, tmp_path, telegram).start()
    try:
        workers_ai.queue_reply(SHORTER)
        send_and_wait(telegram, "make it shorter", "Revised pull request #1")
    finally:
        second.stop()
    assert len(github.pulls()) == 1
    assert post_file(github, 1).content == "We moved to Postgres 17. 40% faster."
    expected = "Redis at" if "REDIS_URL" in backend_env else "SQLite at"
    assert expected in second.logs()


def test_preview_shows_the_post_file_and_a_long_one_as_a_document(
    bot: BotProcess, telegram: FakeTelegram, workers_ai: FakeWorkersAI, github: FakeGitHub
) -> None:
    workers_ai.queue_reply(model_post("Short & sweet", "A *tiny* post with <b>html</b>."))
    result = send_and_wait(telegram, "A short post", "Pull request #1")
    preview = next(b for b in result.buttons if b["text"] == "Preview")
    telegram.press_button(WRITER_ID, result.message_id, preview["callback_data"])
    shown = telegram.wait_for_bot_message(WRITER_ID, contains="A *tiny* post", timeout=20)
    assert "title: Short & sweet" in shown.text and "<b>html</b>" in shown.text
    assert shown.text.endswith(post_text(github, 1).strip())

    long_body = "\n\n".join(  # every sentence its own: the quality gate refuses loops
        f"Paragraph {i}: "
        + " ".join(
            f"Step {i}-{j} comes after step {i}-{j - 1} and before {i}-{j + 1}." for j in range(6)
        )
        for i in range(20)
    )
    workers_ai.queue_reply(model_post("A long read", long_body))
    send_and_wait(telegram, "make it much longer", "Revised pull request #1")
    telegram.send_text(WRITER_ID, "/preview")
    document = telegram.wait_for_bot_message(
        WRITER_ID, lambda m: m.document is not None, timeout=20
    )
    assert document.document is not None
    filename, content = document.document
    assert filename.endswith(".md")
    assert content.decode() == post_text(github, 1)
