"""The maintainers' side, end to end with the real bot process: the pull request's description
kept true on every revision, a maintainer's commit kept and built on, a merge during a revision,
and a message after a merge."""

from __future__ import annotations

import re
from pathlib import Path

import frontmatter
import pytest

from bot.config import Settings
from bot.core import prompts
from bot.core.drafts import word_count
from tests.botprocess import WRITER_ID, BotProcess
from tests.e2e.test_photos import jpeg, send_photo
from tests.fakes.github import FakeGitHub
from tests.fakes.telegram import BotMessage, FakeTelegram
from tests.fakes.workers_ai import FakeWorkersAI
from tests.helpers_chat import FIRST, SHORTER, model_post, post_text, send_and_wait

NOTES = "A post about Postgres 17, mention the 40% speed-up <b>not bold</b> ```"
RETITLED = model_post(
    "Why we love Postgres 17", "We moved to Postgres 17. It is 40% faster.", tags="postgres, db"
)


def post_path(github: FakeGitHub, number: int) -> str:
    head = github.pull(number)["head"]
    [path] = [p for p in github.files(head) if github.files("main").get(p) != github.file(head, p)]
    return path


def pull_requests_to(github: FakeGitHub, number: int) -> list[str]:
    """`METHOD path` of every request about pull request `number`, in order."""
    pattern = re.compile(rf"/pulls/{number}(/|$)")
    return [f"{r.method} {r.path}" for r in github.requests if pattern.search(r.path)]


def test_the_pull_request_body_after_two_revisions_matches_the_post(
    bot: BotProcess, telegram: FakeTelegram, workers_ai: FakeWorkersAI, github: FakeGitHub
) -> None:
    workers_ai.queue_reply(FIRST)
    send_and_wait(telegram, NOTES, "Pull request #1")
    opened = github.pull(1)["body"]
    assert "<details>" in opened and "```` text" not in opened
    assert "### Revisions" not in opened

    workers_ai.queue_reply(RETITLED)
    send_and_wait(telegram, "friendlier title, more tags", "Revised pull request #1")
    workers_ai.queue_reply(SHORTER)
    send_and_wait(telegram, "make it <i>shorter</i>", "Revised pull request #1")

    pull = github.pull(1)
    body = pull["body"]
    post = frontmatter.loads(post_text(github, 1))
    assert pull["title"] == post["title"] == "Postgres 17 is here"
    assert f"**{post['title']}**" in body
    assert f"- Words: {word_count(post.content)}" in body
    assert "- Tags: postgres\n" in body  # the tags now, not the "db" of the first revision
    assert f"- File: `{post_path(github, 1)}`" in body
    # Both requests, in order, each with its commit's link.
    revisions = [c["sha"] for c in github.commits(pull["head"])][:2][::-1]
    first = body.index("1. friendlier title, more tags")
    second = body.index(r"2. make it \<i\>shorter\</i\>")
    assert first < second
    for sha in revisions:
        assert f"[`{sha[:7]}`]({github.html_root}/commit/{sha})" in body
    # The notes, collapsed and shown as typed (a ``` inside does not close the block).
    notes = body[body.index("<details>") : body.index("</details>")]
    assert "````text\n" + NOTES + "\n````" in notes
    assert f"Drafted with `{Settings.model_fields['ai_model'].default}`" in body
    assert f"prompts `{prompts.version()}`" in body
    # Each revision: its title and body in one PATCH, nothing else written to the pull request.
    patches = [r for r in github.requests if r.method == "PATCH" and "/pulls/1" in r.path]
    assert len(patches) == 2 and all(set(r.json()) == {"title", "body"} for r in patches)


