"""The slash commands: /help (and /start), /new, /status, /posts, /preview, /retry, /discard,
/cancel."""

from __future__ import annotations

import logging

from telegram import BotCommand, Message, Update
from telegram.ext import ContextTypes

from bot.core.conversation import PostThread
from bot.core.errors import PublishError
from bot.core.jobs import JobStore
from bot.core.recent_posts import RecentPosts
from bot.core.writer import Writer
from bot.telegram import replies
from bot.telegram.job_runner import JobRunner
from bot.telegram.keyboards import confirm_discard_keyboard, posts_keyboard, result_keyboard
from bot.telegram.preview import send_preview

log = logging.getLogger(__name__)

Context = ContextTypes.DEFAULT_TYPE

# The menu Telegram shows next to the message field (set at start-up).
COMMANDS = [
    BotCommand("new", "Start a new post"),
    BotCommand("status", "Show the current post"),
    BotCommand("posts", "List your recent posts, pick the current one"),
    BotCommand("preview", "Show the current post's file"),
    BotCommand("retry", "Publish the last draft that failed to publish"),
    BotCommand("discard", "Close the current pull request"),
    BotCommand("cancel", "Stop the job in progress"),
    BotCommand("help", "How to use this bot"),
]


class Commands:
    def __init__(self, writer: Writer, runner: JobRunner, job_store: JobStore) -> None:
        self.writer = writer
        self.runner = runner
        self.job_store = job_store

    async def help(self, update: Update, context: Context) -> None:
        if update.effective_message:
            await update.effective_message.reply_text(replies.HELP)

    async def new_post(self, update: Update, context: Context) -> None:
        message = update.effective_message
        if message is None:
            return
        previous = await self.writer.start_over(message.chat_id)
        await message.reply_text(replies.started_over(previous))

    async def status(self, update: Update, context: Context) -> None:
        if (found := await self._current_post(update)) is None:
            return
        message, thread = found
        try:
            state = await self.writer.state_of(thread)
        except PublishError as exc:
            log.warning("status of #%s in chat %s: %s", thread.number, message.chat_id, exc)
            await message.reply_text(replies.failure(exc, draft_kept=False))
            return
        await message.reply_text(
            replies.status(thread, state),
            reply_markup=result_keyboard(thread) if state == "open" else None,
        )

    async def posts(self, update: Update, context: Context) -> None:
        """The chat's recent posts with their state, and a button to make each the current."""
        message = update.effective_message
        if message is None:
            return
        listing = await RecentPosts(
            self.writer.conversations, self.writer.posts.repository
        ).listing(message.chat_id)
        if not listing.posts:
            await message.reply_text(replies.NO_POSTS)
            return
        await message.reply_text(
            replies.post_listing(listing), reply_markup=posts_keyboard(listing)
        )

    async def preview(self, update: Update, context: Context) -> None:
        if (found := await self._current_post(update)) is None:
            return
        message, thread = found
        await send_preview(context.bot, self.writer, message.chat_id, thread)

    async def retry(self, update: Update, context: Context) -> None:
        message = update.effective_message
        if message is None:
            return
        record = await self.job_store.last_failed(message.chat_id)
        if record is None or record.error == "cancelled":
            await message.reply_text(replies.NOTHING_TO_RETRY)
            return
        await self.runner.retry(record)

    async def discard(self, update: Update, context: Context) -> None:
        if (found := await self._current_post(update)) is None:
            return
        message, thread = found
        await message.reply_text(
            replies.confirm_discard(thread), reply_markup=confirm_discard_keyboard(thread.number)
        )

    async def cancel(self, update: Update, context: Context) -> None:
        message = update.effective_message
        if message is None:
            return
        cancelled = self.runner.queue.cancel(message.chat_id)
        if cancelled is None:
            await message.reply_text(replies.NOTHING_RUNNING)
        elif not cancelled:
            await message.reply_text(replies.TOO_LATE_TO_CANCEL)
        # When cancelled, the job's own status message says so.

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
