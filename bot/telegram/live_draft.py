"""A running job, shown live: its phase in the status message, the draft as the model writes it,
and the typing action kept alive until the answer.

In a private chat the growing text goes out as a message draft (`sendMessageDraft`: Telegram
shows it as a preview that is being typed, for about 30 s), at most every `draft_interval`
seconds; in a group, where drafts are not allowed, the status message itself is edited, at most
every `edit_interval` seconds (phase changes included). Telegram clears a typing action after
about 5 s, so it is sent again every `typing_interval` seconds.

Nothing here holds the job up: the job only hands over the latest text or phase, and one
background task sends what is due, newest first, and drops what was overtaken. `close()` waits
for a call in flight, so that the answer is always the status message's last edit.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from html import escape

from telegram import Bot
from telegram.constants import ChatAction, MessageLimit
from telegram.error import BadRequest, RetryAfter, TelegramError

from bot.core.phases import Phase
from bot.telegram import replies

log = logging.getLogger(__name__)

ELLIPSIS = "…"


def utf16_units(text: str) -> int:
    """Telegram's length of `text`: UTF-16 code units."""
    return len(text) + sum(1 for char in text if ord(char) > 0xFFFF)


def tail(text: str, units: int) -> str:
    """The end of `text` in at most `units` UTF-16 units, behind an ellipsis when cut."""
    if utf16_units(text) <= units:
        return text
    start, used = len(text), 0
    while start > 0:
        width = 2 if ord(text[start - 1]) > 0xFFFF else 1
        if used + width > units - len(ELLIPSIS):
            break
        used += width
        start -= 1
    return ELLIPSIS + text[start:]


def phase_text(phase: Phase) -> str:
    return {
        "drafting": replies.WORKING,
        "revising": replies.REVISING,
        "publishing": replies.PUBLISHING_TO_GITHUB,
    }[phase]