def test_pull_request_settings_labels_reviewers_draft_and_no_notes(
    bot_env: dict[str, str],
    telegram: FakeTelegram,
    workers_ai: FakeWorkersAI,
    github: FakeGitHub,
    tmp_path: Path,
) -> None:
    env = bot_env | {
        "PR_LABELS": "blog, from-telegram",
        "PR_REVIEWERS": "@editor",
        "PR_DRAFT": "true",
        "PR_INCLUDE_NOTES": "false",
    }
    process = BotProcess(env, tmp_path, telegram).start()
    try:
        workers_ai.queue_reply(FIRST)
        send_and_wait(telegram, "A private note: the launch is on Friday", "Pull request #1")
    finally:
        process.stop()
    pull = github.pull(1)
    assert pull["labels"] == ["blog", "from-telegram"]
    assert pull["requested_reviewers"] == ["editor"]
    assert pull["draft"] is True
    assert "launch is on Friday" not in pull["body"] and "<details>" not in pull["body"]


def test_a_maintainers_commit_is_kept_and_the_revision_goes_on_top(
    bot: BotProcess, telegram: FakeTelegram, workers_ai: FakeWorkersAI, github: FakeGitHub
) -> None:
    workers_ai.queue_reply(FIRST)
    send_and_wait(telegram, "A post about Postgres 17", "Pull request #1")
    branch, path = github.pull(1)["head"], post_path(github, 1)
    fixed = (github.file(branch, path) or "").replace("Plans.", "Plans, measured by Maya.")
    theirs = github.commit(branch, {path: fixed}, "Fix a detail", author="Maya Maintainer")

    workers_ai.queue_reply(SHORTER)
    reply = send_and_wait(telegram, "make it shorter", "Revised pull request #1")

    assert "Kept the maintainer's edits (1 commit by Maya Maintainer)." in reply.text
    # The model revised the maintainer's text, not the bot's last version.
    assert "Plans, measured by Maya." in workers_ai.run_requests()[-1]["messages"][-1]["content"]
    # A fast-forward on top of their commit: theirs stays in the history.
    newest = github.commits(branch)[0]
    assert newest["parents"] == [theirs] and newest["message"].startswith("Revise post")
    assert frontmatter.loads(github.file(branch, path) or "").content == (
        "We moved to Postgres 17. 40% faster."
    )
    # One stale write never happened: a single PUT for the revision, after two pull reads.
    puts = [r for r in github.write_requests() if r.method == "PUT"]
    assert len(puts) == 2  # the first version, then the revision
    assert github.errors == []


def test_a_revision_without_other_commits_costs_what_it_did(
    bot: BotProcess, telegram: FakeTelegram, workers_ai: FakeWorkersAI, github: FakeGitHub
) -> None:
    workers_ai.queue_reply(FIRST)
    send_and_wait(telegram, "A post about Postgres 17", "Pull request #1")
    before = len(github.requests)
    workers_ai.queue_reply(SHORTER)
    reply = send_and_wait(telegram, "make it shorter", "Revised pull request #1")
    assert "maintainer" not in reply.text
    calls = [f"{r.method} {r.path.split('/')[4]}" for r in github.requests[before:]]
    # Read the pull request before drafting and before committing; the commit; one PATCH.
    assert calls == ["GET pulls", "GET pulls", "PUT contents", "PATCH pulls"]


@pytest.mark.parametrize("delete_branch_on_merge", [False, True])
def test_a_revision_in_flight_during_a_merge_becomes_a_follow_up(
    bot: BotProcess,
    telegram: FakeTelegram,
    workers_ai: FakeWorkersAI,
    github: FakeGitHub,
    delete_branch_on_merge: bool,
) -> None:
    github.delete_branch_on_merge = delete_branch_on_merge
    workers_ai.queue_reply(FIRST)
    send_and_wait(telegram, "A post about Postgres 17", "Pull request #1")
    branch, path = github.pull(1)["head"], post_path(github, 1)

    workers_ai.model_latency = 0.8
    workers_ai.queue_reply(SHORTER)
    telegram.send_text(WRITER_ID, "make it shorter")
    telegram.wait_until(lambda: len(workers_ai.run_requests()) == 2)
    github.merge_pull(1)  # while the model is drafting the revision
    merged_head = github.pull(1)["head_sha"]
    reply = telegram.wait_for_bot_message(WRITER_ID, contains="edits the merged post", timeout=20)
    workers_ai.model_latency = 0

    assert "Pull request #1 was merged while I was revising it" in reply.text
    assert "Pull request #2" in reply.text
    # Nothing was pushed to the merged branch.
    if delete_branch_on_merge:
        assert branch not in github.branches()
    else:
        assert github.branches()[branch] == merged_head
    follow_up = github.pull(2)
    assert follow_up["state"] == "open" and follow_up["base"] == "main"
    assert follow_up["head"] != branch
    # It changes the merged file at its path (no second post file).
    new_files = {
        p for p, text in github.files(follow_up["head"]).items() if github.file("main", p) != text
    }
    assert new_files == {path}
    assert frontmatter.loads(github.file(follow_up["head"], path) or "").content == (
        "We moved to Postgres 17. 40% faster."
    )
    assert "Edits the post merged in #1." in (follow_up["body"] or "")
    assert "1. make it shorter" in (follow_up["body"] or "")


