"""Telegram: the bot token, and that nothing (a webhook) stands in the way of long polling."""

from __future__ import annotations

from urllib.parse import urlsplit

from telegram import Bot
from telegram.error import InvalidToken, NetworkError, TelegramError, TimedOut
from telegram.request import HTTPXRequest

from bot.checks.results import TIMEOUT_SECONDS, CheckResult, failed, passed
from bot.config import Settings

DELETE_WEBHOOK_COMMAND = "python -m bot check --delete-webhook"
DEFAULT_TELEGRAM_API = "https://api.telegram.org"


def _origin(url: str) -> str:
    # A webhook URL often carries the bot token or a secret path; its origin is enough to act on.
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname}" if parts.hostname else "(unparsable URL)"


async def check_telegram(settings: Settings, *, delete_webhook: bool) -> list[CheckResult]:
    bot = Bot(
        settings.telegram_bot_token.get_secret_value(),
        base_url=f"{settings.telegram_api_url}/bot",
        request=HTTPXRequest(connect_timeout=10.0, read_timeout=TIMEOUT_SECONDS),
    )
    name = "Telegram bot"
    try:
        # `initialize` calls getMe. Its exceptions quote the token, so they are never printed.
        async with bot:
            me = bot.bot
            results = [passed(name, f"@{me.username} (id {me.id})")]
            results.append(await _check_webhook(bot, delete_webhook=delete_webhook))
            return results
    except InvalidToken:
        fix = (
            "In Telegram, send /mybots to @BotFather, pick your bot, press API Token and copy it "
            "into TELEGRAM_BOT_TOKEN."
        )
        if settings.telegram_api_url != DEFAULT_TELEGRAM_API:
            fix += f" Also check TELEGRAM_API_URL (now {settings.telegram_api_url})."
        return [failed(name, "Telegram rejected TELEGRAM_BOT_TOKEN (Unauthorized)", fix)]
    except (TimedOut, NetworkError) as exc:
        return [
            failed(
                name,
                f"could not reach Telegram at {settings.telegram_api_url} ({type(exc).__name__})",
                "Check the network connection and TELEGRAM_API_URL, then run the check again.",
            )
        ]
    except TelegramError as exc:
        return [
            failed(
                name,
                f"Telegram answered: {exc.message}",
                "Check TELEGRAM_BOT_TOKEN and TELEGRAM_API_URL, then run the check again.",
            )
        ]


async def _check_webhook(bot: Bot, *, delete_webhook: bool) -> CheckResult:
    name = "Telegram polling"
    try:
        info = await bot.get_webhook_info()
        where = _origin(info.url) if info.url else ""
        if info.url and delete_webhook:
            # Pending updates are kept: the bot picks them up with its first getUpdates.
            await bot.delete_webhook(drop_pending_updates=False)
            return passed(name, f"deleted the webhook to {where}: long polling can start")
    except TelegramError as exc:  # the token worked a moment ago: most likely the network
        return failed(
            name,
            f"could not read or delete the webhook ({type(exc).__name__})",
            "Run the check again; if it keeps failing, check the network and TELEGRAM_API_URL.",
        )
    if not info.url:
        return passed(name, "no webhook set: long polling can start")
    return failed(
        name,
        f"a webhook to {where} is set, and Telegram refuses long polling while it is",
        f"run `{DELETE_WEBHOOK_COMMAND}` (and stop whatever set the webhook, if it still runs)",
    )
