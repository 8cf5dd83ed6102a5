from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.botprocess import BotProcess, bot_environment
from tests.fakes.github import FakeGitHub
from tests.fakes.telegram import FakeTelegram
from tests.fakes.workers_ai import FakeWorkersAI


@pytest.fixture
def telegram() -> Iterator[FakeTelegram]:
    with FakeTelegram() as fake:
        yield fake
    assert not fake.errors, f"Telegram contract violations: {fake.errors}"


@pytest.fixture
def workers_ai() -> Iterator[FakeWorkersAI]:
    with FakeWorkersAI() as fake:
        yield fake
    assert not fake.errors, f"Workers AI contract violations: {fake.errors}"


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    with FakeGitHub() as fake:
        yield fake
    assert not fake.errors, f"GitHub contract violations: {fake.errors}"


@pytest.fixture
def bot_env(
    telegram: FakeTelegram, workers_ai: FakeWorkersAI, github: FakeGitHub, tmp_path: Path
) -> dict[str, str]:
    return bot_environment(telegram, workers_ai, github, tmp_path)


@pytest.fixture
def bot(bot_env: dict[str, str], telegram: FakeTelegram, tmp_path: Path) -> Iterator[BotProcess]:
    """The real bot process, started and ready (it has asked the fake Telegram for updates)."""
    process = BotProcess(bot_env, tmp_path, telegram).start()
    yield process
    process.stop()
