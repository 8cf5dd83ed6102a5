"""The ports: what the core needs from the world, as protocols, and the plain types that cross
them. Adapters (bot/adapters) implement them; tests fake them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol, TypedDict

from bot.core.posts import PostFile


class ChatMessage(TypedDict):
    role: Literal["system", "user", "assistant"]
    content: str


@dataclass(frozen=True)
class FileCommit:
    file_sha: str
    commit_sha: str
    commit_url: str


PullState = Literal["open", "closed", "merged"]


class TextModel(Protocol):
    model: str

    async def complete(self, messages: Sequence[ChatMessage]) -> str: ...


class BlogRepository(Protocol):
    def base_head(self) -> tuple[str, str]: ...

    def create_branch(self, name: str, head_sha: str) -> bool: ...

    def create_file(self, post: PostFile, branch: str, message: str) -> FileCommit | None: ...

    def same_file(self, post: PostFile, branch: str) -> FileCommit | None: ...

    def create_pull(self, *, branch: str, title: str, body: str) -> tuple[int, str]: ...

    def pull_state(self, number: int) -> PullState: ...

    def update_post(
        self,
        *,
        number: int,
        branch: str,
        path: str,
        content: str,
        file_sha: str,
        commit_message: str,
        new_title: str | None,
    ) -> FileCommit: ...

    def discard(self, *, number: int, branch: str) -> None: ...


class StateStore(Protocol):
    description: str
    """Where the state lives, for logs and the config doctor; never contains a secret."""

    async def get(self, key: str) -> str | None:
        """The value, or None when the key is missing or expired."""
        ...

    async def put(self, key: str, value: str, ttl_seconds: float | None) -> None:
        """Atomically replace the value. The expiry is reset on every put; None never expires."""
        ...

    async def delete(self, key: str) -> None: ...

    async def keys(self, prefix: str) -> list[str]:
        """Unexpired keys that start with `prefix` (taken literally), sorted."""
        ...

    async def put_if_absent(self, key: str, value: str, ttl_seconds: float | None) -> bool:
        """Write only if the key is missing or expired; True when this call wrote it."""
        ...

    async def ping(self) -> None:
        """Raise StateStoreError unless the store is reachable and accepts writes."""
        ...

    async def close(self) -> None: ...