def ask_after_merge(telegram: FakeTelegram, text: str) -> BotMessage:
    question = send_and_wait(telegram, text, "already merged")
    assert [b["text"] for b in question.buttons] == [
        "Edit the merged post (new PR)",
        "Start a new post",
    ]
    return question


def test_a_message_after_a_merge_asks_and_each_choice_works(
    bot: BotProcess, telegram: FakeTelegram, workers_ai: FakeWorkersAI, github: FakeGitHub
) -> None:
    workers_ai.queue_reply(FIRST)
    send_and_wait(telegram, "A post about Postgres 17", "Pull request #1")
    path = post_path(github, 1)
    github.merge_pull(1)
    # A maintainer polishes the post on the base after the merge.
    polished = (github.file("main", path) or "").replace("Plans.", "Plans for 2027.")
    github.commit("main", {path: polished}, "Polish", author="Maya Maintainer")

    question = ask_after_merge(telegram, "add that the plant is called Kevin")
    assert len(workers_ai.run_requests()) == 1  # nothing drafted before the writer chose

    # Edit the merged post: a new pull request from the base changing the same file.
    workers_ai.queue_reply(
        model_post("Postgres 17 is here", "Kevin the plant approves of the upgrade, and so do we.")
    )
    edit, new = (b["callback_data"] for b in question.buttons)
    telegram.press_button(WRITER_ID, question.message_id, edit)
    result = telegram.wait_for_bot_message(WRITER_ID, contains="edits the merged post", timeout=20)
    assert "Pull request #2" in result.text and "(#1)" in result.text
    assert "Plans for 2027." in workers_ai.run_requests()[-1]["messages"][-1]["content"]
    assert (
        "add that the plant is called Kevin"
        in workers_ai.run_requests()[-1]["messages"][-1]["content"]
    )
    follow_up = github.pull(2)
    assert post_path(github, 2) == path
    assert "Kevin the plant approves of the upgrade" in (github.file(follow_up["head"], path) or "")
    # The old question's buttons are out of date now.
    query = telegram.press_button(WRITER_ID, question.message_id, new, allow_missing_button=True)
    telegram.wait_until(lambda: query in telegram.callback_answers)
    assert "out of date" in telegram.callback_answers[query]["text"]

    # After that one is merged too, the other choice: a new post from the message.
    github.merge_pull(2)
    again = ask_after_merge(telegram, "a post about our new office")
    workers_ai.queue_reply(model_post("Our new office", "We moved.", tags="office"))
    new = again.buttons[1]["callback_data"]
    telegram.press_button(WRITER_ID, again.message_id, new)
    created = telegram.wait_for_bot_message(WRITER_ID, contains="Pull request #3", timeout=20)
    assert "Our new office" in created.text
    assert post_path(github, 3) != path
    assert "a post about our new office" in workers_ai.run_requests()[-1]["messages"][-1]["content"]


