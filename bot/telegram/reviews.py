"""The review loop's Telegram side: maintainers' words forwarded to the writer, and the Apply
and Ignore buttons under them.

ReviewDesk is the watcher's sink (bot/core/reviews.py). A forwarded review or comment says who
said what (quoted, shortened, with the file and line of an inline comment) and links to it;
Apply starts a revision of the post whose request is that review, as one job in the chat's
queue like a typed message (checkpointed and resumed the same way), and the watcher answers on
GitHub once it is committed. A comment that mentions the bot starts that revision at once.
Callback data: `review:apply` and `review:ignore`; the item is found by the message pressed.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from html import escape

from telegram import Bot, CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest, Forbidden
from telegram.ext import BaseHandler, CallbackQueryHandler, ContextTypes

from bot.core.jobs import JobRecord
from bot.core.ports import Feedback
from bot.core.reviews import Forwarded, Notice, PendingReply, ReviewRecords
from bot.core.text import shorten
from bot.telegram import replies
from bot.telegram.buttons import pressed
from bot.telegram.chat_queue import Piece
from bot.telegram.job_runner import JobRunner
from bot.telegram.keyboards import Button

log = logging.getLogger(__name__)

Context = ContextTypes.DEFAULT_TYPE

APPLY = Button("review:apply")
IGNORE = Button("review:ignore")

# Enough of a review to act on it from the chat; the link has the rest.
QUOTE_CHARS = 700
REVISING = "✍️ Revising the post with that review…"
APPLYING = "Applying it now: it asks me to."
APPLY_PRESSED = "Applying it."
IGNORED = "Ignored."
ALREADY = "Already handled."
FORGOTTEN = "I no longer have this post in this chat, so I cannot apply it."


def _verb(item: Feedback) -> str:
    if item.kind == "review":
        return {
            "APPROVED": "approved",
            "CHANGES_REQUESTED": "requested changes on",
        }.get(item.review_state or "", "reviewed")
    return "commented on"


def feedback_text(notice: Notice, note: str | None = None) -> str:
    """The forwarded item, as Telegram HTML."""
    item = notice.feedback
    assert item is not None
    pull = f'<a href="{escape(notice.pull_url)}">#{notice.number}</a>'
    title = f" “{escape(notice.title)}”" if notice.title else ""
    where = ""
    if item.kind == "review_comment" and item.path:
        line = f", line {item.line}" if item.line else ""
        where = f" (<code>{escape(item.path)}</code>{line})"
    icon = "✅" if item.review_state == "APPROVED" else "💬"
    text = f"{icon} <b>{escape(item.author)}</b> {_verb(item)} {pull}{title}{where}"
    body = item.body.strip()
    text += (
        f":\n<blockquote>{escape(shorten(body, QUOTE_CHARS, words=True))}</blockquote>"
        if body
        else "."
    )
    if item.url:
        text += f'\n<a href="{escape(item.url)}">Open on GitHub</a>'
    if note:
        text += f"\n\n{escape(note)}"
    return text


def closed_text(notice: Notice) -> str:
    pull = f'<a href="{escape(notice.pull_url)}">#{notice.number}</a>'
    title = f" “{escape(notice.title)}”" if notice.title else ""
    if notice.kind == "merged":
        text = f"🎉 Pull request {pull}{title} was merged."
        if notice.post_url:
            address = escape(notice.post_url)
            text += f' It will be at <a href="{address}">{address}</a> once the site is built.'
        return text
    return f"Pull request {pull}{title} was closed without merging."


def review_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton("Apply", callback_data=APPLY.data),
                InlineKeyboardButton("Ignore", callback_data=IGNORE.data),
            ]
        ]
    )


class ReviewDesk:
    """Delivers the watcher's notices and answers their buttons."""

    def __init__(self, records: ReviewRecords) -> None:
        self.records = records
        self._runner: JobRunner | None = None

    def handlers(self, runner: JobRunner) -> Sequence[BaseHandler[Update, Context, None]]:
        """The buttons' handlers (bot/telegram/application.py routes them); the runner starts
        the revisions."""
        self._runner = runner
        return [
            CallbackQueryHandler(self.apply, pattern=APPLY.pattern),
            CallbackQueryHandler(self.ignore, pattern=IGNORE.pattern),
        ]

    @property
    def runner(self) -> JobRunner:
        if self._runner is None:
            raise RuntimeError("ReviewDesk.handlers() was not registered")
        return self._runner

    @property
    def bot(self) -> Bot:
        return self.runner.bot

    # -- the watcher's sink ----------------------------------------------------------------------
    async def deliver(self, notice: Notice) -> None:
        """Tell the writer; a chat that is gone or blocked the bot is nobody to tell (done), a
        network failure is raised (the notice waits for the next poll)."""
        try:
            await self._deliver(notice)
        except (Forbidden, BadRequest) as exc:
            log.warning("could not tell chat %s about #%s: %s", notice.chat_id, notice.number, exc)

    async def _deliver(self, notice: Notice) -> None:
        if notice.kind != "feedback":
            await self.bot.send_message(notice.chat_id, closed_text(notice))
            return
        assert notice.feedback is not None
        action = notice.action
        known = await self.runner.writer.post(notice.chat_id, notice.number) is not None
        if action in ("apply", "forward") and not known:
            await self.bot.send_message(notice.chat_id, feedback_text(notice, FORGOTTEN))
            return
        if action == "info":
            await self.bot.send_message(notice.chat_id, feedback_text(notice))
            return
        if action == "forward":
            sent = await self.bot.send_message(
                notice.chat_id, feedback_text(notice), reply_markup=review_keyboard()
            )
            await self.records.keep_forwarded(self._forwarded(notice, sent.message_id, "open"))
            return
        sent = await self.bot.send_message(notice.chat_id, feedback_text(notice, APPLYING))
        await self.records.keep_forwarded(self._forwarded(notice, sent.message_id, "applying"))
        await self._revise(
            notice.chat_id, sent.message_id, notice.number, notice.request, notice.feedback.author
        )

    @staticmethod
    def _forwarded(notice: Notice, message_id: int, status: str) -> Forwarded:
        assert notice.feedback is not None
        return Forwarded(
            chat_id=notice.chat_id,
            message_id=message_id,
            number=notice.number,
            author=notice.feedback.author,
            request=notice.request,
            status="applying" if status == "applying" else "open",
        )

    async def _revise(
        self, chat_id: int, message_id: int, number: int, request: str, author: str
    ) -> None:
        """The revision, as a job of the chat's queue whose notes are the review; keyed by the
        forwarded message, so it is started once."""
        runner = self.runner
        if await runner.job_store.get(chat_id, message_id) is not None:
            return
        record = JobRecord(
            chat_id=chat_id,
            message_id=message_id,
            text=request,
            reply_to=message_id,
            kind="revise",
            target=number,
        )
        await runner.job_store.save(record)
        await self.records.expect_reply(PendingReply(chat_id, message_id, number, author))
        busy = runner.queue.busy(chat_id) or runner.queue.waiting(chat_id) > 0
        status = await self.bot.send_message(
            chat_id, replies.QUEUED if busy else REVISING, reply_to_message_id=message_id
        )
        record.status_message_id = status.message_id
        await runner.job_store.save(record)
        runner.queue.resume(chat_id, Piece(request, message_id, message_id, joins=False), record)

    # -- the buttons -------------------------------------------------------------------------
    async def _open_item(
        self, update: Update, context: Context
    ) -> tuple[CallbackQuery, int, Forwarded] | None:
        """The pressed forwarded item, when it still waits for a choice; else answered."""
        if (press := await pressed(update, context)) is None:
            return None
        query, chat_id = press
        assert query.message is not None
        item = await self.records.forwarded(chat_id, query.message.message_id)
        if item is None or item.status != "open":
            await query.answer(ALREADY if item else replies.STALE_BUTTON)
            return None
        return query, chat_id, item

    async def apply(self, update: Update, context: Context) -> None:
        if (opened := await self._open_item(update, context)) is None:
            return
        query, chat_id, item = opened
        if await self.records.watched(item.number) is None:
            await query.answer(
                f"Pull request #{item.number} is merged or closed: nothing to apply.",
                show_alert=True,
            )
            return
        if await self.runner.writer.post(chat_id, item.number) is None:
            await query.answer(FORGOTTEN, show_alert=True)
            return
        item.status = "applying"
        await self.records.keep_forwarded(item)
        await query.answer(APPLY_PRESSED)
        await _settle(query, APPLY_PRESSED)
        await self._revise(chat_id, item.message_id, item.number, item.request, item.author)

    async def ignore(self, update: Update, context: Context) -> None:
        if (opened := await self._open_item(update, context)) is None:
            return
        query, _, item = opened
        item.status = "ignored"
        await self.records.keep_forwarded(item)
        await query.answer(IGNORED)
        await _settle(query, IGNORED)


async def _settle(query: CallbackQuery, note: str) -> None:
    """The forwarded message says what became of it, and its buttons go."""
    message = query.message
    if not isinstance(message, Message):
        return
    try:
        await query.edit_message_text(f"{message.text_html}\n\n<i>{escape(note)}</i>")
    except BadRequest as exc:  # gone, or already says so
        log.info("could not update a forwarded review: %s", exc)
