"""The Writer's use cases in memory: jobs checkpointed in a state store, crashed, resumed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone

import pytest

from bot.core.conversation import ConversationStore
from bot.core.drafting import Drafter
from bot.core.errors import PublishError
from bot.core.jobs import JobRecord, JobStore
from bot.core.progress import PullOpened, RevisionCommitted
from bot.core.publishing import PostLayout, Publisher
from bot.core.writer import Checkpoint, Outcome, Writer
from tests.unit.fakes import Crash, FakeBlogRepository, FakeModel, MemoryStateStore, Write

CHAT = 1001
NOW = datetime(2026, 11, 27, 9, 30, tzinfo=timezone(timedelta(hours=1)))
BRANCH = "blogbot/2026-11-27-hello-world"
PATH = "content/posts/2026-11-27-hello-world.md"


class World:
    """The services and the state store of one deployment; writers come and go with the
    process, these stay."""

    def __init__(self) -> None:
        self.repo = FakeBlogRepository()
        self.model = FakeModel()
        self.state = MemoryStateStore()
        self.jobs = JobStore(self.state)
        self.conversations = ConversationStore(self.state, ttl_seconds=3600)

    def writer(self) -> Writer:
        """The writer of a freshly started process."""
        publisher = Publisher(
            repository=self.repo,
            layout=PostLayout("content/posts", "{date}-{slug}.md", "blogbot/"),
            clock=lambda: NOW,
            model_name=self.model.model,
        )
        return Writer(
            drafter=Drafter(self.model), publisher=publisher, conversations=self.conversations
        )

    async def accept(self, message_id: int, text: str) -> JobRecord:
        status = message_id + 1  # the bot's "working on it" message, edited into the answer
        record = JobRecord(chat_id=CHAT, message_id=message_id, text=text, status_message_id=status)
        await self.jobs.save(record)
        return record

    async def saved(self, message_id: int) -> JobRecord:
        record = await self.jobs.get(CHAT, message_id)
        assert record is not None
        return record

    async def run(
        self, writer: Writer, record: JobRecord, checkpoint: Checkpoint | None = None
    ) -> Outcome:
        """As the Telegram layer runs a job: checkpoints go to the store, a failure is saved."""
        try:
            outcome = await writer.handle(record, checkpoint=checkpoint or self.jobs.save)
        except PublishError as exc:
            record.state, record.error = "failed", exc.user_message
            await self.jobs.save(record)
            raise
        record.state = "answered"
        await self.jobs.save(record)
        return outcome

    async def retry(self, writer: Writer, message_id: int) -> Outcome:
        """/retry or a restart: the saved record runs again."""
        record = await self.saved(message_id)
        record.state, record.error = "drafted" if record.draft else "accepted", None
        return await self.run(writer, record)


def assert_one_post(world: World, outcome: Outcome, *, drafts: int = 1) -> None:
    repo = world.repo
    assert outcome.kind == "created"
    assert repo.post_branches() == [BRANCH] == [outcome.thread.branch]
    assert list(repo.new_files(BRANCH)) == [PATH]
    assert len(repo.new_commits(BRANCH)) == 1
    [pull] = repo.open_pulls()
    assert outcome.thread.number == pull.number == 1
    assert len(world.model.requests) == drafts  # drafted once, whatever happened after


async def test_a_new_post_is_drafted_published_and_remembered() -> None:
    world = World()
    record = await world.accept(10, "A post about hello")
    outcome = await world.run(world.writer(), record)
    assert_one_post(world, outcome)
    saved = await world.saved(10)
    assert saved.state == "answered" and saved.number == 1 and saved.kind == "new"
    assert isinstance(saved.progress, PullOpened)
    assert saved.kept_draft() == outcome.thread.draft
    conversation = await world.conversations.load(CHAT)
    assert conversation.current == 1 and conversation.messages == {11: 1}


def crash_when(test: Callable[[JobRecord], bool], save: Checkpoint) -> Checkpoint:
    async def checkpoint(record: JobRecord) -> None:
        await save(record)
        if test(record):
            raise Crash("after the checkpoint")

    return checkpoint


async def test_a_crash_after_the_draft_is_saved_never_asks_the_model_again() -> None:
    world = World()
    record = await world.accept(10, "A post about hello")
    drafted = crash_when(lambda r: r.state == "drafted", world.jobs.save)
    with pytest.raises(Crash):
        await world.run(world.writer(), record, drafted)
    assert world.repo.writes == []
    assert_one_post(world, await world.run(world.writer(), await world.saved(10)))


@pytest.mark.parametrize("write", ["create_branch", "create_file", "create_pull"])
async def test_a_crash_after_each_write_resumes_to_one_post(write: Write) -> None:
    world = World()
    record = await world.accept(10, "A post about hello")
    world.repo.next_write(write, "crash")
    with pytest.raises(Crash):
        await world.run(world.writer(), record)
    resumed = await world.saved(10)
    assert resumed.state == "drafted" and resumed.progress is not None
    assert_one_post(world, await world.run(world.writer(), resumed))


@pytest.mark.parametrize("write", ["create_branch", "create_file", "create_pull"])
async def test_a_lost_answer_to_each_write_is_recognised_on_retry(write: Write) -> None:
    world = World()
    writer = world.writer()
    world.repo.next_write(write, "lose")
    with pytest.raises(PublishError):
        await world.run(writer, await world.accept(10, "A post about hello"))
    assert (await world.saved(10)).state == "failed"
    assert_one_post(world, await world.retry(writer, 10))


async def revision_world() -> World:
    world = World()
    await world.run(world.writer(), await world.accept(10, "A post about hello"))
    world.model.will_write("Hello again", "Shorter now. The same post as before, with fewer words.")
    return world


def assert_one_revision(world: World, outcome: Outcome) -> None:
    assert outcome.kind == "revised" and outcome.previous is not None
    assert outcome.previous.title == "Hello, world" and outcome.thread.title == "Hello again"
    assert len(world.repo.new_commits(BRANCH)) == 2  # the post and one revision
    assert "Shorter now." in world.repo.files(BRANCH)[PATH]
    [pull] = world.repo.open_pulls()
    assert pull.title == "Hello again"
    assert len(world.model.requests) == 2


async def test_the_next_message_revises_the_current_post() -> None:
    world = await revision_world()
    outcome = await world.run(world.writer(), await world.accept(20, "Make it shorter"))
    assert_one_revision(world, outcome)
    saved = await world.saved(20)
    assert saved.kind == "revise" and saved.target == 1
    assert isinstance(saved.progress, RevisionCommitted)
    conversation = await world.conversations.load(CHAT)
    assert conversation.posts[1].revisions == 1 and conversation.messages[21] == 1


@pytest.mark.parametrize("write", ["update_file", "update_pull"])
async def test_a_crash_in_a_revision_resumes_to_one_commit(write: Write) -> None:
    world = await revision_world()
    world.repo.next_write(write, "crash")
    with pytest.raises(Crash):
        await world.run(world.writer(), await world.accept(20, "Make it shorter"))
    assert_one_revision(world, await world.run(world.writer(), await world.saved(20)))


@pytest.mark.parametrize("write", ["update_file", "update_pull"])
async def test_a_lost_answer_in_a_revision_is_recognised_on_retry(write: Write) -> None:
    world = await revision_world()
    writer = world.writer()
    world.repo.next_write(write, "lose")
    with pytest.raises(PublishError):
        await world.run(writer, await world.accept(20, "Make it shorter"))
    assert_one_revision(world, await world.retry(writer, 20))


async def test_a_closed_pull_request_starts_a_new_post_with_a_note() -> None:
    world = World()
    await world.run(world.writer(), await world.accept(10, "A post about hello"))
    world.repo.pulls[1].state = "closed"
    world.model.will_write("Another one")
    outcome = await world.run(world.writer(), await world.accept(20, "Something else"))
    assert outcome.kind == "created" and outcome.thread.number == 2
    assert outcome.note == "Pull request #1 was closed, so this starts a new post."


async def test_a_revision_whose_post_was_forgotten_becomes_a_new_post() -> None:
    world = await revision_world()
    writer = world.writer()
    world.repo.next_write("update_file", "fail")
    with pytest.raises(PublishError):
        await world.run(writer, await world.accept(20, "Make it shorter"))
    await writer.discard(CHAT, 1)  # meanwhile
    world.model.will_write("Fresh start")
    outcome = await world.retry(writer, 20)
    assert outcome.kind == "created" and outcome.thread.title == "Fresh start"
    assert len(world.model.requests) == 3  # the kept revision draft was dropped with its post


async def test_start_over_post_state_discard_and_remember_message() -> None:
    world = World()
    writer = world.writer()
    await world.run(writer, await world.accept(10, "A post about hello"))
    thread = await writer.post(CHAT)
    assert thread is not None and await writer.state_of(thread) == "open"
    await writer.remember_message(CHAT, 99, 1)
    await writer.remember_message(CHAT, 98, 7)  # not a post of this chat: ignored
    assert (await world.conversations.load(CHAT)).messages == {11: 1, 99: 1}
    assert await writer.start_over(CHAT) == thread
    assert await writer.post(CHAT) is None and await writer.post(CHAT, 1) == thread
    assert await writer.discard(CHAT, 1) == thread
    assert world.repo.pulls[1].state == "closed" and world.repo.post_branches() == []
    assert await writer.discard(CHAT, 1) is None
