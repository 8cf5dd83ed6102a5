"""You wrote about this before: the real bot process, a Jekyll blog that already has a post on
restores (tests/blogs/jekyll), the fake Workers AI embedding with bge-m3 (checked against the
specs), and the writer choosing in Telegram."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.botprocess import WRITER_ID, BotProcess, bot_environment
from tests.fakes.github import FakeGitHub
from tests.fakes.telegram import BotMessage, FakeTelegram
from tests.fakes.workers_ai import FakeWorkersAI
from tests.helpers_blogs import sample_blog_github
from tests.helpers_chat import model_post, send_and_wait

RESTORES = "_posts/2025-04-18-a-checklist-for-restores.md"
NOTES = "Notes: we practised restoring our backups again, into a scratch machine this time."
# The model's post from NOTES: the topic of RESTORES, as a writer who forgot it would get.
SAME_TOPIC = model_post(
    "A checklist for practising restores",
    "Backups are only as good as the last restore you practised. We restore into a scratch "
    "machine and time it.\n\n## Steps\n\nStart the service against the restored data.",
    tags="backups",
)
# The existing post, revised with the notes (the "Update that post instead" answer).
UPDATED_BODY = (
    "Backups are only as good as the last restore you practised.\n\n"
    "1. Restore into a scratch machine.\n2. Start the service against the restored data.\n"
    "3. Write down how long it took. Ours took 14 minutes this spring."
)
UPDATED = model_post("A checklist for restores", UPDATED_BODY, tags="backups")
OTHER_TOPIC = model_post(
    "Moving our builds to ARM runners",
    "We moved the CI builds to ARM runners last month and halved the bill.",
    tags="builds",
)
WARNING = "You wrote about this before"


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    with sample_blog_github("jekyll") as fake:
        yield fake


@pytest.fixture
def bot(
    telegram: FakeTelegram, workers_ai: FakeWorkersAI, github: FakeGitHub, tmp_path: Path
) -> Iterator[BotProcess]:
    env = bot_environment(telegram, workers_ai, github, tmp_path, SIMILAR_POSTS="true")
    process = BotProcess(env, tmp_path, telegram).start()
    yield process
    process.stop()
    process.assert_no_secrets_logged()


def warned(telegram: FakeTelegram, workers_ai: FakeWorkersAI) -> BotMessage:
    """The writer sends NOTES, the model answers SAME_TOPIC: the bot asks before publishing."""
    workers_ai.queue_reply(SAME_TOPIC)
    return send_and_wait(telegram, NOTES, WARNING)


def link_of(message: BotMessage) -> str:
    [link] = [e["url"] for e in message.entities if e["type"] == "text_link"]
    return str(link)


def press(telegram: FakeTelegram, message: BotMessage, label: str) -> None:
    [button] = [b for b in message.buttons if b["text"] == label]
    telegram.press_button(WRITER_ID, message.message_id, button["callback_data"])


def wait_for_pull(telegram: FakeTelegram) -> BotMessage:
    return telegram.wait_for_bot_message(WRITER_ID, contains="Pull request #1", timeout=20)


def test_a_post_on_a_topic_the_blog_has_asks_first(
    bot: BotProcess, telegram: FakeTelegram, workers_ai: FakeWorkersAI, github: FakeGitHub
) -> None:
    warning = warned(telegram, workers_ai)
    assert WARNING in warning.text and "A checklist for restores" in warning.text
    assert link_of(warning) == f"{github.html_root}/blob/main/{RESTORES}"
    assert [b["text"] for b in warning.buttons] == ["Go ahead", "Update that post instead"]
    assert "⚠️" not in warning.text
    # Nothing is written before the choice.
    assert set(github.branches()) == {"main"} and github.pulls() == []
    assert github.write_requests() == []
    # One embedding call: the draft and the blog's three posts, as the spec allows.
    [request] = workers_ai.embedding_requests()
    assert len(request["text"]) == 4 and request["text"][0].startswith("A checklist for practising")

    press(telegram, warning, "Go ahead")
    result = wait_for_pull(telegram)
    assert result.message_id == warning.message_id  # the question became the answer
    [pull] = github.pulls()
    added = [p for p in github.files(pull["head"]) if p not in github.files("main")]
    assert len(added) == 1 and added[0].startswith("_posts/") and added[0] != RESTORES
    assert len(workers_ai.text_requests()) == 1  # the draft was kept: no second model call


def test_update_that_post_instead_edits_the_existing_file_even_after_a_restart(
    bot: BotProcess, telegram: FakeTelegram, workers_ai: FakeWorkersAI, github: FakeGitHub
) -> None:
    warning = warned(telegram, workers_ai)
    bot.stop()  # a deploy while the writer thinks: the paused job is in the state store
    bot.start()
    workers_ai.queue_reply(UPDATED)
    press(telegram, warning, "Update that post instead")
    result = wait_for_pull(telegram)
    assert "updates the existing post" in result.text and RESTORES in result.text

    [pull] = github.pulls()
    assert pull["title"] == "Update: A checklist for restores"
    main, head = github.files("main"), github.files(pull["head"])
    assert sorted(head) == sorted(main)  # no new file
    assert [p for p in head if head[p] != main[p]] == [RESTORES]
    front_matter = main[RESTORES].split("\n---\n")[0]
    assert head[RESTORES].startswith(front_matter + "\n---\n")  # kept as the blog wrote it
    assert "Ours took 14 minutes" in head[RESTORES]
    [commit, *_] = github.commits(pull["head"])
    assert commit["files"] == [RESTORES] and commit["message"].startswith("Update post:")
    revision = workers_ai.text_requests()[-1]["messages"][-1]["content"]
    assert "Backups are only as good as the last restore you practised." in revision
    assert NOTES in revision


def test_a_post_on_another_topic_is_published_without_asking(
    bot: BotProcess, telegram: FakeTelegram, workers_ai: FakeWorkersAI, github: FakeGitHub
) -> None:
    workers_ai.queue_reply(OTHER_TOPIC)
    result = send_and_wait(telegram, "Notes: ARM runners for CI, half the cost.", "Pull request")
    assert "Pull request #1" in result.text
    assert not any(WARNING in m.text for m in telegram.bot_messages(WRITER_ID))
    assert len(github.pulls()) == 1 and len(workers_ai.embedding_requests()) == 1


def test_a_second_run_embeds_only_the_new_posts(
    bot: BotProcess, telegram: FakeTelegram, workers_ai: FakeWorkersAI, github: FakeGitHub
) -> None:
    workers_ai.queue_reply(OTHER_TOPIC)
    send_and_wait(telegram, "Notes: ARM runners for CI.", "Pull request #1")
    assert len(workers_ai.embedded_texts()) == 1 + 3

    new_post = (
        "---\nlayout: post\ntitle: Tide tables\n---\n\nThe harbour gauge reads twice a day.\n"
    )
    github.commit("main", {"_posts/2025-06-01-tide-tables.md": new_post}, "A post by hand")
    bot.stop()
    bot.start()
    workers_ai.queue_reply(
        model_post(
            "Cheaper object storage", "We moved the archives to cheaper object storage last month."
        )
    )
    send_and_wait(telegram, "/new", "new post")
    send_and_wait(telegram, "Notes: object storage.", "Pull request #2")
    [_, second] = workers_ai.embedding_requests()
    assert second["text"][0].startswith("Cheaper object storage")  # the draft
    assert second["text"][1:] == ["Tide tables\nThe harbour gauge reads twice a day."]


def test_an_embedding_failure_never_blocks_the_post(
    bot: BotProcess, telegram: FakeTelegram, workers_ai: FakeWorkersAI, github: FakeGitHub
) -> None:
    workers_ai.queue_embedding_error(400, 5004, "AiError: Bad input")
    workers_ai.queue_reply(SAME_TOPIC)
    result = send_and_wait(telegram, NOTES, "Pull request")
    assert "Pull request #1" in result.text
    assert len(github.pulls()) == 1
    assert "could not compare the draft" in bot.logs()
