"""The inline buttons under the bot's answers: one handler per kind of button.

bot/telegram/application.py routes each press by its callback data (the patterns of
bot/telegram/keyboards.py): a stranger's press is refused first, and data no pattern matches
(a button from an older version, a tampered press) is answered as out of date.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Coroutine
from functools import cached_property
from typing import Any, Literal

from telegram import CallbackQuery, Message, Update
from telegram.error import BadRequest
from telegram.ext import CallbackQueryHandler, ContextTypes

from bot.core.conversation import PostThread
from bot.core.errors import PublishError
from bot.core.jobs import JobStore
from bot.core.recent_posts import RecentPosts
from bot.core.writer import Writer
from bot.telegram import replies
from bot.telegram.job_runner import JobRunner
from bot.telegram.keyboards import confirm_discard_keyboard, without_button
from bot.telegram.preview import send_preview

log = logging.getLogger(__name__)

Context = ContextTypes.DEFAULT_TYPE
Callback = Callable[[Update, Context], Coroutine[Any, Any, None]]


class PressedByStranger(CallbackQueryHandler[Context, None]):
    """Matches any button press by someone outside ALLOWED_USER_IDS, whatever its data."""

    def __init__(self, callback: Callback, allowed_user_ids: Collection[int]) -> None:
        super().__init__(callback)
        self.allowed_ids = frozenset(allowed_user_ids)

    def check_update(self, update: object) -> bool:
        return (
            isinstance(update, Update)
            and update.callback_query is not None
            and update.callback_query.from_user.id not in self.allowed_ids
        )


async def pressed(update: Update, context: Context) -> tuple[CallbackQuery, int] | None:
    """The press and its chat; None when there is nothing to answer, or (after saying so) when
    the press carries no data that the handler's pattern matched."""
    query = update.callback_query
    if query is None or query.message is None:
        return None
    if not context.matches:
        await query.answer(replies.STALE_BUTTON)
        return None
    return query, query.message.chat.id


def pressed_number(context: Context) -> int:
    """The pull request number or message id in a NumberedButton's data."""
    assert context.matches, "routed by a NumberedButton pattern"
    return int(context.matches[0].group(1))


