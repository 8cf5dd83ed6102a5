"""The writer's use cases: a request becomes a draft and then a pull request or a revision;
starting over, looking a post up, discarding it.

It knows nothing of Telegram: a job record comes in, is checkpointed after every step, and an
Outcome goes out. The model and the repository are ports, so the tests run it in memory.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass, replace
from typing import Any, Literal

from bot.core.conversation import Conversation, ConversationStore, PostThread
from bot.core.drafting import Drafter
from bot.core.drafts import Draft
from bot.core.jobs import JobRecord
from bot.core.phases import JobWatcher
from bot.core.photos import Photos
from bot.core.ports import PullState
from bot.core.progress import Progress, PullOpened, RevisionCommitted
from bot.core.publishing import Publisher

Checkpoint = Callable[[JobRecord], Coroutine[Any, Any, None]]


async def _no_checkpoint(record: JobRecord) -> None:
    return None


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

    def __init__(
        self, *, drafter: Drafter, publisher: Publisher, conversations: ConversationStore
    ) -> None:
        self.drafter = drafter
        self.posts = publisher
        self.conversations = conversations
        self._repository = publisher.repository

    async def handle(
        self,
        record: JobRecord,
        *,
        checkpoint: Checkpoint = _no_checkpoint,
        before_publish: Callable[[], None] = lambda: None,
        photos: Photos | None = None,
        watcher: JobWatcher | None = None,
    ) -> Outcome:
        """Draft a new post or revise one, resuming from whatever `record` says is done.

        `checkpoint(record)` persists progress after every step; `before_publish` marks the
        point of no return (from there on GitHub is being written to). `photos`: the writer's
        images, shown to the model and committed with the post. `watcher` hears the phases
        (drafting or revising, publishing) and the draft as the model writes it.
        """
        conversation = await self.conversations.load(record.chat_id)
        first_post = not conversation.posts  # the chat's first: say how the blog was read
        if record.kind is None:
            await self._choose_post(record, conversation)  # redone on resume: nothing to save
        target = conversation.posts.get(record.target) if record.target is not None else None
        if record.kind == "revise" and target is None:
            # The post was forgotten meanwhile (expired or discarded): start afresh.
            record.kind, record.target, record.draft, record.progress = "new", None, None, None

        draft = await self._draft(record, target, checkpoint, photos, watcher)
        before_publish()
        if watcher is not None:
            await watcher.phase("publishing")
        with record.timed("github_ms"):
            outcome = await self._publish(record, target, draft, checkpoint, photos)
        if outcome.kind == "created" and first_post:
            outcome = self._with_layout_note(outcome)

        conversation = await self.conversations.load(record.chat_id)
        # A reply to the answer, or to the quote of a voice note's words, revises this post.
        shown = (record.status_message_id, record.heard_message_id)
        ids = [message_id for message_id in shown if message_id is not None]
        conversation.remember(outcome.thread, message_ids=ids)
        await self.conversations.save(conversation)
        return outcome

    async def _draft(
        self,
        record: JobRecord,
        target: PostThread | None,
        checkpoint: Checkpoint,
        photos: Photos | None = None,
        watcher: JobWatcher | None = None,
    ) -> Draft:
        """The kept draft, or the model's (kept at once: a retry never asks the model again)."""
        draft = record.kept_draft()
        images = photos.model_inputs() if photos else []
        if draft is None:
            if watcher is not None:
                await watcher.phase("drafting" if target is None else "revising")
            with record.timed("model_ms"):
                if target is None:
                    learned = await self.posts.knowledge.latest()  # the blog's voice
                    draft = await self.drafter.write(
                        record.text, style=learned.style, images=images, listener=watcher
                    )
                else:
                    draft = await self.drafter.revise(
                        target, record.text, images=images, listener=watcher
                    )
            record.keep_draft(draft)
            await checkpoint(record)
        return draft

    async def _publish(
        self,
        record: JobRecord,
        target: PostThread | None,
        draft: Draft,
        checkpoint: Checkpoint,
        photos: Photos | None = None,
    ) -> Outcome:
        async def save(progress: Progress) -> None:
            record.progress = progress
            if isinstance(progress, PullOpened):
                record.number, record.state = progress.pull.number, "published"
            elif isinstance(progress, RevisionCommitted):
                record.state = "published"
            await checkpoint(record)

        progress = record.progress
        if target is None:
            done = None if isinstance(progress, RevisionCommitted) else progress
            thread = await self.posts.new_post(
                draft, record.text, done, save, author=record.writer, photos=photos
            )
            return Outcome("created", thread, note=record.note)
        committed = progress if isinstance(progress, RevisionCommitted) else None
        thread = await self.posts.revision(
            target, draft, record.text, committed, save, author=record.writer, photos=photos
        )
        return Outcome("revised", thread, previous=target)

    def _with_layout_note(self, outcome: Outcome) -> Outcome:
        """Nothing told how this blog lays out its posts: say which layout was assumed."""
        profile = self.posts.knowledge.profile
        if profile.assumed:
            assumed = (
                f"I could not tell how this blog lays out its posts, so I used "
                f"{profile.posts_dir}/{profile.filename} with YAML front matter. A .blogbot.yml "
                "in the repository can pin another layout (see the README)."
            )
        elif profile.generator == "unknown":
            assumed = (
                f"I found no site generator, so the post follows the existing posts: "
                f"{profile.posts_dir}/{profile.filename}. A .blogbot.yml in the repository can "
                "pin another layout (see the README)."
            )
        else:
            return outcome
        note = f"{outcome.note} {assumed}" if outcome.note else assumed
        return replace(outcome, note=note)

    async def _choose_post(self, record: JobRecord, conversation: Conversation) -> None:
        """A reply to an earlier result revises that post; otherwise the current post, if its
        pull request is still open; otherwise a new post."""
        replied = conversation.post_for_message(record.reply_to) if record.reply_to else None
        target = replied or conversation.current_post
        if target is not None:
            state = await self._repository.pull_state(target.number)
            if state != "open":
                record.note = (
                    f"Pull request #{target.number} was {state}, so this starts a new post."
                )
                conversation.forget(target.number)
                await self.conversations.save(conversation)
                target = None
        record.kind = "revise" if target is not None else "new"
        record.target = target.number if target is not None else None

    async def will_revise(self, chat_id: int, reply_to: int | None) -> bool:
        """Whether a message would revise a post, as far as the chat's memory tells (the pull
        request's state is checked only when the job runs): what its status message says."""
        conversation = await self.conversations.load(chat_id)
        replied = conversation.post_for_message(reply_to) if reply_to else None
        return (replied or conversation.current_post) is not None

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
        return await self._repository.pull_state(thread.number)

    async def discard(self, chat_id: int, number: int) -> PostThread | None:
        """Close the pull request and delete its branch; None if this chat has no such post."""
        conversation = await self.conversations.load(chat_id)
        thread = conversation.posts.get(number)
        if thread is None:
            return None
        await self._repository.discard(number=thread.number, branch=thread.branch)
        conversation.forget(number)
        await self.conversations.save(conversation)
        return thread

    async def remember_message(self, chat_id: int, message_id: int, number: int) -> None:
        conversation = await self.conversations.load(chat_id)
        if number in conversation.posts:
            conversation.messages[message_id] = number
            await self.conversations.save(conversation)
