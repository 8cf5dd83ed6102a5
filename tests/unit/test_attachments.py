"""Notes sent as files: what is accepted, how text files are read, the language hint, what the
writer is shown of a transcript, and how the job record keeps it all across a restart."""

from __future__ import annotations

import codecs
from pathlib import Path
from typing import Any

import pytest
from telegram import Message

from bot.config import ConfigError, load_settings
from bot.core import errors
from bot.core.attachments import (
    MAX_TEXT_FILE_BYTES,
    Attachment,
    AttachmentReader,
    accepted_files,
    document_kind,
    heard_words,
    read_text_file,
    speech_language,
    whisper_language,
    with_caption,
)
from bot.core.jobs import JobRecord
from bot.core.ports import Transcript
from bot.telegram import replies
from bot.telegram.files import DOWNLOAD_LIMIT_BYTES, attachment_in
from tests.fakes.telegram import format_text, utf16_len


@pytest.mark.parametrize(
    ("name", "mime", "kind"),
    [
        ("notes.md", "text/markdown", "text"),
        ("NOTES.MARKDOWN", None, "text"),
        ("notes.txt", "application/octet-stream", "text"),  # the name decides
        ("notes", "text/plain", "text"),  # no name: the MIME type decides
        (None, "text/markdown", "text"),
        ("photo.jpg", "image/jpeg", "image"),
        ("scan.PNG", None, "image"),
        (None, "image/heic", "image"),
        ("memo.m4a", "audio/mp4", "audio"),
        ("voice.ogg", None, "audio"),
        ("recording", "audio/mpeg", "audio"),
        ("report.pdf", "application/pdf", "other"),
        ("script.py", "text/x-python", "other"),
        ("archive.zip", None, "other"),
        (None, None, "other"),
    ],
)
def test_document_kind(name: str | None, mime: str | None, kind: str) -> None:
    assert document_kind(name, mime) == kind


def test_the_accepted_sentence_names_every_kind_and_both_limits() -> None:
    assert accepted_files(20 * 2**20) == (
        "I read voice notes, audio files and round video notes (up to 20 MB), photos and "
        "images, and .md, .markdown and .txt files (up to 100 kB). Or just type your notes."
    )


def test_text_files_are_utf8_with_or_without_a_bom_and_any_line_ends() -> None:
    assert read_text_file("a.md", "# Über\r\nZeile\rzwei\n".encode()) == "# Über\nZeile\nzwei"
    assert read_text_file("a.md", codecs.BOM_UTF8 + b"Hello") == "Hello"


@pytest.mark.parametrize(
    ("data", "error", "sentence"),
    [
        ("Grüße".encode("latin-1"), errors.NotText, "I couldn't read a.md: it is not UTF-8"),
        ("hi".encode("utf-16"), errors.NotText, "not UTF-8"),
        (b"a\x00b", errors.NotText, "not UTF-8"),
        (b" \n\t-- \n", errors.EmptyFile, "a.md has no text I could write about"),
        (b"x" * (MAX_TEXT_FILE_BYTES + 1), errors.FileTooLong, "a.md is 100 kB; I read text"),
    ],
)
def test_unreadable_text_files_are_refused(
    data: bytes, error: type[errors.InputRefused], sentence: str
) -> None:
    with pytest.raises(error) as caught:
        read_text_file("a.md", data)
    assert sentence in caught.value.user_message


def test_a_transcript_without_words_is_nothing_heard() -> None:
    assert heard_words("  Hello there. ") == "Hello there."
    for silence in ("", "   ", " ... ", "♪ ♪"):
        with pytest.raises(errors.NothingHeard) as caught:
            heard_words(silence)
        assert "I couldn't hear any words" in caught.value.user_message


@pytest.mark.parametrize(
    ("configured", "telegram", "hint"),
    [
        (None, "de", "de"),
        (None, "pt-br", "pt"),
        (None, "zh-hans", "zh"),
        (None, "nb", "no"),  # Norwegian Bokmål is Whisper's "no"
        (None, "xx", None),  # unknown to Whisper: detect rather than guess
        (None, None, None),  # nothing known: detect, never English by default
        ("fr", "de", "fr"),  # SPEECH_LANGUAGE wins
        ("auto", "de", None),  # always detect
    ],
)
def test_speech_language(configured: str | None, telegram: str | None, hint: str | None) -> None:
    assert speech_language(configured, telegram) == hint


