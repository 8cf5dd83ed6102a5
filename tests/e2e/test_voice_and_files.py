"""Voice notes and files as a writer meets them: the real bot process against the fakes.

A voice note is fetched from Telegram (getFile, then the download), heard by Workers AI's
Whisper, shown back as a quote, and then goes on exactly like typed notes; a .md file is read.
What cannot work (over Telegram's 20 MB, silence, a PDF) gets one clear answer and costs nothing.
"""

from __future__ import annotations

import base64
from pathlib import Path

from tests.botprocess import WRITER_ID, BotProcess
from tests.fakes.base import Response
from tests.fakes.github import FakeGitHub
from tests.fakes.telegram import BotMessage, FakeTelegram
from tests.fakes.workers_ai import FakeWorkersAI, spoken_audio
from tests.helpers_chat import (
    FIRST,
    SHORTER,
    model_post,
    post_text,
    send_and_wait,
    send_document,
    send_voice,
)

SPOKEN = "Ein Beitrag über unseren Umzug auf Postgres 17, die Abfragen sind 40 Prozent schneller."
# The model answers in the language of the notes (the quality gate refuses any other).
GERMAN_POST = model_post(
    "Postgres 17: 40 Prozent schneller",
    f"Notizen: {SPOKEN}\n\nWir sind auf Postgres 17 umgestiegen, und unsere Abfragen laufen "
    "jetzt spürbar schneller als vorher.",
)
CAPACITY = Response.json(
    429,
    {
        "result": None,
        "success": False,
        "errors": [{"code": 3040, "message": "Capacity temporarily exceeded"}],
        "messages": [],
    },
)


def answer(telegram: FakeTelegram, marker: str = "Pull request #") -> BotMessage:
    return telegram.wait_for_bot_message(
        WRITER_ID, lambda m: marker in m.text or "⚠️" in m.text, timeout=30
    )


def texts(telegram: FakeTelegram) -> list[str]:
    return [m.text for m in telegram.bot_messages(WRITER_ID) if not m.deleted]


def nothing_fetched(telegram: FakeTelegram) -> bool:
    return not telegram.calls("getFile") and not telegram.requests_to("GET", r"^/file/")


def test_a_voice_note_becomes_a_pull_request_written_from_what_was_heard(
    bot: BotProcess, telegram: FakeTelegram, workers_ai: FakeWorkersAI, github: FakeGitHub
) -> None:
    audio = spoken_audio(SPOKEN)
    workers_ai.queue_reply(GERMAN_POST)
    send_voice(telegram, audio, language_code="de")

    done = answer(telegram)
    assert "✅ Pull request <b>#1</b>" in done.raw_text
    [quote] = [m for m in telegram.bot_messages(WRITER_ID) if "I heard" in m.text]
    assert quote.text == f"🎙 From your voice note I heard:\n{SPOKEN}"
    assert [e["type"] for e in quote.entities] == ["expandable_blockquote"]
    assert quote.message_id < done.message_id  # the quote stays above the answer

    [heard] = workers_ai.speech_requests()
    assert base64.b64decode(heard["audio"]) == audio  # the OGG/Opus bytes, as Telegram has them
    assert heard["language"] == "de"  # the writer's Telegram language is the hint
    [drafted] = workers_ai.text_requests()
    assert SPOKEN in drafted["messages"][-1]["content"]
    assert SPOKEN in post_text(github, 1)
    assert len(telegram.calls("getFile")) == 1


def test_a_voice_note_revises_the_current_post(
    bot: BotProcess, telegram: FakeTelegram, workers_ai: FakeWorkersAI, github: FakeGitHub
) -> None:
    workers_ai.queue_reply(FIRST)
    send_and_wait(telegram, "A post about Postgres 17, 40% faster.", "Pull request #1")
    workers_ai.queue_reply(SHORTER)
    send_voice(telegram, spoken_audio("Make it shorter, please."))

    revised = answer(telegram, "Revised pull request")
    assert "✏️ Revised pull request <b>#1</b>" in revised.raw_text
    assert "Make it shorter, please." in workers_ai.text_requests()[-1]["messages"][-1]["content"]
    assert len(github.pulls()) == 1
    assert "40% faster." in post_text(github, 1)


