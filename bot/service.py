"""The service layer: a writer's request becomes a draft, a post file and a pull request.

It knows nothing of Telegram. The model and the repository are passed in (ports below), so the
same flow serves the bot, the command line and the tests.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Literal, Protocol

from bot import prompts
from bot.conversation import ConversationStore, PostThread, Turn, bounded_history
from bot.drafts import Draft, parse_draft, word_count
from bot.github_repo import FileCommit, PullRequestRef, PullState
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


@dataclass(frozen=True)
class PostLayout:
    posts_dir: str
    filename_template: str
    branch_prefix: str


# About 25k tokens of history: far inside the model's context window (131k enforced for
# Gemma 4), and cheap in neurons. The current post and the new request always go in.
HISTORY_BUDGET_CHARS = 100_000


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


def _version_note(thread: PostThread) -> Turn:
    return Turn(
        "assistant",
        f'(Version {thread.revisions + 1} of the post: "{thread.title}", {thread.words} words.)',
    )


class PostService:
    """The steps: draft or revise with the model, then publish to the repository."""

    def __init__(
        self,
        *,
        model: TextModel,
        repository: BlogRepository,
        layout: PostLayout,
        clock: Callable[[], datetime],
    ) -> None:
        self.model = model
        self.repository = repository
        self._layout = layout
        self._clock = clock

    async def write_draft(self, request: str) -> Draft:
        messages: list[ChatMessage] = [
            {"role": "system", "content": prompts.render("system")},
            {"role": "user", "content": prompts.render("draft", request=request)},
        ]
        return parse_draft(await self.model.complete(messages))

    async def revise_draft(self, thread: PostThread, request: str) -> Draft:
        messages = bounded_history(
            prompts.render("system"),
            thread.history,
            prompts.render("revise", post=thread.as_markdown(), request=request),
            budget_chars=HISTORY_BUDGET_CHARS,
        )
        return parse_draft(await self.model.complete(messages))

    def render(self, draft: Draft, when: datetime | None = None) -> PostFile:
        return render_post(
            draft,
            posts_dir=self._layout.posts_dir,
            filename_template=self._layout.filename_template,
            now=when or self._clock(),
        )

    async def publish(self, draft: Draft, request: str) -> PostThread:
        now = self._clock()
        post = self.render(draft, now)
        words = word_count(draft.body)
        pull = await asyncio.to_thread(
            self.repository.open_pull_request,
            post,
            branch=f"{self._layout.branch_prefix}{post.stem}",
            commit_message=f"Add post: {draft.title}",
            title=draft.title,
            body=pull_request_body(draft, post.path, words, self.model.model),
        )
        thread = PostThread(
            number=pull.number,
            url=pull.url,
            branch=pull.branch,
            path=pull.path,
            file_sha=pull.file_sha,
            commit_url=pull.commit_url,
            date=now.isoformat(timespec="seconds"),
            title=draft.title,
            description=draft.description,
            tags=list(draft.tags),
            body=draft.body,
            words=words,
            updated_at=now.isoformat(timespec="seconds"),
            history=[Turn("user", request)],
        )
        thread.history.append(_version_note(thread))
        return thread

    async def publish_revision(self, thread: PostThread, draft: Draft, request: str) -> PostThread:
        """One new commit on the post's branch; the file keeps its path and its date."""
        content = self.render(draft, datetime.fromisoformat(thread.date)).content
        commit = await asyncio.to_thread(
            self.repository.update_post,
            number=thread.number,
            branch=thread.branch,
            path=thread.path,
            content=content,
            file_sha=thread.file_sha,
            commit_message=f"Revise post: {_shorten(request, 60)}",
            new_title=draft.title if draft.title != thread.title else None,
        )
        revised = replace(
            thread,
            file_sha=commit.file_sha,
            commit_url=commit.commit_url,
            title=draft.title,
            description=draft.description,
            tags=list(draft.tags),
            body=draft.body,
            words=word_count(draft.body),
            revisions=thread.revisions + 1,
            updated_at=self._clock().isoformat(timespec="seconds"),
            history=[*thread.history, Turn("user", request)],
        )
        revised.history.append(_version_note(revised))
        return revised


def _shorten(text: str, limit: int) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


@dataclass(frozen=True)
class Outcome:
    kind: Literal["created", "revised"]
    thread: PostThread
    previous: PostThread | None = None  # the post before this revision
    note: str | None = None  # why a new post was started instead of a revision


class Writer:
    """A chat's conversation with the bot: new posts, revisions, starting over, discarding.

    Calls for one chat must not overlap (the Telegram layer queues them); different chats
    run concurrently.
    """

    def __init__(self, posts: PostService, conversations: ConversationStore) -> None:
        self.posts = posts
        self.conversations = conversations

    async def handle(
        self,
        chat_id: int,
        request: str,
        *,
        reply_to: int | None = None,
        status_message_id: int | None = None,
        before_publish: Callable[[], None] = lambda: None,
    ) -> Outcome:
        """Draft a new post or revise the current one; `before_publish` marks the point of no
        return (from there on GitHub is being written to)."""
        conversation = await self.conversations.load(chat_id)
        target = conversation.post_for_message(reply_to) if reply_to is not None else None
        target = target or conversation.current_post
        note = None
        if target is not None:
            state = await asyncio.to_thread(self.posts.repository.pull_state, target.number)
            if state != "open":
                note = f"Pull request #{target.number} was {state}, so this starts a new post."
                conversation.forget(target.number)
                target = None

        if target is None:
            draft = await self.posts.write_draft(request)
            before_publish()
            thread = await self.posts.publish(draft, request)
            outcome = Outcome("created", thread, note=note)
        else:
            draft = await self.posts.revise_draft(target, request)
            before_publish()
            thread = await self.posts.publish_revision(target, draft, request)
            outcome = Outcome("revised", thread, previous=target)

        ids = [status_message_id] if status_message_id is not None else []
        conversation.remember(thread, message_ids=ids)
        await self.conversations.save(conversation)
        return outcome

    async def start_over(self, chat_id: int) -> PostThread | None:
        """The next message opens a new post; returns the post that was current."""
        conversation = await self.conversations.load(chat_id)
        previous = conversation.current_post
        conversation.current = None
        await self.conversations.save(conversation)
        return previous

    async def post(self, chat_id: int, number: int | None = None) -> PostThread | None:
        conversation = await self.conversations.load(chat_id)
        return conversation.posts.get(number) if number is not None else conversation.current_post

    async def state_of(self, thread: PostThread) -> PullState:
        return await asyncio.to_thread(self.posts.repository.pull_state, thread.number)

    async def discard(self, chat_id: int, number: int) -> PostThread | None:
        """Close the pull request and delete its branch; None if this chat has no such post."""
        conversation = await self.conversations.load(chat_id)
        thread = conversation.posts.get(number)
        if thread is None:
            return None
        await asyncio.to_thread(
            self.posts.repository.discard, number=thread.number, branch=thread.branch
        )
        conversation.forget(number)
        await self.conversations.save(conversation)
        return thread

    async def remember_message(self, chat_id: int, message_id: int, number: int) -> None:
        conversation = await self.conversations.load(chat_id)
        if number in conversation.posts:
            conversation.messages[message_id] = number
            await self.conversations.save(conversation)
