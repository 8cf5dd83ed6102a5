"""Privacy before publishing, end to end: the real bot process, the fakes over real HTTP.

The model's draft holds a phone number, an e-mail address and an API key: the writer is shown
them masked with two buttons, and nothing reaches GitHub until one is pressed.
"""

from __future__ import annotations

from pathlib import Path

from tests.botprocess import WRITER_ID, BotProcess
from tests.fakes.github import FakeGitHub
from tests.fakes.telegram import BotMessage, FakeTelegram
from tests.fakes.workers_ai import FakeWorkersAI
from tests.helpers_chat import model_post, post_text

PHONE = "+44 20 7946 0958"
EMAIL = "jane.doe@acme.io"
# A GitHub token's shape (not a live one), as a writer might paste it into their notes.
TOKEN = "ghp_" + "1a2b3c4d5e6f7g8h9i0jKLMNOPQRSTUVWXyz12"
PRIVATE = model_post(
    "Our launch day",
    f"We launched today! Questions: call {PHONE} or mail {EMAIL}.\n\n"
    f"The deploy script uses the token {TOKEN} for now.\n\n## Next\n\nMore soon.",
)
REQUEST = "A post about launch day; my number, mail and the token are in the notes"


def ask(telegram: FakeTelegram) -> BotMessage:
    """The writer sends the notes; the bot's question about what it found."""
    telegram.send_text(WRITER_ID, REQUEST)
    return telegram.wait_for_bot_message(WRITER_ID, contains="Before I publish", timeout=20)


def button(message: BotMessage, text: str) -> str:
    [data] = [b["callback_data"] for b in message.buttons if b["text"] == text]
    assert isinstance(data, str) and len(data.encode()) <= 64
    return data


def nothing_written(github: FakeGitHub) -> bool:
    writes = [r for r in github.requests if r.method in ("POST", "PUT", "PATCH", "DELETE")]
    return not writes and not github.pulls() and list(github.branches()) == ["main"]


def assert_question_shows_masked_values(question: BotMessage) -> None:
    assert "+44 •• •••• •958" in question.text
    assert "j•••@acme.io" in question.text
    assert "GitHub token" in question.text and "ghp_…yz12" in question.text
    for value in (PHONE, EMAIL, TOKEN):
        assert value not in question.raw_text
    assert [b["text"] for b in question.buttons] == ["Remove and publish", "Publish as is"]


def test_private_details_are_asked_about_then_removed(
    bot: BotProcess, telegram: FakeTelegram, workers_ai: FakeWorkersAI, github: FakeGitHub
) -> None:
    workers_ai.queue_reply(PRIVATE)
    question = ask(telegram)
    assert_question_shows_masked_values(question)
    assert nothing_written(github)

    telegram.press_button(WRITER_ID, question.message_id, button(question, "Remove and publish"))
    result = telegram.wait_for_bot_message(WRITER_ID, contains="Pull request #1", timeout=20)
    assert result.message_id == question.message_id  # the question became the answer

    committed = post_text(github, 1)
    for value in (PHONE, EMAIL, TOKEN):
        assert value not in committed
    assert "call [phone number removed] or mail [e-mail address removed]" in committed
    assert "uses the token [secret removed] for now" in committed
    assert len(workers_ai.run_requests()) == 1  # the kept draft, not a new one
    for value in (PHONE, EMAIL, TOKEN):
        assert value not in bot.logs()


def test_publish_as_is_commits_the_draft_unchanged(
    bot: BotProcess, telegram: FakeTelegram, workers_ai: FakeWorkersAI, github: FakeGitHub
) -> None:
    workers_ai.queue_reply(PRIVATE)
    question = ask(telegram)
    assert nothing_written(github)
    telegram.press_button(WRITER_ID, question.message_id, button(question, "Publish as is"))
    telegram.wait_for_bot_message(WRITER_ID, contains="Pull request #1", timeout=20)

    committed = post_text(github, 1)
    for value in (PHONE, EMAIL, TOKEN):
        assert value in committed

    # The choice was for that job only: the next draft with something new asks again.
    workers_ai.queue_reply(
        model_post(
            "Our launch day",
            f"Questions on launch day? Call {PHONE} or +1 415-555-0132. Mail {EMAIL}.",
        )
    )
    telegram.send_text(WRITER_ID, "add my US number")
    again = telegram.wait_for_bot_message(
        WRITER_ID,
        lambda m: "Before I publish" in m.text and m.message_id != question.message_id,
        timeout=20,
    )
    assert "+1 •••-•••-•132" in again.text and "+44" not in again.text  # only what is new
    assert len(github.pulls()) == 1 and PHONE in post_text(github, 1)


def test_a_restart_while_waiting_keeps_the_question_answerable(
    bot_env: dict[str, str],
    telegram: FakeTelegram,
    workers_ai: FakeWorkersAI,
    github: FakeGitHub,
    tmp_path: Path,
) -> None:
    first = BotProcess(bot_env, tmp_path, telegram).start()
    workers_ai.queue_reply(PRIVATE)
    question = ask(telegram)
    first.stop()
    assert nothing_written(github)

    second = BotProcess(bot_env, tmp_path, telegram).start()
    try:
        # Started again, it publishes nothing on its own and the one question stays...
        assert nothing_written(github)
        questions = [m for m in telegram.bot_messages(WRITER_ID) if "Before I publish" in m.text]
        assert [m.message_id for m in questions] == [question.message_id]
        # ...and the question's button still works.
        remove = button(question, "Remove and publish")
        telegram.press_button(WRITER_ID, question.message_id, remove)
        telegram.wait_for_bot_message(WRITER_ID, contains="Pull request #1", timeout=20)
        assert TOKEN not in post_text(github, 1)

        # Pressed again, the answered question's button is out of date: still one PR.
        query = telegram.press_button(
            WRITER_ID, question.message_id, remove, allow_missing_button=True
        )
        telegram.wait_until(lambda: query in telegram.callback_answers)
        assert "out of date" in telegram.callback_answers[query]["text"]
        assert len(github.pulls()) == 1
    finally:
        second.stop()
    second.assert_no_secrets_logged()
    assert len(workers_ai.run_requests()) == 1
