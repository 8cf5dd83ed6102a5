"""Reliability as a writer meets it: faults, crashes, restarts, bad input. Real bot process."""

from __future__ import annotations

import asyncio
import json
import signal
import time
from pathlib import Path

from bot.adapters.state import SQLiteStateStore
from tests.botprocess import STRANGER_ID, WRITER_ID, BotProcess
from tests.fakes.base import Response
from tests.fakes.github import FakeGitHub, server_error
from tests.fakes.telegram import BotMessage, FakeTelegram
from tests.fakes.workers_ai import FakeWorkersAI

REQUEST = "A post about our move to Postgres 17, mention the 40% speed-up."
BAD_CREDENTIALS = Response.json(
    401, {"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest"}
)


def final_answer(telegram: FakeTelegram, chat_id: int = WRITER_ID) -> BotMessage:
    return telegram.wait_for_bot_message(
        chat_id, lambda m: "Pull request #" in m.text or "⚠️" in m.text, timeout=30
    )


def answers(telegram: FakeTelegram, chat_id: int = WRITER_ID) -> list[str]:
    return [m.text for m in telegram.bot_messages(chat_id) if not m.deleted]


def commits_on_post_branch(github: FakeGitHub) -> int:
    [pull] = github.pulls()
    on_main = {c["sha"] for c in github.commits("main")}
    return len([c for c in github.commits(pull["head"]) if c["sha"] not in on_main])


def start_again_until_answered(
    env: dict[str, str], workdir: Path, telegram: FakeTelegram
) -> BotProcess:
    """Start the bot after a crash or a stop; return once the writer has their answer."""
    process = BotProcess(env, workdir, telegram).start()
    try:
        telegram.wait_for_bot_message(WRITER_ID, contains="Pull request #1", timeout=30)
    finally:
        process.stop()
    process.assert_no_secrets_logged()
    return process


# -- faults in the services ------------------------------------------------------------------


def test_model_over_capacity_is_retried_and_yields_one_pr(
    bot: BotProcess, telegram: FakeTelegram, workers_ai: FakeWorkersAI, github: FakeGitHub
) -> None:
    workers_ai.queue_error(429, 3040, "Capacity temporarily exceeded", retry_after=0)
    telegram.send_text(WRITER_ID, REQUEST)
    assert "Pull request #1" in final_answer(telegram).text
    assert len(workers_ai.run_requests()) == 2
    assert len(github.pulls()) == 1


def test_model_html_500_is_explained_nothing_is_written_and_the_next_message_works(
    bot: BotProcess, telegram: FakeTelegram, workers_ai: FakeWorkersAI, github: FakeGitHub
) -> None:
    for _ in range(4):  # every attempt of the client's retry budget
        workers_ai.queue_error(500, None, "Internal Server Error", html=True, retry_after=0)
    telegram.send_text(WRITER_ID, REQUEST)
    failure = final_answer(telegram)
    assert "Workers AI is not answering right now" in failure.text
    assert "<html" not in failure.text.lower() and "Traceback" not in failure.text
    assert github.write_requests() == []

    telegram.send_text(WRITER_ID, REQUEST)
    telegram.wait_for_bot_message(WRITER_ID, contains="Pull request #1", timeout=30)
    assert len(github.pulls()) == 1


def test_github_401_then_retry_publishes_the_kept_draft_without_a_second_model_call(
    bot: BotProcess, telegram: FakeTelegram, workers_ai: FakeWorkersAI, github: FakeGitHub
) -> None:
    # The blog is read (its layout and voice) before the model is asked; publishing is refused.
    github.fail_next("POST", r"/git/refs$", BAD_CREDENTIALS, times=1)
    telegram.send_text(WRITER_ID, REQUEST)
    failure = final_answer(telegram)
    assert "GitHub rejected the token (401" in failure.text
    assert "Your draft is kept" in failure.text
    assert [b["text"] for b in failure.buttons] == ["Retry"]
    assert list(github.branches()) == ["main"] and github.pulls() == []  # nothing was written

    # The maintainer fixes the token; the writer presses Retry.
    telegram.press_button(WRITER_ID, failure.message_id, failure.buttons[0]["callback_data"])
    done = telegram.wait_for_bot_message(WRITER_ID, contains="Pull request #1", timeout=30)
    assert done.message_id == failure.message_id  # the same message now shows the result
    assert len(workers_ai.run_requests()) == 1
    assert len(github.pulls()) == 1


def test_github_502_on_the_pr_after_the_commit_reuses_the_branch_on_retry(
    bot: BotProcess, telegram: FakeTelegram, workers_ai: FakeWorkersAI, github: FakeGitHub
) -> None:
    github.fail_next("POST", r"/pulls$", server_error(502), times=10)  # beyond PyGithub's retries
    telegram.send_text(WRITER_ID, REQUEST)
    failure = final_answer(telegram)
    assert "GitHub is having trouble" in failure.text
    branches_after_failure = set(github.branches())
    assert len(branches_after_failure) == 2  # main and the post's branch, with its commit

    github.clear_faults()  # GitHub is back
    telegram.send_text(WRITER_ID, "/retry")
    telegram.wait_for_bot_message(WRITER_ID, contains="Pull request #1", timeout=30)
    assert set(github.branches()) == branches_after_failure  # no second branch
    assert len(github.pulls()) == 1
    assert commits_on_post_branch(github) == 1  # no second commit
    assert len(workers_ai.run_requests()) == 1


