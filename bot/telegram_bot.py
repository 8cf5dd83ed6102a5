"""Telegram entry point: one handler per concern, wired into a python-telegram-bot Application."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Collection

from telegram import (
    Bot,
    BotCommand,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
)
from telegram.constants import ChatAction, ParseMode
from telegram.error import BadRequest
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot import replies
from bot.chat_jobs import ChatJobs, Job, Piece
from bot.conversation import PostThread
from bot.service import Writer

log = logging.getLogger(__name__)

COMMANDS = [
    BotCommand("new", "Start a new post"),
    BotCommand("status", "Show the current post"),
    BotCommand("discard", "Close the current pull request"),
    BotCommand("cancel", "Stop the job in progress"),
    BotCommand("help", "How to use this bot"),
]

# Callback data: short and fixed-shape, far inside Telegram's 64-byte limit.
NEW_POST = "new"
DISCARD_ASK = "discard:"
DISCARD_CONFIRM = "discard!:"
KEEP = "keep"


def result_keyboard(thread: PostThread) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(f"Open pull request #{thread.number}", url=thread.url)],
            [
                InlineKeyboardButton("New post", callback_data=NEW_POST),
                InlineKeyboardButton("Discard", callback_data=f"{DISCARD_ASK}{thread.number}"),
            ],
        ]
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


class BlogBot:
    """The handlers. Holds the writer service, the allowlist and the per-chat job queue."""

    def __init__(
        self,
        writer: Writer,
        allowed_user_ids: Collection[int],
        *,
        join_window: float = 2.0,
    ) -> None:
        self.writer = writer
        self.allowed_ids = frozenset(allowed_user_ids)
        self.allowed = filters.User(user_id=list(allowed_user_ids))
        self.join_window = join_window
        self.jobs = ChatJobs(self.run_job, join_window=join_window)
        self._bot: Bot | None = None

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
        app.add_handler(CommandHandler("discard", self.discard, filters=allowed))
        app.add_handler(CommandHandler("cancel", self.cancel, filters=allowed))
        app.add_handler(MessageHandler(allowed & filters.TEXT & ~filters.COMMAND, self.write_post))
        app.add_handler(MessageHandler(allowed, self.not_text))
        app.add_handler(CallbackQueryHandler(self.button))
        app.add_error_handler(self.on_error)

    # -- messages ----------------------------------------------------------------------------
    async def deny(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        user = update.effective_user
        message = update.effective_message
        if user is None or message is None:
            return
        log.info("refused a message from user %s (not in ALLOWED_USER_IDS)", user.id)
        await message.reply_text(replies.not_allowed(user.id), parse_mode=ParseMode.HTML)

    async def help(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if update.effective_message:
            await update.effective_message.reply_text(replies.HELP, parse_mode=ParseMode.HTML)

    async def not_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if update.effective_message:
            await update.effective_message.reply_text(replies.NOT_TEXT)

    async def write_post(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message is None or not message.text:
            return
        replied = message.reply_to_message
        reply_to = (
            replied.message_id
            if replied and replied.from_user and replied.from_user.id == context.bot.id
            else None
        )
        chat_id = message.chat_id
        queued_behind = self.jobs.busy(chat_id) or self.jobs.waiting(chat_id) > 0
        job = self.jobs.add(chat_id, Piece(message.text, message.message_id, reply_to))
        if job is None:
            return  # joined the job of the paste it belongs to
        try:
            await message.chat.send_action(ChatAction.TYPING)
            job.status = await message.reply_text(
                replies.QUEUED if queued_behind else replies.WORKING
            )
        finally:
            self.jobs.start(job)  # even without a status message the job must run

    async def run_job(self, job: Job) -> None:
        status: Message | None = job.status

        def point_of_no_return() -> None:
            job.cancellable = False

        keyboard: InlineKeyboardMarkup | None = None
        try:
            if status is not None and status.text == replies.QUEUED:
                edited = await status.edit_text(replies.WORKING)
                status = edited if isinstance(edited, Message) else status
            outcome = await self.writer.handle(
                job.chat_id,
                job.text,
                reply_to=job.reply_to,
                status_message_id=status.message_id if status else None,
                before_publish=point_of_no_return,
            )
        except asyncio.CancelledError:
            if not job.cancelled:
                raise
            text = replies.CANCELLED
        except Exception as exc:
            log.exception("job failed in chat %s", job.chat_id)
            text = replies.failure(exc)
        else:
            log.info(
                "%s pull request #%d (%s) in chat %s",
                outcome.kind,
                outcome.thread.number,
                outcome.thread.path,
                job.chat_id,
            )
            text, keyboard = replies.outcome(outcome), result_keyboard(outcome.thread)
        job.finished = True  # from here a /cancel finds nothing to stop, not this answer
        await self._show(job.chat_id, status, text, keyboard)

    async def _show(
        self,
        chat_id: int,
        status: Message | None,
        text: str,
        keyboard: InlineKeyboardMarkup | None = None,
    ) -> None:
        if status is not None:
            await status.edit_text(text, parse_mode=ParseMode.HTML, reply_markup=keyboard)
            return
        if self._bot is not None:
            await self._bot.send_message(
                chat_id, text, parse_mode=ParseMode.HTML, reply_markup=keyboard
            )

    # -- commands ----------------------------------------------------------------------------
    async def new_post(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message is None:
            return
        previous = await self.writer.start_over(message.chat_id)
        await message.reply_text(replies.started_over(previous), parse_mode=ParseMode.HTML)

    async def status(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message is None:
            return
        thread = await self.writer.post(message.chat_id)
        if thread is None:
            await message.reply_text(replies.NO_POST)
            return
        state = await self.writer.state_of(thread)
        await message.reply_text(
            replies.status(thread, state),
            parse_mode=ParseMode.HTML,
            reply_markup=result_keyboard(thread) if state == "open" else None,
        )

    async def discard(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message is None:
            return
        thread = await self.writer.post(message.chat_id)
        if thread is None:
            await message.reply_text(replies.NO_POST)
            return
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
            await context.bot.send_message(
                chat_id, replies.started_over(previous), parse_mode=ParseMode.HTML
            )
        elif data == KEEP:
            await query.answer("Kept")
            await self._edit_button_message(query, replies.KEPT)
        elif data.startswith((DISCARD_ASK, DISCARD_CONFIRM)):
            await self._discard_button(query, chat_id, data)
        else:
            await query.answer(replies.STALE_BUTTON)

    async def _discard_button(self, query: CallbackQuery, chat_id: int, data: str) -> None:
        confirm = data.startswith(DISCARD_CONFIRM)
        try:
            number = int(data.split(":", 1)[1])
        except ValueError:
            await query.answer(replies.STALE_BUTTON)
            return
        thread = await self.writer.post(chat_id, number)
        if thread is None:
            await query.answer(replies.STALE_BUTTON)
            return
        if self.jobs.busy(chat_id):
            await query.answer(replies.BUSY, show_alert=True)
            return
        if not confirm:
            await query.answer()
            await query.get_bot().send_message(
                chat_id,
                replies.confirm_discard(thread),
                parse_mode=ParseMode.HTML,
                reply_markup=confirm_keyboard(number),
            )
            return
        await query.answer("Discarding…")
        try:
            await self.writer.discard(chat_id, number)
        except Exception as exc:
            log.exception("discard failed in chat %s", chat_id)
            await self._edit_button_message(query, replies.failure(exc))
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


def build_application(
    *,
    token: str,
    api_url: str,
    blog_bot: BlogBot,
    on_shutdown: Callable[[], Awaitable[None]] | None = None,
) -> Application:  # type: ignore[type-arg]
    async def post_init(app: Application) -> None:  # type: ignore[type-arg]
        await app.bot.set_my_commands(COMMANDS)
        log.info("bot @%s is up, polling for updates", app.bot.username)

    async def post_shutdown(app: Application) -> None:  # type: ignore[type-arg]
        if on_shutdown is not None:
            await on_shutdown()

    app = (
        ApplicationBuilder()
        .token(token)
        .base_url(f"{api_url}/bot")
        .base_file_url(f"{api_url}/file/bot")
        .concurrent_updates(True)
        .rate_limiter(AIORateLimiter(max_retries=3))
        .post_init(post_init)
        .post_shutdown(post_shutdown)
        .build()
    )
    blog_bot.register(app)
    return app