def test_whisper_language_knows_cantonese_and_hawaiian() -> None:
    assert whisper_language("yue") == "yue" and whisper_language("HAW") == "haw"


def test_a_caption_comes_before_the_files_words() -> None:
    assert with_caption("", "words") == "words"
    assert with_caption("Make it short", "words") == "Make it short\n\nwords"


def test_a_job_record_keeps_its_attachment_and_what_was_heard() -> None:
    record = JobRecord(chat_id=1, message_id=2, text="", attachment=_VOICE)
    assert record.unread
    again = JobRecord.from_json(record.to_json())
    assert again.attachment == _VOICE and again.unread
    record.heard, record.text, record.heard_message_id = "Hello", "Hello", 9
    again = JobRecord.from_json(record.to_json())
    assert (again.heard, again.text, again.heard_message_id, again.unread) == (
        "Hello",
        "Hello",
        9,
        False,
    )
    old = JobRecord.from_json('{"chat_id": 1, "message_id": 2, "text": "typed"}')
    assert old.attachment is None and not old.unread  # records of earlier versions still load


# -- what the writer reads ----------------------------------------------------------------------

_VOICE = Attachment("voice", "file-1", None, 1234, "de")


def test_the_transcript_is_an_escaped_expandable_quote() -> None:
    html = replies.heard(_VOICE, "Use <b> & ship it")
    text, entities = format_text(html, "HTML")
    assert text == "🎙 From your voice note I heard:\nUse <b> & ship it"
    assert [e["type"] for e in entities] == ["expandable_blockquote"]


@pytest.mark.parametrize("unit", ["word ", "😀 ", "字"])
def test_a_long_transcript_is_shortened_to_fit_one_message(unit: str) -> None:
    html = replies.heard(_VOICE, unit * 5000)
    text, _ = format_text(html, "HTML")
    assert utf16_len(text) <= 4096
    assert "all of it goes into the notes" in text


def test_status_while_reading() -> None:
    assert replies.reading(_VOICE) == "🎧 Listening to your voice note…"
    video = Attachment("video_note", "f")
    assert replies.reading(video) == "🎧 Listening to your video note…"
    doc = Attachment("document", "f", "<notes>.md")
    assert replies.reading(doc) == "📄 Reading <code>&lt;notes&gt;.md</code>…"


# -- refused before downloading -----------------------------------------------------------------


def message(**fields: Any) -> Message:
    data = {
        "message_id": 5,
        "date": 0,
        "chat": {"id": 1, "type": "private"},
        "from": {"id": 1, "is_bot": False, "first_name": "W", "language_code": "de"},
        **fields,
    }
    return Message.de_json(data, None)


def _file(size: int, **extra: Any) -> dict[str, Any]:
    return {"file_id": "id", "file_unique_id": "u", "file_size": size, **extra}


def test_voice_audio_and_round_videos_carry_the_language_hint() -> None:
    voice = attachment_in(message(voice=_file(10, duration=3)), "de")
    assert voice == Attachment("voice", "id", None, 10, "de")
    audio = attachment_in(message(audio=_file(10, duration=3, file_name="a.mp3")), None)
    assert audio == Attachment("audio", "id", "a.mp3", 10, None)
    video = attachment_in(message(video_note=_file(10, duration=3, length=240)), "de")
    assert video is not None and video.kind == "video_note"
    as_file = attachment_in(message(document=_file(10, file_name="memo.m4a")), "de")
    assert as_file == Attachment("audio", "id", "memo.m4a", 10, "de")
    text = attachment_in(message(document=_file(10, file_name="notes.md")), "de")
    assert text == Attachment("document", "id", "notes.md", 10, None)


def test_images_sent_as_files_go_into_the_post_with_their_caption() -> None:
    image = attachment_in(message(document=_file(10, file_name="p.jpg"), caption=" Our cat "), None)
    assert image == Attachment("image", "id", "p.jpg", 10, None, "Our cat")
    assert image.picture and not image.spoken
    assert attachment_in(message(text="hello"), None) is None