def test_telegram_429_is_honoured_and_the_answer_still_arrives(
    bot: BotProcess, telegram: FakeTelegram, github: FakeGitHub
) -> None:
    telegram.fail_method("editMessageText", error_code=429, retry_after=1)
    telegram.send_text(WRITER_ID, REQUEST)
    telegram.wait_for_bot_message(WRITER_ID, contains="Pull request #1", timeout=30)
    texts = [edit["text"] for edit in telegram.calls("editMessageText")]
    # The refused edit (the first live status edit, or the answer), then its retry after
    # retry_after; the answer last.
    assert texts.count(texts[0]) == 2, texts
    assert "Pull request <b>#1</b>" in texts[-1] and len(texts) <= 3, texts


# -- crashes and restarts --------------------------------------------------------------------


def test_sigkill_during_the_model_call_then_restart_gives_one_pr_and_one_answer(
    bot_env: dict[str, str],
    telegram: FakeTelegram,
    workers_ai: FakeWorkersAI,
    github: FakeGitHub,
    tmp_path: Path,
) -> None:
    first = BotProcess(bot_env, tmp_path, telegram).start()
    workers_ai.model_latency = 5
    telegram.send_text(WRITER_ID, REQUEST)
    telegram.wait_until(lambda: workers_ai.run_requests())
    first.kill()
    workers_ai.model_latency = 0

    start_again_until_answered(bot_env, tmp_path, telegram)
    assert len(github.pulls()) == 1
    assert len(answers(telegram)) == 1  # the status message, edited into the one answer


def test_sigkill_between_the_commit_and_the_pr_then_restart_gives_one_pr(
    bot_env: dict[str, str],
    telegram: FakeTelegram,
    workers_ai: FakeWorkersAI,
    github: FakeGitHub,
    tmp_path: Path,
) -> None:
    first = BotProcess(bot_env, tmp_path, telegram).start()
    # The PR request hangs (and would fail) after the file was committed: kill the bot then.
    github.fail_next("POST", r"/pulls$", server_error(502), delay=10)
    telegram.send_text(WRITER_ID, REQUEST)
    telegram.wait_until(lambda: github.requests_to("POST", r"/pulls$"))
    first.kill()
    github.clear_faults()

    start_again_until_answered(bot_env, tmp_path, telegram)
    assert len(github.pulls()) == 1
    assert len(github.branches()) == 2
    assert commits_on_post_branch(github) == 1  # the file was found again, not committed twice
    assert len(workers_ai.run_requests()) == 1  # the kept draft was published, not redrafted
    assert len(answers(telegram)) == 1


def test_sigterm_mid_job_exits_0_within_10_s_and_nothing_is_lost(
    bot_env: dict[str, str],
    telegram: FakeTelegram,
    workers_ai: FakeWorkersAI,
    github: FakeGitHub,
    tmp_path: Path,
) -> None:
    first = BotProcess(bot_env, tmp_path, telegram).start()
    workers_ai.model_latency = 30  # longer than the shutdown grace: the job must be cut short
    telegram.send_text(WRITER_ID, REQUEST)
    telegram.wait_until(lambda: workers_ai.run_requests())
    assert first.process is not None
    first.process.send_signal(signal.SIGTERM)
    code, elapsed = first.wait_exit(timeout=15)
    assert code == 0
    assert elapsed < 10
    assert "will resume on the next start" in first.logs()
    workers_ai.model_latency = 0

    start_again_until_answered(bot_env, tmp_path, telegram)
    assert len(github.pulls()) == 1
    assert len(answers(telegram)) == 1


def test_an_update_fetched_but_not_handled_before_a_crash_is_handled_on_start(
    bot_env: dict[str, str],
    telegram: FakeTelegram,
    github: FakeGitHub,
    tmp_path: Path,
) -> None:
    # What a crash leaves behind right after getUpdates returned: the update is in the inbox,
    # and Telegram will not deliver it again (the next getUpdates confirmed it).
    update = {
        "update_id": 5,
        "message": {
            "message_id": 77,
            "date": int(time.time()),
            "chat": {"id": WRITER_ID, "type": "private", "first_name": "Writer"},
            "from": {"id": WRITER_ID, "is_bot": False, "first_name": "Writer"},
            "text": REQUEST,
        },
    }
    telegram.send_text(WRITER_ID, "/help")  # makes the chat known to the fake Telegram

    async def leave_in_inbox() -> None:
        store = SQLiteStateStore(Path(bot_env["STATE_PATH"]))
        await store.put("inbox:000000000000005", json.dumps(update), None)
        await store.close()

    asyncio.run(leave_in_inbox())
    process = BotProcess(bot_env, tmp_path, telegram).start()
    try:
        telegram.wait_for_bot_message(WRITER_ID, contains="Pull request #1", timeout=30)
    finally:
        process.stop()
    assert len(github.pulls()) == 1


