"""Telegram entry point: one handler per concern, wired into a python-telegram-bot Application."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Collection
from datetime import datetime

from telegram import (
    Bot,
    BotCommand,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    Message,
    Update,
)
from telegram.constants import ChatAction, ChatType, ParseMode
from telegram.error import BadRequest, Forbidden
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.core.conversation import PostThread
from bot.core.errors import PublishError
from bot.core.jobs import Inbox, JobRecord, JobStore
from bot.core.service import Writer
from bot.telegram import replies
from bot.telegram.chat_queue import ChatJobs, Job, Piece

log = logging.getLogger(__name__)

COMMANDS = [
    BotCommand("new", "Start a new post"),
    BotCommand("status", "Show the current post"),
    BotCommand("preview", "Show the current post's file"),
    BotCommand("retry", "Publish the last draft that failed to publish"),
    BotCommand("discard", "Close the current pull request"),
    BotCommand("cancel", "Stop the job in progress"),
    BotCommand("help", "How to use this bot"),
]

# Callback data: short and fixed-shape, far inside Telegram's 64-byte limit.
NEW_POST = "new"
DISCARD_ASK = "discard:"
DISCARD_CONFIRM = "discard!:"
PREVIEW = "preview:"
RETRY = "retry:"
KEEP = "keep"

# Far beyond any real notes (a paste of a dozen Telegram messages), far inside the model's
# context window: longer input is refused with an explanation before anything is spent.
MAX_REQUEST_CHARS = 50_000
# A preview longer than this goes as a .md document instead of a message.
PREVIEW_AS_TEXT_LIMIT = 3500
# Leave room for Heroku's 30 s between SIGTERM and SIGKILL, and exit well within 10 s.
SHUTDOWN_GRACE_SECONDS = 7.0


def result_keyboard(thread: PostThread) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(f"Open pull request #{thread.number}", url=thread.url)],
            [
                InlineKeyboardButton("Preview", callback_data=f"{PREVIEW}{thread.number}"),
                InlineKeyboardButton("New post", callback_data=NEW_POST),
                InlineKeyboardButton("Discard", callback_data=f"{DISCARD_ASK}{thread.number}"),
            ],
        ]
    )


def retry_keyboard(record: JobRecord) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton("Retry", callback_data=f"{RETRY}{record.message_id}")]]
    )


def confirm_keyboard(number: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    f"Yes, close #{number}", callback_data=f"{DISCARD_CONFIRM}{number}"
                ),
                InlineKeyboardButton("Keep it", callback_data=KEEP),
            ]
        ]
    )


def _request_text(message: Message, bot_username: str | None) -> str:
    """The writer's words: the text, or a photo's caption, without the bot's @mention."""
    text = message.text or message.caption or ""
    if bot_username:
        text = text.replace(f"@{bot_username}", "")
    # Zero-width spaces, emoji alone, punctuation: nothing a post could be written about.
    if not any(ch.isalnum() for ch in text):
        return ""
    return text.strip()


