"""The two answers to "your draft contains what looks private": each resumes the held job.

The choice is kept in the job's record (so a restart between the press and the commit keeps
it) and applies to that job only; the job then publishes the redacted draft or the draft as is.
"""

from __future__ import annotations

from typing import Literal

from telegram import Update
from telegram.ext import CallbackQueryHandler

from bot.core.jobs import JobStore
from bot.telegram import replies
from bot.telegram.buttons import Context, pressed, pressed_number
from bot.telegram.job_runner import JobRunner
from bot.telegram.keyboards import PUBLISH_AS_IS, REMOVE_PRIVATE
from bot.telegram.privacy_replies import PUBLISHING_AS_IS, REMOVING


class PrivacyButtons:
    def __init__(self, runner: JobRunner, job_store: JobStore) -> None:
        self.runner = runner
        self.job_store = job_store

    async def remove_and_publish(self, update: Update, context: Context) -> None:
        await self._choose(update, context, "remove")

    async def publish_as_is(self, update: Update, context: Context) -> None:
        await self._choose(update, context, "keep")

    async def _choose(
        self, update: Update, context: Context, choice: Literal["remove", "keep"]
    ) -> None:
        if (press := await pressed(update, context)) is None:
            return
        query, chat_id = press
        record = await self.job_store.get(chat_id, pressed_number(context))
        if record is None or not record.held:
            await query.answer(replies.STALE_BUTTON)
            return
        if self.runner.queue.busy(chat_id):
            await query.answer(replies.BUSY, show_alert=True)
            return
        record.privacy = choice
        await query.answer(REMOVING if choice == "remove" else PUBLISHING_AS_IS)
        await self.runner.retry(record)  # saves the choice, then publishes the kept draft


def privacy_handlers(
    runner: JobRunner, job_store: JobStore
) -> list[CallbackQueryHandler[Context, None]]:
    """The two buttons' handlers, routed by their callback data (bot/telegram/keyboards.py)."""
    buttons = PrivacyButtons(runner, job_store)
    return [
        CallbackQueryHandler(buttons.remove_and_publish, pattern=REMOVE_PRIVATE.pattern),
        CallbackQueryHandler(buttons.publish_as_is, pattern=PUBLISH_AS_IS.pattern),
    ]