# -- bad input ---------------------------------------------------------------------------------


def test_stickers_and_locations_get_a_clear_answer(
    bot: BotProcess, telegram: FakeTelegram, workers_ai: FakeWorkersAI
) -> None:
    sticker = {
        "file_id": "s1",
        "file_unique_id": "su1",
        "type": "regular",
        "width": 512,
        "height": 512,
        "is_animated": False,
        "is_video": False,
    }
    for fields in (
        {"sticker": sticker},
        {"location": {"latitude": 1.0, "longitude": 2.0}},
    ):
        expected = len(telegram.bot_messages(WRITER_ID)) + 1
        telegram.send_message_update(WRITER_ID, fields)
        telegram.wait_until(lambda: len(telegram.bot_messages(WRITER_ID)) == expected)  # noqa: B023
        assert "I can only work with text" in telegram.bot_messages(WRITER_ID)[-1].text
    assert workers_ai.run_requests() == []


def test_whitespace_only_text_is_answered_without_a_model_call(
    bot: BotProcess, telegram: FakeTelegram, workers_ai: FakeWorkersAI
) -> None:
    telegram.send_text(WRITER_ID, "\u200b\u3000")  # a zero-width space and a wide space
    reply = telegram.wait_for_bot_message(WRITER_ID, contains="no text", timeout=20)
    assert "notes" in reply.text
    assert workers_ai.run_requests() == []


def test_an_edited_message_is_explained(bot: BotProcess, telegram: FakeTelegram) -> None:
    sent = telegram.send_text(WRITER_ID, "/help")
    telegram.wait_until(lambda: telegram.bot_messages(WRITER_ID))
    telegram.send_message_update(
        WRITER_ID, {"message_id": sent["message_id"], "text": "/help me"}, edited=True
    )
    reply = telegram.wait_for_bot_message(WRITER_ID, contains="edit", timeout=20)
    assert "new message" in reply.text


def test_a_forwarded_message_is_used_as_the_notes(
    bot: BotProcess, telegram: FakeTelegram, workers_ai: FakeWorkersAI
) -> None:
    origin = {"type": "hidden_user", "sender_user_name": "A colleague", "date": int(time.time())}
    telegram.send_text(WRITER_ID, REQUEST, forward_origin=origin)
    telegram.wait_for_bot_message(WRITER_ID, contains="Pull request #1", timeout=30)
    assert REQUEST in workers_ai.run_requests()[0]["messages"][-1]["content"]


def test_in_groups_the_bot_answers_only_when_addressed(
    bot: BotProcess, telegram: FakeTelegram, workers_ai: FakeWorkersAI, github: FakeGitHub
) -> None:
    group = -5005
    telegram.send_text(WRITER_ID, "just chatting with colleagues", chat_id=group, chat_type="group")
    telegram.send_text(STRANGER_ID, "me too", chat_id=group, chat_type="group")
    telegram.send_text(
        WRITER_ID, f"@{telegram.bot_username} {REQUEST}", chat_id=group, chat_type="group"
    )
    reply = telegram.wait_for_bot_message(group, contains="Pull request #1", timeout=30)
    assert len(telegram.bot_messages(group)) == 1  # nothing said to the unaddressed messages
    assert len(workers_ai.run_requests()) == 1
    prompt = workers_ai.run_requests()[0]["messages"][-1]["content"]
    assert REQUEST in prompt and f"@{telegram.bot_username}" not in prompt
    assert reply.text


def test_very_long_notes_are_refused_before_anything_is_spent(
    bot: BotProcess, telegram: FakeTelegram, workers_ai: FakeWorkersAI
) -> None:
    for i in range(14):  # a paste that Telegram split into 14 messages: ~56,000 characters
        telegram.send_text(WRITER_ID, f"{i} " + "x" * 3990)
    reply = telegram.wait_for_bot_message(WRITER_ID, contains="too long", timeout=30)
    assert "50,000" in reply.text
    assert workers_ai.run_requests() == []
    assert [b["text"] for b in reply.buttons] == []


def test_ten_writers_at_once_all_get_their_pull_request(
    bot_env: dict[str, str],
    telegram: FakeTelegram,
    workers_ai: FakeWorkersAI,
    github: FakeGitHub,
    tmp_path: Path,
) -> None:
    # More concurrent publishes than the default thread pool has threads (6 on 2 cores): the
    # publishing steps must never hold a worker thread while waiting for the event loop.
    writers = [3000 + i for i in range(10)]
    bot_env["ALLOWED_USER_IDS"] = ",".join(map(str, writers))
    github.latency = 0.05
    process = BotProcess(bot_env, tmp_path, telegram).start()
    try:
        for writer in writers:
            telegram.send_text(writer, f"A post about topic number {writer}")
        for writer in writers:
            telegram.wait_for_bot_message(writer, contains="Pull request #", timeout=30)
    finally:
        process.stop()
    assert len(github.pulls()) == 10
    assert len({p["head"] for p in github.pulls()}) == 10
