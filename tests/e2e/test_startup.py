"""Start-up as an operator meets it: one clear line per expected failure, never a token, never
a traceback at INFO; a network outage at start is waited out, not crashed on."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from telegram.error import NetworkError

from bot.startup import until_reachable
from tests.botprocess import REPO_ROOT, WRITER_ID, BotProcess, bot_environment
from tests.fakes.github import FakeGitHub
from tests.fakes.telegram import FakeTelegram
from tests.fakes.workers_ai import FakeWorkersAI

SECRETS = ("TELEGRAM_BOT_TOKEN", "CLOUDFLARE_API_TOKEN", "GITHUB_TOKEN")


def start_bot(
    env: dict[str, str], cwd: Path, timeout: float = 20
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot"],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def log_lines(output: str) -> list[str]:
    """The messages of the log lines, without the timestamp: `LEVEL logger: message`."""
    return [line.split(" ", 2)[2] for line in output.splitlines() if line[:2] == "20"]


def assert_clean(output: str, env: dict[str, str], *, debug: bool = False) -> None:
    for name in SECRETS:
        assert env[name] not in output, f"{name} in the output"
    assert env["TELEGRAM_BOT_TOKEN"].split(":")[1] not in output
    if not debug:
        assert "Traceback" not in output


@pytest.fixture
def env(
    telegram: FakeTelegram, workers_ai: FakeWorkersAI, github: FakeGitHub, tmp_path: Path
) -> dict[str, str]:
    return bot_environment(telegram, workers_ai, github, tmp_path, LOG_LEVEL="INFO")


@pytest.mark.parametrize("level", ["INFO", "DEBUG"])
def test_a_wrong_bot_token_stops_with_one_line_naming_the_variable(
    env: dict[str, str], tmp_path: Path, level: str
) -> None:
    env.update(TELEGRAM_BOT_TOKEN="123456:WRONG-secret-half-of-the-token", LOG_LEVEL=level)

    result = start_bot(env, tmp_path)

    assert result.returncode == 2
    errors = [line for line in log_lines(result.stderr) if line.startswith("ERROR")]
    assert errors == [
        "ERROR bot.cli: Telegram rejected TELEGRAM_BOT_TOKEN (Unauthorized). In Telegram, send "
        "/mybots to @BotFather, pick your bot, press API Token and copy it into "
        "TELEGRAM_BOT_TOKEN."
    ]
    assert_clean(result.stdout + result.stderr, env, debug=level == "DEBUG")


def test_a_wrong_cloudflare_token_stops_before_polling(
    env: dict[str, str], tmp_path: Path, telegram: FakeTelegram
) -> None:
    env["CLOUDFLARE_API_TOKEN"] = "wrong-cloudflare-token-value"

    result = start_bot(env, tmp_path)

    assert result.returncode == 2
    errors = [line for line in log_lines(result.stderr) if line.startswith("ERROR")]
    assert len(errors) == 1
    assert errors[0].startswith(
        "ERROR bot.cli: Cloudflare rejected CLOUDFLARE_API_TOKEN (HTTP 401, code 10000). Fix: "
    )
    assert "Workers AI Read and Edit" in errors[0]
    assert not telegram.calls("getUpdates")  # nobody's message was taken and then failed
    assert_clean(result.stdout + result.stderr, env)


def test_a_wrong_github_token_or_repository_stops_with_the_variable_named(
    env: dict[str, str], tmp_path: Path
) -> None:
    bad_token = start_bot({**env, "GITHUB_TOKEN": "ghp_wrongwrongwrong"}, tmp_path)
    missing = start_bot({**env, "GITHUB_REPO": "acme/no-such-blog"}, tmp_path)

    assert bad_token.returncode == missing.returncode == 2
    assert [line for line in log_lines(bad_token.stderr) if line.startswith("ERROR")] == [
        "ERROR bot.cli: GitHub rejected the token (401 Bad credentials). Check GITHUB_TOKEN."
    ]
    assert [line for line in log_lines(missing.stderr) if line.startswith("ERROR")] == [
        "ERROR bot.cli: GitHub cannot find acme/no-such-blog with this token (404). Check "
        "GITHUB_REPO and that the token has access to it."
    ]
    assert_clean(bad_token.stderr + missing.stderr, {**env, "GITHUB_TOKEN": "ghp_wrongwrongwrong"})


def test_missing_settings_and_no_env_file_say_how_to_start(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO_ROOT), "HOME": str(tmp_path)}

    result = start_bot(env, tmp_path)

    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "blogbot cannot start; fix these settings (environment or .env):",
        "  TELEGRAM_BOT_TOKEN: is required but not set",
        "  CLOUDFLARE_ACCOUNT_ID: is required but not set",
        "  CLOUDFLARE_API_TOKEN: is required but not set",
        "  GITHUB_TOKEN: is required but not set",
        "  GITHUB_REPO: is required but not set",
        f"There is no .env file in {tmp_path}: create it with `cp .env.example .env`, fill it "
        "in, then run `python -m bot check`.",
    ]


def test_the_placeholder_repository_of_env_example_is_refused(
    env: dict[str, str], tmp_path: Path
) -> None:
    (tmp_path / ".env").write_text("GITHUB_REPO=owner/blog\n")
    del env["GITHUB_REPO"]

    result = start_bot(env, tmp_path)

    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "blogbot cannot start; fix these settings (environment or .env):",
        "  GITHUB_REPO: is still the example value owner/blog from .env.example; set it to "
        "your blog repository, owner/name",
    ]


class Relay:
    """A TCP port that refuses connections until `open()`, then forwards them to `target`."""

    def __init__(self, target_port: int) -> None:
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        self.port = probe.getsockname()[1]
        probe.close()  # nothing listens there now: connections are refused
        self._target = target_port
        self._server: socket.socket | None = None

    def open(self) -> None:
        server = socket.create_server(("127.0.0.1", self.port))
        self._server = server
        threading.Thread(target=self._accept, args=(server,), daemon=True).start()

    def close(self) -> None:
        if self._server is not None:
            self._server.close()

    def _accept(self, server: socket.socket) -> None:
        while True:
            try:
                client, _ = server.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self._target))
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)


def test_telegram_unreachable_at_start_is_waited_out_and_then_the_bot_answers(
    env: dict[str, str],
    tmp_path: Path,
    telegram: FakeTelegram,
    workers_ai: FakeWorkersAI,
) -> None:
    relay = Relay(telegram.port)
    env["TELEGRAM_API_URL"] = f"http://127.0.0.1:{relay.port}"
    bot = BotProcess(env, tmp_path, telegram).start(wait_ready=False)
    try:
        telegram.wait_until(lambda: bot.logs().count("cannot reach Telegram") >= 2, timeout=15)
        assert not bot.exited
        relay.open()
        telegram.wait_until(lambda: telegram.calls("getUpdates"), timeout=15)

        telegram.send_text(WRITER_ID, "A post about our move to Postgres 17.")
        telegram.wait_for_bot_message(WRITER_ID, contains="Pull request #1", timeout=30)
    finally:
        assert bot.stop(signal.SIGTERM) == 0
        relay.close()
    retries = [line for line in log_lines(bot.logs()) if "cannot reach Telegram" in line]
    assert retries[:2] == [
        f"WARNING bot.startup: cannot reach Telegram at http://127.0.0.1:{relay.port} "
        "(httpx.ConnectError: All connection attempts failed); retrying in 1 s",
        f"WARNING bot.startup: cannot reach Telegram at http://127.0.0.1:{relay.port} "
        "(httpx.ConnectError: All connection attempts failed); retrying in 2 s",
    ]
    assert_clean(bot.logs(), env)


def test_sigterm_while_telegram_is_unreachable_exits_cleanly(
    env: dict[str, str], tmp_path: Path, telegram: FakeTelegram
) -> None:
    relay = Relay(telegram.port)  # never opened
    env["TELEGRAM_API_URL"] = f"http://127.0.0.1:{relay.port}"
    bot = BotProcess(env, tmp_path, telegram).start(wait_ready=False)
    telegram.wait_until(lambda: "cannot reach Telegram" in bot.logs(), timeout=15)

    code = bot.stop(signal.SIGTERM, timeout=10)

    assert code == 0
    assert "Traceback" not in bot.logs()


async def test_a_dns_failure_is_one_line_per_attempt_with_growing_waits(
    caplog: pytest.LogCaptureFixture,
) -> None:
    attempts = 0

    async def resolve() -> None:
        nonlocal attempts
        attempts += 1
        if attempts < 4:
            raise NetworkError("httpx.ConnectError: [Errno -2] Name or service not known")

    caplog.set_level(logging.WARNING, logger="bot.startup")
    ok = await until_reachable(
        resolve,
        service="Telegram",
        where="https://api.telegram.org",
        stop=asyncio.Event(),
        first_delay=0.01,
        max_delay=0.02,
    )

    assert ok and attempts == 4
    assert [r.getMessage() for r in caplog.records] == [
        "cannot reach Telegram at https://api.telegram.org (httpx.ConnectError: [Errno -2] "
        f"Name or service not known); retrying in {delay} s"
        for delay in ("0.01", "0.02", "0.02")
    ]
