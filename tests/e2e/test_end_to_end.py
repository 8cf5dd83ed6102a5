"""The product, as a writer meets it: the real bot process, real clients, loopback fakes."""

from __future__ import annotations

from pathlib import Path

import frontmatter

from tests.botprocess import STRANGER_ID, WRITER_ID, BotProcess
from tests.fakes.github import FakeGitHub
from tests.fakes.telegram import FakeTelegram
from tests.fakes.workers_ai import FakeWorkersAI

REQUEST = "A post about our move to Postgres 17, mention the 40% speed-up."

MODEL_POST = """Sure! Here's a draft for you:

```markdown
---
title: "Moving to Postgres 17: 40% faster"
description: How our move to Postgres 17 made queries 40% faster.
tags: [postgres, databases]
---

# Moving to Postgres 17: 40% faster

We moved to Postgres 17 last month and saw a 40% speed-up.

## What changed

The new planner picks better plans for our joins.
```

Let me know if you'd like any changes!"""


def result_message(telegram: FakeTelegram, chat_id: int = WRITER_ID) -> str:
    return telegram.wait_for_bot_message(
        chat_id, lambda m: "Pull request" in m.text or "⚠️" in m.text, timeout=20
    ).text


def test_a_message_becomes_a_pull_request(
    bot: BotProcess, telegram: FakeTelegram, workers_ai: FakeWorkersAI, github: FakeGitHub
) -> None:
    workers_ai.queue_reply(MODEL_POST)
    telegram.send_text(WRITER_ID, REQUEST)

    reply = telegram.wait_for_bot_message(WRITER_ID, contains="Pull request #1", timeout=20)

    # The writer saw a status message at once, then it became the result with a PR button.
    assert reply.edits and reply.edits[0].startswith("✍️")
    assert "typing" in telegram.chat_actions(WRITER_ID)
    assert "Moving to Postgres 17: 40% faster" in reply.text
    [pull] = github.pulls()
    assert pull["number"] == 1
    assert pull["state"] == "open"
    assert pull["title"] == "Moving to Postgres 17: 40% faster"
    assert pull["html_url"] in reply.text
    button = reply.reply_markup["inline_keyboard"][0][0]  # type: ignore[index]
    assert button["url"] == pull["html_url"]

    # The repository has a new branch with one well-formed post file on it.
    branch = pull["head"]
    assert branch.startswith("blogbot/") and branch in github.branches()
    assert pull["base"] == "main"
    [path] = [p for p in github.files(branch) if p not in github.files("main")]
    assert path.startswith("content/posts/") and path.endswith(
        "-moving-to-postgres-17-40-faster.md"
    )
    assert path in reply.text
    post = frontmatter.loads(github.file(branch, path) or "")
    assert post["title"] == "Moving to Postgres 17: 40% faster"
    assert post["description"] == "How our move to Postgres 17 made queries 40% faster."
    assert post["tags"] == ["postgres", "databases"]
    assert "T" in str(post["date"]) and ("+" in str(post["date"]) or "Z" in str(post["date"]))
    assert post.content.startswith("We moved to Postgres 17 last month and saw a 40% speed-up.")
    assert "Let me know" not in post.content and "```" not in post.content
    assert github.file("main", path) is None  # nothing lands on the base branch

    # The PR tells reviewers what it is, and nothing about who asked.
    assert path in pull["body"] and "@cf/google/gemma-4-26b-a4b-it" in pull["body"]
    assert str(WRITER_ID) not in pull["body"]

    # The model got the writer's words.
    assert REQUEST in workers_ai.run_requests()[-1]["messages"][-1]["content"]


def test_the_default_model_draft_keeps_the_writers_facts(
    bot: BotProcess, telegram: FakeTelegram, github: FakeGitHub
) -> None:
    telegram.send_text(WRITER_ID, REQUEST)
    telegram.wait_for_bot_message(WRITER_ID, contains="Pull request #1", timeout=20)
    [pull] = github.pulls()
    changed = [p for p in github.files(pull["head"]) if p not in github.files("main")]
    assert "40% speed-up" in (github.file(pull["head"], changed[0]) or "")