class BlogBot:
    """The handlers. Holds the writer service, the allowlist and the per-chat job queue."""

    def __init__(
        self,
        writer: Writer,
        allowed_user_ids: Collection[int],
        *,
        job_store: JobStore,
        inbox: Inbox,
        join_window: float = 2.0,
    ) -> None:
        self.writer = writer
        self.job_store = job_store
        self.inbox = inbox
        self.allowed_ids = frozenset(allowed_user_ids)
        self.allowed = filters.User(user_id=list(allowed_user_ids))
        self.join_window = join_window
        self.jobs = ChatJobs(self.run_job, join_window=join_window)
        self._bot: Bot | None = None

    @property
    def bot(self) -> Bot:
        assert self._bot is not None, "register() first"
        return self._bot

    def register(self, app: Application) -> None:  # type: ignore[type-arg]
        self._bot = app.bot
        self.jobs = ChatJobs(
            self.run_job, join_window=self.join_window, create_task=app.create_task
        )
        messages = filters.UpdateType.MESSAGE
        allowed = messages & self.allowed
        # Deny first: a stranger's message never reaches a handler that spends money.
        app.add_handler(MessageHandler(messages & ~self.allowed, self.deny))
        app.add_handler(CommandHandler(["start", "help"], self.help, filters=allowed))
        app.add_handler(CommandHandler("new", self.new_post, filters=allowed))
        app.add_handler(CommandHandler("status", self.status, filters=allowed))
        app.add_handler(CommandHandler("preview", self.preview, filters=allowed))
        app.add_handler(CommandHandler("retry", self.retry, filters=allowed))
        app.add_handler(CommandHandler("discard", self.discard, filters=allowed))
        app.add_handler(CommandHandler("cancel", self.cancel, filters=allowed))
        app.add_handler(
            MessageHandler(
                allowed & (filters.TEXT | filters.CAPTION) & ~filters.COMMAND, self.write_post
            )
        )
        app.add_handler(MessageHandler(allowed, self.not_text))
        app.add_handler(
            MessageHandler(filters.UpdateType.EDITED_MESSAGE & self.allowed, self.edited)
        )
        app.add_handler(CallbackQueryHandler(self.button))
        # Last, in a later group: the update has been handled, so it leaves the inbox.
        app.add_handler(TypeHandler(Update, self.handled), group=1)
        app.add_error_handler(self.on_error)

    def addressed(self, message: Message) -> bool:
        """In groups, only messages that mention the bot or reply to it are for the bot."""
        if message.chat.type == ChatType.PRIVATE:
            return True
        replied = message.reply_to_message
        if replied and replied.from_user and replied.from_user.id == self.bot.id:
            return True
        text = message.text or message.caption or ""
        return f"@{self.bot.username}" in text or text.startswith("/")

    # -- start-up ----------------------------------------------------------------------------
    async def resume(self) -> int:
        """Queue every job that an earlier run accepted and did not finish."""
        records = await self.job_store.unfinished()
        for record in records:
            log.info("resuming job %s (state %s)", record.key, record.state)
            piece = Piece(record.text, record.message_id, record.reply_to)
            self.jobs.resume(record.chat_id, piece, record)
        return len(records)

    async def handled(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self.inbox.done(update.update_id)

    # -- messages ----------------------------------------------------------------------------
    async def deny(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        user = update.effective_user
        message = update.effective_message
        if user is None or message is None or not self.addressed(message):
            return
        log.info("refused a message from user %s (not in ALLOWED_USER_IDS)", user.id)
        await message.reply_text(replies.not_allowed(user.id), parse_mode=ParseMode.HTML)

    async def help(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if update.effective_message:
            await update.effective_message.reply_text(replies.HELP, parse_mode=ParseMode.HTML)

    async def not_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message and self.addressed(message):
            await message.reply_text(replies.NOT_TEXT)

    async def edited(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message and self.addressed(message):
            await message.reply_text(replies.EDITED)

    async def write_post(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message is None or not self.addressed(message):
            return
        text = _request_text(message, self.bot.username)
        if not text:
            await message.reply_text(replies.EMPTY)
            return
        chat_id = message.chat_id
        if await self.job_store.get(chat_id, message.message_id) is not None:
            return  # handled again after a restart: the job was already accepted
        replied = message.reply_to_message
        reply_to = (
            replied.message_id
            if replied and replied.from_user and replied.from_user.id == self.bot.id
            else None
        )
        queued_behind = self.jobs.busy(chat_id) or self.jobs.waiting(chat_id) > 0
        job, is_new = self.jobs.add(chat_id, Piece(text, message.message_id, reply_to))
        if not is_new:
            # A further piece of a long paste: the job's durable text grows with it.
            if isinstance(job.record, JobRecord):
                job.record.text = job.text
                await self.job_store.save(job.record)
            return
        record = JobRecord(
            chat_id=chat_id, message_id=message.message_id, text=text, reply_to=reply_to
        )
        job.record = record
        try:
            await self.job_store.save(record)
            # Not awaited: the status message right after it is the reaction that matters.
            context.application.create_task(message.chat.send_action(ChatAction.TYPING))
            job.queued = queued_behind
            status = await message.reply_text(replies.QUEUED if queued_behind else replies.WORKING)
            record.status_message_id = status.message_id
            record.text = job.text
            await self.job_store.save(record)
        finally:
            self.jobs.start(job)  # even without a status message the job must run

    async def run_job(self, job: Job) -> None:
        record: JobRecord = job.record
        record.text = job.text

        def point_of_no_return() -> None:
            job.cancellable = False

        keyboard: InlineKeyboardMarkup | None = None
        started = asyncio.get_running_loop().time()
        try:
            if len(record.text) > MAX_REQUEST_CHARS:
                raise RequestTooLong(len(record.text))
            if job.queued and record.status_message_id is not None:
                await self._edit(record, replies.WORKING)
            outcome = await self.writer.handle(
                record, checkpoint=self.job_store.save, before_publish=point_of_no_return
            )
        except asyncio.CancelledError:
            if not job.cancelled:
                raise  # shutting down: the record says where to resume
            record.state, record.error = "failed", "cancelled"
            text = replies.CANCELLED
        except Exception as exc:
            log.exception("job %s failed", record.key)
            text = replies.failure(exc, draft_kept=record.draft is not None)
            record.state, record.error = "failed", text
            if not isinstance(exc, RequestTooLong):
                keyboard = retry_keyboard(record)
        else:
            text, keyboard = replies.outcome(outcome), result_keyboard(outcome.thread)
            record.state = "answered"
        job.finished = True  # from here a /cancel finds nothing to stop, not this answer
        record.timings["total_ms"] = (asyncio.get_running_loop().time() - started) * 1000
        log.info(
            "job %s chat=%s kind=%s outcome=%s pr=%s model_ms=%.0f github_ms=%.0f total_ms=%.0f",
            record.key,
            record.chat_id,
            record.kind or "-",
            record.state,
            f"#{record.number or record.target}" if (record.number or record.target) else "-",
            record.timings.get("model_ms", 0.0),
            record.timings.get("github_ms", 0.0),
            record.timings["total_ms"],
        )
        await self.job_store.save(record)
        await self._answer(record, text, keyboard)

    async def _answer(
        self, record: JobRecord, text: str, keyboard: InlineKeyboardMarkup | None
    ) -> None:
        if record.status_message_id is not None and await self._edit(record, text, keyboard):
            return
        try:
            sent = await self.bot.send_message(
                record.chat_id, text, parse_mode=ParseMode.HTML, reply_markup=keyboard
            )
        except (Forbidden, BadRequest) as exc:
            # The writer blocked the bot, or the chat is gone: nobody is left to tell.
            log.warning("could not answer job %s: %s", record.key, exc.message)
            return
        if record.state == "answered" and record.number is not None:
            await self.writer.remember_message(record.chat_id, sent.message_id, record.number)

    async def _edit(
        self, record: JobRecord, text: str, keyboard: InlineKeyboardMarkup | None = None
    ) -> bool:
        """Edit the job's status message; False when it cannot be edited any more."""
        try:
            await self.bot.edit_message_text(
                text,
                chat_id=record.chat_id,
                message_id=record.status_message_id,
                parse_mode=ParseMode.HTML,
                reply_markup=keyboard,
            )
        except BadRequest as exc:
            if "not modified" in str(exc).lower():
                return True  # a resumed job saying again what it said before the restart
            log.warning("could not edit the status message of %s: %s", record.key, exc)
            return False
        return True

    # -- commands ----------------------------------------------------------------------------
    async def new_post(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message is None:
            return
        previous = await self.writer.start_over(message.chat_id)
        await message.reply_text(replies.started_over(previous), parse_mode=ParseMode.HTML)

    async def _current_post(self, update: Update) -> tuple[Message, PostThread] | None:
        """The chat's current post, or None after telling the writer there is none."""
        message = update.effective_message
        if message is None:
            return None
        thread = await self.writer.post(message.chat_id)
        if thread is None:
            await message.reply_text(replies.NO_POST)
            return None
        return message, thread

    async def status(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if (found := await self._current_post(update)) is None:
            return
        message, thread = found
        try:
            state = await self.writer.state_of(thread)
        except PublishError as exc:
            log.warning("status of #%s in chat %s: %s", thread.number, message.chat_id, exc)
            await message.reply_text(
                replies.failure(exc, draft_kept=False), parse_mode=ParseMode.HTML
            )
            return
        await message.reply_text(
            replies.status(thread, state),
            parse_mode=ParseMode.HTML,
            reply_markup=result_keyboard(thread) if state == "open" else None,
        )

    async def preview(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if (found := await self._current_post(update)) is None:
            return
        message, thread = found
        await self._send_preview(message.chat_id, thread)

    async def _send_preview(self, chat_id: int, thread: PostThread) -> None:
        content = self.writer.posts.render(
            thread.draft, datetime.fromisoformat(thread.date)
        ).content
        if len(content) <= PREVIEW_AS_TEXT_LIMIT:
            await self.bot.send_message(
                chat_id, replies.preview(thread, content), parse_mode=ParseMode.HTML
            )
            return
        name = thread.path.rsplit("/", 1)[-1]
        await self.bot.send_document(
            chat_id,
            InputFile(content.encode(), filename=name),
            caption=replies.preview_caption(thread),
            parse_mode=ParseMode.HTML,
        )

    async def retry(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message is None:
            return
        record = await self.job_store.last_failed(message.chat_id)
        if record is None or record.error == "cancelled":
            await message.reply_text(replies.NOTHING_TO_RETRY)
            return
        await self._retry(record)

    async def _retry(self, record: JobRecord) -> None:
        if self.jobs.busy(record.chat_id):
            await self.bot.send_message(record.chat_id, replies.BUSY)
            return
        record.state = "drafted" if record.draft is not None else "accepted"
        record.error = None
        await self.job_store.save(record)
        if record.status_message_id is not None:
            await self._edit(record, replies.PUBLISHING if record.draft else replies.WORKING)
        self.jobs.resume(
            record.chat_id, Piece(record.text, record.message_id, record.reply_to), record
        )

    async def discard(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if (found := await self._current_post(update)) is None:
            return
        message, thread = found
        await message.reply_text(
            replies.confirm_discard(thread),
            parse_mode=ParseMode.HTML,
            reply_markup=confirm_keyboard(thread.number),
        )

    async def cancel(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message is None:
            return
        cancelled = self.jobs.cancel(message.chat_id)
        if cancelled is None:
            await message.reply_text(replies.NOTHING_RUNNING)
        elif not cancelled:
            await message.reply_text(replies.TOO_LATE_TO_CANCEL)
        # When cancelled, the job's own status message says so.

    # -- buttons -----------------------------------------------------------------------------
    async def button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        if query is None or query.message is None:
            return
        if query.from_user.id not in self.allowed_ids:
            await query.answer(replies.BUTTON_NOT_YOURS, show_alert=True)
            return
        chat_id = query.message.chat.id
        data = query.data or ""
        if data == NEW_POST:
            previous = await self.writer.start_over(chat_id)
            await query.answer("OK")
            await self.bot.send_message(
                chat_id, replies.started_over(previous), parse_mode=ParseMode.HTML
            )
        elif data == KEEP:
            await query.answer("Kept")
            await self._edit_button_message(query, replies.KEPT)
        elif data.startswith((DISCARD_ASK, DISCARD_CONFIRM)):
            await self._discard_button(query, chat_id, data)
        elif data.startswith(PREVIEW) and (thread := await self._button_post(chat_id, data)):
            await query.answer()
            await self._send_preview(chat_id, thread)
        elif data.startswith(RETRY) and (record := await self._button_job(chat_id, data)):
            await query.answer("Retrying…")
            await self._retry(record)
        else:
            await query.answer(replies.STALE_BUTTON)

    async def _button_post(self, chat_id: int, data: str) -> PostThread | None:
        number = _number_in(data)
        return await self.writer.post(chat_id, number) if number is not None else None

    async def _button_job(self, chat_id: int, data: str) -> JobRecord | None:
        message_id = _number_in(data)
        record = await self.job_store.get(chat_id, message_id) if message_id else None
        return record if record is not None and record.state == "failed" else None

    async def _discard_button(self, query: CallbackQuery, chat_id: int, data: str) -> None:
        thread = await self._button_post(chat_id, data)
        if thread is None:
            await query.answer(replies.STALE_BUTTON)
            return
        if self.jobs.busy(chat_id):
            await query.answer(replies.BUSY, show_alert=True)
            return
        if not data.startswith(DISCARD_CONFIRM):
            await query.answer()
            await self.bot.send_message(
                chat_id,
                replies.confirm_discard(thread),
                parse_mode=ParseMode.HTML,
                reply_markup=confirm_keyboard(thread.number),
            )
            return
        await query.answer("Discarding…")
        try:
            await self.writer.discard(chat_id, thread.number)
        except PublishError as exc:
            log.warning("discard of #%s in chat %s failed: %s", thread.number, chat_id, exc)
            await self._edit_button_message(query, replies.failure(exc, draft_kept=False))
            return
        except Exception as exc:
            log.exception("discard failed in chat %s", chat_id)
            await self._edit_button_message(query, replies.failure(exc, draft_kept=False))
            return
        await self._edit_button_message(query, replies.discarded(thread))

    @staticmethod
    async def _edit_button_message(query: CallbackQuery, text: str) -> None:
        try:
            await query.edit_message_text(text, parse_mode=ParseMode.HTML)
        except BadRequest as exc:  # the message is gone or already says this
            log.info("could not edit a button message: %s", exc)

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        log.error("unhandled error while handling an update", exc_info=context.error)


class RequestTooLong(Exception):
    def __init__(self, length: int) -> None:
        self.user_message = (
            f"Your notes are too long ({length:,} characters; the limit is "
            f"{MAX_REQUEST_CHARS:,}). Please shorten them and send them again."
        )
        super().__init__(self.user_message)


def _number_in(data: str) -> int | None:
    try:
        return int(data.split(":", 1)[1])
    except (IndexError, ValueError):
        return None


def build_application(*, token: str, api_url: str, blog_bot: BlogBot) -> Application:  # type: ignore[type-arg]
    app = (
        ApplicationBuilder()
        .token(token)
        .base_url(f"{api_url}/bot")
        .base_file_url(f"{api_url}/file/bot")
        .updater(
            None
        )  # bot.telegram.poller polls, so that no update is confirmed before it is stored
        .concurrent_updates(True)
        .rate_limiter(AIORateLimiter(max_retries=3))
        .build()
    )
    blog_bot.register(app)
    return app
