"""Messages that are not commands: a writer's notes become a job, anything else a short answer.

In groups the bot only reacts to messages meant for it (a mention, a command, or a reply to one
of its messages); a stranger is told their user id so the maintainer can allow them.
"""

from __future__ import annotations

import logging

from telegram import Bot, Message, Update
from telegram.constants import ChatType
from telegram.ext import ContextTypes

from bot.core.jobs import JobStore
from bot.telegram import replies
from bot.telegram.chat_queue import Piece
from bot.telegram.job_runner import JobRunner

log = logging.getLogger(__name__)

Context = ContextTypes.DEFAULT_TYPE


def addressed(message: Message, bot: Bot) -> bool:
    """In groups, only messages that mention the bot or reply to it are for the bot."""
    if message.chat.type == ChatType.PRIVATE:
        return True
    text = message.text or message.caption or ""
    if replied_bot_message(message, bot) is not None:
        return True
    return f"@{bot.username}" in text or text.startswith("/")


def notes_in(message: Message, bot_username: str | None) -> str:
    """The writer's words: the text, or a photo's caption, without the bot's @mention."""
    text = message.text or message.caption or ""
    if bot_username:
        text = text.replace(f"@{bot_username}", "")
    # Zero-width spaces, emoji alone, punctuation: nothing a post could be written about.
    if not any(ch.isalnum() for ch in text):
        return ""
    return text.strip()


def replied_bot_message(message: Message, bot: Bot) -> int | None:
    """The id of the bot's message this one replies to, if it replies to the bot."""
    replied = message.reply_to_message
    if replied and replied.from_user and replied.from_user.id == bot.id:
        return replied.message_id
    return None


class Messages:
    def __init__(self, runner: JobRunner, job_store: JobStore) -> None:
        self.runner = runner
        self.job_store = job_store

    async def notes(self, update: Update, context: Context) -> None:
        """Text (or a caption) from a writer: the notes for a new post or a revision."""
        message = update.effective_message
        if message is None or not addressed(message, context.bot):
            return
        text = notes_in(message, context.bot.username)
        if not text:
            await message.reply_text(replies.EMPTY)
            return
        if await self.job_store.get(message.chat_id, message.message_id) is not None:
            return  # handled again after a restart: the job was already accepted
        # A reply to one of the bot's results revises that post (see Writer.handle).
        reply_to = replied_bot_message(message, context.bot)
        await self.runner.accept(message, Piece(text, message.message_id, reply_to))

    async def not_text(self, update: Update, context: Context) -> None:
        message = update.effective_message
        if message and addressed(message, context.bot):
            await message.reply_text(replies.NOT_TEXT)

    async def edited(self, update: Update, context: Context) -> None:
        message = update.effective_message
        if message and addressed(message, context.bot):
            await message.reply_text(replies.EDITED)

    async def deny(self, update: Update, context: Context) -> None:
        """Anything from someone outside ALLOWED_USER_IDS: their id, and nothing else happens."""
        user = update.effective_user
        message = update.effective_message
        if user is None or message is None or not addressed(message, context.bot):
            return
        log.info("refused a message from user %s (not in ALLOWED_USER_IDS)", user.id)
        await message.reply_text(replies.not_allowed(user.id))
