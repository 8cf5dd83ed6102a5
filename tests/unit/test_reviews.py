"""The review loop's core (bot/core/reviews.py) in memory: what is forwarded, applied, told and
answered, once each, across restarts."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from bot.core.conversation import Conversation, ConversationStore, PostThread
from bot.core.jobs import JobRecord, JobStore
from bot.core.ports import Feedback, FileCommit, PullListing, PullStatus
from bot.core.progress import RevisionCommitted
from bot.core.reviews import (
    Notice,
    PendingReply,
    ReviewRecords,
    ReviewWatcher,
    mentions,
    post_address,
    revision_request,
    triage,
)
from tests.unit.fakes import MemoryStateStore

CHAT = 42
BOT = "blogbot-app"


def review(
    body: str, state: str = "CHANGES_REQUESTED", author: str = "ann", id: int = 1
) -> Feedback:
    return Feedback("review", id, author, body, f"https://gh/pull/1#r{id}", review_state=state)


def comment(body: str, author: str = "ann", id: int = 10, is_bot: bool = False) -> Feedback:
    return Feedback("comment", id, author, body, f"https://gh/pull/1#c{id}", author_is_bot=is_bot)


# -- triage -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("item", "action"),
    [
        (review("Shorter intro, please."), "forward"),
        (review("", state="APPROVED"), "info"),
        (review("Great, one nit: the title.", state="APPROVED"), "forward"),
        (review("", state="COMMENTED"), "skip"),  # its inline comments come on their own
        (review("", state="CHANGES_REQUESTED"), "info"),
        (review("Old words", state="DISMISSED"), "skip"),
        (review("Draft words", state="PENDING"), "skip"),
        (comment("@blogbot shorten the intro"), "apply"),
        (comment("@BlogBot: shorten the intro"), "apply"),
        (comment(f"@{BOT} shorten the intro"), "apply"),
        (comment("@blogbot"), "forward"),  # a mention alone asks for nothing
        (comment("mail me at x@blogbot.com"), "forward"),
        (comment("@blogbotty do it"), "forward"),
        (comment("Applied in abc", author=BOT), "skip"),
        (comment("Applied in abc", author=BOT.upper()), "skip"),
        (comment("Deploy preview ready", author="netlify[bot]", is_bot=True), "skip"),
        (comment("   "), "skip"),
    ],
)
def test_triage(item: Feedback, action: str) -> None:
    assert triage(item, own_logins=[BOT], bot_names=["@blogbot", BOT]) == action


def test_mentions_are_whole_handles() -> None:
    assert mentions("hey @blogbot, fix it", ["@blogbot"])
    assert not mentions("hey @blogbot-two", ["blogbot"])
    assert not mentions("no mention", ["@blogbot"])


def test_a_revision_request_names_the_reviewer_and_the_place_without_the_mention() -> None:
    inline = Feedback(
        "review_comment", 5, "ann", "@blogbot typo here", "u", path="content/a.md", line=7
    )
    request = revision_request(inline, ["@blogbot"])
    assert "@ann" in request and "on content/a.md, line 7" in request
    assert request.endswith("typo here") and "@blogbot" not in request
    assert "(requesting changes)" in revision_request(review("Shorter."), ["@blogbot"])


@pytest.mark.parametrize(
    ("site", "path", "expected"),
    [
        (None, "content/posts/2026-01-02-hello.md", None),
        ("https://b.example", "content/posts/2026-01-02-hello.md", "https://b.example/hello/"),
        ("https://b.example/", "content/posts/hello/index.md", "https://b.example/hello/"),
        (
            "https://b.example/{year}/{month}/{day}/{slug}.html",
            "_posts/2026-01-02-hello.md",
            "https://b.example/2026/01/02/hello.html",
        ),
    ],
)
def test_post_address(site: str | None, path: str, expected: str | None) -> None:
    assert post_address(site, path, "2026-01-02T10:00:00+01:00") == expected


# -- the watcher ------------------------------------------------------------------------------
@dataclass
class FakeWatch:
    """The PullWatch port: pull requests with their feedback, and the ETag rule."""

    states: dict[int, str] = field(default_factory=lambda: {1: "open"})
    updated: dict[int, int] = field(default_factory=lambda: {1: 1})
    items: dict[int, list[Feedback]] = field(default_factory=lambda: {1: []})
    comments: list[tuple[int, str]] = field(default_factory=list)
    listings: list[str] = field(default_factory=list)  # "200" or "304", per call
    reads: list[tuple[int, str | None]] = field(default_factory=list)

    def add(self, number: int, item: Feedback) -> None:
        self.items.setdefault(number, []).append(item)
        self.updated[number] = self.updated.get(number, 0) + 1

    def _etag(self) -> str:
        return repr(sorted(self.states.items())) + repr(sorted(self.updated.items()))

    async def login(self) -> str:
        return BOT

    async def pull_statuses(self, etag: str | None) -> PullListing:
        if etag == self._etag():
            self.listings.append("304")
            return PullListing(etag, None)
        self.listings.append("200")
        pulls = [
            PullStatus(n, state, f"t{self.updated[n]}", f"https://gh/pull/{n}")  # type: ignore[arg-type]
            for n, state in self.states.items()
        ]
        return PullListing(self._etag(), pulls)

    async def feedback(self, number: int, since: str | None) -> list[Feedback]:
        self.reads.append((number, since))
        return list(self.items.get(number, []))

    async def comment(self, number: int, body: str) -> str:
        self.comments.append((number, body))
        self.add(number, comment(body, author=BOT, id=9000 + len(self.comments)))
        return "https://gh/c"


@dataclass
class Sink:
    delivered: list[Notice] = field(default_factory=list)
    failing: int = 0

    async def deliver(self, notice: Notice) -> None:
        if self.failing:
            self.failing -= 1
            raise ConnectionError("Telegram is down")
        self.delivered.append(notice)


def thread(number: int = 1) -> PostThread:
    return PostThread(
        number=number,
        url=f"https://gh/pull/{number}",
        branch=f"blogbot/p{number}",
        path=f"content/posts/2026-01-02-post-{number}.md",
        file_sha="f",
        commit_url="c",
        date="2026-01-02T10:00:00+00:00",
        title=f"Post {number}",
        description="d",
        tags=[],
        body="b",
        words=1,
    )


@dataclass
class World:
    store: MemoryStateStore = field(default_factory=MemoryStateStore)
    github: FakeWatch = field(default_factory=FakeWatch)
    sink: Sink = field(default_factory=Sink)

    @property
    def conversations(self) -> ConversationStore:
        return ConversationStore(self.store, ttl_seconds=3600)

    def watcher(self) -> ReviewWatcher:
        """A new watcher over the same store: what a restart gives."""
        return ReviewWatcher(
            github=self.github,
            store=self.store,
            conversations=self.conversations,
            jobs=JobStore(self.store),
            sink=self.sink,
            bot_names=["@blogbot"],
            site_url="https://blog.example",
        )

    async def remember(self, *numbers: int) -> None:
        conversation = Conversation(chat_id=CHAT)
        for number in numbers:
            conversation.remember(thread(number))
        await self.conversations.save(conversation)


async def watching() -> World:
    """A chat with post #1, watched from before anyone said anything."""
    world = World()
    await world.watcher().poll()  # the first run: nothing to baseline yet
    await world.remember(1)
    await world.watcher().poll()  # its first read
    await world.watcher().poll()  # and the one more look after a change
    assert world.sink.delivered == []
    return world


