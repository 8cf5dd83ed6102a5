"""`python -m bot check`: every row against the loopback fakes, one fault at a time.

Most tests call the real entry point in-process (fast); the all-good run and one fault run the
real `python -m bot check` subprocess, with LOG_LEVEL=DEBUG so the log is checked for leaks too.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.botprocess import bot_environment
from tests.fakes.base import Response
from tests.fakes.github import FakeGitHub
from tests.fakes.telegram import FakeTelegram
from tests.fakes.workers_ai import FakeWorkersAI
from tests.helpers_cli import (
    Outcome,
    assert_no_secret,
    run_in_process,
    run_subprocess,
    secrets_of,
)

ROWS = [
    "Telegram bot",
    "Telegram polling",
    "Workers AI access",
    "Workers AI model",
    "Workers AI speech model",
    "GitHub token",
    "GitHub repository",
    "GitHub permissions",
    "GitHub base branch",
    "GitHub posts folder",
    "Allowed users",
    "State store",
    "Heroku state",
]


@dataclass(frozen=True)
class Row:
    result: str
    detail: str
    fix: str | None


def parse_table(out: str) -> dict[str, Row]:
    """CHECK / RESULT / DETAIL rows, each with the `fix:` line printed under it, if any."""
    lines = out.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("CHECK "))
    result_col = lines[header].index("RESULT")
    detail_col = lines[header].index("DETAIL")
    rows: dict[str, Row] = {}
    last: str | None = None
    for line in lines[header + 1 :]:
        if not line.strip():
            break
        if line[:result_col].strip():
            last = line[:result_col].strip()
            rows[last] = Row(line[result_col:detail_col].strip(), line[detail_col:], None)
        else:
            assert last is not None, f"fix line before any row: {line!r}"
            assert line[:detail_col].strip() == "", f"fix not aligned with DETAIL: {line!r}"
            assert line[detail_col:].startswith("fix: "), line
            rows[last] = Row(rows[last].result, rows[last].detail, line[detail_col + 5 :])
    return rows


@pytest.fixture
def check(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    telegram: FakeTelegram,
    workers_ai: FakeWorkersAI,
    github: FakeGitHub,
    tmp_path: Path,
) -> Iterator[CheckRunner]:
    yield CheckRunner(monkeypatch, capsys, telegram, workers_ai, github, tmp_path)


class CheckRunner:
    def __init__(
        self,
        monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str],
        telegram: FakeTelegram,
        workers_ai: FakeWorkersAI,
        github: FakeGitHub,
        tmp_path: Path,
    ) -> None:
        self.monkeypatch = monkeypatch
        self.capsys = capsys
        self.telegram = telegram
        self.workers_ai = workers_ai
        self.github = github
        self.tmp_path = tmp_path

    def env(self, github: FakeGitHub | None = None, **extra: str) -> dict[str, str]:
        return bot_environment(
            self.telegram, self.workers_ai, github or self.github, self.tmp_path, **extra
        )

    def __call__(
        self, *argv: str, github: FakeGitHub | None = None, **extra: str
    ) -> tuple[Outcome, dict[str, Row]]:
        env = self.env(github, **extra)
        outcome = run_in_process(self.monkeypatch, self.capsys, env, self.tmp_path, "check", *argv)
        assert_no_secret(outcome.text, secrets_of(env))
        return outcome, parse_table(outcome.out)


def failing(rows: dict[str, Row]) -> set[str]:
    return {name for name, row in rows.items() if row.result == "FAIL"}


def test_all_good_passes_every_row(
    telegram: FakeTelegram, workers_ai: FakeWorkersAI, github: FakeGitHub, tmp_path: Path
) -> None:
    env = bot_environment(telegram, workers_ai, github, tmp_path)  # LOG_LEVEL=DEBUG
    outcome = run_subprocess(env, tmp_path, "check")

    assert outcome.code == 0, outcome.text
    rows = parse_table(outcome.out)
    assert list(rows) == ROWS
    assert {row.result for row in rows.values()} == {"PASS"}, outcome.out
    assert all(row.fix is None for row in rows.values())
    assert "@blogbot_test_bot" in rows["Telegram bot"].detail
    assert "@cf/google/gemma-4-26b-a4b-it" in rows["Workers AI model"].detail
    assert "All 13 checks passed." in outcome.out
    assert_no_secret(outcome.text, secrets_of(env))
    # Read-only: no model run (it would spend neurons), nothing written to GitHub.
    assert workers_ai.run_requests() == []
    assert github.write_requests() == []


def test_a_fault_in_a_subprocess_fails_with_its_fix(
    telegram: FakeTelegram, workers_ai: FakeWorkersAI, github: FakeGitHub, tmp_path: Path
) -> None:
    env = bot_environment(telegram, workers_ai, github, tmp_path, GITHUB_TOKEN="ghp_wrongtoken42")
    outcome = run_subprocess(env, tmp_path, "check")

    assert outcome.code == 1, outcome.text
    rows = parse_table(outcome.out)
    assert failing(rows) == {"GitHub token"}
    assert "GITHUB_TOKEN" in (rows["GitHub token"].fix or "")
    assert_no_secret(outcome.text, [*secrets_of(env), "ghp_wrongtoken42"])


def test_bad_telegram_token(check: CheckRunner) -> None:
    outcome, rows = check(TELEGRAM_BOT_TOKEN="654321:WRONG-token-value")
    assert outcome.code == 1
    assert failing(rows) == {"Telegram bot"}
    fix = rows["Telegram bot"].fix or ""
    assert "TELEGRAM_BOT_TOKEN" in fix and "@BotFather" in fix
    assert "Telegram polling" not in rows  # nothing more to learn without a valid token


def test_bad_cloudflare_token(check: CheckRunner) -> None:
    outcome, rows = check(CLOUDFLARE_API_TOKEN="cf-wrong-token-1234")
    assert outcome.code == 1
    assert failing(rows) == {"Workers AI access"}
    fix = rows["Workers AI access"].fix or ""
    assert "CLOUDFLARE_API_TOKEN" in fix and "Workers AI Read and Edit" in fix
    assert "10000" in rows["Workers AI access"].detail


def test_unknown_cloudflare_account(check: CheckRunner) -> None:
    outcome, rows = check(CLOUDFLARE_ACCOUNT_ID="not-my-account")
    assert outcome.code == 1
    assert failing(rows) == {"Workers AI access"}
    assert "CLOUDFLARE_ACCOUNT_ID" in (rows["Workers AI access"].fix or "")
    assert "7003" in rows["Workers AI access"].detail


def test_unknown_model(check: CheckRunner) -> None:
    outcome, rows = check(AI_MODEL="@cf/nobody/nothing")
    assert outcome.code == 1
    assert failing(rows) == {"Workers AI model"}
    assert "AI_MODEL" in (rows["Workers AI model"].fix or "")
    assert rows["Workers AI access"].result == "PASS"
    assert check.workers_ai.run_requests() == []


def test_a_speech_model_that_is_not_one(check: CheckRunner) -> None:
    outcome, rows = check(AI_SPEECH_MODEL="@cf/google/gemma-4-26b-a4b-it")
    assert outcome.code == 1
    assert failing(rows) == {"Workers AI speech model"}
    row = rows["Workers AI speech model"]
    assert "is a Text Generation model, not a speech-recognition model" in row.detail
    assert "AI_SPEECH_MODEL" in (row.fix or "")
    assert check.workers_ai.speech_requests() == []  # nothing was transcribed


def test_github_rejects_the_token(check: CheckRunner) -> None:
    outcome, rows = check(GITHUB_TOKEN="ghp_wrongtoken42")
    assert outcome.code == 1
    assert failing(rows) == {"GitHub token"}
    assert "GITHUB_TOKEN" in (rows["GitHub token"].fix or "")
    assert "401" in rows["GitHub token"].detail
    assert "GitHub repository" not in rows  # every later GitHub check would repeat the 401


def test_token_without_push_permission(check: CheckRunner) -> None:
    with FakeGitHub(push=False) as read_only:
        outcome, rows = check(github=read_only)
    assert read_only.errors == []
    assert outcome.code == 1
    assert failing(rows) == {"GitHub permissions"}
    fix = rows["GitHub permissions"].fix or ""
    assert "Contents: Read and write" in fix and "Pull requests: Read and write" in fix


def test_missing_repository(check: CheckRunner) -> None:
    outcome, rows = check(GITHUB_REPO="acme/nope")
    assert outcome.code == 1
    assert failing(rows) == {"GitHub repository"}
    assert "GITHUB_REPO" in (rows["GitHub repository"].fix or "")
    assert "acme/nope" in rows["GitHub repository"].detail


def test_missing_base_branch(check: CheckRunner) -> None:
    outcome, rows = check(GITHUB_BASE_BRANCH="release")
    assert outcome.code == 1
    assert failing(rows) == {"GitHub base branch"}
    assert "GITHUB_BASE_BRANCH" in (rows["GitHub base branch"].fix or "")


def test_missing_posts_folder_is_only_a_warning(check: CheckRunner) -> None:
    with FakeGitHub(files={"README.md": "# Blog\n"}) as bare:
        outcome, rows = check(github=bare, POSTS_DIR="content/posts")
    assert bare.errors == []
    assert outcome.code == 0, outcome.out
    assert rows["GitHub posts folder"].result == "WARN"
    assert "POSTS_DIR" in (rows["GitHub posts folder"].fix or "")
    assert "with 1 warning" in outcome.out


def test_empty_allowlist(check: CheckRunner) -> None:
    outcome, rows = check(ALLOWED_USER_IDS="")
    assert outcome.code == 1
    assert failing(rows) == {"Allowed users"}
    fix = rows["Allowed users"].fix or ""
    assert "ALLOWED_USER_IDS" in fix and "user id" in fix


def test_webhook_blocks_polling(check: CheckRunner) -> None:
    # Webhook URLs often carry a secret path; only the origin may be shown.
    check.telegram.webhook_url = "https://example.com/hook/s3cret-path"
    outcome, rows = check()
    assert outcome.code == 1
    assert failing(rows) == {"Telegram polling"}
    assert "run `python -m bot check --delete-webhook`" in (rows["Telegram polling"].fix or "")
    assert "s3cret-path" not in outcome.text
    assert check.telegram.webhook_url  # the check alone changes nothing
    assert check.telegram.calls("deleteWebhook") == []


def test_delete_webhook_flag_clears_it(check: CheckRunner) -> None:
    check.telegram.webhook_url = "https://example.com/hook"
    outcome, rows = check("--delete-webhook")
    assert outcome.code == 0, outcome.out
    assert rows["Telegram polling"].result == "PASS"
    assert "deleted" in rows["Telegram polling"].detail
    assert check.telegram.webhook_url == ""
    [call] = check.telegram.calls("deleteWebhook")
    assert not call.get("drop_pending_updates")  # the writers' pending messages are kept


def test_webhook_read_failure_is_its_own_row(check: CheckRunner) -> None:
    check.telegram.fail_next(
        "POST",
        r"/getWebhookInfo$",
        Response.json(502, {"ok": False, "error_code": 502, "description": "Bad Gateway"}),
    )
    outcome, rows = check()
    assert outcome.code == 1
    assert rows["Telegram bot"].result == "PASS"  # getMe worked; only this call failed
    assert failing(rows) == {"Telegram polling"}


def test_heroku_without_redis(check: CheckRunner) -> None:
    outcome, rows = check(DYNO="worker.1")
    assert outcome.code == 1
    assert failing(rows) == {"Heroku state"}
    assert "heroku addons:create heroku-redis:mini" in (rows["Heroku state"].fix or "")


def test_unreachable_redis_fails_without_showing_the_password(check: CheckRunner) -> None:
    password = "p4ssw0rd-do-not-print"
    # Port 1 on loopback: refused at once.
    outcome, rows = check(REDIS_URL=f"redis://default:{password}@127.0.0.1:1/0", DYNO="worker.1")
    assert outcome.code == 1
    assert failing(rows) == {"State store"}
    assert "REDIS_URL" in (rows["State store"].fix or "")
    assert rows["Heroku state"].result == "PASS"
    assert password not in outcome.text


def test_redis_state_store_passes(check: CheckRunner, redis_url: str) -> None:
    outcome, rows = check(REDIS_URL=redis_url, DYNO="worker.1")
    assert outcome.code == 0, outcome.out
    assert rows["State store"].detail.startswith("Redis at ")
    assert rows["Heroku state"].result == "PASS"


def test_config_error_names_the_variable_not_its_value(check: CheckRunner) -> None:
    env = check.env()
    del env["TELEGRAM_BOT_TOKEN"]
    env["GITHUB_REPO"] = "not a repo secret-ish"
    outcome = run_in_process(check.monkeypatch, check.capsys, env, check.tmp_path, "check")
    assert outcome.code == 2
    assert "TELEGRAM_BOT_TOKEN: is required but not set" in outcome.err
    assert "GITHUB_REPO" in outcome.err
    assert "secret-ish" not in outcome.text
    assert outcome.out == ""
    assert check.telegram.requests == []


def test_check_prints_what_it_learned_of_the_blog(check: CheckRunner, tmp_path: Path) -> None:
    blog = {
        "hugo.toml": 'baseURL = "https://example.org/"\ntitle = "Field notes"\n',
        "content/posts/first-light.md": (
            '+++\ntitle = "First light"\ndate = 2025-02-27T09:00:00+01:00\n'
            'tags = ["astronomy"]\n+++\n\nThe dome opened at dusk.\n'
        ),
        "content/posts/second-night.md": (
            '+++\ntitle = "Second night"\ndate = 2025-03-02T21:00:00+01:00\n'
            'tags = ["astronomy"]\n+++\n\nClouds, then clear skies.\n'
        ),
    }
    with FakeGitHub(files=blog) as hugo:
        outcome, _ = check(github=hugo)
        assert not hugo.write_requests()

    assert outcome.code == 0, outcome.text
    profile = outcome.out.split("Blog profile of acme/blog:", 1)[1]
    assert "Generator: Hugo" in profile
    assert "Posts: content/posts/{slug}.md" in profile
    assert "Front matter: toml" in profile


def test_check_says_when_it_could_not_tell_the_blog(check: CheckRunner) -> None:
    outcome, _ = check()

    assert "nothing recognised: the default layout; pin another in .blogbot.yml" in outcome.out
