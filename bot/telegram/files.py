"""Notes sent as files: voice notes, audio files, round video notes and .md/.txt documents.

What is refused is refused at once, from what the message says about the file (its kind, name
and size), before anything is downloaded: a file over Telegram's 20 MB bot download limit, a
text file over MAX_TEXT_FILE_BYTES, a document of a kind the bot does not read. Anything else
becomes a job like typed notes (bot/telegram/job_runner.py): the file is downloaded and heard
or read when the job runs, in the chat's queue, and what was read is kept in the job record.

A photo (its largest size) or an image sent as a file goes into the post: its caption is the
notes, the photos of an album (one `media_group_id`) are one job, and a photo sent while a post
is current revises it. The image is fetched and made safe (bot.core.photos) when the job runs.
"""

from __future__ import annotations

import logging

from telegram import Audio, Bot, Document, Message, PhotoSize, Update, VideoNote, Voice
from telegram.error import BadRequest, TelegramError
from telegram.ext import ContextTypes

from bot.core.attachments import (
    MAX_TEXT_FILE_BYTES,
    Attachment,
    AttachmentKind,
    accepted_files,
    document_kind,
    speech_language,
)
from bot.core.errors import (
    FileTooBig,
    FileTooLong,
    FileUnavailable,
    InputRefused,
    UnsupportedFile,
)
from bot.core.jobs import JobStore
from bot.telegram import replies
from bot.telegram.chat_queue import Piece
from bot.telegram.job_runner import JobRunner
from bot.telegram.messages import Messages, addressed, notes_in, replied_bot_message

log = logging.getLogger(__name__)

Context = ContextTypes.DEFAULT_TYPE

# getFile serves bots files up to 20 MB (larger: 400 "file is too big").
DOWNLOAD_LIMIT_BYTES = 20 * 2**20
DOWNLOAD_TIMEOUT_SECONDS = 60.0


class TelegramFiles:
    """The FileSource port over the Bot API: getFile, then the file download."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    async def download(self, file_id: str, *, what: str) -> bytes:
        try:
            file = await self.bot.get_file(file_id)
            data = await file.download_as_bytearray(read_timeout=DOWNLOAD_TIMEOUT_SECONDS)
        except BadRequest as exc:
            if "too big" in exc.message.lower():
                raise FileTooBig(what, None, DOWNLOAD_LIMIT_BYTES) from None
            raise FileUnavailable(f"Telegram refused the file: {exc.message}") from None
        except TelegramError as exc:
            # Never the exception's text: the download URL carries the bot token.
            raise FileUnavailable(f"downloading failed ({type(exc).__name__})") from None
        return bytes(data)


def attachment_in(message: Message, language: str | None) -> Attachment | None:
    """The file the message's notes are in, or its photo, or None when it carries no file the
    bot reads. Raises InputRefused for a file refused before downloading."""
    found = _file_of(message)
    if found is None:
        return None
    kind, file = found
    name = getattr(file, "file_name", None)
    size = file.file_size
    if kind == "document" and size and size > MAX_TEXT_FILE_BYTES:
        raise FileTooLong(name or "This file", size, MAX_TEXT_FILE_BYTES)
    hint = language if kind in ("voice", "audio", "video_note") else None
    caption = (message.caption or "").strip() or None if kind in ("photo", "image") else None
    attachment = Attachment(kind, file.file_id, name, size, hint, caption)
    if size and size > DOWNLOAD_LIMIT_BYTES:
        raise FileTooBig(attachment.what, size, DOWNLOAD_LIMIT_BYTES)
    return attachment


SentFile = Voice | Audio | VideoNote | Document | PhotoSize


def _file_of(message: Message) -> tuple[AttachmentKind, SentFile] | None:
    if message.photo:
        return "photo", message.photo[-1]  # the largest size comes last
    if message.voice:
        return "voice", message.voice
    if message.audio:
        return "audio", message.audio
    if message.video_note:
        return "video_note", message.video_note
    document = message.document
    if document is None:
        return None
    kind = document_kind(document.file_name, document.mime_type)
    if kind == "image":
        return "image", document
    if kind == "other":
        accepted = accepted_files(DOWNLOAD_LIMIT_BYTES)
        raise UnsupportedFile(document.file_name or "this file", accepted)
    return ("audio" if kind == "audio" else "document"), document


class Files:
    """The handler of messages that carry a voice note, an audio file, a video note or a
    document."""

    def __init__(
        self,
        runner: JobRunner,
        job_store: JobStore,
        messages: Messages,
        *,
        speech_language: str | None = None,
    ) -> None:
        self.runner = runner
        self.job_store = job_store
        self.messages = messages
        self.speech_language = speech_language  # SPEECH_LANGUAGE, when set

    async def received(self, update: Update, context: Context) -> None:
        message = update.effective_message
        if message is None or not addressed(message, context.bot):
            return
        user = message.from_user
        language = speech_language(self.speech_language, user.language_code if user else None)
        try:
            attachment = attachment_in(message, language)
        except InputRefused as exc:
            log.info("refused a file in chat %s: %s", message.chat_id, type(exc).__name__)
            await message.reply_text(replies.failure(exc))
            return
        if attachment is None:  # not a file the bot reads: answered as it always was
            if message.caption:
                await self.messages.notes(update, context)
            else:
                await self.messages.not_text(update, context)
            return
        if await self.job_store.get(message.chat_id, message.message_id) is not None:
            return  # handled again after a restart: the job was already accepted
        if attachment.picture and await self._in_an_album_job(message.chat_id, attachment):
            return  # a later photo of an album, handled again after a restart
        caption = notes_in(message, context.bot.username)
        reply_to = replied_bot_message(message, context.bot)
        if attachment.picture:
            group = message.media_group_id
            piece = Piece(caption, message.message_id, reply_to, joins=False, group=group)
            await self.runner.accept(message, piece, photo=attachment)
            return
        piece = Piece(caption, message.message_id, reply_to, joins=False)
        await self.runner.accept(message, piece, attachment=attachment)

    async def _in_an_album_job(self, chat_id: int, photo: Attachment) -> bool:
        """Whether an unfinished job of the chat already holds this photo (an album's later
        photos have no job record of their own: they are in the first photo's)."""
        return any(
            record.chat_id == chat_id and any(i.file_id == photo.file_id for i in record.images)
            for record in await self.job_store.unfinished()
        )
