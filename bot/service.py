"""The service layer: a writer's request becomes a draft, a post file and a pull request.

It knows nothing of Telegram. The model and the repository are passed in (ports below), so the
same flow serves the bot, the command line and the tests.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from bot import prompts
from bot.drafts import Draft, parse_draft, word_count
from bot.github_repo import PullRequestRef
from bot.posts import PostFile, render_post
from bot.workers_ai import ChatMessage

log = logging.getLogger(__name__)


class TextModel(Protocol):
    model: str

    async def complete(self, messages: Sequence[ChatMessage]) -> str: ...


class BlogRepository(Protocol):
    def open_pull_request(
        self, post: PostFile, *, branch: str, commit_message: str, title: str, body: str
    ) -> PullRequestRef: ...


@dataclass(frozen=True)
class PostLayout:
    posts_dir: str
    filename_template: str
    branch_prefix: str


@dataclass(frozen=True)
class PublishedPost:
    draft: Draft
    pull: PullRequestRef
    words: int


def pull_request_body(draft: Draft, path: str, words: int, model: str) -> str:
    lines = [
        f"**{draft.title}**",
        "",
        draft.description,
        "",
        f"- File: `{path}`",
        f"- Words: {words}",
    ]
    if draft.tags:
        lines.append("- Tags: " + ", ".join(f"`{t}`" for t in draft.tags))
    lines += [
        "",
        f"Drafted with `{model}` by blogbot from a writer's notes. "
        "Please review the facts and wording before merging.",
    ]
    return "\n".join(lines)


class PostService:
    def __init__(
        self,
        *,
        model: TextModel,
        repository: BlogRepository,
        layout: PostLayout,
        clock: Callable[[], datetime],
    ) -> None:
        self._model = model
        self._repository = repository
        self._layout = layout
        self._clock = clock

    async def write_draft(self, request: str) -> Draft:
        messages: list[ChatMessage] = [
            {"role": "system", "content": prompts.render("system")},
            {"role": "user", "content": prompts.render("draft", request=request)},
        ]
        return parse_draft(await self._model.complete(messages))

    def render(self, draft: Draft) -> PostFile:
        return render_post(
            draft,
            posts_dir=self._layout.posts_dir,
            filename_template=self._layout.filename_template,
            now=self._clock(),
        )

    async def publish(self, draft: Draft) -> PublishedPost:
        post = self.render(draft)
        words = word_count(draft.body)
        pull = await asyncio.to_thread(
            self._repository.open_pull_request,
            post,
            branch=f"{self._layout.branch_prefix}{post.stem}",
            commit_message=f"Add post: {draft.title}",
            title=draft.title,
            body=pull_request_body(draft, post.path, words, self._model.model),
        )
        return PublishedPost(draft=draft, pull=pull, words=words)

    async def create_post(self, request: str) -> PublishedPost:
        draft = await self.write_draft(request)
        return await self.publish(draft)
