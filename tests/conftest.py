from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import redis_server
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
    process.assert_no_secrets_logged()


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Redis: the configured one, else a private redis-server; skip (fail on CI) if none."""
    url = redis_server.configured_url()
    binary = redis_server.find_binary()
    ci = redis_server.running_on_ci()
    plan = redis_server.decide(
        ci=ci, reachable=redis_server.reachable(url), binary_present=binary is not None
    )
    reason = redis_server.how_to_run(url)
    server: redis_server.PrivateRedis | None = None
    if plan == "start":
        assert binary is not None
        try:
            server = redis_server.PrivateRedis.start(binary, tmp_path_factory.mktemp("redis"))
        except RuntimeError as exc:
            plan = redis_server.decide(ci=ci, reachable=False, binary_present=False)
            reason = f"{exc}; {reason}"
    if plan == "fail":
        pytest.fail(f"CI is set, so the Redis backend tests must run, but {reason}")
    if plan == "skip":
        pytest.skip(reason)
    try:
        yield server.url if server else url
    finally:
        if server:
            server.stop()
