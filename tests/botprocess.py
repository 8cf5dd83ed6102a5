"""Runs the real bot (`python -m bot`) as a subprocess against the loopback fakes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.fakes.github import FakeGitHub
from tests.fakes.telegram import FakeTelegram
from tests.fakes.workers_ai import FakeWorkersAI

REPO_ROOT = Path(__file__).resolve().parent.parent

SECRET_SETTINGS = ("TELEGRAM_BOT_TOKEN", "CLOUDFLARE_API_TOKEN", "GITHUB_TOKEN")
WRITER_ID = 1001
STRANGER_ID = 2002


def bot_environment(
    telegram: FakeTelegram,
    workers_ai: FakeWorkersAI,
    github: FakeGitHub,
    workdir: Path,
    **extra: str,
) -> dict[str, str]:
    """Every setting the bot reads, pointed at the fakes; nothing inherited that could leak."""
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "SYSTEMROOT", "TMPDIR", "VIRTUAL_ENV")
    env = {k: v for k, v in os.environ.items() if k in keep}
    env.update(
        {
            "PYTHONPATH": str(REPO_ROOT),
            "PYTHONUNBUFFERED": "1",
            "TELEGRAM_BOT_TOKEN": telegram.token,
            "TELEGRAM_API_URL": telegram.api_url,
            "CLOUDFLARE_ACCOUNT_ID": workers_ai.account_id,
            "CLOUDFLARE_API_TOKEN": workers_ai.token,
            "CLOUDFLARE_API_URL": workers_ai.api_url,
            "GITHUB_TOKEN": github.token,
            "GITHUB_REPO": github.repo,
            "GITHUB_API_URL": github.api_url,
            "ALLOWED_USER_IDS": str(WRITER_ID),
            "STATE_PATH": str(workdir / "state.sqlite3"),
            "LOG_LEVEL": "DEBUG",
            # Off unless a test is about it (tests/e2e/test_similar_posts.py): the embedding
            # call would change the model-call counts that other tests assert.
            "SIMILAR_POSTS": "false",
        }
    )
    env.update(extra)
    return env


class BotProcess:
    def __init__(self, env: dict[str, str], workdir: Path, telegram: FakeTelegram) -> None:
        self.env = env
        self.workdir = workdir
        self.telegram = telegram
        self.log_path = workdir / "bot.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, wait_ready: bool = True) -> BotProcess:
        polls_before = len(self.telegram.calls("getUpdates"))
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot"],
            cwd=self.workdir,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        if wait_ready:
            self.telegram.wait_until(
                lambda: len(self.telegram.calls("getUpdates")) > polls_before or self.exited,
                timeout=30,
            )
            assert not self.exited, f"bot exited early:\n{self.logs()}"
        return self

    @property
    def exited(self) -> bool:
        return self.process is not None and self.process.poll() is not None

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15.0) -> int:
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode

    def kill(self) -> None:
        self.stop(signal.SIGKILL)

    def assert_no_secrets_logged(self) -> None:
        """Every run logs at DEBUG; not one line may carry a token (issue: secrets)."""
        logs = self.logs()
        secrets = {name: self.env[name] for name in SECRET_SETTINGS}
        # The part after the colon is the secret half of a bot token.
        secrets["TELEGRAM_BOT_TOKEN (secret half)"] = secrets["TELEGRAM_BOT_TOKEN"].split(":")[1]
        leaked = [name for name, value in secrets.items() if value in logs]
        assert not leaked, f"secrets in the bot's log: {leaked}"

    def logs(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def wait_exit(self, timeout: float) -> tuple[int, float]:
        assert self.process is not None
        start = time.monotonic()
        code = self.process.wait(timeout=timeout)
        return code, time.monotonic() - start