def test_a_maintainers_commit_while_the_model_drafts_is_kept_not_a_409(
    bot: BotProcess, telegram: FakeTelegram, workers_ai: FakeWorkersAI, github: FakeGitHub
) -> None:
    workers_ai.queue_reply(FIRST)
    send_and_wait(telegram, "A post about Postgres 17", "Pull request #1")
    branch, path = github.pull(1)["head"], post_path(github, 1)

    workers_ai.model_latency = 0.5
    workers_ai.queue_reply(SHORTER)
    workers_ai.queue_reply(SHORTER)  # the redraft from the maintainer's text
    telegram.send_text(WRITER_ID, "make it shorter")
    telegram.wait_until(lambda: len(workers_ai.run_requests()) == 2)
    fixed = (github.file(branch, path) or "").replace("Plans.", "Plans, by Maya.")
    theirs = github.commit(branch, {path: fixed}, "Fix a detail", author="Maya Maintainer")
    reply = telegram.wait_for_bot_message(WRITER_ID, contains="Revised pull request #1", timeout=20)
    workers_ai.model_latency = 0

    assert "Kept the maintainer's edits (1 commit by Maya Maintainer)." in reply.text
    assert len(workers_ai.run_requests()) == 3
    assert "Plans, by Maya." in workers_ai.run_requests()[-1]["messages"][-1]["content"]
    assert github.commits(branch)[0]["parents"] == [theirs]
    assert "409" not in reply.text


def test_a_pull_request_closed_while_the_model_drafts_is_told_and_offers_a_new_post(
    bot: BotProcess, telegram: FakeTelegram, workers_ai: FakeWorkersAI, github: FakeGitHub
) -> None:
    workers_ai.queue_reply(FIRST)
    send_and_wait(telegram, "A post about Postgres 17", "Pull request #1")
    branch = github.pull(1)["head"]
    head = github.branches()[branch]

    workers_ai.model_latency = 0.5
    workers_ai.queue_reply(SHORTER)
    telegram.send_text(WRITER_ID, "a post about our office move")
    telegram.wait_until(lambda: len(workers_ai.run_requests()) == 2)
    github.close_pull(1)
    told = telegram.wait_for_bot_message(WRITER_ID, contains="closed without merging", timeout=20)
    workers_ai.model_latency = 0
    assert "nothing was committed" in told.text
    assert github.branches()[branch] == head
    assert [b["text"] for b in told.buttons] == ["Start a new post"]

    workers_ai.queue_reply(model_post("Our office move", "We moved.", tags="office"))
    telegram.press_button(WRITER_ID, told.message_id, told.buttons[0]["callback_data"])
    created = telegram.wait_for_bot_message(WRITER_ID, contains="Pull request #2", timeout=20)
    assert "Our office move" in created.text
    assert (
        "a post about our office move" in workers_ai.run_requests()[-1]["messages"][-1]["content"]
    )


def test_with_a_photo_the_revision_also_goes_on_top_of_the_maintainers_commit(
    bot: BotProcess, telegram: FakeTelegram, workers_ai: FakeWorkersAI, github: FakeGitHub
) -> None:
    workers_ai.queue_reply(FIRST)
    send_and_wait(telegram, "A post about Postgres 17", "Pull request #1")
    branch, path = github.pull(1)["head"], post_path(github, 1)
    fixed = (github.file(branch, path) or "").replace("Plans.", "Plans, by Maya.")
    theirs = github.commit(branch, {path: fixed}, "Fix a detail", author="Maya Maintainer")

    workers_ai.queue_reply(
        model_post("Postgres 17 is here", "Plans, by Maya.\n\n![A latency graph](image-1)")
    )
    send_photo(telegram, jpeg((10, 10, 10)), caption="Add this graph")
    reply = telegram.wait_for_bot_message(WRITER_ID, contains="Revised pull request #1", timeout=30)

    assert "Kept the maintainer's edits (1 commit by Maya Maintainer)." in reply.text
    parts = workers_ai.run_requests()[-1]["messages"][-1]["content"]
    assert any("Plans, by Maya." in p.get("text", "") for p in parts)
    newest = github.commits(branch)[0]
    assert newest["parents"] == [theirs] and len(newest["files"]) == 2  # post and image, one commit
