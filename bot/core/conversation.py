"""A chat's memory: its posts, each with the turns that shaped it, and which one is current.

Plain data that round-trips through JSON, so any key-value store can hold it. The store's TTL is
the conversation's lifetime: every save refreshes it, and an expired conversation simply is not
there any more (the pull requests stay on GitHub).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from bot.core.drafts import Draft
from bot.core.ports import ChatMessage, StateStore

# Posts remembered per chat; the oldest are forgotten first (their PRs stay on GitHub).
MAX_POSTS = 10
# Bot messages remembered per chat for "reply to revise".
MAX_MESSAGES = 200


@dataclass
class Turn:
    role: Literal["user", "assistant"]
    content: str


@dataclass
class Change:
    """One revision as its pull request lists it: what the writer asked, and its commit."""

    request: str
    commit_url: str


@dataclass
class PostThread:
    """One post and its pull request, as this bot last wrote them."""

    number: int
    url: str
    branch: str
    path: str
    file_sha: str
    commit_url: str
    date: str  # the post's front matter date; kept across revisions
    title: str
    description: str
    tags: list[str]
    body: str
    words: int
    revisions: int = 0
    updated_at: str = ""
    history: list[Turn] = field(default_factory=list)
    # Fields below were added later; a thread saved before them loads with these defaults.
    notes: str = ""  # the writer's first notes, shown in the pull request
    head_sha: str = ""  # the bot's last commit on the branch ("" before it was recorded)
    changes: list[Change] = field(default_factory=list)  # each revision's request and commit
    follows: int | None = None  # the merged pull request this one edits further

    @property
    def own_head(self) -> str:
        """The sha of the bot's last commit on the branch (read from its link when older
        state did not record it); "" when unknown."""
        if self.head_sha:
            return self.head_sha
        tail = self.commit_url.rstrip("/").rsplit("/", 1)[-1]
        return tail if len(tail) == 40 and all(c in "0123456789abcdef" for c in tail) else ""

    @property
    def writer_notes(self) -> str:
        """What the writer first asked for (older state: the first turn of the history)."""
        if self.notes:
            return self.notes
        first = next((t for t in self.history if t.role == "user"), None)
        return first.content if first else ""

    @property
    def draft(self) -> Draft:
        return Draft(
            title=self.title, description=self.description, tags=tuple(self.tags), body=self.body
        )

    def as_markdown(self) -> str:
        """The current post as the model should see it when revising."""
        tags = ", ".join(self.tags)
        return (
            f"---\ntitle: {self.title}\ndescription: {self.description}\ntags: [{tags}]\n---\n\n"
            f"{self.body}"
        )


@dataclass
class Conversation:
    chat_id: int
    current: int | None = None  # the PR number that the next message revises
    posts: dict[int, PostThread] = field(default_factory=dict)
    messages: dict[int, int] = field(default_factory=dict)  # bot message id -> PR number

    @property
    def current_post(self) -> PostThread | None:
        return self.posts.get(self.current) if self.current is not None else None

    def remember(self, thread: PostThread, *, message_ids: Sequence[int] = ()) -> None:
        self.posts[thread.number] = thread
        self.current = thread.number
        for message_id in message_ids:
            self.messages[message_id] = thread.number
        while len(self.posts) > MAX_POSTS:
            oldest = min(self.posts, key=lambda n: self.posts[n].updated_at)
            self.forget(oldest)
        while len(self.messages) > MAX_MESSAGES:
            del self.messages[min(self.messages)]

    def forget(self, number: int) -> None:
        self.posts.pop(number, None)
        self.messages = {m: n for m, n in self.messages.items() if n != number}
        if self.current == number:
            self.current = None

    def post_for_message(self, message_id: int) -> PostThread | None:
        number = self.messages.get(message_id)
        return self.posts.get(number) if number is not None else None

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> Conversation:
        data: dict[str, Any] = json.loads(text)
        posts = {}
        for number, raw in data.get("posts", {}).items():
            raw["history"] = [Turn(**turn) for turn in raw.get("history", [])]
            raw["changes"] = [Change(**change) for change in raw.get("changes", [])]
            posts[int(number)] = PostThread(**raw)
        return cls(
            chat_id=int(data["chat_id"]),
            current=data.get("current"),
            posts=posts,
            messages={int(m): int(n) for m, n in data.get("messages", {}).items()},
        )


def bounded_history(
    system: str, history: Sequence[Turn], final: str, *, budget_chars: int
) -> list[ChatMessage]:
    """System prompt, as many of the latest turns as fit, then the final request.

    The system prompt and the final request (which carries the current post) always go in;
    the oldest turns are dropped first so the whole stays within the model's context window.
    """
    remaining = budget_chars - len(system) - len(final)
    kept: list[Turn] = []
    for turn in reversed(history):
        if len(turn.content) > remaining:
            break
        kept.append(turn)
        remaining -= len(turn.content)
    messages: list[ChatMessage] = [{"role": "system", "content": system}]
    messages += [{"role": t.role, "content": t.content} for t in reversed(kept)]
    messages.append({"role": "user", "content": final})
    return messages


class ConversationStore:
    """Conversations in the state store, one key per chat, expiring after the TTL."""

    def __init__(self, store: StateStore, *, ttl_seconds: float) -> None:
        self._store = store
        self._ttl = ttl_seconds

    @staticmethod
    def _key(chat_id: int) -> str:
        return f"conversation:{chat_id}"

    async def load(self, chat_id: int) -> Conversation:
        raw = await self._store.get(self._key(chat_id))
        return Conversation.from_json(raw) if raw else Conversation(chat_id=chat_id)

    async def save(self, conversation: Conversation) -> None:
        await self._store.put(self._key(conversation.chat_id), conversation.to_json(), self._ttl)