@pytest.mark.parametrize(
    ("fields", "error", "sentence"),
    [
        (
            {"voice": _file(25 * 2**20, duration=1500)},
            errors.FileTooBig,
            "This voice note is 25.0 MB, and Telegram lets bots download files only up to "
            "20 MB. Send a shorter clip (or split it in parts), or type your notes.",
        ),
        (
            {"document": _file(150_000, file_name="notes.md")},
            errors.FileTooLong,
            "notes.md is 150 kB; I read text files up to 100 kB. Send a shorter file, or "
            "paste the part that matters.",
        ),
        (
            {"document": _file(10, file_name="report.pdf", mime_type="application/pdf")},
            errors.UnsupportedFile,
            "I can't read report.pdf. " + accepted_files(DOWNLOAD_LIMIT_BYTES),
        ),
    ],
)
def test_refused_before_anything_is_downloaded(
    fields: dict[str, Any], error: type[errors.InputRefused], sentence: str
) -> None:
    with pytest.raises(error) as caught:
        attachment_in(message(**fields), "de")
    assert caught.value.user_message == sentence


# -- the reader ----------------------------------------------------------------------------------


class FakeFiles:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.fetched: list[str] = []

    async def download(self, file_id: str, *, what: str) -> bytes:
        self.fetched.append(file_id)
        return self.data


class FakeSpeech:
    model = "whisper"

    def __init__(self, text: str) -> None:
        self.text = text
        self.heard: list[tuple[bytes, str | None]] = []

    async def transcribe(self, audio: bytes, *, language: str | None = None) -> Transcript:
        self.heard.append((audio, language))
        return Transcript(self.text, language)


async def test_the_reader_hears_recordings_and_reads_documents() -> None:
    files, speech = FakeFiles(b"OggS..."), FakeSpeech(" Hallo Welt ")
    assert await AttachmentReader(files, speech).read(_VOICE) == "Hallo Welt"
    assert speech.heard == [(b"OggS...", "de")] and files.fetched == ["file-1"]
    doc = Attachment("document", "file-2", "n.md")
    reader = AttachmentReader(FakeFiles(b"# Notes"), speech)
    assert await reader.read(doc) == "# Notes"
    assert len(speech.heard) == 1  # a document is never sent to the speech model


async def test_the_reader_says_when_nothing_was_heard() -> None:
    with pytest.raises(errors.NothingHeard):
        await AttachmentReader(FakeFiles(b"OggS"), FakeSpeech("")).read(_VOICE)


# -- settings ------------------------------------------------------------------------------------

SETTINGS = {
    "TELEGRAM_BOT_TOKEN": "123456:secret-telegram-token",
    "CLOUDFLARE_ACCOUNT_ID": "acc123",
    "CLOUDFLARE_API_TOKEN": "secret-cloudflare-token",
    "GITHUB_TOKEN": "ghp_secretgithubtoken",
    "GITHUB_REPO": "acme/blog",
}


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    monkeypatch.chdir(tmp_path)
    for key in ("SPEECH_LANGUAGE", "AI_SPEECH_MODEL"):
        monkeypatch.delenv(key, raising=False)
    for key, value in SETTINGS.items():
        monkeypatch.setenv(key, value)
    return monkeypatch


def test_speech_settings_default_to_whisper_and_the_writers_language(
    clean_env: pytest.MonkeyPatch,
) -> None:
    settings = load_settings()
    assert settings.ai_speech_model == "@cf/openai/whisper-large-v3-turbo"
    assert settings.speech_language is None
    clean_env.setenv("SPEECH_LANGUAGE", " DE ")
    assert load_settings().speech_language == "de"
    clean_env.setenv("SPEECH_LANGUAGE", "auto")
    assert load_settings().speech_language == "auto"
    clean_env.setenv("SPEECH_LANGUAGE", "")
    assert load_settings().speech_language is None


def test_an_unknown_speech_language_is_named_in_one_line(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("SPEECH_LANGUAGE", "klingon")
    with pytest.raises(ConfigError) as caught:
        load_settings()
    [line] = caught.value.problems
    assert line.startswith("SPEECH_LANGUAGE: must be a language code") and "klingon" not in line
