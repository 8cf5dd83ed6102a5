"""Notes that arrive as a file: a voice note, an audio file or a round video note is heard
(speech to text), a Markdown or plain-text document is read. Either way the words then go on
exactly like typed notes.

What is accepted, and the limits, are decided here; fetching the file (Telegram) and the speech
model (Workers AI) are ports.
"""

from __future__ import annotations

import codecs
from dataclasses import asdict, dataclass
from pathlib import PurePosixPath
from typing import Any, Literal

from bot.core.errors import EmptyFile, FileTooLong, NothingHeard, NotText
from bot.core.ports import FileSource, SpeechToText

# Far more than any notes (50,000 characters is the limit on the words themselves), small
# enough to refuse a wrong file before it is downloaded.
MAX_TEXT_FILE_BYTES = 100_000

TEXT_SUFFIXES = (".md", ".markdown", ".txt")
_TEXT_TYPES = frozenset({"text/plain", "text/markdown", "text/x-markdown"})
AUDIO_SUFFIXES = (".mp3", ".m4a", ".ogg", ".oga", ".opus", ".wav", ".flac", ".aac")
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".gif", ".webp", ".heic", ".heif", ".bmp", ".tiff")

# The languages Whisper knows (openai/whisper tokenizer.LANGUAGES), by their ISO 639-1 code.
WHISPER_LANGUAGES = frozenset(
    "af am ar as az ba be bg bn bo br bs ca cs cy da de el en es et eu fa fi fo fr gl gu ha "  # noqa: SIM905
    "haw he hi hr ht hu hy id is it ja jw ka kk km kn ko la lb ln lo lt lv mg mi mk ml mn mr "
    "ms mt my ne nl nn no oc pa pl ps pt ro ru sa sd si sk sl sn so sq sr su sv sw ta te tg th "
    "tk tl tr tt uk ur uz vi yi yo yue zh".split()
)
# Codes clients send that Whisper knows under another one (Norwegian Bokmål, old Hebrew...).
_LANGUAGE_ALIASES = {"nb": "no", "iw": "he", "jv": "jw", "fil": "tl", "in": "id", "ji": "yi"}
AUTO_LANGUAGE = "auto"

AttachmentKind = Literal["voice", "audio", "video_note", "document", "photo", "image"]
DocumentKind = Literal["text", "audio", "image", "other"]

_SPOKEN_NAMES = {"voice": "voice note", "audio": "audio file", "video_note": "video note"}
_NAMES = {**_SPOKEN_NAMES, "photo": "photo", "image": "image"}


@dataclass(frozen=True)
class Attachment:
    """The file a job's notes come from; `language` is the hint for speech (None: detect)."""

    kind: AttachmentKind
    file_id: str
    file_name: str | None = None
    file_size: int | None = None
    language: str | None = None
    caption: str | None = None  # a photo's own caption (an album's photos each have one)

    @property
    def spoken(self) -> bool:
        return self.kind in _SPOKEN_NAMES

    @property
    def picture(self) -> bool:
        """A photo, or an image sent as a file: it goes into the post."""
        return self.kind in ("photo", "image")

    @property
    def what(self) -> str:
        """What the writer calls it: "voice note", "audio file", "video note", "photo",
        "image" or "file"."""
        return _NAMES.get(self.kind, "file")

    @property
    def name(self) -> str:
        """The file's name for a sentence, or what it is when it has none."""
        return self.file_name or f"the {self.what}"

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Attachment:
        return cls(**data)


def document_kind(file_name: str | None, mime_type: str | None) -> DocumentKind:
    """How a document is treated, by its name first and its MIME type second (Telegram keeps
    both from the sender's device; either may be missing)."""
    suffix = PurePosixPath(file_name or "").suffix.lower()
    mime = (mime_type or "").lower().split(";")[0].strip()
    if suffix in TEXT_SUFFIXES or (not suffix and mime in _TEXT_TYPES):
        return "text"
    if suffix in IMAGE_SUFFIXES or (not suffix and mime.startswith("image/")):
        return "image"
    if suffix in AUDIO_SUFFIXES or mime.startswith("audio/"):
        return "audio"
    if mime.startswith("image/"):
        return "image"
    return "other"


def accepted_files(download_limit: int) -> str:
    """The sentence that says which files the bot reads."""
    return (
        f"I read voice notes, audio files and round video notes (up to {download_limit // 2**20} "
        f"MB), photos and images, and {', '.join(TEXT_SUFFIXES[:-1])} and {TEXT_SUFFIXES[-1]} "
        f"files (up to {MAX_TEXT_FILE_BYTES // 1000} kB). Or just type your notes."
    )


def read_text_file(name: str, data: bytes, limit: int = MAX_TEXT_FILE_BYTES) -> str:
    """The notes in a text file: UTF-8 (a byte order mark is fine), line ends normalised."""
    if len(data) > limit:
        raise FileTooLong(name, len(data), limit)
    try:
        text = data.decode("utf-8-sig" if data.startswith(codecs.BOM_UTF8) else "utf-8")
    except UnicodeDecodeError:
        raise NotText(name) from None
    if "\x00" in text:
        raise NotText(name)  # UTF-16, or a binary file that happens to decode
    text = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    if not any(ch.isalnum() for ch in text):
        raise EmptyFile(name)
    return text


def heard_words(text: str) -> str:
    """The transcript, when it holds any words; silence, noise and music hold none."""
    text = text.strip()
    if not any(ch.isalnum() for ch in text):
        raise NothingHeard("the transcript is empty")
    return text


def speech_language(configured: str | None, telegram_code: str | None) -> str | None:
    """The language hint for the speech model: SPEECH_LANGUAGE when set ("auto": detect), else
    the writer's Telegram language ("pt-br" -> "pt"); None lets the model detect it. Nothing
    is ever assumed: no hint is better than a wrong one."""
    if configured:
        return None if configured == AUTO_LANGUAGE else whisper_language(configured)
    return whisper_language(telegram_code) if telegram_code else None


def whisper_language(code: str) -> str | None:
    """The Whisper code of an IETF language tag, or None when Whisper does not know it."""
    base = code.strip().lower().replace("_", "-").split("-")[0]
    base = _LANGUAGE_ALIASES.get(base, base)
    return base if base in WHISPER_LANGUAGES else None


def with_caption(caption: str, content: str) -> str:
    """The notes of a file sent with a caption: the caption, then what the file said."""
    return f"{caption}\n\n{content}" if caption else content


class AttachmentReader:
    """Turns an attachment into notes: fetch it, then hear it or read it."""

    def __init__(self, files: FileSource, speech: SpeechToText) -> None:
        self.files = files
        self.speech = speech

    async def read(self, attachment: Attachment) -> str:
        data = await self.files.download(attachment.file_id, what=attachment.what)
        if not attachment.spoken:
            return read_text_file(attachment.name, data)
        transcript = await self.speech.transcribe(data, language=attachment.language)
        return heard_words(transcript.text)
