"""Settings: names, defaults, and error lines that name the variable but never its value."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.app import build_state
from bot.config import ConfigError, load_settings

REPO_ROOT = Path(__file__).resolve().parents[2]

VALID = {
    "TELEGRAM_BOT_TOKEN": "123456:secret-telegram-token",
    "CLOUDFLARE_ACCOUNT_ID": "acc123",
    "CLOUDFLARE_API_TOKEN": "secret-cloudflare-token",
    "GITHUB_TOKEN": "ghp_secretgithubtoken",
    "GITHUB_REPO": "acme/blog",
}


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    """A clean environment in an empty folder (no stray .env is read)."""
    for key in list(os.environ):
        if key.startswith(("TELEGRAM_", "CLOUDFLARE_", "GITHUB_", "AI_", "POST", "BRANCH_")):
            monkeypatch.delenv(key)
    for key in ("ALLOWED_USER_IDS", "STATE_PATH", "LOG_LEVEL", "REDIS_URL", "DYNO"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.chdir(tmp_path)
    for key, value in VALID.items():
        monkeypatch.setenv(key, value)
    return monkeypatch


def test_defaults(env: pytest.MonkeyPatch) -> None:
    settings = load_settings()
    assert settings.telegram_api_url == "https://api.telegram.org"
    assert settings.cloudflare_api_url == "https://api.cloudflare.com/client/v4"
    assert settings.ai_model == "@cf/google/gemma-4-26b-a4b-it"
    assert settings.ai_max_tokens >= 2048
    assert settings.github_api_url == "https://api.github.com"
    assert settings.github_base_branch is None
    assert settings.posts_dir is None  # learned from the blog unless pinned
    assert settings.post_filename is None
    assert settings.branch_prefix == "blogbot/"
    assert settings.allowed_user_ids == []


def test_allowed_user_ids_are_comma_separated(env: pytest.MonkeyPatch) -> None:
    env.setenv("ALLOWED_USER_IDS", " 111, 222,333 ")
    assert load_settings().allowed_user_ids == [111, 222, 333]


def test_dotenv_file_is_read(env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    env.delenv("GITHUB_REPO")
    (tmp_path / ".env").write_text("GITHUB_REPO=someone/site\nALLOWED_USER_IDS=42\n")
    settings = load_settings()
    assert settings.github_repo == "someone/site"
    assert settings.allowed_user_ids == [42]


def test_each_problem_is_one_line_naming_the_variable(env: pytest.MonkeyPatch) -> None:
    env.delenv("GITHUB_TOKEN")
    env.setenv("TELEGRAM_BOT_TOKEN", "not-a-token-hunter2")
    env.setenv("GITHUB_REPO", "no slash here")
    env.setenv("ALLOWED_USER_IDS", "12,abc")
    env.setenv("POSTS_DIR", "../outside")
    with pytest.raises(ConfigError) as caught:
        load_settings()
    problems = caught.value.problems
    text = "\n".join(problems)
    assert any(p.startswith("GITHUB_TOKEN: is required") for p in problems)
    assert any(p.startswith("TELEGRAM_BOT_TOKEN:") for p in problems)
    assert any(p.startswith("GITHUB_REPO:") for p in problems)
    assert any(p.startswith("ALLOWED_USER_IDS:") for p in problems)
    assert "hunter2" not in text and "no slash here" not in text and "abc" not in text


def test_posts_location_is_validated(env: pytest.MonkeyPatch) -> None:
    env.setenv("POST_FILENAME", "{date}-{nonsense}.md")
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert "POST_FILENAME" in str(caught.value)


def test_missing_settings_exit_nonzero_without_traceback(tmp_path: Path) -> None:
    clean_env = {k: v for k, v in os.environ.items() if not k.startswith(tuple(VALID))}
    clean_env["TELEGRAM_BOT_TOKEN"] = "123:hunter2-secret"
    result = subprocess.run(
        [sys.executable, "-m", "bot"],
        cwd=tmp_path,
        env={**clean_env, "PYTHONPATH": str(REPO_ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    for name in ("CLOUDFLARE_ACCOUNT_ID", "CLOUDFLARE_API_TOKEN", "GITHUB_TOKEN", "GITHUB_REPO"):
        assert f"{name}: is required but not set" in result.stderr
    assert "hunter2" not in result.stderr + result.stdout


def test_local_state_on_heroku_is_warned_about(
    env: pytest.MonkeyPatch, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    env.setenv("DYNO", "worker.1")
    env.setenv("STATE_PATH", str(tmp_path / "state.sqlite3"))
    with caplog.at_level("WARNING"):
        store = build_state(load_settings())
    asyncio.run(store.close())
    assert "wiped on every restart" in caplog.text and "REDIS_URL" in caplog.text

    caplog.clear()
    env.setenv("REDIS_URL", "redis://:hunter2@127.0.0.1:6379/15")
    with caplog.at_level("INFO"):
        store = build_state(load_settings())
    asyncio.run(store.close())
    assert "wiped" not in caplog.text
    assert store.description.startswith("Redis at") and "hunter2" not in store.description
