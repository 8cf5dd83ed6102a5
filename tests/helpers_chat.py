"""A writer's conversation with the real bot process, for tests that drive one.

Canned model answers, sending a message (typed, a voice note or a file) and waiting for the
bot's answer to it, and reading the post a pull request holds from the fake GitHub.
"""

from __future__ import annotations

from typing import Any

import frontmatter

from tests.botprocess import WRITER_ID
from tests.fakes.github import FakeGitHub
from tests.fakes.telegram import BotMessage, FakeTelegram


def model_post(title: str, body: str, tags: str = "postgres") -> str:
    """A model answer: front matter, then the body."""
    return f"---\ntitle: {title}\ndescription: About {title}.\ntags: [{tags}]\n---\n\n{body}\n"


FIRST = model_post(
    "Postgres 17 is here", "We moved to Postgres 17. It is 40% faster.\n\n## Why\n\nPlans."
)
SHORTER = model_post("Postgres 17 is here", "We moved to Postgres 17. 40% faster.")


def send_and_wait(telegram: FakeTelegram, text: str, marker: str, **kwargs: object) -> BotMessage:
    """The writer sends `text`; the bot's next message with `marker` in it (or a ⚠️ warning)."""
    before = {m.message_id for m in telegram.bot_messages(WRITER_ID)}
    telegram.send_text(WRITER_ID, text, **kwargs)  # type: ignore[arg-type]
    return telegram.wait_for_bot_message(
        WRITER_ID,
        lambda m: m.message_id not in before and (marker in m.text or "⚠️" in m.text),
        timeout=20,
    )


def post_text(github: FakeGitHub, number: int) -> str:
    """The post file of pull request `number`: the one file its branch adds."""
    pull = github.pull(number)
    [path] = [p for p in github.files(pull["head"]) if p not in github.files("main")]
    return github.file(pull["head"], path) or ""


def post_file(github: FakeGitHub, number: int) -> frontmatter.Post:
    """The post file of pull request `number`, parsed."""
    pull = github.pull(number)
    changed = [p for p in github.files(pull["head"]) if p not in github.files("main")]
    assert len(changed) == 1, changed
    return frontmatter.loads(github.file(pull["head"], changed[0]) or "")


def _sender(language_code: str | None) -> dict[str, Any]:
    """The writer as the message's `from`, with the language of their Telegram app."""
    writer: dict[str, Any] = {"id": WRITER_ID, "is_bot": False, "first_name": "Writer"}
    if language_code:
        writer["language_code"] = language_code
    return {"from": writer}


def send_voice(
    telegram: FakeTelegram,
    audio: bytes,
    *,
    duration: int = 5,
    language_code: str | None = None,
    **message_fields: Any,
) -> dict[str, Any]:
    """The writer records a voice note (OGG/Opus, as Telegram stores them); returns the Message."""
    stored = telegram.add_file(audio, file_name="voice.oga", mime_type="audio/ogg", folder="voice")
    voice = {
        "file_id": stored["file_id"],
        "file_unique_id": stored["file_unique_id"],
        "duration": duration,
        "mime_type": "audio/ogg",
        "file_size": stored["file_size"],
    }
    fields = {"voice": voice, **_sender(language_code), **message_fields}
    return telegram.send_message_update(WRITER_ID, fields)


def send_document(
    telegram: FakeTelegram,
    content: bytes,
    file_name: str,
    *,
    mime_type: str | None = None,
    **message_fields: Any,
) -> dict[str, Any]:
    """The writer sends a file (a caption may go in `message_fields`); returns the Message."""
    stored = telegram.add_file(content, file_name=file_name, mime_type=mime_type)
    document = {k: stored[k] for k in ("file_id", "file_unique_id", "file_name", "mime_type")}
    document["file_size"] = stored["file_size"]
    fields = {"document": document, **_sender(None), **message_fields}
    return telegram.send_message_update(WRITER_ID, fields)
