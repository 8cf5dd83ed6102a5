"""/posts, /status times and out-of-date buttons, end to end with the real bot process.

The writer lists their recent posts with each pull request's state and age, picks an older one
and revises it; a button under an old message whose pull request has been merged or discarded
says so, loses its keyboard and writes nothing to GitHub.

Ages need time to pass: instead of sleeping minutes, `backdate` moves the times the bot stored
for the chat's posts into the past, as if they had been written that long ago.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timedelta

from tests.botprocess import WRITER_ID, BotProcess
from tests.fakes.github import FakeGitHub
from tests.fakes.telegram import BotMessage, FakeTelegram
from tests.fakes.workers_ai import FakeWorkersAI
from tests.helpers_chat import FIRST, SHORTER, model_post, post_file, send_and_wait

REDIS_POST = model_post("Redis at home", "We run Redis on a Pi.", tags="redis")


def backdate(bot: BotProcess, minutes: dict[int, float]) -> None:
    """Pull request number -> how many minutes ago its post was last updated, in the bot's
    state (the writer's conversation, in the SQLite file the process uses)."""
    with sqlite3.connect(bot.env["STATE_PATH"]) as db:
        [(key, value)] = db.execute(
            "SELECT key, value FROM state WHERE key LIKE ?", (f"%conversation:{WRITER_ID}",)
        ).fetchall()
        conversation = json.loads(value)
        for number, ago in minutes.items():
            post = conversation["posts"][str(number)]
            then = datetime.fromisoformat(post["updated_at"]) - timedelta(minutes=ago)
            post["updated_at"] = then.isoformat(timespec="seconds")
        db.execute("UPDATE state SET value = ? WHERE key = ?", (json.dumps(conversation), key))


def two_posts(telegram: FakeTelegram, workers_ai: FakeWorkersAI) -> BotMessage:
    """Pull request #1 (Postgres), then /new and #2 (Redis, now current); #1's result."""
    workers_ai.queue_reply(FIRST)
    first = send_and_wait(telegram, "A post about Postgres 17", "Pull request #1")
    send_and_wait(telegram, "/new", "next message starts a new post")
    workers_ai.queue_reply(REDIS_POST)
    send_and_wait(telegram, "A post about Redis", "Pull request #2")
    return first


def branch_commits(github: FakeGitHub, number: int) -> list[str]:
    on_main = {c["sha"] for c in github.commits("main")}
    return [
        c["sha"] for c in github.commits(github.pull(number)["head"]) if c["sha"] not in on_main
    ]


def press_and_answer(telegram: FakeTelegram, message: BotMessage, data: str) -> str:
    """The writer presses the button with `data`; the text of the bot's answer to the press."""
    query = telegram.press_button(WRITER_ID, message.message_id, data)
    telegram.wait_until(lambda: query in telegram.callback_answers, timeout=20)
    return str(telegram.callback_answers[query].get("text", ""))


def current_markup(telegram: FakeTelegram, message: BotMessage) -> list[str]:
    """The callback data of the buttons the message shows now."""
    [now] = [m for m in telegram.bot_messages(WRITER_ID) if m.message_id == message.message_id]
    return [b.get("callback_data") or b.get("url", "") for b in now.buttons]


def test_posts_lists_each_post_with_its_state_title_link_and_age(
    bot: BotProcess, telegram: FakeTelegram, workers_ai: FakeWorkersAI, github: FakeGitHub
) -> None:
    two_posts(telegram, workers_ai)
    github.merge_pull(1)
    backdate(bot, {1: 60 * 24 + 5, 2: 3})
    reads_before = len([r for r in github.requests if r.method == "GET"])

    listed = send_and_wait(telegram, "/posts", "Your recent posts")

    assert "#2 open · updated 3 minutes ago · current" in listed.text
    assert "#1 merged · updated yesterday" in listed.text
    assert listed.text.index("Redis at home") < listed.text.index("Postgres 17 is here")
    links = [e["url"] for e in listed.entities if e["type"] == "text_link"]
    assert links == [github.pull(2)["html_url"], github.pull(1)["html_url"]]
    # One state read per post; nothing to pick (the merged one cannot be revised).
    reads = [r for r in github.requests if r.method == "GET"][reads_before:]
    assert sorted(r.path.rsplit("/", 1)[-1] for r in reads) == ["1", "2"]
    assert listed.buttons == []
    assert "Tap a post" not in listed.text


def test_picking_a_post_makes_the_next_message_revise_it(
    bot: BotProcess, telegram: FakeTelegram, workers_ai: FakeWorkersAI, github: FakeGitHub
) -> None:
    two_posts(telegram, workers_ai)
    redis_commits = branch_commits(github, 2)

    listed = send_and_wait(telegram, "/posts", "Your recent posts")
    assert [b["text"] for b in listed.buttons] == ["✏️ #1 Postgres 17 is here"]
    answer = press_and_answer(telegram, listed, "pick:1")
    assert "#1 is now the current post" in answer
    told = telegram.wait_for_bot_message(WRITER_ID, contains="is now the current post")
    assert "#1 (Postgres 17 is here) is now the current post" in told.text

    status = send_and_wait(telegram, "/status", "Last update")
    assert "Postgres 17 is here" in status.text and "#1 is open" in status.text

    workers_ai.queue_reply(SHORTER)
    send_and_wait(telegram, "make it shorter", "Revised pull request #1")
    assert len(branch_commits(github, 1)) == 2  # the first version, then the revision
    assert post_file(github, 1).content == "We moved to Postgres 17. 40% faster."
    assert branch_commits(github, 2) == redis_commits  # the other post is untouched
    assert len(github.pulls()) == 2


def test_status_says_how_long_ago_in_words(
    bot: BotProcess, telegram: FakeTelegram, workers_ai: FakeWorkersAI, github: FakeGitHub
) -> None:
    workers_ai.queue_reply(FIRST)
    send_and_wait(telegram, "A post about Postgres 17", "Pull request #1")
    backdate(bot, {1: 3})
    status = send_and_wait(telegram, "/status", "Last update")
    assert status.text.endswith("Last update: 3 minutes ago")


def test_buttons_of_a_merged_pull_request_are_out_of_date_and_write_nothing(
    bot: BotProcess, telegram: FakeTelegram, workers_ai: FakeWorkersAI, github: FakeGitHub
) -> None:
    first = two_posts(telegram, workers_ai)
    listed = send_and_wait(telegram, "/posts", "Your recent posts")
    confirm = send_and_wait(telegram, "/discard", "Close pull request")  # about #2
    github.merge_pull(1)
    writes_before = len(github.write_requests())
    messages_before = len(telegram.bot_messages(WRITER_ID))

    answer = press_and_answer(telegram, first, "discard:1")
    assert answer == "This button is out of date: pull request #1 was merged."
    # The whole keyboard of #1's result is gone (its link stays in the text).
    telegram.wait_until(lambda: current_markup(telegram, first) == [], timeout=20)

    # On the /posts list only #1's button goes; the others stay.
    answer = press_and_answer(telegram, listed, "pick:1")
    assert answer == "This button is out of date: pull request #1 was merged."
    telegram.wait_until(lambda: "pick:1" not in current_markup(telegram, listed), timeout=20)

    # #2 is open and current: its confirmation still works afterwards.
    assert "discard!:2" in current_markup(telegram, confirm)
    assert len(github.write_requests()) == writes_before  # nothing written to GitHub
    assert github.pull(1)["merged"] and github.pull(2)["state"] == "open"
    assert len(telegram.bot_messages(WRITER_ID)) == messages_before  # no preview, no question


def test_buttons_of_a_discarded_post_are_out_of_date_and_write_nothing(
    bot: BotProcess, telegram: FakeTelegram, workers_ai: FakeWorkersAI, github: FakeGitHub
) -> None:
    workers_ai.queue_reply(FIRST)
    result = send_and_wait(telegram, "A post about Postgres 17", "Pull request #1")
    confirm = send_and_wait(telegram, "/discard", "Close pull request")
    second_confirm = send_and_wait(telegram, "/discard", "Close pull request")
    telegram.press_button(WRITER_ID, confirm.message_id, "discard!:1")
    telegram.wait_for_bot_message(WRITER_ID, contains="Closed pull request #1", timeout=20)
    writes_before = len(github.write_requests())

    answer = press_and_answer(telegram, result, "preview:1")
    assert answer == "This button is out of date: pull request #1 was closed."
    telegram.wait_until(lambda: current_markup(telegram, result) == [], timeout=20)
    # The second confirmation, pressed after the first did the work, closes nothing again.
    answer = press_and_answer(telegram, second_confirm, "discard!:1")
    assert answer == "This button is out of date: pull request #1 was closed."
    telegram.wait_until(lambda: current_markup(telegram, second_confirm) == [], timeout=20)

    assert len(github.write_requests()) == writes_before
    assert not any(m.document or "📄" in m.text for m in telegram.bot_messages(WRITER_ID))


def test_posts_is_in_the_command_menu_and_the_help(
    bot: BotProcess, telegram: FakeTelegram, workers_ai: FakeWorkersAI, github: FakeGitHub
) -> None:
    telegram.wait_until(lambda: telegram.commands, timeout=20)
    assert any(c["command"] == "posts" for c in telegram.commands)
    assert "/posts lists your recent posts" in send_and_wait(telegram, "/help", "/posts").text
    assert "no posts yet" in send_and_wait(telegram, "/posts", "no posts yet").text