async def test_new_feedback_is_delivered_once_even_across_restarts() -> None:
    world = await watching()
    world.github.add(1, review("Shorter intro."))
    await world.watcher().poll()
    [notice] = world.sink.delivered
    assert (notice.kind, notice.action, notice.chat_id, notice.number) == (
        "feedback",
        "forward",
        CHAT,
        1,
    )
    assert "Shorter intro." in notice.request and notice.title == "Post 1"
    for _ in range(3):
        await world.watcher().poll()
    world.github.add(1, comment("@blogbot add a photo credit"))
    await world.watcher().poll()
    assert [n.action for n in world.sink.delivered] == ["forward", "apply"]


async def test_an_unchanged_list_reads_nothing_more() -> None:
    world = await watching()
    reads = len(world.github.reads)
    for _ in range(5):
        await world.watcher().poll()
    assert world.github.listings[-5:] == ["304"] * 5
    assert len(world.github.reads) == reads


async def test_a_changed_pull_request_is_read_again_once_with_since() -> None:
    world = await watching()
    reads = len(world.github.reads)
    world.github.add(1, comment("hello"))
    for _ in range(3):
        await world.watcher().poll()
    # The change, then one more look (same-second comments), then nothing.
    assert world.github.reads[reads:] == [(1, "t1"), (1, "t2")]


