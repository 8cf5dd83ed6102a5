"""The writer's jobs: accepted from a message, run one at a time per chat, answered in the chat.

A job's life: `accept` stores its record and posts a status message ("Drafting your post…");
`run` reads the notes' file when they came as one (a voice note is transcribed and what was
heard is shown, a .md file is read; either is kept in the record), checks the notes, hands them
to the Writer (draft, then publish) with a live view of it (bot/telegram/live_draft.py: the
phase in the status message, the draft as it is written, typing), turns the outcome or the
failure into an answer, logs one line, saves the record and edits the status message into the
answer. `retry` and `resume` put a
failed or interrupted job back in its chat's queue.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

from telegram import Bot, InlineKeyboardMarkup, Message
from telegram.constants import ChatAction
from telegram.error import BadRequest, Forbidden

from bot.core.attachments import Attachment, AttachmentReader, with_caption
from bot.core.errors import InputRefused, NotesTooLong
from bot.core.image_errors import ImageRefused
from bot.core.jobs import JobRecord, JobStore
from bot.core.photos import PhotoReader, Photos, default_request
from bot.core.privacy import Finding, HeldForPrivacy
from bot.core.similar_posts import SimilarPostFound
from bot.core.writer import Outcome, Writer
from bot.telegram import keyboards, replies, similar_replies
from bot.telegram.chat_queue import ChatJobs, Job, Piece, TaskFactory
from bot.telegram.live_draft import LiveDraft
from bot.telegram.privacy_replies import private_details

log = logging.getLogger(__name__)

# Far beyond any real notes (a paste of a dozen Telegram messages), far inside the model's
# context window: longer input is refused with an explanation before anything is spent.
MAX_REQUEST_CHARS = 50_000


@dataclass(frozen=True)
class Answer:
    """What the writer reads when a job ends."""

    text: str
    keyboard: InlineKeyboardMarkup | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "keyboard": self.keyboard.to_dict() if self.keyboard else None}

    @classmethod
    def from_dict(cls, data: dict[str, Any], bot: Bot) -> Answer:
        keyboard = data.get("keyboard")
        markup = InlineKeyboardMarkup.de_json(keyboard, bot) if keyboard else None
        return cls(str(data["text"]), markup)


class JobRunner:
    """Owns the per-chat job queue; every job enters it through here."""

    def __init__(
        self,
        bot: Bot,
        writer: Writer,
        job_store: JobStore,
        *,
        create_task: TaskFactory,
        join_window: float = 2.0,
        reader: AttachmentReader | None = None,
        photos: PhotoReader | None = None,
    ) -> None:
        self.bot = bot
        self.writer = writer
        self.job_store = job_store
        self.reader = reader
        self.photos = photos
        self._create_task = create_task
        self.queue = ChatJobs(self.run, join_window=join_window, create_task=create_task)

    # -- entering the queue ------------------------------------------------------------------
    async def accept(
        self,
        message: Message,
        piece: Piece,
        *,
        attachment: Attachment | None = None,
        photo: Attachment | None = None,
    ) -> None:
        """Queue the writer's notes: a new job with a status message, or more of a long paste
        or of an album. With an `attachment` the notes are in that file (and `piece.text` is
        its caption); a `photo` goes into the post (and `piece.text` is its caption)."""
        chat_id = message.chat_id
        queued_behind = self.queue.busy(chat_id) or self.queue.waiting(chat_id) > 0
        job, is_new = self.queue.add(chat_id, piece)
        if not is_new:
            # A further piece of a long paste or album: the job's durable record grows with it.
            if isinstance(job.record, JobRecord):
                job.record.text = job.text
                if photo is not None:
                    job.record.images.append(photo)
                await self.job_store.save(job.record)
            return
        user = message.from_user
        record = JobRecord(
            chat_id=chat_id,
            message_id=piece.message_id,
            text=piece.text,
            reply_to=piece.reply_to,
            writer=(user.username or str(user.id)) if user else None,
            attachment=attachment,
            images=[photo] if photo is not None else [],
        )
        job.record = record
        try:
            await self.job_store.save(record)
            # Not awaited: the status message right after it is the reaction that matters.
            self._create_task(_show_typing(message))
            job.queued = queued_behind
            if queued_behind:
                starting = replies.QUEUED
            elif attachment is not None:
                starting = replies.reading(attachment)
            else:
                starting = await self._working(record)
            status = await message.reply_text(starting)
            record.status_message_id = status.message_id
            record.text = job.text
            await self.job_store.save(record)
        finally:
            self.queue.start(job)  # even without a status message the job must run

    async def retry(self, record: JobRecord) -> None:
        """Run a failed job again; with its draft kept, only the publishing is redone."""
        if self.queue.busy(record.chat_id):
            await self.bot.send_message(record.chat_id, replies.BUSY)
            return
        record.state = "drafted" if record.draft is not None else "accepted"
        record.error = None
        await self.job_store.save(record)
        if record.status_message_id is not None:
            await self._edit_status(record, _starting(record))
        self.queue.resume(record.chat_id, _piece_of(record), record)

    async def resume(self) -> int:
        """Queue every job that an earlier run accepted and did not finish."""
        records = await self.job_store.unfinished()
        for record in records:
            log.info("resuming job %s (state %s)", record.key, record.state)
            self.queue.resume(record.chat_id, _piece_of(record), record)
        return len(records)

    # -- running a job -----------------------------------------------------------------------
    async def run(self, job: Job) -> None:
        record: JobRecord = job.record
        record.text = job.text
        if record.finished and record.undelivered is not None:
            # Answered before a restart that came before the answer reached the writer.
            job.finished = True
            await self._deliver_once(record, Answer.from_dict(record.undelivered, self.bot))
            return
        started = asyncio.get_running_loop().time()
        answer = await self._attempt(job, record)
        job.finished = True  # from here a /cancel finds nothing to stop, not this answer
        record.timings["total_ms"] = (asyncio.get_running_loop().time() - started) * 1000
        _log_finished(record)
        record.undelivered = answer.to_dict()
        await self.job_store.save(record)
        await self._deliver_once(record, answer)

    async def _deliver_once(self, record: JobRecord, answer: Answer) -> None:
        await self._deliver(record, answer)
        # A button pressed on the answer may have queued the job again meanwhile (a retry, a
        # choice): that saved record is newer than this one and stays as it is.
        saved = await self.job_store.get(record.chat_id, record.message_id)
        if saved is None or saved.state != record.state or saved.undelivered != record.undelivered:
            return
        record.undelivered = None
        await self.job_store.save(record)

    async def _attempt(self, job: Job, record: JobRecord) -> Answer:
        """Do the job; the answer says how it went, and the record's state follows it."""
        try:
            outcome = await self._write(job, record)
        except asyncio.CancelledError:
            if not job.cancelled:
                raise  # shutting down: the record says where to resume
            return _cancelled(record)
        except HeldForPrivacy as held:
            return _held(record, held.findings)
        except SimilarPostFound as exc:
            log.info("job %s waits for the writer: %s", record.key, exc)
            return _paused(record, exc)
        except (InputRefused, ImageRefused) as exc:
            log.info("job %s refused its input: %s", record.key, exc)
            return _failed(record, exc)
        except Exception as exc:
            log.exception("job %s failed", record.key)
            return _failed(record, exc)
        return _answered(record, outcome)

    async def _write(self, job: Job, record: JobRecord) -> Outcome:
        attachment = record.attachment
        if attachment is not None:
            await self._read(job, record, attachment)
        photos = await self._photos(record) if record.images else None
        if len(record.text) > MAX_REQUEST_CHARS:
            raise NotesTooLong(len(record.text), MAX_REQUEST_CHARS)
        live = await self._live(job, record)
        try:
            outcome = await self.writer.handle(
                record,
                checkpoint=self.job_store.save,
                before_publish=job.point_of_no_return,
                photos=photos,
                watcher=live,
            )
        except asyncio.CancelledError:
            live.cancel()  # /cancel or shutting down: stop at once
            raise
        except Exception:
            await live.close()  # the failure is the answer: it comes after any live update
            raise
        await live.close()  # a live update in flight lands before the answer
        return outcome

    async def _live(self, job: Job, record: JobRecord) -> LiveDraft:
        """The job's live view: phases, the growing draft and typing, from now on."""
        if record.draft is not None:
            shown: str = replies.PUBLISHING_TO_GITHUB  # what a retry shows
        elif job.queued and record.attachment is None:
            shown = replies.QUEUED
        else:
            shown = await self._working(record)  # what reading a file leaves there too
        return LiveDraft(
            self.bot,
            record.chat_id,
            record.status_message_id,
            shown=shown,
            draft_id=record.message_id,
            just_started=not job.queued and record.attachment is None,
        ).start()

    async def _working(self, record: JobRecord) -> str:
        """The status of a job about to ask the model: drafting, or revising a post."""
        revising = await self.writer.will_revise(record.chat_id, record.reply_to)
        return replies.REVISING if revising else replies.WORKING

    async def _photos(self, record: JobRecord) -> Photos:
        """The job's photos, fetched and made safe (again on a resume: same bytes, same names);
        photos without a caption ask for a post about them."""
        if self.photos is None:
            raise RuntimeError("a job with photos, but no PhotoReader was given")
        with record.timed("read_ms"):
            photos = await self.photos.read(record.images)
        if not record.text.strip():
            record.text = default_request(len(photos.images))
        return photos

    # -- notes sent as a file --------------------------------------------------------------
    async def _read(self, job: Job, record: JobRecord, attachment: Attachment) -> None:
        """The file's words become the job's notes, once: kept in the record at once, so that
        a resumed or retried job never downloads or transcribes it again."""
        if record.heard is None:
            if self.reader is None:
                raise RuntimeError("a job with a file, but no AttachmentReader was given")
            if job.queued and record.status_message_id is not None:
                await self._edit_status(record, replies.reading(attachment))
            with record.timed("read_ms"):
                record.heard = await self.reader.read(attachment)
            record.text = with_caption(record.text, record.heard)
            await self.job_store.save(record)
            if not attachment.spoken and record.status_message_id is not None:
                await self._edit_status(record, await self._working(record))
        if attachment.spoken and record.heard_message_id is None:
            await self._show_heard(record, attachment, record.heard)

    async def _show_heard(self, record: JobRecord, attachment: Attachment, heard: str) -> None:
        """The status message becomes the quote of what was heard (so it stays in the chat,
        above the answer), and a new status message goes on to become the answer."""
        text = replies.heard(attachment, heard)
        if record.status_message_id is not None and await self._edit_status(record, text):
            record.heard_message_id = record.status_message_id
        else:
            record.heard_message_id = await self._send(record, text)
        record.status_message_id = await self._send(record, await self._working(record))
        await self.job_store.save(record)

    async def _send(self, record: JobRecord, text: str) -> int | None:
        try:
            sent = await self.bot.send_message(record.chat_id, text)
        except (Forbidden, BadRequest) as exc:
            log.warning("could not send to the chat of job %s: %s", record.key, exc.message)
            return None
        return sent.message_id

    # -- answering ---------------------------------------------------------------------------
    async def _deliver(self, record: JobRecord, answer: Answer) -> None:
        """The answer replaces the status message; a new message if that cannot be edited."""
        if record.status_message_id is not None and await self._edit_status(
            record, answer.text, answer.keyboard
        ):
            return
        try:
            sent = await self.bot.send_message(
                record.chat_id, answer.text, reply_markup=answer.keyboard
            )
        except (Forbidden, BadRequest) as exc:
            # The writer blocked the bot, or the chat is gone: nobody is left to tell.
            log.warning("could not answer job %s: %s", record.key, exc.message)
            return
        if record.state == "answered" and record.number is not None:
            await self.writer.remember_message(record.chat_id, sent.message_id, record.number)

    async def _edit_status(
        self, record: JobRecord, text: str, keyboard: InlineKeyboardMarkup | None = None
    ) -> bool:
        """Edit the job's status message; False when it cannot be edited any more."""
        try:
            await self.bot.edit_message_text(
                text,
                chat_id=record.chat_id,
                message_id=record.status_message_id,
                reply_markup=keyboard,
            )
        except BadRequest as exc:
            if "not modified" in str(exc).lower():
                return True  # a resumed job saying again what it said before the restart
            log.warning("could not edit the status message of %s: %s", record.key, exc)
            return False
        return True


