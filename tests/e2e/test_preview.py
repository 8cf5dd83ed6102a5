"""/preview on both sides of the switch from a message to a .md document.

Telegram refuses a message longer than 4096 characters (UTF-16 code units, counted after the HTML
is parsed), and the fake Telegram enforces that. A post whose file is shown as text must therefore
fit in one message with its header line; a longer one has to arrive as a document, or the writer
gets nothing at all. The bot switches at 3500 characters of file content.
"""

from __future__ import annotations

from tests.botprocess import WRITER_ID, BotProcess
from tests.fakes.github import FakeGitHub
from tests.fakes.telegram import FakeTelegram, utf16_len
from tests.fakes.workers_ai import FakeWorkersAI
from tests.helpers_chat import model_post, post_text, send_and_wait

TELEGRAM_MESSAGE_LIMIT = 4096


def post_of_about(chars: int) -> str:
    """A model answer whose rendered post file is a little under `chars` characters long."""
    # Every paragraph its own words: the quality gate refuses a post that repeats itself.
    paragraphs = [
        f"Paragraph: part {n} explains step {n} in its own words, with note {n}a, then "
        f"note {n}b, then {n}c, and it ends on point {n}d of step {n}."
        for n in range(1, chars // 100 + 2)
    ]
    # The front matter the bot adds (title, date, description, tags) is about 130 characters.
    body = "\n\n".join(paragraphs)[: chars - 150].rstrip()
    return model_post("Right at the limit", body)


def publish(telegram: FakeTelegram, workers_ai: FakeWorkersAI, answer: str) -> None:
    workers_ai.queue_reply(answer)
    send_and_wait(telegram, "A post right at the limit", "Pull request #1")


def test_a_preview_just_under_the_text_limit_arrives_as_a_message(
    bot: BotProcess, telegram: FakeTelegram, workers_ai: FakeWorkersAI, github: FakeGitHub
) -> None:
    publish(telegram, workers_ai, post_of_about(3500))
    content = post_text(github, 1)
    assert 3300 < len(content) <= 3500, len(content)

    telegram.send_text(WRITER_ID, "/preview")
    shown = telegram.wait_for_bot_message(
        WRITER_ID, lambda m: "Paragraph:" in m.text or m.document is not None, timeout=20
    )
    assert shown.document is None
    assert shown.text.endswith(content.strip())
    assert utf16_len(shown.text) <= TELEGRAM_MESSAGE_LIMIT


def test_a_preview_too_long_for_a_message_arrives_as_a_document(
    bot: BotProcess, telegram: FakeTelegram, workers_ai: FakeWorkersAI, github: FakeGitHub
) -> None:
    publish(telegram, workers_ai, post_of_about(4600))
    content = post_text(github, 1)
    # Longer than a message can be, yet short enough that a careless limit would send it as one.
    assert TELEGRAM_MESSAGE_LIMIT < len(content) < 4800, len(content)

    telegram.send_text(WRITER_ID, "/preview")
    shown = telegram.wait_for_bot_message(
        WRITER_ID, lambda m: "Paragraph:" in m.text or m.document is not None, timeout=20
    )
    assert shown.document is not None, "the preview must arrive as a document"
    filename, sent = shown.document
    assert filename.endswith(".md")
    assert sent.decode() == content
    assert "words" in shown.text  # the caption: the file's path and its word count
