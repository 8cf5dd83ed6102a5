"""GitHub did the work and the answer never reached the bot: a 5xx after the work, or the bot
killed while it waited. Whatever window it falls in, the writer gets one branch, one file, one
commit, one pull request and one answer. Real bot process, loopback fakes."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.botprocess import WRITER_ID, BotProcess
from tests.fakes.github import FakeGitHub
from tests.fakes.telegram import BotMessage, FakeTelegram
from tests.fakes.workers_ai import FakeWorkersAI

REQUEST = "A post about our move to Postgres 17, mention the 40% speed-up."
REVISED_POST = """---
title: "Why we love Postgres 17"
description: Our move to Postgres 17, shorter.
tags: [postgres]
---

We moved to Postgres 17. It is 40% faster.
"""
NEW_POST_WRITES = {
    "branch": ("POST", r"/git/refs$"),
    "file": ("PUT", r"/contents/"),
    "pull request": ("POST", r"/pulls$"),
}


def done(github: FakeGitHub, write: str) -> bool:
    """Whether GitHub has done the new post's write of this name."""
    branches = [b for b in github.branches() if b != "main"]
    if write == "branch":
        return bool(branches)
    if write == "file":
        return any(new_commits(github, b) for b in branches)
    return bool(github.pulls())


def answers(telegram: FakeTelegram) -> list[BotMessage]:
    return [m for m in telegram.bot_messages(WRITER_ID) if not m.deleted]


def new_commits(github: FakeGitHub, branch: str) -> list[str]:
    on_main = {c["sha"] for c in github.commits("main")}
    return [c["sha"] for c in github.commits(branch) if c["sha"] not in on_main]


def assert_one_post(github: FakeGitHub, telegram: FakeTelegram) -> str:
    """One branch, one file, one commit, one pull request, one answer; returns the branch."""
    [pull] = github.pulls()
    branch = str(pull["head"])
    assert sorted(github.branches()) == sorted(["main", branch])
    assert not branch.endswith("-2")
    added = [p for p, text in github.files(branch).items() if github.file("main", p) != text]
    assert len(added) == 1 and not added[0].endswith("-2.md")
    assert len(new_commits(github, branch)) == 1
    [answer] = answers(telegram)
    assert "Pull request #1" in answer.text and "⚠️" not in answer.text
    return branch


def restart_until(env: dict[str, str], workdir: Path, telegram: FakeTelegram, text: str) -> None:
    process = BotProcess(env, workdir, telegram).start()
    try:
        telegram.wait_for_bot_message(WRITER_ID, contains=text, timeout=30)
    finally:
        process.stop()
    process.assert_no_secrets_logged()


@pytest.mark.parametrize("lost", [*NEW_POST_WRITES, "all"])
def test_a_new_post_whose_answers_are_lost_is_still_one_post(
    lost: str,
    bot: BotProcess,
    telegram: FakeTelegram,
    workers_ai: FakeWorkersAI,
    github: FakeGitHub,
) -> None:
    for name, (method, path) in NEW_POST_WRITES.items():
        if lost in (name, "all"):
            github.lose_next_answer(method, path)
    telegram.send_text(WRITER_ID, REQUEST)
    telegram.wait_for_bot_message(WRITER_ID, contains="Pull request #1", timeout=30)
    assert_one_post(github, telegram)
    assert len(workers_ai.run_requests()) == 1


@pytest.mark.parametrize("lost", list(NEW_POST_WRITES))
def test_killed_while_waiting_for_an_answer_then_restarted_is_still_one_post(
    lost: str,
    bot_env: dict[str, str],
    telegram: FakeTelegram,
    workers_ai: FakeWorkersAI,
    github: FakeGitHub,
    tmp_path: Path,
) -> None:
    """GitHub did the write; the bot dies before reading the answer. Meanwhile someone merges
    to main, so the base commit the branch was made from is no longer main's head."""
    first = BotProcess(bot_env, tmp_path, telegram).start()
    method, path = NEW_POST_WRITES[lost]
    github.lose_next_answer(method, path, delay=10)
    telegram.send_text(WRITER_ID, REQUEST)
    github.wait_until(lambda: done(github, lost), timeout=30)
    first.kill()
    github.clear_faults()
    github.commit("main", {"NOTES.md": "merged while the bot was down\n"})

    restart_until(bot_env, tmp_path, telegram, "Pull request #1")
    assert_one_post(github, telegram)
    assert len(workers_ai.run_requests()) == 1


def test_a_revision_whose_answers_are_lost_is_one_commit_and_one_answer(
    bot: BotProcess, telegram: FakeTelegram, workers_ai: FakeWorkersAI, github: FakeGitHub
) -> None:
    telegram.send_text(WRITER_ID, REQUEST)
    telegram.wait_for_bot_message(WRITER_ID, contains="Pull request #1", timeout=30)
    branch = assert_one_post(github, telegram)

    workers_ai.queue_reply(REVISED_POST)
    github.lose_next_answer("PUT", r"/contents/")  # the commit: the retry meets a stale sha
    github.lose_next_answer("PATCH", r"/pulls/1$")  # the title: set again by the retry
    telegram.send_text(WRITER_ID, "Make it shorter")
    revised = telegram.wait_for_bot_message(WRITER_ID, contains="Revised pull request #1")
    assert "⚠️" not in revised.text
    assert len(new_commits(github, branch)) == 2  # the post and one revision
    assert github.pull(1)["title"] == "Why we love Postgres 17"
    assert len(github.pulls()) == 1 and len(answers(telegram)) == 2


def test_a_revision_killed_while_waiting_for_its_commit_is_one_commit_after_restart(
    bot_env: dict[str, str],
    telegram: FakeTelegram,
    workers_ai: FakeWorkersAI,
    github: FakeGitHub,
    tmp_path: Path,
) -> None:
    first = BotProcess(bot_env, tmp_path, telegram).start()
    telegram.send_text(WRITER_ID, REQUEST)
    telegram.wait_for_bot_message(WRITER_ID, contains="Pull request #1", timeout=30)
    branch = assert_one_post(github, telegram)

    workers_ai.queue_reply(REVISED_POST)
    github.lose_next_answer("PUT", r"/contents/", delay=10)
    telegram.send_text(WRITER_ID, "Make it shorter")
    github.wait_until(lambda: len(new_commits(github, branch)) == 2, timeout=30)
    first.kill()
    github.clear_faults()

    restart_until(bot_env, tmp_path, telegram, "Revised pull request #1")
    assert len(new_commits(github, branch)) == 2
    assert github.pull(1)["title"] == "Why we love Postgres 17"
    assert len(workers_ai.run_requests()) == 2
    assert len(answers(telegram)) == 2
