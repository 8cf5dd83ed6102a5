"""The bot's own settings and state: who may write, and where conversations are kept."""

from __future__ import annotations

import logging

from bot.adapters.state import (
    NamespacedStore,
    open_state_store,
    state_namespace,
    state_on_ephemeral_disk,
)
from bot.checks.results import CheckResult, failed, passed
from bot.config import Settings
from bot.core.errors import StateStoreError

# The package's name, as before it was split into modules: log filters keep matching.
log = logging.getLogger("bot.checks")

HEROKU_REDIS_COMMAND = "heroku addons:create heroku-redis:mini"


def check_allowlist(settings: Settings) -> CheckResult:
    name = "Allowed users"
    count = len(settings.allowed_user_ids)
    if count == 0:
        return failed(
            name,
            "ALLOWED_USER_IDS is empty: the bot would serve nobody",
            "Start the bot and send it any message in Telegram: it replies with your numeric "
            "user id. Put the ids in ALLOWED_USER_IDS (comma-separated) and restart the bot.",
        )
    return passed(name, f"{count} writer{'s' if count != 1 else ''} allowed")


async def check_state(settings: Settings) -> list[CheckResult]:
    name = "State store"
    redis_url = settings.redis_url_value
    fix = (
        "Check REDIS_URL (on Heroku: heroku redis:info, heroku config:get REDIS_URL)."
        if redis_url
        else "Set STATE_PATH to a file in a folder the bot may write to."
    )
    try:
        store = NamespacedStore(
            open_state_store(redis_url=redis_url, sqlite_path=settings.state_path),
            state_namespace(
                bot_token=settings.telegram_bot_token.get_secret_value(), repo=settings.github_repo
            ),
        )
    except StateStoreError as exc:  # its message is already free of the password
        return [failed(name, str(exc), fix)]
    try:
        await store.ping()
    except StateStoreError as exc:
        if redis_url and "certificate verify failed" in str(exc).lower():
            # Heroku Key-Value Store serves TLS with a self-signed certificate.
            fix = (
                "The Redis server's TLS certificate is self-signed (as on Heroku Key-Value "
                "Store): the bot must connect with ssl_cert_reqs=none; report this to the "
                "bot's maintainers."
            )
        return [failed(name, f"not usable: {exc}", fix)]
    finally:
        try:
            await store.close()
        except StateStoreError:
            log.debug("closing the state store failed", exc_info=True)
    return [passed(name, f"{store.description}: reachable and writable")]


def check_heroku_state(settings: Settings) -> CheckResult:
    name = "Heroku state"
    redis_url = settings.redis_url_value
    if state_on_ephemeral_disk(redis_url=redis_url, dyno=settings.dyno):
        return failed(
            name,
            f"on Heroku with state in {settings.state_path}, on a disk wiped at every restart",
            f"add the Heroku Key-Value Store add-on: {HEROKU_REDIS_COMMAND} "
            "(it sets REDIS_URL), then restart the worker",
        )
    if settings.dyno:
        return passed(name, "on Heroku with state in Redis: conversations survive restarts")
    return passed(name, "not on Heroku (DYNO unset)")
