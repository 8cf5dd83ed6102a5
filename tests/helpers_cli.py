"""Running the command line (`python -m bot ...`) in tests: in-process or as a subprocess.

Shared by the `check` (tests/integration/test_doctor.py) and `draft` (test_cli.py) tests.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

import bot.cli
from bot.__main__ import main
from bot.config import Settings

SETTINGS_ENV = [name.upper() for name in Settings.model_fields]


@dataclass(frozen=True)
class Outcome:
    code: int
    out: str
    err: str

    @property
    def text(self) -> str:
        return self.out + self.err


def secrets_of(env: dict[str, str]) -> list[str]:
    names = ("TELEGRAM_BOT_TOKEN", "CLOUDFLARE_API_TOKEN", "GITHUB_TOKEN")
    return [env[n] for n in names if env.get(n)]


def assert_no_secret(text: str, secrets: list[str]) -> None:
    for secret in secrets:
        assert secret not in text, f"a secret leaked into the output:\n{text}"


def run_in_process(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    env: dict[str, str],
    cwd: Path,
    *argv: str,
) -> Outcome:
    """The real `main(argv)` with exactly `env` as the bot's settings, run in `cwd`."""
    for name in SETTINGS_ENV:
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(cwd)  # an empty folder: no .env is read
    # The real configure_logging replaces the root handlers with one bound to this test's
    # captured stderr, which would outlive the test; the subprocess tests cover logging.
    monkeypatch.setattr(bot.cli, "configure_logging", lambda level, secrets: None)
    code = main(list(argv))
    captured = capsys.readouterr()
    return Outcome(code, captured.out, captured.err)


def run_subprocess(env: dict[str, str], cwd: Path, *argv: str) -> Outcome:
    """The real `python -m bot ARGV` with exactly `env` as its environment, run in `cwd`."""
    done = subprocess.run(
        [sys.executable, "-m", "bot", *argv],
        cwd=cwd,  # an empty folder: no .env is read
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return Outcome(done.returncode, done.stdout, done.stderr)
