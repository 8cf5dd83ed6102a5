"""The long-polling loop and the process lifecycle.

python-telegram-bot's own Updater confirms an update to Telegram (by asking for the next
offset) as soon as it is queued, before any handler has run: a crash then loses the message.
This loop stores each update in the inbox first, and only then asks for the next offset.

Shutdown (SIGTERM from the platform, or Ctrl-C): stop fetching, give running jobs a few seconds
to finish, cancel the rest (their records say where to resume), exit 0.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from contextlib import contextmanager
from typing import Any

from telegram import Update
from telegram.error import Conflict, InvalidToken, NetworkError, RetryAfter, TimedOut

from bot.core.jobs import Inbox
from bot.startup import TELEGRAM_UNAUTHORIZED, SettingRejected, host_of, until_reachable
from bot.telegram.application import BotApplication
from bot.telegram.commands import COMMANDS
from bot.telegram.job_runner import JobRunner

log = logging.getLogger(__name__)

POLL_TIMEOUT_SECONDS = 10
MAX_POLL_BACKOFF_SECONDS = 30.0
# Leave room for Heroku's 30 s between SIGTERM and SIGKILL, and exit well within 10 s.
SHUTDOWN_GRACE_SECONDS = 7.0


class Poller:
    def __init__(self, app: BotApplication, inbox: Inbox) -> None:
        self._app = app
        self._inbox = inbox
        self._offset: int | None = None

    async def run(self) -> None:
        backoff = 1.0
        while True:
            try:
                updates = await self._app.bot.get_updates(
                    offset=self._offset,
                    timeout=POLL_TIMEOUT_SECONDS,
                    allowed_updates=Update.ALL_TYPES,
                )
            except InvalidToken:
                raise SettingRejected(TELEGRAM_UNAUTHORIZED) from None
            except RetryAfter as exc:
                delay = exc.retry_after
                await asyncio.sleep(
                    delay if isinstance(delay, int | float) else delay.total_seconds()
                )
                continue
            except Conflict as exc:
                log.error(
                    "Telegram refuses to deliver updates (%s): another instance is polling with "
                    "this token, or a webhook is set (python -m bot check --delete-webhook)",
                    exc,
                )
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, MAX_POLL_BACKOFF_SECONDS)
                continue
            except (NetworkError, TimedOut) as exc:
                log.warning("polling Telegram failed (%s); retrying in %.0f s", exc, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, MAX_POLL_BACKOFF_SECONDS)
                continue
            backoff = 1.0
            for update in updates:
                # Stored before the next getUpdates confirms it: a crash from here on is survived.
                await self._inbox.keep(update.update_id, update.to_dict())
                await self._app.update_queue.put(update)
            if updates:
                self._offset = updates[-1].update_id + 1


async def run_bot(
    app: BotApplication,
    runner: JobRunner,
    inbox: Inbox,
    *,
    on_shutdown: Callable[[], Awaitable[None]] | None = None,
    stop: asyncio.Event | None = None,
    background: Callable[[asyncio.Event], Coroutine[Any, Any, None]] | None = None,
) -> None:
    """Start, resume unfinished work, poll until SIGTERM/SIGINT, let jobs finish, close.
    `background(stop)` (the review loop) runs from the start of polling until `stop` is set;
    it is given a moment to finish what it is doing (a notice sent is also recorded as sent)."""
    stop = stop or asyncio.Event()
    beside: asyncio.Task[None] | None = None
    try:
        with _stopped_by_signals(stop):
            if not await _start(app, stop):
                return  # stopped while Telegram was unreachable
            await _resume(app, runner, inbox)
            log.info("bot @%s is up, polling for updates", app.bot.username)
            if background is not None:
                beside = asyncio.create_task(background(stop))
            await _poll_until(stop, app, inbox)
            if beside is not None:
                await asyncio.wait({beside}, timeout=BACKGROUND_GRACE_SECONDS)
            await _stop_task(beside)
            await _drain(runner)
    finally:
        await _stop_task(beside)
        if app.running:
            await app.stop()
        await app.shutdown()  # a no-op when initialize() never got through
        if on_shutdown is not None:
            await on_shutdown()


@contextmanager
def _stopped_by_signals(stop: asyncio.Event) -> Iterator[None]:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        yield
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)


async def _start(app: BotApplication, stop: asyncio.Event) -> bool:
    """Connect to Telegram, waiting out outages; False when stopped before it answered."""
    where = host_of(app.bot.base_url)

    async def reachable(attempt: Callable[[], Awaitable[object]]) -> bool:
        return await until_reachable(attempt, service="Telegram", where=where, stop=stop)

    try:
        if not await reachable(app.initialize):
            return False
    except InvalidToken:
        raise SettingRejected(TELEGRAM_UNAUTHORIZED) from None
    if not await reachable(lambda: app.bot.set_my_commands(COMMANDS)):
        return False
    # A webhook left behind would make every getUpdates fail; polling is what we do.
    if not await reachable(lambda: app.bot.delete_webhook(drop_pending_updates=False)):
        return False
    await app.start()
    return True


async def _resume(app: BotApplication, runner: JobRunner, inbox: Inbox) -> None:
    """Queue the jobs and updates that an earlier run left unfinished."""
    resumed = await runner.resume()
    pending = await inbox.pending()
    for data in pending:
        update = Update.de_json(data, app.bot)
        if update is not None:
            await app.update_queue.put(update)
    if resumed or pending:
        log.info("resumed %d unfinished job(s) and %d unhandled update(s)", resumed, len(pending))


async def _poll_until(stop: asyncio.Event, app: BotApplication, inbox: Inbox) -> None:
    """Poll until `stop` is set; a fatal polling error (a revoked token) is raised."""
    poll = asyncio.create_task(Poller(app, inbox).run())
    stopped = asyncio.create_task(stop.wait())
    done, _ = await asyncio.wait({poll, stopped}, return_when=asyncio.FIRST_COMPLETED)
    if poll in done:
        stopped.cancel()
        poll.result()
    log.info("stopping: no new updates; letting running jobs finish")
    poll.cancel()
    await asyncio.gather(poll, return_exceptions=True)


# How long the review loop may take to finish its round after SIGTERM before it is cut.
BACKGROUND_GRACE_SECONDS = 10.0


async def _stop_task(task: asyncio.Task[None] | None) -> None:
    if task is not None and not task.done():
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def _drain(runner: JobRunner) -> None:
    cut = await runner.queue.drain(SHUTDOWN_GRACE_SECONDS)
    if cut:
        log.info("%d job(s) will resume on the next start", cut)
