"""Logging that never shows a secret.

httpx logs every request URL at INFO, and a Telegram URL carries the bot token; tracebacks can
quote URLs and headers too. A filter on the root handler scrubs every configured secret and
anything shaped like a bot token from the final formatted line, whatever logger produced it.
"""

from __future__ import annotations

import logging
import re
import sys
import threading
from collections.abc import Iterable
from types import TracebackType
from urllib.parse import quote

# The file download URL has the token's colon percent-encoded (python-telegram-bot quotes it).
_BOT_TOKEN_IN_URL = re.compile(r"/bot\d+(?::|%3[Aa])[A-Za-z0-9_-]+")
_BEARER = re.compile(r"(?i)(authorization['\"]?\s*[:=]\s*['\"]?(?:bearer|token)\s+)[^\s'\",}]+")
REDACTED = "[REDACTED]"


class RedactingFormatter(logging.Formatter):
    def __init__(self, secrets: Iterable[str], fmt: str | None = None) -> None:
        super().__init__(fmt)
        # As given and as they appear in a URL; longest first, so a secret that contains
        # another is replaced whole.
        wanted = {s for s in secrets if len(s) >= 6}
        wanted |= {quote(s, safe="") for s in wanted}
        self._secrets = sorted(wanted, key=len, reverse=True)

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        text = _BOT_TOKEN_IN_URL.sub(f"/bot{REDACTED}", text)
        return _BEARER.sub(rf"\1{REDACTED}", text)

    def format(self, record: logging.LogRecord) -> str:
        return self.redact(super().format(record))


def configure_logging(level: str, secrets: Iterable[str]) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        RedactingFormatter(secrets, "%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Request lines from the HTTP clients are noise at INFO and carry the token in the URL.
    # At DEBUG they are let through (scrubbed by the formatter) because that is when you want them.
    client_level = level if level == "DEBUG" else "WARNING"
    for noisy in ("httpx", "httpcore", "urllib3", "github"):
        logging.getLogger(noisy).setLevel(client_level)
    # Python prints an uncaught exception's traceback straight to stderr, past the formatter,
    # and a library's message may quote a token (python-telegram-bot's InvalidToken does).
    sys.excepthook = _log_uncaught
    threading.excepthook = _log_uncaught_in_thread


def _log_uncaught(
    kind: type[BaseException], exc: BaseException, traceback: TracebackType | None
) -> None:
    logging.getLogger("bot").critical("uncaught error", exc_info=(kind, exc, traceback))


def _log_uncaught_in_thread(args: threading.ExceptHookArgs) -> None:
    if args.exc_value is None or args.exc_type is SystemExit:
        return
    logging.getLogger("bot").error(
        "uncaught error in thread %s",
        args.thread.name if args.thread else "?",
        exc_info=(args.exc_type, args.exc_value, args.exc_traceback),
    )
