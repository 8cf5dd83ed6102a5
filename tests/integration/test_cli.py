"""`python -m bot draft` and the command line around it, against the loopback fakes."""

from __future__ import annotations

import io
from pathlib import Path

import frontmatter
import pytest

import bot.cli
from bot.config import Settings
from tests.fakes.github import FakeGitHub
from tests.fakes.workers_ai import FakeWorkersAI
from tests.helpers_cli import (
    Outcome,
    assert_no_secret,
    run_in_process,
    run_subprocess,
    secrets_of,
)

NOTES = "A post about our move to Postgres 17, mention the 40% speed-up."

MODEL_POST = """---
title: "Moving to Postgres 17: 40% faster"
description: How our move to Postgres 17 made queries 40% faster.
tags: [postgres, databases]
---

We moved to Postgres 17 last month and saw a 40% speed-up.

## What changed

The new planner picks better plans for our joins.
"""


@pytest.fixture
def cli(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    bot_env: dict[str, str],
    tmp_path: Path,
) -> CliRunner:
    return CliRunner(monkeypatch, capsys, bot_env, tmp_path)


class CliRunner:
    def __init__(
        self,
        monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str],
        env: dict[str, str],
        tmp_path: Path,
    ) -> None:
        self.monkeypatch = monkeypatch
        self.capsys = capsys
        self.env = env
        self.tmp_path = tmp_path

    def __call__(self, *argv: str, **extra: str) -> Outcome:
        env = {**self.env, **extra}
        outcome = run_in_process(self.monkeypatch, self.capsys, env, self.tmp_path, *argv)
        assert_no_secret(outcome.text, secrets_of(env))
        return outcome


def test_draft_opens_a_pull_request(
    bot_env: dict[str, str], tmp_path: Path, workers_ai: FakeWorkersAI, github: FakeGitHub
) -> None:
    workers_ai.queue_reply(MODEL_POST)

    outcome = run_subprocess(bot_env, tmp_path, "draft", NOTES)

    assert outcome.code == 0, outcome.text
    [pull] = github.pulls()
    assert pull["state"] == "open"
    assert pull["title"] == "Moving to Postgres 17: 40% faster"
    assert f"Pull request #1: {pull['html_url']}" in outcome.out
    files = github.files(pull["head"])
    path = next(p for p in files if p.endswith("-moving-to-postgres-17-40-faster.md"))
    assert path.startswith("content/posts/")
    assert f"File: {path} (branch {pull['head']})" in outcome.out
    post = frontmatter.loads(github.file(pull["head"], path) or "")
    assert "40% speed-up" in post.content
    assert_no_secret(outcome.text, secrets_of(bot_env))


def test_dry_run_prints_the_post_and_what_it_learned_and_never_writes_to_github(
    cli: CliRunner, workers_ai: FakeWorkersAI, github: FakeGitHub
) -> None:
    workers_ai.queue_reply(MODEL_POST)

    outcome = cli("draft", "--dry-run", NOTES)

    assert outcome.code == 0, outcome.text
    path, blank, *content = outcome.out.splitlines(keepends=True)
    assert path.strip().startswith("content/posts/")
    assert path.strip().endswith("-moving-to-postgres-17-40-faster.md")
    assert blank == "\n"
    post = frontmatter.loads("".join(content))
    assert post["title"] == "Moving to Postgres 17: 40% faster"
    assert post["tags"] == ["postgres", "databases"]
    assert "date" in post.metadata
    assert "The new planner picks better plans" in post.content
    assert github.write_requests() == []
    # Read only: the base head, one tree, a few files. The learned profile goes to stderr.
    assert "Blog profile of acme/blog:" in outcome.err
    assert "nothing recognised: the default layout" in outcome.err


def test_notes_from_stdin(
    cli: CliRunner, monkeypatch: pytest.MonkeyPatch, workers_ai: FakeWorkersAI, github: FakeGitHub
) -> None:
    notes = "Release notes for v2.0:\n- faster sync\n- dark mode\n"
    monkeypatch.setattr("sys.stdin", io.StringIO(notes))

    outcome = cli("draft", "-")

    assert outcome.code == 0, outcome.text
    [request] = workers_ai.run_requests()
    assert "faster sync" in request["messages"][-1]["content"]
    assert "dark mode" in request["messages"][-1]["content"]
    [pull] = github.pulls()
    assert pull["html_url"] in outcome.out


def test_model_failure_explains_and_writes_nothing(
    cli: CliRunner, workers_ai: FakeWorkersAI, github: FakeGitHub
) -> None:
    workers_ai.queue_error(429, 3036, "you have used up your daily free allocation of neurons")

    outcome = cli("draft", NOTES)

    assert outcome.code == 1
    assert "daily free allocation is used up" in outcome.err
    assert "00:00 UTC" in outcome.err
    assert "<" not in outcome.err and "&" not in outcome.err  # Telegram HTML made plain
    assert outcome.out == ""
    assert github.write_requests() == []


def test_github_failure_explains(cli: CliRunner, github: FakeGitHub) -> None:
    outcome = cli("draft", NOTES, GITHUB_TOKEN="ghp_wrongtoken42")

    assert outcome.code == 1
    assert "GitHub rejected the token" in outcome.err
    assert "GITHUB_TOKEN" in outcome.err
    assert "ghp_wrongtoken42" not in outcome.text
    assert github.pulls() == []


def test_empty_notes_are_a_usage_error(cli: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("  \n"))
    with pytest.raises(SystemExit) as exited:
        cli("draft", "-")
    assert exited.value.code == 2


@pytest.mark.parametrize("argv", [[], ["run"]])
def test_no_subcommand_or_run_starts_the_bot(
    cli: CliRunner, monkeypatch: pytest.MonkeyPatch, argv: list[str]
) -> None:
    started: list[Settings] = []

    def fake_run(settings: Settings) -> int:
        started.append(settings)
        return 0

    monkeypatch.setattr(bot.cli, "run", fake_run)
    outcome = cli(*argv)
    assert outcome.code == 0
    [settings] = started
    assert settings.allowed_user_ids


def test_help_lists_the_commands(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        bot.cli.main(["--help"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    for command in ("run", "check", "draft"):
        assert command in out