def test_strangers_are_told_their_id_and_nothing_else_happens(
    bot: BotProcess, telegram: FakeTelegram, workers_ai: FakeWorkersAI, github: FakeGitHub
) -> None:
    telegram.send_text(STRANGER_ID, REQUEST)
    reply = telegram.wait_for_bot_message(STRANGER_ID, contains=str(STRANGER_ID), timeout=20)
    assert "ALLOWED_USER_IDS" in reply.text
    telegram.send_text(STRANGER_ID, "/start")
    telegram.wait_until(lambda: len(telegram.bot_messages(STRANGER_ID)) == 2)
    assert workers_ai.run_requests() == []
    assert github.write_requests() == []


def test_start_and_help_explain_use_and_the_menu_is_registered(
    bot: BotProcess, telegram: FakeTelegram
) -> None:
    telegram.send_text(WRITER_ID, "/start")
    reply = telegram.wait_for_bot_message(WRITER_ID, contains="pull request", timeout=20)
    assert "Send me a message" in reply.text
    assert any(c["command"] == "help" for c in telegram.commands)


def test_model_failure_is_explained_and_nothing_is_written(
    bot: BotProcess, telegram: FakeTelegram, workers_ai: FakeWorkersAI, github: FakeGitHub
) -> None:
    workers_ai.queue_error(
        429, 3036, "You have used up your daily free allocation of 10,000 neurons."
    )
    telegram.send_text(WRITER_ID, REQUEST)
    text = result_message(telegram)
    assert "daily free allocation" in text and "00:00 UTC" in text
    assert "Traceback" not in text
    assert github.write_requests() == []
    assert len(workers_ai.run_requests()) == 1  # 3036 is not retried


def test_non_text_messages_get_a_clear_answer(bot: BotProcess, telegram: FakeTelegram) -> None:
    telegram.send_message_update(WRITER_ID, {"location": {"latitude": 52.52, "longitude": 13.405}})
    reply = telegram.wait_for_bot_message(WRITER_ID, contains="text", timeout=20)
    assert "notes" in reply.text


def test_no_secret_reaches_the_log(
    bot: BotProcess, telegram: FakeTelegram, workers_ai: FakeWorkersAI, github: FakeGitHub
) -> None:
    telegram.send_text(WRITER_ID, REQUEST)
    telegram.wait_for_bot_message(WRITER_ID, contains="Pull request #1", timeout=20)
    bot.stop()
    logs = bot.logs()
    assert "getUpdates" in logs or "HTTP Request" in logs  # DEBUG logging really was on
    for secret in (telegram.token, workers_ai.token, github.token):
        assert secret not in logs
    assert telegram.token.split(":", 1)[1] not in logs


def test_github_failure_is_explained_to_the_writer(
    bot: BotProcess, telegram: FakeTelegram, github: FakeGitHub
) -> None:
    github.push = False  # the token lost write access
    telegram.send_text(WRITER_ID, REQUEST)
    text = result_message(telegram)
    assert "may not write to acme/blog (403)" in text
    assert "Contents and Pull requests" in text
    assert github.pulls() == []


def test_empty_allowlist_serves_nobody_and_logs_why(
    bot_env: dict[str, str],
    telegram: FakeTelegram,
    workers_ai: FakeWorkersAI,
    tmp_path: Path,
) -> None:
    bot_env["ALLOWED_USER_IDS"] = ""
    process = BotProcess(bot_env, tmp_path, telegram).start()
    try:
        telegram.send_text(WRITER_ID, REQUEST)
        reply = telegram.wait_for_bot_message(WRITER_ID, contains=str(WRITER_ID), timeout=20)
        assert "ALLOWED_USER_IDS" in reply.text
        assert workers_ai.run_requests() == []
    finally:
        process.stop()
    assert "ALLOWED_USER_IDS is empty" in process.logs()
