"""A new post on a topic the blog has: the job pauses before anything is written, then goes
ahead, or updates the existing post instead."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from bot.core.blog_source import BlogKnowledge
from bot.core.conversation import ConversationStore
from bot.core.drafting import Drafter
from bot.core.jobs import JobRecord, JobStore
from bot.core.post_update import PostUpdater, post_date, updated_file
from bot.core.publishing import PostLayout, Publisher
from bot.core.similar_posts import SimilarPostFound, SimilarPosts
from bot.core.writer import Writer
from tests.helpers_blogs import blog_files
from tests.unit.fakes import (
    Crash,
    FakeBlogRepository,
    FakeEmbedder,
    FakeModel,
    MemoryStateStore,
    model_answer,
)

CHAT = 1001
NOW = datetime(2026, 11, 27, 9, 30, tzinfo=timezone(timedelta(hours=1)))
RESTORES = "_posts/2025-04-18-a-checklist-for-restores.md"
SAME_TOPIC = model_answer(
    "A checklist for practising restores",
    "Backups are only as good as the last restore you practised. Restore into a scratch machine.",
)
UPDATED_BODY = "Backups are only as good as the last restore you practised, and we now time it."


class World:
    def __init__(self) -> None:
        self.repo = FakeBlogRepository()
        self.repo.push("main", blog_files("jekyll"), "The blog")
        self.model = FakeModel()
        self.embedder = FakeEmbedder()
        self.state = MemoryStateStore()
        self.jobs = JobStore(self.state)

    def writer(self) -> Writer:
        publisher = Publisher(
            repository=self.repo,
            layout=PostLayout(None, None, "blogbot/"),
            clock=lambda: NOW,
            model_name=self.model.model,
        )
        drafter = Drafter(self.model)
        similar = SimilarPosts(
            repository=self.repo,
            blobs=self.repo,
            embedder=self.embedder,
            store=self.state,
            knowledge=BlogKnowledge(self.repo),
            threshold=0.8,
            link=lambda branch, path: f"https://github.com/acme/blog/blob/{branch}/{path}",
        )
        updater = PostUpdater(
            drafter=drafter, repository=self.repo, branch_prefix="blogbot/", clock=lambda: NOW
        )
        return Writer(
            drafter=drafter,
            publisher=publisher,
            conversations=ConversationStore(self.state, ttl_seconds=3600),
            similar=similar,
            updater=updater,
        )

    async def paused_job(self) -> JobRecord:
        """The writer's notes on the topic of RESTORES: the job pauses with the post found."""
        self.model.answers.append(SAME_TOPIC)
        record = JobRecord(chat_id=CHAT, message_id=7, text="notes on practising restores")
        with pytest.raises(SimilarPostFound) as raised:
            await self.writer().handle(record, checkpoint=self.jobs.save)
        assert raised.value.found.path == RESTORES
        saved = await self.jobs.get(CHAT, 7)
        assert saved is not None
        return saved


async def test_a_close_post_pauses_the_job_before_anything_is_written() -> None:
    world = World()
    saved = await world.paused_job()
    assert saved.state == "paused"
    assert saved.finished  # not resumed by a restart: it waits for a button
    assert saved.similar is not None and saved.similar["path"] == RESTORES
    assert saved.draft is not None  # kept: the choice never asks the model again
    assert world.repo.writes == []
    assert world.repo.post_branches() == []


async def test_go_ahead_publishes_the_new_post_from_the_kept_draft() -> None:
    world = World()
    saved = await world.paused_job()
    saved.similar_choice, saved.state = "go", "drafted"
    outcome = await world.writer().handle(saved, checkpoint=world.jobs.save)
    assert outcome.kind == "created"
    [branch] = world.repo.post_branches()
    [path] = world.repo.new_files(branch)
    assert path != RESTORES and path.startswith("_posts/")
    assert len(world.model.requests) == 1  # the draft, once


async def test_update_that_post_edits_the_existing_file_on_a_new_branch() -> None:
    world = World()
    saved = await world.paused_job()
    world.model.will_write("A checklist for restores", UPDATED_BODY)
    saved.similar_choice, saved.state = "update", "drafted"
    outcome = await world.writer().handle(saved, checkpoint=world.jobs.save)

    [branch] = world.repo.post_branches()
    assert branch == "blogbot/update-2025-04-18-a-checklist-for-restores-7"
    assert list(world.repo.new_files(branch)) == [RESTORES]  # no new file
    text = world.repo.files(branch)[RESTORES]
    original = world.repo.files("main")[RESTORES]
    assert text.startswith(original.split("\n---\n")[0] + "\n---\n")  # front matter as it was
    assert UPDATED_BODY in text
    assert outcome.thread.path == RESTORES and outcome.thread.number == 1
    assert "updates the existing post" in (outcome.note or "")
    [pull] = world.repo.open_pulls()
    assert pull.title == "Update: A checklist for restores"
    revise = world.model.requests[1][-1]["content"]
    assert "Backups are only as good" in revise  # the existing post, revised
    assert "notes on practising restores" in revise  # with the writer's notes


