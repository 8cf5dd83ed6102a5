"""The chat's recent posts (bot/core/recent_posts.py) and how /posts shows them: states read
once per post, newest first, the current one marked, buttons only for posts that can be revised,
stale buttons told apart by why, and everything within Telegram's limits."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

import pytest

from bot.core.conversation import MAX_POSTS, ConversationStore, PostThread, Turn
from bot.core.errors import PublishError
from bot.core.ports import PullState
from bot.core.recent_posts import POSTS_LISTED, ListedPost, PostListing, RecentPosts
from bot.telegram import keyboards, replies
from tests.fakes.telegram import MAX_TEXT_LENGTH, format_text, utf16_len
from tests.unit.fakes import MemoryStateStore

CHAT = 1001
NOW = datetime(2026, 12, 1, 19, 30, tzinfo=timezone(timedelta(hours=1)))


def thread(number: int, minutes_ago: float, title: str = "") -> PostThread:
    return PostThread(
        number=number,
        url=f"https://github.com/acme/blog/pull/{number}",
        branch=f"blogbot/post-{number}",
        path=f"content/posts/post-{number}.md",
        file_sha="abc",
        commit_url="",
        date="2026-11-27T10:00:00+01:00",
        title=title or f"Post {number} <about> & «things»",
        description="d",
        tags=["a"],
        body="Body\n",
        words=1,
        updated_at=(NOW - timedelta(minutes=minutes_ago)).isoformat(timespec="seconds"),
        history=[Turn("user", "write it")],
    )


class Pulls:
    """Pull request states as GitHub would answer them; counts the reads."""

    def __init__(self, states: dict[int, PullState | Exception]) -> None:
        self.states = states
        self.reads: list[int] = []

    async def pull_state(self, number: int) -> PullState:
        self.reads.append(number)
        await asyncio.sleep(0)
        state = self.states.get(number, "open")
        if isinstance(state, Exception):
            raise state
        return state


async def chat_with(*threads: PostThread, current: int | None = None) -> ConversationStore:
    store = ConversationStore(MemoryStateStore(), ttl_seconds=3600)
    conversation = await store.load(CHAT)
    for t in threads:
        conversation.remember(t)
    conversation.current = current
    await store.save(conversation)
    return store


def shown(html: str) -> str:
    text, _entities = format_text(html, "HTML")
    return text


async def test_posts_are_listed_newest_first_with_one_state_read_each() -> None:
    store = await chat_with(thread(1, 60 * 26), thread(2, 3), thread(3, 90), current=3)
    pulls = Pulls({1: "merged", 2: "open", 3: "open"})
    listing = await RecentPosts(store, pulls).listing(CHAT)

    assert [p.thread.number for p in listing.posts] == [2, 3, 1]
    assert [p.state for p in listing.posts] == ["open", "open", "merged"]
    assert [p.current for p in listing.posts] == [False, True, False]
    assert sorted(pulls.reads) == [1, 2, 3] and listing.older == 0

    text = shown(replies.post_listing(listing, NOW))
    assert "#2 open · updated 3 minutes ago\n" in text
    assert "#3 open · updated 2 hours ago · current" in text
    assert "#1 merged · updated yesterday" in text
    assert "Post 1 <about> & «things»" in text  # escaped in the HTML, shown as written
    assert text.endswith("your next message revises it.")

    # A button for the open post that is not current; none for the current or the merged one.
    markup = keyboards.posts_keyboard(listing)
    assert markup is not None
    assert [b.callback_data for row in markup.inline_keyboard for b in row] == ["pick:2"]


async def test_a_post_whose_state_cannot_be_read_is_listed_and_can_still_be_picked() -> None:
    store = await chat_with(thread(1, 5), thread(2, 1), current=2)
    pulls = Pulls({1: PublishError("GitHub is having trouble right now.")})
    listing = await RecentPosts(store, pulls).listing(CHAT)
    assert [p.state for p in listing.posts] == ["open", None]
    assert "#1 state unknown · updated 5 minutes ago" in shown(replies.post_listing(listing, NOW))
    markup = keyboards.posts_keyboard(listing)
    assert markup is not None
    assert [b.callback_data for row in markup.inline_keyboard for b in row] == ["pick:1"]


async def test_nothing_to_pick_says_no_tap_hint() -> None:
    listing = PostListing([ListedPost(thread(1, 2), "merged", current=False)], older=0)
    assert keyboards.posts_keyboard(listing) is None
    assert "Tap" not in shown(replies.post_listing(listing, NOW))


async def test_only_the_newest_are_listed_and_the_rest_counted() -> None:
    store = await chat_with(*(thread(n, n) for n in range(1, MAX_POSTS + 1)))
    listing = await RecentPosts(store, Pulls({})).listing(CHAT, limit=4)
    assert [p.thread.number for p in listing.posts] == [1, 2, 3, 4]
    assert listing.older == MAX_POSTS - 4
    assert f"…and {MAX_POSTS - 4} older." in shown(replies.post_listing(listing, NOW))


def test_ten_posts_with_the_longest_titles_fit_one_message_and_their_buttons_their_limits() -> None:
    title = "Ünïcode 🚀 titles run long " * 40  # emoji count twice in UTF-16
    posts = [
        ListedPost(thread(10_000_000 + n, n, title), "open", current=False)
        for n in range(POSTS_LISTED)
    ]
    listing = PostListing(posts, older=0)
    html = replies.post_listing(listing, NOW)
    assert utf16_len(shown(html)) <= MAX_TEXT_LENGTH
    assert len(html) <= MAX_TEXT_LENGTH  # even the markup, before parsing
    markup = keyboards.posts_keyboard(listing)
    assert markup is not None
    for row in markup.inline_keyboard:
        [button] = row
        assert button.callback_data is not None
        assert len(str(button.callback_data).encode()) <= 64
        assert len(button.text) <= 60
        match = keyboards.PICK.pattern.match(str(button.callback_data))
        assert match is not None and int(match.group(1)) >= 10_000_000


@pytest.mark.parametrize(
    ("state", "in_chat", "why"),
    [
        ("open", True, None),
        ("merged", True, "merged"),
        ("closed", True, "closed"),
        ("closed", False, "closed"),  # discarded: forgotten and closed; closed says more
        ("open", False, "forgotten"),  # expired or pushed out of the chat's memory
    ],
)
async def test_why_a_button_about_a_pull_request_is_stale(
    state: PullState, in_chat: bool, why: str | None
) -> None:
    store = await chat_with(*([thread(7, 1)] if in_chat else [thread(8, 1)]))
    pulls = Pulls({7: state})
    assert await RecentPosts(store, pulls).stale(CHAT, 7) == why
    assert pulls.reads == [7]


async def test_when_github_cannot_say_a_post_the_chat_has_is_not_stale() -> None:
    store = await chat_with(thread(7, 1))
    pulls = Pulls({7: PublishError("down"), 9: PublishError("down")})
    assert await RecentPosts(store, pulls).stale(CHAT, 7) is None
    assert await RecentPosts(store, pulls).stale(CHAT, 9) == "forgotten"


async def test_making_a_post_current_is_remembered() -> None:
    store = await chat_with(thread(1, 5), thread(2, 1), current=2)
    posts = RecentPosts(store, Pulls({}))
    picked = await posts.make_current(CHAT, 1)
    assert picked is not None and picked.number == 1
    assert (await store.load(CHAT)).current == 1
    assert await posts.make_current(CHAT, 99) is None
    assert (await store.load(CHAT)).current == 1


def test_the_out_of_date_answers_name_the_pull_request_and_fit_a_callback_answer() -> None:
    said = {why: replies.out_of_date(12, why) for why in ("merged", "closed", "forgotten")}
    assert said["merged"] == "This button is out of date: pull request #12 was merged."
    assert said["closed"] == "This button is out of date: pull request #12 was closed."
    assert said["forgotten"] == "This button is out of date: pull request #12 is no longer current."
    assert all(len(text) <= 200 for text in said.values())  # answerCallbackQuery's limit


def test_status_says_when_in_words() -> None:
    text = shown(replies.status(thread(3, 3), "open", NOW))
    assert text.endswith("Last update: 3 minutes ago")
    old = thread(3, 3)
    old.updated_at = ""  # a conversation saved by an older version
    assert shown(replies.status(old, "open", NOW)).endswith("Last update: unknown")


def test_a_stale_button_is_taken_off_alone_or_with_its_keyboard() -> None:
    listing = PostListing(
        [ListedPost(thread(n, n), "open", current=False) for n in (1, 2)], older=0
    )
    markup = keyboards.posts_keyboard(listing)
    left = keyboards.without_button(markup, "pick:1")
    assert left is not None
    assert [b.callback_data for row in left.inline_keyboard for b in row] == ["pick:2"]
    assert keyboards.without_button(left, "pick:2") is None
    assert keyboards.without_button(None, "pick:2") is None
