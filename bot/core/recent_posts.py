"""The chat's recent posts: listing them with their pull request's state (/posts), making one
the current post, and telling whether a button about a pull request still applies.

A button stays under its message for good, but the post it is about moves on: its pull request
gets merged or closed on GitHub, or the chat forgets the post (discarded, expired). `stale` says
which, so that such a button can say it is out of date instead of acting.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Literal, Protocol

from bot.core.conversation import ConversationStore, PostThread
from bot.core.errors import ExpectedError
from bot.core.ports import PullState

log = logging.getLogger(__name__)

# The most posts /posts lists (newest first); the conversation keeps no more than this anyway
# (conversation.MAX_POSTS), and ten fit a Telegram message with room to spare.
POSTS_LISTED = 10

# Why a button about a pull request no longer applies: the pull request was merged or closed,
# or this chat no longer has that post.
Staleness = Literal["merged", "closed", "forgotten"]


class PullStates(Protocol):
    async def pull_state(self, number: int) -> PullState: ...


@dataclass(frozen=True)
class ListedPost:
    thread: PostThread
    state: PullState | None  # None: GitHub could not be asked
    current: bool

    @property
    def revisable(self) -> bool:
        """Whether it can become the current post: its pull request is (or may be) open."""
        return self.state in ("open", None)


@dataclass(frozen=True)
class PostListing:
    posts: list[ListedPost]  # newest first
    older: int  # how many older posts the chat has beyond the listed ones


class RecentPosts:
    def __init__(self, conversations: ConversationStore, pulls: PullStates) -> None:
        self.conversations = conversations
        self.pulls = pulls

    async def listing(self, chat_id: int, limit: int = POSTS_LISTED) -> PostListing:
        """The chat's newest posts, each with its pull request's state (one read each, all at
        once)."""
        conversation = await self.conversations.load(chat_id)
        newest = sorted(conversation.posts.values(), key=lambda t: t.updated_at, reverse=True)
        shown = newest[:limit]
        states = await asyncio.gather(*(self._state(t.number) for t in shown))
        posts = [
            ListedPost(thread, state, thread.number == conversation.current)
            for thread, state in zip(shown, states, strict=True)
        ]
        return PostListing(posts, older=len(newest) - len(shown))

    async def make_current(self, chat_id: int, number: int) -> PostThread | None:
        """The next message revises post `number`; None when the chat has no such post."""
        conversation = await self.conversations.load(chat_id)
        thread = conversation.posts.get(number)
        if thread is not None:
            conversation.current = number
            await self.conversations.save(conversation)
        return thread

    async def stale(self, chat_id: int, number: int) -> Staleness | None:
        """Why a button about pull request `number` no longer applies, or None when it does.

        One read of the pull request's state. When GitHub cannot be asked, a post the chat still
        has counts as current (the button's own work meets the same trouble and says so)."""
        conversation = await self.conversations.load(chat_id)
        state = await self._state(number)
        if state in ("merged", "closed"):
            return state
        if number not in conversation.posts:
            return "forgotten"
        return None

    async def _state(self, number: int) -> PullState | None:
        try:
            return await self.pulls.pull_state(number)
        except ExpectedError as exc:
            log.warning("could not read the state of pull request #%s: %s", number, exc)
            return None
