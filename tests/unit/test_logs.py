"""The log formatter keeps every configured secret out of every log line.

The secrets here are shaped so that no regex of the formatter recognises them: only the
configured values can take them out.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

import pytest

from bot.logs import REDACTED, RedactingFormatter

SECRETS = {
    "Telegram bot token": "123456:AAH-secret_token-value",
    "Cloudflare API token": "cf-Secret-Token-0123456789",
    "GitHub token": "ghp_SecretGitHubToken0123456789",
    "Redis URL": "redis://default:p4ssw0rd-redis@redis.example:6379/0",
    "Redis password": "p4ssw0rd-redis",
}
FORMAT = "%(levelname)s %(name)s: %(message)s"


def formatter() -> RedactingFormatter:
    return RedactingFormatter(SECRETS.values(), FORMAT)


def record(
    message: str, args: tuple[Any, ...] = (), exception: str | None = None
) -> logging.LogRecord:
    exc_info = None
    if exception is not None:
        try:
            raise RuntimeError(exception)
        except RuntimeError:
            exc_info = sys.exc_info()
    return logging.LogRecord("bot.test", logging.ERROR, __file__, 1, message, args, exc_info)


@pytest.mark.parametrize("name", list(SECRETS))
def test_a_configured_secret_is_redacted_in_the_message_its_args_and_the_traceback(
    name: str,
) -> None:
    secret = SECRETS[name]
    line = formatter().format(
        record(
            f"connecting with {secret} to %s",
            (f"https://example.com/?key={secret}",),
            exception=f"the service refused {secret}",
        )
    )
    assert secret not in line
    assert line.count(REDACTED) >= 3, line
    assert "connecting with" in line and "the service refused" in line
    assert "Traceback (most recent call last)" in line


def test_one_record_with_every_secret_and_token_shape_keeps_none() -> None:
    other_token = "987654:ZZZ-unconfigured_token"  # not configured: only its shape gives it away
    line = formatter().format(
        record(
            "GET https://api.telegram.org/bot%s/getMe with %s; headers {'Authorization': "
            "'Bearer %s'}; retrying %s",
            (other_token, SECRETS["Cloudflare API token"], "gho_unconfiguredOAuth", "later"),
            exception=(
                f"push with {SECRETS['GitHub token']} to {SECRETS['Redis URL']} failed; "
                f"bot token {SECRETS['Telegram bot token']}"
            ),
        )
    )
    for value in [*SECRETS.values(), other_token, "gho_unconfiguredOAuth"]:
        assert value not in line, (value, line)
    assert "retrying later" in line and "/getMe" in line


def test_a_secret_that_contains_another_is_redacted_whole() -> None:
    line = RedactingFormatter(["abcdef", "abcdefghij"], FORMAT).format(record("x abcdefghij y"))
    assert line.endswith(f"x {REDACTED} y")


def test_the_file_download_url_with_its_colon_percent_encoded_keeps_no_token() -> None:
    # python-telegram-bot quotes the token in file URLs: /file/bot123456%3AAAH-secret...
    url = "GET http://127.0.0.1:1/file/bot123456%3AAAH-secret_token-value/voice/file_1.oga"
    line = formatter().format(record("HTTP Request: %s", (url,)))
    assert "secret_token" not in line and "/voice/file_1.oga" in line
    other = RedactingFormatter([], FORMAT).format(record("x %s", ("/file/bot42%3Aabc-DEF_1/a",)))
    assert "abc-DEF_1" not in other  # by shape alone, without the configured secret