def test_a_voice_note_over_20_mb_is_refused_without_downloading_it(
    bot: BotProcess, telegram: FakeTelegram, workers_ai: FakeWorkersAI, github: FakeGitHub
) -> None:
    send_voice(telegram, bytes(25 * 2**20), duration=1600)

    refused = answer(telegram, "MB")
    assert refused.text == (
        "⚠️ This voice note is 25.0 MB, and Telegram lets bots download files only up to 20 MB. "
        "Send a shorter clip (or split it in parts), or type your notes."
    )
    assert nothing_fetched(telegram)
    assert workers_ai.run_requests() == []
    assert github.pulls() == [] and texts(telegram) == [refused.text]


def test_silence_is_answered_and_nothing_is_written(
    bot: BotProcess, telegram: FakeTelegram, workers_ai: FakeWorkersAI, github: FakeGitHub
) -> None:
    send_voice(telegram, spoken_audio(""))

    refused = answer(telegram, "⚠️")
    assert refused.text == (
        "⚠️ I couldn't hear any words in that recording. Try again closer to the microphone, "
        "or type your notes."
    )
    assert refused.buttons == []  # trying again cannot help
    assert len(workers_ai.speech_requests()) == 1
    assert workers_ai.text_requests() == []
    assert github.pulls() == []


def test_a_markdown_file_becomes_a_pull_request(
    bot: BotProcess, telegram: FakeTelegram, workers_ai: FakeWorkersAI, github: FakeGitHub
) -> None:
    notes = "# Postgres 17\r\n\r\n- queries 40% faster\r\n- moved in one night\r\n"
    send_document(
        telegram,
        b"\xef\xbb\xbf" + notes.encode(),
        "notes.md",
        mime_type="text/markdown",
        caption="A post from these notes",
    )

    done = answer(telegram)
    assert "✅ Pull request <b>#1</b>" in done.raw_text
    prompt = workers_ai.text_requests()[0]["messages"][-1]["content"]
    assert "A post from these notes\n\n# Postgres 17\n\n- queries 40% faster" in prompt
    assert workers_ai.speech_requests() == []
    assert "Reading" in done.edits[0] and "notes.md" in done.edits[0]


def test_other_files_get_the_list_of_what_is_accepted(
    bot: BotProcess, telegram: FakeTelegram, workers_ai: FakeWorkersAI
) -> None:
    send_document(telegram, b"%PDF-1.7", "report.pdf", mime_type="application/pdf")
    refused = answer(telegram, "⚠️")
    assert refused.text == (
        "⚠️ I can't read report.pdf. I read voice notes, audio files and round video notes (up "
        "to 20 MB), photos and images, and .md, .markdown and .txt files (up to 100 kB). Or just "
        "type your notes."
    )
    # An image sent as a file goes into a post; a broken one is refused before the model.
    send_document(telegram, b"\xff\xd8\xff", "photo.jpg", mime_type="image/jpeg")
    broken = telegram.wait_for_bot_message(
        WRITER_ID, lambda m: "⚠️" in m.text and m.message_id > refused.message_id, timeout=20
    )
    assert "image" in broken.text
    assert workers_ai.run_requests() == []


def test_sigkill_after_hearing_then_restart_gives_one_pr_without_hearing_again(
    bot_env: dict[str, str],
    telegram: FakeTelegram,
    workers_ai: FakeWorkersAI,
    github: FakeGitHub,
    tmp_path: Path,
) -> None:
    first = BotProcess(bot_env, tmp_path, telegram).start()
    # The drafting call hangs (and would fail): the transcript is in the job record by then.
    workers_ai.fail_next("POST", r"/ai/run/@cf/google/", CAPACITY, delay=10)
    send_voice(telegram, spoken_audio(SPOKEN))
    workers_ai.wait_until(lambda: workers_ai.requests_to("POST", r"/ai/run/@cf/google/"))
    first.kill()
    workers_ai.clear_faults()
    workers_ai.queue_reply(GERMAN_POST)

    second = BotProcess(bot_env, tmp_path, telegram).start()
    try:
        answer(telegram)
    finally:
        second.stop()
    second.assert_no_secrets_logged()
    assert len(github.pulls()) == 1
    assert len(workers_ai.speech_requests()) == 1  # heard once, before the crash
    assert len(telegram.calls("getFile")) == 1
    assert SPOKEN in workers_ai.text_requests()[0]["messages"][-1]["content"]
    assert len([t for t in texts(telegram) if "I heard" in t]) == 1