async def test_an_update_interrupted_after_the_model_resumes_without_asking_again() -> None:
    world = World()
    saved = await world.paused_job()
    world.model.will_write("A checklist for restores", UPDATED_BODY)
    saved.similar_choice, saved.state = "update", "drafted"
    world.repo.next_write("update_file", "crash")
    with pytest.raises(Crash):
        await world.writer().handle(saved, checkpoint=world.jobs.save)
    resumed = await world.jobs.get(CHAT, 7)
    assert resumed is not None and resumed.update_draft is not None
    outcome = await world.writer().handle(resumed, checkpoint=world.jobs.save)
    assert len(world.model.requests) == 2  # the draft and the update, once each
    [branch] = world.repo.post_branches()
    assert len(world.repo.new_commits(branch)) == 1
    assert outcome.thread.number == 1 and len(world.repo.pulls) == 1


async def test_a_post_on_another_topic_goes_straight_through() -> None:
    world = World()
    world.model.will_write("Moving our builds to ARM runners", "We moved CI to ARM runners.")
    record = JobRecord(chat_id=CHAT, message_id=8, text="ARM runners")
    outcome = await world.writer().handle(record, checkpoint=world.jobs.save)
    assert outcome.kind == "created" and record.similar is None


async def test_an_embedding_failure_goes_ahead() -> None:
    world = World()
    world.embedder.failure = RuntimeError("boom")
    world.model.answers.append(SAME_TOPIC)
    record = JobRecord(chat_id=CHAT, message_id=9, text="notes on practising restores")
    outcome = await world.writer().handle(record, checkpoint=world.jobs.save)
    assert outcome.kind == "created"


def test_an_update_keeps_the_front_matter_and_a_title_heading() -> None:
    original = "---\ntitle: A\ndate: 2025-01-01\nlayout: post\n---\n\n# A\n\nOld words.\n"
    assert updated_file(original, "New words.") == (
        "---\ntitle: A\ndate: 2025-01-01\nlayout: post\n---\n\n# A\n\nNew words.\n"
    )
    toml = '+++\ntitle = "B"\n+++\n\nOld.\n'
    assert updated_file(toml, "New.\n\nMore.") == '+++\ntitle = "B"\n+++\n\nNew.\n\nMore.\n'


async def test_a_message_after_the_update_revises_it_at_the_same_path_and_date() -> None:
    world = World()
    saved = await world.paused_job()
    world.model.will_write("A checklist for restores", UPDATED_BODY)
    saved.similar_choice, saved.state = "update", "drafted"
    first = await world.writer().handle(saved, checkpoint=world.jobs.save)
    assert first.thread.date == "2025-04-18T17:05:00+02:00"  # the post's own date

    world.model.will_write("A checklist for restores", UPDATED_BODY + " Shorter.")
    follow_up = JobRecord(chat_id=CHAT, message_id=20, text="shorter")
    outcome = await world.writer().handle(follow_up, checkpoint=world.jobs.save)
    assert outcome.kind == "revised" and outcome.thread.number == first.thread.number
    [branch] = world.repo.post_branches()
    assert list(world.repo.new_files(branch)) == [RESTORES]
    assert "2025-04-18" in world.repo.files(branch)[RESTORES]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("---\ndate: 2025-04-18 17:05:00 +0200\n---\n\nx", "2025-04-18T17:05:00+02:00"),
        ("+++\ndate = 2025-03-15T21:30:00+01:00\n+++\n\nx", "2025-03-15T21:30:00+01:00"),
        ("---\npubDate: 2025-01-28\n---\n\nx", "2025-01-28T00:00:00+01:00"),
        ("---\ndate:\n  created: 2025-02-19\n---\n\nx", "2025-02-19T00:00:00+01:00"),
        ("---\ntitle: no date\n---\n\nx", None),
        ("---\ndate: someday\n---\n\nx", None),
        ("# Plain\n\n*27 February 2025*\n", None),
    ],
)
def test_the_date_of_an_existing_post(text: str, expected: str | None) -> None:
    assert post_date(text, NOW) == expected
