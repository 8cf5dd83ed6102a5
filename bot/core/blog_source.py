"""What the bot knows of the blog it writes for, learned from the repository and kept per commit.

Learning costs one recursive tree read and a few file reads. It happens once per process and
again only when the base branch has moved: the new-post flow reads the base head anyway, and a
head that has not changed means nothing to read.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from bot.core.blog import (
    BlogConfigError,
    BlogProfile,
    Overrides,
    default_profile,
    files_to_read,
    learn_profile,
    style_sample,
)
from bot.core.errors import PublishError
from bot.core.ports import BlogRepository

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LearnedBlog:
    head_sha: str
    profile: BlogProfile
    style: str  # an excerpt of recent posts: the blog's voice, for the model
    files_read: int
    paths: frozenset[str] = frozenset()  # every file at head_sha (what a new post must not hit)


class BlogKnowledge:
    def __init__(self, repository: BlogRepository, overrides: Overrides | None = None) -> None:
        self._repository = repository
        self._overrides = overrides
        self._learned: LearnedBlog | None = None
        self._lock = asyncio.Lock()

    @property
    def profile(self) -> BlogProfile:
        """The last profile learned, or today's default before anything was learned."""
        return self._learned.profile if self._learned else default_profile()

    async def at(self, head_sha: str) -> LearnedBlog:
        """The blog as it is at `head_sha` (the base branch's head)."""
        async with self._lock:
            if self._learned is None or self._learned.head_sha != head_sha:
                self._learned = await self._learn(head_sha)
            return self._learned

    async def latest(self) -> LearnedBlog:
        """What was learned last, or the blog at the base head when nothing was yet."""
        if self._learned is not None:
            return self._learned
        _, head_sha = await self._repository.base_head()
        return await self.at(head_sha)

    async def _learn(self, head_sha: str) -> LearnedBlog:
        paths = await self._repository.read_tree(head_sha)
        contents = await self._repository.read_files(head_sha, files_to_read(paths))
        # A config or .blogbot.yml can name another posts folder: ask again with what was read.
        more = [p for p in files_to_read(paths, contents) if p not in contents]
        if more:
            contents |= await self._repository.read_files(head_sha, more)
        try:
            profile = learn_profile(paths, contents, self._overrides)
        except BlogConfigError as exc:
            raise PublishError(f"The blog's .blogbot.yml cannot be used: {exc}") from exc
        log.info(
            "learned the blog at %s from %d paths and %d files: %s",
            head_sha[:7],
            len(paths),
            len(contents),
            profile.describe()[0],
        )
        style = style_sample(profile, contents)
        return LearnedBlog(head_sha, profile, style, len(contents), frozenset(paths))