async def test_the_first_run_does_not_forward_what_was_said_before() -> None:
    world = World()
    world.github.add(1, review("An old review from before the upgrade."))
    await world.remember(1)
    await world.watcher().poll()
    assert world.sink.delivered == []
    world.github.add(1, comment("A new one.", id=11))
    await world.watcher().poll()
    assert [n.feedback.body for n in world.sink.delivered if n.feedback] == ["A new one."]


async def test_a_merge_is_told_once_with_the_posts_address() -> None:
    world = await watching()
    world.github.states[1] = "merged"
    world.github.updated[1] += 1
    for _ in range(3):
        await world.watcher().poll()
    [notice] = world.sink.delivered
    assert notice.kind == "merged"
    assert notice.post_url == "https://blog.example/post-1/"
    # The chat still remembers the post; it is not watched again.
    world.github.add(1, comment("late"))
    await world.watcher().poll()
    assert len(world.sink.delivered) == 1


async def test_closed_is_told_unless_the_writer_discarded_it() -> None:
    world = World()
    await world.watcher().poll()
    world.github.states[2], world.github.updated[2] = "open", 1
    await world.remember(1, 2)
    await world.watcher().poll()
    conversation = await world.conversations.load(CHAT)
    conversation.forget(2)  # /discard
    await world.conversations.save(conversation)
    world.github.states[1] = world.github.states[2] = "closed"
    world.github.updated[1] += 1
    world.github.updated[2] += 1
    await world.watcher().poll()
    assert [(n.kind, n.number) for n in world.sink.delivered] == [("closed", 1)]


async def test_an_undelivered_notice_waits_and_an_apply_is_not_started_twice() -> None:
    world = await watching()
    world.sink.failing = 1
    world.github.add(1, comment("@blogbot shorter"))
    await world.watcher().poll()
    assert world.sink.delivered == []
    await world.watcher().poll()
    [notice] = world.sink.delivered
    # It may have reached the writer before the failure: the writer decides, with buttons.
    assert notice.action == "forward"


async def test_an_applied_revision_is_answered_on_the_pull_request_once() -> None:
    world = await watching()
    records = ReviewRecords(world.store)
    jobs = JobStore(world.store)
    record = JobRecord(chat_id=CHAT, message_id=77, text="r", kind="revise", target=1)
    await jobs.save(record)
    await records.expect_reply(PendingReply(CHAT, 77, 1, "ann"))
    await world.watcher().poll()
    assert world.github.comments == []  # not committed yet

    record.state = "answered"
    record.progress = RevisionCommitted(
        FileCommit("f", "abcdef1234", "https://gh/commit/abcdef1234")
    )
    await jobs.save(record)
    for _ in range(3):
        await world.watcher().poll()
    assert world.github.comments == [
        (1, "Applied in [`abcdef1`](https://gh/commit/abcdef1234) (requested by @ann).")
    ]
    assert world.sink.delivered == []  # the bot's own comment is not feedback


async def test_a_reply_whose_answer_was_lost_is_not_posted_again() -> None:
    world = await watching()
    jobs = JobStore(world.store)
    record = JobRecord(chat_id=CHAT, message_id=77, text="r", kind="revise", target=1)
    record.state = "answered"
    record.progress = RevisionCommitted(FileCommit("f", "abcdef1234", "https://gh/commit/x"))
    await jobs.save(record)
    await ReviewRecords(world.store).expect_reply(PendingReply(CHAT, 77, 1, "ann", attempted=True))
    world.github.add(1, comment("Applied in [`abcdef1`](x)", author=BOT, id=500))
    await world.watcher().poll()
    assert world.github.comments == []
    assert await ReviewRecords(world.store).pending_replies() == []


async def test_a_notice_that_keeps_failing_is_dropped_and_does_not_hold_up_the_rest() -> None:
    world = await watching()
    world.sink.failing = 5
    world.github.add(1, comment("first", id=11))
    for _ in range(5):
        await world.watcher().poll()
    world.github.add(1, comment("second", id=12))
    await world.watcher().poll()
    assert [n.feedback.body for n in world.sink.delivered if n.feedback] == ["second"]