class Buttons:
    def __init__(self, writer: Writer, runner: JobRunner, job_store: JobStore) -> None:
        self.writer = writer
        self.runner = runner
        self.job_store = job_store

    async def new_post(self, update: Update, context: Context) -> None:
        if (press := await pressed(update, context)) is None:
            return
        query, chat_id = press
        previous = await self.writer.start_over(chat_id)
        await query.answer("OK")
        await context.bot.send_message(chat_id, replies.started_over(previous))

    async def keep(self, update: Update, context: Context) -> None:
        if (press := await pressed(update, context)) is None:
            return
        query, _ = press
        await query.answer("Kept")
        await _edit_button_message(query, replies.KEPT)

    async def preview(self, update: Update, context: Context) -> None:
        if (press := await pressed(update, context)) is None:
            return
        query, chat_id = press
        if await self._out_of_date(query, chat_id, pressed_number(context)):
            return
        thread = await self.writer.post(chat_id, pressed_number(context))
        if thread is None:
            await query.answer(replies.STALE_BUTTON)
            return
        await query.answer()
        await send_preview(context.bot, self.writer, chat_id, thread)

    async def retry(self, update: Update, context: Context) -> None:
        if (press := await pressed(update, context)) is None:
            return
        query, chat_id = press
        record = await self.job_store.get(chat_id, pressed_number(context))
        if record is None or record.state != "failed":
            await query.answer(replies.STALE_BUTTON)
            return
        await query.answer("Retrying…")
        await self.runner.retry(record)

    async def edit_merged(self, update: Update, context: Context) -> None:
        """After a merge: the asked job runs again as a follow-up pull request."""
        await self._after_merge(update, context, "followup")

    async def new_from_job(self, update: Update, context: Context) -> None:
        """After a merge (or a pull request closed meanwhile): the job runs again as a new
        post."""
        await self._after_merge(update, context, "new")

    async def _after_merge(
        self, update: Update, context: Context, kind: Literal["followup", "new"]
    ) -> None:
        if (press := await pressed(update, context)) is None:
            return
        query, chat_id = press
        record = await self.job_store.get(chat_id, pressed_number(context))
        if record is None or record.kind != "ask" or not record.finished:
            await query.answer(replies.STALE_BUTTON)
            return
        if self.runner.queue.busy(chat_id):
            await query.answer(replies.BUSY, show_alert=True)
            return
        record.kind = kind
        if kind == "new":
            record.target = None
        # Whatever was drafted was a revision of the post as it was: drafted afresh.
        record.draft, record.progress, record.edits, record.note = None, None, None, None
        await query.answer("OK")
        await self.runner.retry(record)

    async def discard(self, update: Update, context: Context) -> None:
        """Discard: asks first, under the result it was pressed on."""
        if (press := await pressed(update, context)) is None:
            return
        query, chat_id = press
        if (thread := await self._discardable(query, chat_id, pressed_number(context))) is None:
            return
        await query.answer()
        await context.bot.send_message(
            chat_id,
            replies.confirm_discard(thread),
            reply_markup=confirm_discard_keyboard(thread.number),
        )

    async def discard_confirmed(self, update: Update, context: Context) -> None:
        """The "Yes, close #N" button: closes the pull request and deletes its branch."""
        if (press := await pressed(update, context)) is None:
            return
        query, chat_id = press
        if (thread := await self._discardable(query, chat_id, pressed_number(context))) is None:
            return
        await query.answer("Discarding…")
        try:
            await self.writer.discard(chat_id, thread.number)
        except PublishError as exc:
            log.warning("discard of #%s in chat %s failed: %s", thread.number, chat_id, exc)
            await _edit_button_message(query, replies.failure(exc, draft_kept=False))
            return
        except Exception as exc:
            log.exception("discard failed in chat %s", chat_id)
            await _edit_button_message(query, replies.failure(exc, draft_kept=False))
            return
        await _edit_button_message(query, replies.discarded(thread))

    async def _discardable(
        self, query: CallbackQuery, chat_id: int, number: int
    ) -> PostThread | None:
        """The chat's post `number`, or None after saying why it cannot be discarded now."""
        if await self._out_of_date(query, chat_id, number):
            return None
        thread = await self.writer.post(chat_id, number)
        if thread is None:
            await query.answer(replies.STALE_BUTTON)
            return None
        if self.runner.queue.busy(chat_id):
            await query.answer(replies.BUSY, show_alert=True)
            return None
        return thread

    async def pick(self, update: Update, context: Context) -> None:
        """A /posts button: that post becomes the current one, which the next message revises."""
        if (press := await pressed(update, context)) is None:
            return
        query, chat_id = press
        number = pressed_number(context)
        if await self._out_of_date(query, chat_id, number, only_this_button=True):
            return
        if self.runner.queue.busy(chat_id):  # the job in progress decides what is current
            await query.answer(replies.BUSY, show_alert=True)
            return
        thread = await self.recent_posts.make_current(chat_id, number)
        if thread is None:  # forgotten since the check
            await query.answer(replies.out_of_date(number, "forgotten"), show_alert=True)
            return
        await query.answer(f"#{number} is now the current post")
        await context.bot.send_message(chat_id, replies.now_current(thread))

    @cached_property
    def recent_posts(self) -> RecentPosts:
        return RecentPosts(self.writer.conversations, self.writer.posts.repository)

    async def _out_of_date(
        self, query: CallbackQuery, chat_id: int, number: int, *, only_this_button: bool = False
    ) -> bool:
        """Whether the button about pull request `number` no longer applies: then it says so,
        and leaves the message (all its buttons, or `only_this_button`) without it."""
        why = await self.recent_posts.stale(chat_id, number)
        if why is None:
            return False
        await query.answer(replies.out_of_date(number, why), show_alert=True)
        message = query.message
        markup = message.reply_markup if isinstance(message, Message) else None
        if only_this_button and query.data is not None:
            markup = without_button(markup, query.data)
        else:
            markup = None
        try:
            # PTB would send Defaults' parse_mode with this method too, which has none.
            await query.edit_message_reply_markup(markup, api_kwargs={"parse_mode": None})
        except BadRequest as exc:  # the message is gone, too old to edit, or already bare
            log.info("could not take an out-of-date button away: %s", exc)
        return True


async def not_yours(update: Update, context: Context) -> None:
    query = update.callback_query
    if query is not None and query.message is not None:
        await query.answer(replies.BUTTON_NOT_YOURS, show_alert=True)


async def out_of_date(update: Update, context: Context) -> None:
    query = update.callback_query
    if query is not None and query.message is not None:
        await query.answer(replies.STALE_BUTTON)


async def _edit_button_message(query: CallbackQuery, text: str) -> None:
    try:
        await query.edit_message_text(text)
    except BadRequest as exc:  # the message is gone or already says this
        log.info("could not edit a button message: %s", exc)