class LiveDraft:
    """Implements bot.core.phases.JobWatcher for one job's chat and status message."""

    def __init__(
        self,
        bot: Bot,
        chat_id: int,
        status_message_id: int | None,
        *,
        shown: str | None,
        draft_id: int,
        just_started: bool = True,
        draft_interval: float = 0.4,
        edit_interval: float = 1.0,
        typing_interval: float = 4.0,
        clock: Callable[[], float] | None = None,
    ) -> None:
        """`shown`: what the status message says now (None: unknown); `just_started`: the
        status message and a typing action went out just now (else typing is sent at once)."""
        self._bot = bot
        self._chat_id = chat_id
        self._message_id = status_message_id
        self._private = chat_id > 0  # private chats have positive ids, groups negative ones
        self._draft_id = draft_id or 1  # Telegram wants a non-zero id
        self._draft_interval = draft_interval
        self._edit_interval = edit_interval
        self._typing_interval = typing_interval
        self._clock = clock or asyncio.get_running_loop().time
        now = self._clock()
        self._status = shown or ""  # what the status message should say (its header)
        self._phase = self._status  # the phase's own text, which a retry's status interrupts
        self._shown_status = shown  # what it says
        self._text = ""  # the draft so far
        self._shown_text = ""  # the draft as last shown
        # In a group the status message itself counts against the one-a-second pace; it was
        # sent just now, or long ago when queued (one early edit then is no burst either).
        self._last_edit = now if not self._private and just_started else float("-inf")
        self._last_draft = float("-inf")
        self._last_typing = now if just_started else float("-inf")
        self._paused_until = float("-inf")  # Telegram asked to wait (429)
        self._wake = asyncio.Event()
        self._closing = False
        self._task: asyncio.Task[None] | None = None
        self.draft_updates = 0
        self.edits = 0

    def start(self) -> LiveDraft:
        self._task = asyncio.get_running_loop().create_task(self._run())
        return self

    # -- JobWatcher ----------------------------------------------------------------------------
    async def phase(self, phase: Phase) -> None:
        self._phase = phase_text(phase)
        self._set_status(self._phase)
        if phase == "publishing" and not self._private:
            self._text = ""  # the draft is done: the status message says what happens now

    async def text(self, so_far: str) -> None:
        self._text = so_far
        if self._status != self._phase:
            self._status = self._phase  # a retry that answers: no longer busy
        self._wake.set()

    async def retrying(self, attempt: int, attempts: int) -> None:
        busy = replies.model_busy(attempt, attempts)
        # The failed try's words are gone; the next try starts afresh. A private chat's draft
        # says why (never empty: python-telegram-bot 22.8 sends an empty draft text as "[]").
        self._text = busy if self._private else ""
        self._set_status(busy)

    def _set_status(self, text: str) -> None:
        self._status = text
        self._wake.set()

    # -- ending --------------------------------------------------------------------------------
    async def close(self) -> None:
        """Stop: nothing more is sent; a call in flight is waited for (the answer comes after)."""
        self._closing = True
        self._wake.set()
        if self._task is not None:
            with contextlib.suppress(Exception):
                await self._task

    def cancel(self) -> None:
        self._closing = True
        if self._task is not None:
            self._task.cancel()

    # -- the sender ----------------------------------------------------------------------------
    async def _run(self) -> None:
        while not self._closing:
            self._wake.clear()  # before looking: news from now on wakes the wait below
            wait = await self._send_due()
            if self._closing:
                break
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=wait)

    async def _send_due(self) -> float:
        """Send every update that is due now; -> seconds until the next one may be."""
        now = self._clock()
        if now < self._paused_until:
            return self._paused_until - now
        waits = [self._typing_interval - (now - self._last_typing)]
        if waits[0] <= 0:
            await self._call(self._typing())
            self._last_typing = self._clock()
            waits[0] = self._typing_interval
        if self._private and self._text and self._text != self._shown_text:
            due = self._draft_interval - (now - self._last_draft)
            if due <= 0:
                self._shown_text = self._text
                await self._call(self._draft(self._text))
                self._last_draft = self._clock()
                due = self._draft_interval
            waits.append(due)
        if self._message_id is not None and self._edit_wanted():
            due = self._edit_interval - (now - self._last_edit)
            if due <= 0:
                await self._call(self._edit())
                self._last_edit = self._clock()
                due = self._edit_interval
            waits.append(due)
        return max(min(waits), 0.0)

    def _edit_wanted(self) -> bool:
        if self._status != self._shown_status:
            return True
        return not self._private and self._text != self._shown_text

    async def _call(self, call: Awaitable[None]) -> None:
        try:
            await call
        except RetryAfter as exc:
            retry = exc.retry_after
            seconds = retry if isinstance(retry, int | float) else retry.total_seconds()
            self._paused_until = self._clock() + seconds
            log.info("Telegram asked to wait %.0f s before the next live update", seconds)
        except BadRequest as exc:
            log.warning("a live update of chat %s was refused: %s", self._chat_id, exc.message)
        except TelegramError as exc:
            log.warning("a live update of chat %s failed: %s", self._chat_id, exc)

    async def _typing(self) -> None:
        await self._bot.send_chat_action(self._chat_id, ChatAction.TYPING)

    async def _draft(self, text: str) -> None:
        self.draft_updates += 1
        # Plain text (no parse mode): the model's Markdown can never break the preview.
        await self._bot.send_message_draft(
            self._chat_id,
            self._draft_id,
            tail(text, MessageLimit.MAX_TEXT_LENGTH),
            parse_mode=None,
        )

    async def _edit(self) -> None:
        status, text = self._status, "" if self._private else self._text
        body = status
        if text.strip():
            room = MessageLimit.MAX_TEXT_LENGTH - utf16_units(status) - 2
            body = f"{status}\n\n{escape(tail(text, room), quote=False)}"
        self._shown_status, self._shown_text = status, text
        self.edits += 1
        try:
            await self._bot.edit_message_text(
                body, chat_id=self._chat_id, message_id=self._message_id
            )
        except BadRequest as exc:
            if "not modified" not in exc.message.lower():
                raise
