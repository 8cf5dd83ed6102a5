"""Telegram's own server errors, retried.

Telegram answers a 5xx now and then (its front end's 502, a 500 during a restart) without having
done anything; python-telegram-bot raises NetworkError and leaves the retry to the caller. An
unretried 5xx on the status message would drop the writer's message without an answer, so every
call is retried a few times here, next to the flood-control retries of AIORateLimiter. A timeout
is not retried: the message may have been sent, and a second one would be a duplicate.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from telegram.error import NetworkError, TimedOut
from telegram.ext import AIORateLimiter

log = logging.getLogger(__name__)

SERVER_ERROR_ATTEMPTS = 4
BACKOFF_SECONDS = 0.5  # then 1 s, 1.5 s
# The long poll has its own loop (bot.telegram.poller) that backs off on every network error.
NOT_RETRIED = frozenset({"getUpdates", "getupdates"})


class RetryingRateLimiter(AIORateLimiter):
    """AIORateLimiter (flood control, retry_after) that also retries Telegram's 5xx answers."""

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        attempt = 1
        while True:
            try:
                return await super().process_request(
                    callback, args, kwargs, endpoint, data, rate_limit_args
                )
            except TimedOut:
                raise
            except NetworkError as exc:
                if endpoint in NOT_RETRIED or attempt >= SERVER_ERROR_ATTEMPTS:
                    raise
                log.warning(
                    "Telegram %s failed (%s); retrying %d/%d",
                    endpoint,
                    str(exc).split(".", 1)[0],
                    attempt,
                    SERVER_ERROR_ATTEMPTS - 1,
                )
                await asyncio.sleep(BACKOFF_SECONDS * attempt)
                attempt += 1
