"""The service layer: a writer's request becomes a draft, a post file and a pull request.

It knows nothing of Telegram. The model and the repository are passed in (ports below), so the
same flow serves the bot, the command line and the tests.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Literal

from bot.core import prompts
from bot.core.conversation import Conversation, ConversationStore, PostThread, Turn, bounded_history
from bot.core.drafts import Draft, parse_draft, word_count
from bot.core.errors import PublishError
from bot.core.jobs import JobRecord
from bot.core.ports import BlogRepository, ChatMessage, FileCommit, PullState, TextModel
from bot.core.posts import PostFile, render_post, with_suffix

log = logging.getLogger(__name__)


Checkpoint = Callable[[JobRecord], Coroutine[Any, Any, None]]


async def _no_checkpoint(record: JobRecord) -> None:
    return None


@dataclass(frozen=True)
class PostLayout:
    posts_dir: str
    filename_template: str
    branch_prefix: str


# About 25k tokens of history: far inside the model's context window (131k enforced for
# Gemma 4), and cheap in neurons. The current post and the new request always go in.
HISTORY_BUDGET_CHARS = 100_000
# How many `-2`, `-3`… names to try for a branch or a file before giving up.
MAX_NAME_ATTEMPTS = 20


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

    async def publish(
        self,
        draft: Draft,
        request: str,
        record: JobRecord | None = None,
        checkpoint: Checkpoint = _no_checkpoint,
    ) -> PostThread:
        """Branch, file, pull request: each step recorded in `record` as soon as it is done.

        Given the record of an interrupted run, the steps it completed are skipped and the
        things it may have created (its branch, file or PR) are found instead of made twice.
        """
        record = record or JobRecord(chat_id=0, message_id=0, text=request)
        repo = self.repository
        now = datetime.fromisoformat(record.post_date) if record.post_date else self._clock()
        if record.post_date is None:
            record.post_date = now.isoformat(timespec="seconds")
        post = self.render(draft, now)
        words = word_count(draft.body)
        if not record.branch_created:
            _, head_sha = await asyncio.to_thread(repo.base_head)
            record.branch = await self._create_branch(
                record, f"{self._layout.branch_prefix}{post.stem}", head_sha, checkpoint
            )
            # Not saved here: the next step's checkpoint carries it, and a resumed job adopts
            # the branch of the recorded name anyway.
            record.branch_created = True
        assert record.branch is not None

        if record.file_sha is None:
            committed, commit = await self._create_file(
                record, post, f"Add post: {draft.title}", checkpoint
            )
            record.path, record.file_sha = committed.path, commit.file_sha
            record.commit_sha, record.commit_url = commit.commit_sha, commit.commit_url
            # Not saved either: a resumed job finds the file at the recorded path.
        assert record.path is not None

        if record.number is None:
            record.number, record.url = await asyncio.to_thread(
                repo.create_pull,
                branch=record.branch,
                title=draft.title,
                body=pull_request_body(draft, record.path, words, self.model.model),
            )
            record.state = "published"
            await checkpoint(record)
        assert record.number is not None and record.url is not None and record.file_sha is not None

        thread = PostThread(
            number=record.number,
            url=record.url,
            branch=record.branch,
            path=record.path,
            file_sha=record.file_sha,
            commit_url=record.commit_url or "",
            date=record.post_date,
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

    async def _create_branch(
        self, record: JobRecord, wanted: str, head_sha: str, checkpoint: Checkpoint
    ) -> str:
        """The job's branch: `wanted`, or `wanted-2`, `-3`… when taken by someone else.

        Each name is recorded before it is tried, so a resumed job knows that a branch of the
        recorded name is its own and adopts it.
        """
        if record.branch is not None:
            # Resuming: the recorded name is this job's own. Create it unless the interrupted
            # run already did (then create_branch finds it exists, which is fine).
            await asyncio.to_thread(self.repository.create_branch, record.branch, head_sha)
            return record.branch
        for n in range(1, MAX_NAME_ATTEMPTS + 1):
            name = wanted if n == 1 else f"{wanted}-{n}"
            record.branch = name
            await checkpoint(record)
            if await asyncio.to_thread(self.repository.create_branch, name, head_sha):
                return name
        raise PublishError(f"Could not find a free branch name for {wanted}.")

    async def _create_file(
        self, record: JobRecord, post: PostFile, message: str, checkpoint: Checkpoint
    ) -> tuple[PostFile, FileCommit]:
        """Commit the post as a new file, under `name-2.md`, `-3`… when the path is taken.

        Each path is recorded before it is tried; a resumed job that finds a file at its
        recorded path holding exactly its content adopts that commit.
        """
        assert record.branch is not None
        repo = self.repository
        if record.path is not None:  # resuming
            planned = replace(post, path=record.path)
            commit = await asyncio.to_thread(repo.create_file, planned, record.branch, message)
            if commit is None:
                commit = await asyncio.to_thread(repo.same_file, planned, record.branch)
            if commit is not None:
                return planned, commit
        for n in range(1, MAX_NAME_ATTEMPTS + 1):
            candidate = post if n == 1 else with_suffix(post, n)
            if candidate.path == record.path:
                continue  # tried above
            record.path = candidate.path
            await checkpoint(record)
            commit = await asyncio.to_thread(repo.create_file, candidate, record.branch, message)
            if commit is not None:
                return candidate, commit
        raise PublishError(f"Could not find a free file name for {post.path}.")

    async def publish_revision(
        self,
        thread: PostThread,
        draft: Draft,
        request: str,
        record: JobRecord | None = None,
        checkpoint: Checkpoint = _no_checkpoint,
    ) -> PostThread:
        """One new commit on the post's branch; the file keeps its path and its date."""
        content = self.render(draft, datetime.fromisoformat(thread.date)).content
        if record is not None and record.state == "published" and record.file_sha:
            # An interrupted run committed this revision already; don't commit it twice.
            commit = FileCommit(record.file_sha, record.commit_sha or "", record.commit_url or "")
        else:
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
        if record is not None:
            record.file_sha, record.commit_url = commit.file_sha, commit.commit_url
            record.commit_sha = commit.commit_sha
            record.state = "published"
            await checkpoint(record)
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
        record: JobRecord,
        *,
        checkpoint: Checkpoint = _no_checkpoint,
        before_publish: Callable[[], None] = lambda: None,
    ) -> Outcome:
        """Draft a new post or revise one, resuming from whatever `record` says is done.

        `checkpoint(record)` persists progress after every step; `before_publish` marks the
        point of no return (from there on GitHub is being written to).
        """
        conversation = await self.conversations.load(record.chat_id)
        if record.kind is None:
            await self._choose_post(record, conversation)  # redone on resume: nothing to save
        target = conversation.posts.get(record.target) if record.target is not None else None
        if record.kind == "revise" and target is None:
            # The post was forgotten meanwhile (expired or discarded): start afresh.
            record.kind, record.target, record.draft = "new", None, None

        draft = record.kept_draft()
        if draft is None:
            with record.timed("model_ms"):
                if target is None:
                    draft = await self.posts.write_draft(record.text)
                else:
                    draft = await self.posts.revise_draft(target, record.text)
            record.keep_draft(draft)
            await checkpoint(record)

        before_publish()
        with record.timed("github_ms"):
            if target is None:
                thread = await self.posts.publish(draft, record.text, record, checkpoint)
                outcome = Outcome("created", thread, note=record.note)
            else:
                thread = await self.posts.publish_revision(
                    target, draft, record.text, record, checkpoint
                )
                outcome = Outcome("revised", thread, previous=target)

        conversation = await self.conversations.load(record.chat_id)
        ids = [record.status_message_id] if record.status_message_id is not None else []
        conversation.remember(thread, message_ids=ids)
        await self.conversations.save(conversation)
        return outcome

    async def _choose_post(self, record: JobRecord, conversation: Conversation) -> None:
        """A reply to an earlier result revises that post; otherwise the current post, if its
        pull request is still open; otherwise a new post."""
        replied = conversation.post_for_message(record.reply_to) if record.reply_to else None
        target = replied or conversation.current_post
        if target is not None:
            state = await asyncio.to_thread(self.posts.repository.pull_state, target.number)
            if state != "open":
                record.note = (
                    f"Pull request #{target.number} was {state}, so this starts a new post."
                )
                conversation.forget(target.number)
                await self.conversations.save(conversation)
                target = None
        record.kind = "revise" if target is not None else "new"
        record.target = target.number if target is not None else None

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
