"""The presses of "Go ahead" and "Update that post instead" (bot/telegram/similar_replies.py).

Nothing is written to GitHub before a press; a press records the writer's choice in the paused
job's record and runs the job again from its kept draft: "go" publishes the new post, "update"
opens a pull request that edits the existing post instead (bot.core.post_update).
"""

from __future__ import annotations

from typing import Literal

from telegram import Update

from bot.core.jobs import JobStore
from bot.telegram import replies
from bot.telegram.buttons import Context, pressed, pressed_number
from bot.telegram.job_runner import JobRunner


class SimilarPostButtons:
    def __init__(self, runner: JobRunner, job_store: JobStore) -> None:
        self.runner = runner
        self.job_store = job_store

    async def go_ahead(self, update: Update, context: Context) -> None:
        await self._choose(update, context, "go")

    async def update_existing(self, update: Update, context: Context) -> None:
        await self._choose(update, context, "update")

    async def _choose(
        self, update: Update, context: Context, choice: Literal["go", "update"]
    ) -> None:
        if (press := await pressed(update, context)) is None:
            return
        query, chat_id = press
        record = await self.job_store.get(chat_id, pressed_number(context))
        if record is None or record.state != "paused" or record.similar is None:
            await query.answer(replies.STALE_BUTTON)
            return
        if self.runner.queue.busy(chat_id):
            await query.answer(replies.BUSY, show_alert=True)
            return
        await query.answer("Publishing…" if choice == "go" else "Updating that post…")
        record.similar_choice = choice
        await self.runner.retry(record)  # from the kept draft; the status shows the progress
