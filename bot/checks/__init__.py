"""`python -m bot check`: prove every setting works against the live services before deploying.

Each check calls the real service the way the bot will (read-only: no model run, no write to
GitHub) and says, for anything wrong, exactly which variable to change and how. Nothing here
prints a secret: details are built from non-secret values, and the finished table is passed
through the same redaction as the log as a second line of defence.

One module per service: `telegram`, `workers_ai`, `github`, and `state` for the bot's own
settings and state; `results` holds the rows and formats the table.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from bot.checks.github import GITHUB_PERMISSIONS, check_github
from bot.checks.results import (
    TIMEOUT_SECONDS,
    CheckResult,
    Status,
    all_passed,
    failed,
    format_table,
    passed,
    warned,
)
from bot.checks.state import (
    HEROKU_REDIS_COMMAND,
    check_allowlist,
    check_heroku_state,
    check_state,
)
from bot.checks.telegram import DEFAULT_TELEGRAM_API, DELETE_WEBHOOK_COMMAND, check_telegram
from bot.checks.workers_ai import check_workers_ai
from bot.config import Settings

__all__ = [
    "DEFAULT_TELEGRAM_API",
    "DELETE_WEBHOOK_COMMAND",
    "GITHUB_PERMISSIONS",
    "HEROKU_REDIS_COMMAND",
    "TIMEOUT_SECONDS",
    "CheckResult",
    "Status",
    "all_passed",
    "check_allowlist",
    "check_github",
    "check_heroku_state",
    "check_state",
    "check_telegram",
    "check_workers_ai",
    "failed",
    "format_table",
    "passed",
    "run_checks",
    "warned",
]

log = logging.getLogger(__name__)


async def _guarded(
    name: str, check: Callable[[], Awaitable[list[CheckResult]]]
) -> list[CheckResult]:
    """A bug or an unforeseen error in one check must not hide the others' results."""
    try:
        return await check()
    except Exception as exc:
        log.debug("check %s crashed", name, exc_info=True)
        return [
            failed(
                name,
                f"unexpected error: {type(exc).__name__}",
                "Run the check again with LOG_LEVEL=DEBUG and read the log above the table.",
            )
        ]


async def run_checks(settings: Settings, *, delete_webhook: bool = False) -> list[CheckResult]:
    """Every check, the slow network ones concurrently; rows come back in a fixed order."""
    groups = await asyncio.gather(
        _guarded("Telegram bot", lambda: check_telegram(settings, delete_webhook=delete_webhook)),
        _guarded("Workers AI access", lambda: check_workers_ai(settings)),
        _guarded("GitHub token", lambda: asyncio.to_thread(check_github, settings)),
        _guarded("State store", lambda: check_state(settings)),
    )
    telegram, workers_ai, github, state = groups
    return [
        *telegram,
        *workers_ai,
        *github,
        check_allowlist(settings),
        *state,
        check_heroku_state(settings),
    ]