def _answered(record: JobRecord, outcome: Outcome) -> Answer:
    record.state = "answered"
    if outcome.kind in ("ask", "closed"):  # the writer chooses (bot/telegram/buttons.py)
        keyboard = keyboards.after_merge_keyboard(record, merged=outcome.kind == "ask")
        return Answer(replies.outcome(outcome), keyboard)
    return Answer(replies.outcome(outcome), keyboards.result_keyboard(outcome.thread))


def _held(record: JobRecord, findings: list[Finding]) -> Answer:
    """Nothing is published until the writer chooses; the record keeps the draft meanwhile."""
    record.state = "held"
    kinds = sorted({finding.label for finding in findings})
    log.info("job %s held for the writer's choice: %s", record.key, ", ".join(kinds))
    return Answer(private_details(findings), keyboards.privacy_keyboard(record))


def _paused(record: JobRecord, found: SimilarPostFound) -> Answer:
    record.state = "paused"
    question = similar_replies.question(found.found)
    return Answer(question, similar_replies.keyboard(record))


def _cancelled(record: JobRecord) -> Answer:
    record.state, record.error = "failed", "cancelled"
    return Answer(replies.CANCELLED)


def _failed(record: JobRecord, exc: Exception) -> Answer:
    text = replies.failure(exc, draft_kept=record.draft is not None)
    record.state, record.error = "failed", text
    # Trying again cannot change what was sent; anything else may well work the next time.
    refused = isinstance(exc, InputRefused | ImageRefused)
    keyboard = None if refused else keyboards.retry_keyboard(record)
    return Answer(text, keyboard)


def _log_finished(record: JobRecord) -> None:
    target = record.number or record.target
    log.info(
        "job %s chat=%s kind=%s outcome=%s pr=%s model_ms=%.0f github_ms=%.0f total_ms=%.0f"
        " read_ms=%.0f tokens_in=%d tokens_out=%d neurons=%.1f",
        record.key,
        record.chat_id,
        record.kind or "-",
        record.state,
        f"#{target}" if target else "-",
        record.timings.get("model_ms", 0.0),
        record.timings.get("github_ms", 0.0),
        record.timings["total_ms"],
        record.timings.get("read_ms", 0.0),
        record.usage.get("tokens_in", 0),
        record.usage.get("tokens_out", 0),
        record.usage.get("neurons", 0.0),
    )


def _starting(record: JobRecord) -> str:
    """What a job about to run again is doing first."""
    if record.draft is not None:
        return replies.PUBLISHING_TO_GITHUB
    if record.attachment is not None and record.unread:
        return replies.reading(record.attachment)
    return replies.WORKING


def _piece_of(record: JobRecord) -> Piece:
    return Piece(record.text, record.message_id, record.reply_to)


async def _show_typing(message: Message) -> None:
    await message.chat.send_action(ChatAction.TYPING)
