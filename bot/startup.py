"""Start-up: prove the settings work before the first message, and wait out a network outage.

A worker on Heroku restarts on every crash, so the two kinds of failure at start are told apart:
a setting that a service rejects (a wrong token, an unknown repository or account) stops the
bot with one or two lines naming the variable, because no retry will fix it; a network that is
down, or a service answering 5xx, is waited out with capped backoff and one log line per
attempt, because it passes by itself. No line here ever holds a secret.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from telegram.error import BadRequest, NetworkError

from bot import checks
from bot.adapters.github_repo import GitHubRepository
from bot.config import Settings
from bot.core.errors import PublishError

log = logging.getLogger(__name__)

FIRST_RETRY_SECONDS = 1.0
MAX_RETRY_SECONDS = 30.0

TELEGRAM_UNAUTHORIZED = (
    "Telegram rejected TELEGRAM_BOT_TOKEN (Unauthorized). In Telegram, send /mybots to "
    "@BotFather, pick your bot, press API Token and copy it into TELEGRAM_BOT_TOKEN."
)


class SettingRejected(Exception):
    """A service rejected a setting; `lines` say which one and how to fix it (no secrets)."""

    def __init__(self, *lines: str) -> None:
        super().__init__(" ".join(lines))
        self.lines = lines


def host_of(url: str) -> str:
    """Scheme and host of an API URL: enough to act on, and never the token in a path."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.netloc else "(unparsable URL)"


async def until_reachable(
    attempt: Callable[[], Awaitable[object]],
    *,
    service: str,
    where: str,
    stop: asyncio.Event,
    first_delay: float = FIRST_RETRY_SECONDS,
    max_delay: float = MAX_RETRY_SECONDS,
) -> bool:
    """`attempt()` until it gets through; False when `stop` is set first.

    Only network failures are retried (python-telegram-bot reports 5xx answers and timeouts as
    NetworkError too); anything else is raised to the caller.
    """
    delay = first_delay
    while True:
        try:
            await attempt()
            return True
        except BadRequest:
            raise  # a NetworkError subclass, but a refusal, not an outage
        except NetworkError as exc:
            log.warning(
                "cannot reach %s at %s (%s); retrying in %.3g s", service, where, exc.message, delay
            )
        try:
            await asyncio.wait_for(stop.wait(), timeout=delay)
            return False
        except TimeoutError:
            delay = min(delay * 2, max_delay)


async def verify_services(settings: Settings, repository: GitHubRepository) -> None:
    """Raise SettingRejected when Workers AI or GitHub rejects a setting; warn on outages."""
    workers_ai, github = await asyncio.gather(
        _verify_workers_ai(settings), _verify_github(repository)
    )
    if problems := [*workers_ai, *github]:
        raise SettingRejected(*problems)


async def _verify_workers_ai(settings: Settings) -> list[str]:
    """One search of the model catalogue: proves token and account without spending neurons."""
    problems = []
    # The speech model is left to `check`: one catalogue search is enough to start.
    for result in await checks.check_workers_ai(settings, speech=False):
        if result.status != "FAIL":
            continue
        line = f"{result.detail}. Fix: {result.fix}"
        # The catalogue search can lag behind new models: an unknown model is only a warning.
        if result.transient or result.check == "Workers AI model":
            log.warning("%s", line)
        else:
            problems.append(line)
    return problems


async def _verify_github(repository: GitHubRepository) -> list[str]:
    try:
        await asyncio.to_thread(repository.verify_access)
    except PublishError as exc:
        if exc.status in (401, 404):
            return [exc.user_message]
        log.warning("could not verify GitHub access at start: %s", exc.user_message)
    return []
