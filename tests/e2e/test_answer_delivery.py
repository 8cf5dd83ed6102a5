"""An answer is part of the job: a restart after the pull request was opened and before the
writer has the answer still delivers it, once. Real bot process, loopback fakes."""

from __future__ import annotations

from tests.botprocess import WRITER_ID, BotProcess
from tests.fakes.github import FakeGitHub
from tests.fakes.telegram import FakeTelegram
from tests.fakes.workers_ai import FakeWorkersAI
from tests.helpers_chat import FIRST


def test_a_kill_while_the_answer_waits_on_flood_control_still_answers_once(
    bot: BotProcess, telegram: FakeTelegram, workers_ai: FakeWorkersAI, github: FakeGitHub
) -> None:
    workers_ai.queue_reply(FIRST)
    # The status message cannot become the answer for a while (Telegram's flood control).
    telegram.fail_method("editMessageText", retry_after=30, times=5)
    telegram.send_text(WRITER_ID, "A post about our move to Postgres 17.")
    github.wait_until(lambda: github.pulls(), timeout=20)
    telegram.wait_until(lambda: len(telegram.calls("editMessageText")) >= 1, timeout=20)

    bot.kill()
    telegram.clear_faults()
    bot.start()

    answer = telegram.wait_for_bot_message(WRITER_ID, contains="✅ Pull request", timeout=20)
    assert "#1" in answer.text
    answers = [m for m in telegram.bot_messages(WRITER_ID) if "✅ Pull request" in m.text]
    assert len(answers) == 1
    assert len(github.pulls()) == 1
    assert len(workers_ai.run_requests()) == 1
