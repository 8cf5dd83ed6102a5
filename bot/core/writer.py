"""The writer's use cases: a request becomes a draft and then a pull request or a revision;
starting over, looking a post up, discarding it.

It knows nothing of Telegram: a job record comes in, is checkpointed after every step, and an
Outcome goes out. The model and the repository are ports, so the tests run it in memory.

The maintainers' side of a revision:

- **Their edits are kept.** The pull request read that decides the target also gives its head:
  when it is not the bot's last commit, someone committed to the branch. Only then is the file
  read there (and who made the commits); the model revises that text and the commit lands on
  top of theirs. A commit made while the model was drafting is noticed by the second read
  (below) or by GitHub's 409: the file is read again and the revision redrafted, once.
- **Merges are noticed.** The pull request is read again right before the commit: merged
  meanwhile, the revision becomes a follow-up pull request (a new branch from the base that
  edits the merged file; nothing is pushed to the merged branch); closed without merging,
  the writer is told and offered a new post.
- **After a merge**, a message that reads as a change to the merged post (a reply to it, or
  short: at most CHANGE_MAX_CHARS characters in one paragraph) makes the bot ask: edit the
  merged post in a new pull request, or start a new post. Longer notes start a new post.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any, Literal

from bot.core.conversation import Conversation, ConversationStore, PostThread
from bot.core.drafting import Drafter
from bot.core.drafts import Draft
from bot.core.errors import PublishError
from bot.core.jobs import JobRecord
from bot.core.phases import JobWatcher
from bot.core.photos import Photos
from bot.core.ports import PullState
from bot.core.post_update import PostUpdater, draft_from_json, draft_to_json
from bot.core.privacy import HeldForPrivacy, PrivacyScanner, new_findings, redact
from bot.core.progress import (
    BranchClaimed,
    FileClaimed,
    FileCommitted,
    Progress,
    PullOpened,
    RevisionCommitted,
)
from bot.core.publishing import BranchEdits, Publisher
from bot.core.similar_posts import SimilarPost, SimilarPostFound, SimilarPosts
from bot.core.usage import ModelUsage

Checkpoint = Callable[[JobRecord], Coroutine[Any, Any, None]]


async def _no_checkpoint(record: JobRecord) -> None:
    return None


# After a merge, a message this short (in one paragraph) reads as a change to the merged post.
CHANGE_MAX_CHARS = 280
# Someone else's commits read to name them in the answer (one read each).
MAX_COMMITS_READ = 10


@dataclass(frozen=True)
class Outcome:
    """`created`, `revised`, `followup` (a new pull request editing the merged `previous`),
    `ask` (its pull request is merged: edit it or start a new post?) or `closed` (its pull
    request was closed without merging meanwhile: nothing was committed)."""

    kind: Literal["created", "revised", "followup", "ask", "closed"]
    thread: PostThread
    previous: PostThread | None = None  # the post before this revision
    note: str | None = None  # why a new post was started instead of a revision, edits kept


class BranchMoved(Exception):
    """Someone committed to the post's branch after the model had read it."""


def reads_as_change(text: str, *, replied: bool) -> bool:
    """Whether a message sent after a merge reads as a change to the merged post."""
    return replied or (len(text.strip()) <= CHANGE_MAX_CHARS and "\n\n" not in text.strip())


class Writer:
    """A chat's conversation with the bot: new posts, revisions, starting over, discarding.

    Calls for one chat must not overlap (the Telegram layer queues them); different chats
    run concurrently.
    """

    def __init__(
        self,
        *,
        drafter: Drafter,
        publisher: Publisher,
        conversations: ConversationStore,
        privacy: PrivacyScanner | None = None,
        similar: SimilarPosts | None = None,
        updater: PostUpdater | None = None,
    ) -> None:
        self.drafter = drafter
        self.posts = publisher
        self.conversations = conversations
        self.privacy = privacy or PrivacyScanner()
        self._repository = publisher.repository
        self.similar = similar  # None: new posts are not compared with the blog's
        self.updater = updater

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
        if record.kind == "ask" and target is not None:
            return Outcome("ask", target)
        if record.kind != "new" and target is None:
            # The post was forgotten meanwhile (expired or discarded): start afresh.
            record.kind, record.target, record.draft, record.progress = "new", None, None, None

        for attempt in (1, 2):
            draft = await self._draft(record, target, checkpoint, photos, watcher)
            draft = await self._private_details_settled(record, target, draft, checkpoint)
            if target is None and photos is None:
                await self._check_similar(record, draft, checkpoint)
            if photos is not None:
                # A caption becomes the alt text of a photo the post does not place: never
                # asked about, so never published with private details.
                photos = replace(photos, captions=tuple(map(self.privacy.scrub, photos.captions)))
            before_publish()
            if watcher is not None:
                await watcher.phase("publishing")
            try:
                with record.timed("github_ms"):
                    if target is None and record.similar_choice == "update" and record.similar:
                        outcome = await self._update_existing(record, checkpoint)
                    else:
                        outcome = await self._publish(record, target, draft, checkpoint, photos)
                break
            except BranchMoved:
                if attempt == 2 or target is None:
                    raise PublishError(
                        f"Someone keeps committing to the branch of pull request "
                        f"#{target.number if target else '?'} while I revise it. Nothing was "
                        "overwritten; send your change again in a minute.",
                        status=409,
                    ) from None
                # Redrafted once from the file as it is now, their commit kept.
                await self._read_branch_edits(record, target)
                record.draft, record.state = None, "accepted"
                await checkpoint(record)
        if outcome.kind in ("ask", "closed"):
            return outcome
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
            usage = ModelUsage()
            with record.timed("model_ms"), _counted(record, usage):
                if target is None:
                    learned = await self.posts.knowledge.latest()  # the blog's voice
                    draft = await self.drafter.write(
                        record.text,
                        style=learned.style,
                        images=images,
                        listener=watcher,
                        usage=usage,
                    )
                else:
                    current = await self._current_text(record, target)
                    draft = await self.drafter.revise(
                        target,
                        record.text,
                        images=images,
                        current=current,
                        listener=watcher,
                        usage=usage,
                    )
            record.keep_draft(draft)
            await checkpoint(record)
        return draft

    async def _private_details_settled(
        self, record: JobRecord, target: PostThread | None, draft: Draft, checkpoint: Checkpoint
    ) -> Draft:
        """The draft to publish once the writer chose about its private details; raises
        HeldForPrivacy while they have not. A revision asks only about what it adds."""
        # In a thread: a long post takes a noticeable fraction of a second to scan.
        findings = await asyncio.to_thread(self.privacy.scan, draft)
        if target is not None:
            findings = new_findings(findings, target.draft)
        if not findings or record.privacy == "keep":
            return draft
        if record.privacy == "remove":
            draft = redact(draft, findings)
            record.keep_draft(draft)  # a resume publishes the redacted draft, nothing else
            await checkpoint(record)
            return draft
        raise HeldForPrivacy(findings)

    async def _check_similar(self, record: JobRecord, draft: Draft, checkpoint: Checkpoint) -> None:
        """Before a new post is committed: a very close existing post pauses the job (saved, so
        a restart keeps it) until the writer chooses; SimilarPostFound says so."""
        if self.similar is None or record.similar_choice is not None or record.progress:
            return  # checked and chosen, or publishing already started
        with record.timed("similar_ms"):
            found = await self.similar.closest(draft)
        if found is None:
            return
        record.similar = found.to_json()
        record.state = "paused"
        await checkpoint(record)
        raise SimilarPostFound(found)

    async def _update_existing(self, record: JobRecord, checkpoint: Checkpoint) -> Outcome:
        """The writer chose to update the existing post: a pull request that edits it."""
        if self.updater is None or record.similar is None:
            raise RuntimeError("an update of an existing post, but no PostUpdater was given")
        found = SimilarPost.from_json(record.similar)

        async def keep(draft: Draft) -> None:
            record.update_draft = draft_to_json(draft)
            await checkpoint(record)

        kept = draft_from_json(record.update_draft) if record.update_draft else None
        thread = await self.updater.update(
            found, record.text, job_id=record.message_id, kept=kept, keep=keep
        )
        record.number, record.state = thread.number, "published"
        await checkpoint(record)
        note = f"This updates the existing post {found.path} instead of adding a new one."
        return Outcome("created", thread, note=note)

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
            # The notes go into the pull request's description: without private details.
            thread = await self.posts.new_post(
                draft,
                self.privacy.scrub(record.text),
                done,
                save,
                author=record.writer,
                photos=photos,
            )
            return Outcome("created", thread, note=record.note)
        if record.kind == "revise" and not isinstance(progress, RevisionCommitted):
            closed = await self._recheck(record, target, checkpoint, draft, photos)
            if closed is not None:
                return closed
        if record.kind == "followup":
            steps = (BranchClaimed, FileClaimed, FileCommitted, PullOpened)
            started = progress if isinstance(progress, steps) else None
            thread = await self.posts.follow_up(
                target,
                draft,
                self.privacy.scrub(record.text),
                started,
                save,
                author=record.writer,
                photos=photos,
            )
            return Outcome("followup", thread, previous=target, note=record.note)
        committed = progress if isinstance(progress, RevisionCommitted) else None
        edits = BranchEdits.from_json(record.edits) if record.edits else None
        # The request names the revision's commit: on GitHub, so without private details.
        request = self.privacy.scrub(record.text)
        try:
            thread = await self.posts.revision(
                target,
                draft,
                request,
                committed,
                save,
                author=record.writer,
                photos=photos,
                edits=edits,
            )
        except PublishError as exc:
            if exc.status == 409:  # a stale file sha: someone committed since the read
                raise BranchMoved from exc
            if exc.status in (404, 422) and committed is None:
                # The branch is gone: deleted on merge (a follow-up), or with its pull request.
                closed = await self._recheck(record, target, checkpoint, draft, photos)
                if closed is not None:
                    return closed
                if _became_follow_up(record):
                    return await self._publish(record, target, draft, checkpoint, photos)
            raise
        return Outcome("revised", thread, previous=target, note=edits.sentence() if edits else None)

    async def _recheck(
        self,
        record: JobRecord,
        target: PostThread,
        checkpoint: Checkpoint,
        draft: Draft,
        photos: Photos | None,
    ) -> Outcome | None:
        """Read the pull request right before committing. Merged meanwhile: the job becomes a
        follow-up (saved). Closed: the `closed` outcome (nothing committed). Someone changed
        the post's file since the model read it: BranchMoved."""
        info = await self._repository.pull_info(target.number)
        if info.state == "merged":
            record.kind, record.progress = "followup", None
            record.note = (
                f"Pull request #{target.number} was merged while I was revising it, so this "
                "change is in a new pull request."
            )
            await checkpoint(record)
            return None
        if info.state == "closed":
            record.kind = "ask"
            await checkpoint(record)
            return Outcome("closed", target)
        edits = BranchEdits.from_json(record.edits) if record.edits else None
        expected = edits.head_sha if edits else target.own_head
        if expected and info.head_sha and info.head_sha != expected:
            await self._check_file_unchanged(record, target, info.head_sha, draft, photos)
        return None

    async def _check_file_unchanged(
        self,
        record: JobRecord,
        target: PostThread,
        head_sha: str,
        draft: Draft,
        photos: Photos | None,
    ) -> None:
        """The branch moved since the model read the post: fine when the post's file is as the
        model saw it (the commit goes on top) or already holds this very revision (an attempt
        whose answer was lost); else BranchMoved."""
        found = await self._repository.file_at(head_sha, target.path)
        edits = BranchEdits.from_json(record.edits) if record.edits else None
        seen = edits.file_sha if edits else target.file_sha
        if found is None:
            raise BranchMoved
        if found[1] == seen:
            return
        wanted = await self.posts.revised_content(
            target, draft, author=record.writer, photos=photos
        )
        if found[0] != wanted:
            raise BranchMoved

    async def _current_text(self, record: JobRecord, target: PostThread) -> str | None:
        """The post as the model should revise it when the bot's own copy is not it: the file
        on the branch (someone else's commits), or on the base branch (a merged post)."""
        if record.kind == "followup":
            base, _ = await self._repository.base_head()
            found = await self._repository.file_at(base, target.path)
            return found[0] if found else None
        if record.edits:
            return BranchEdits.from_json(record.edits).text
        return None

    async def _read_branch_edits(self, record: JobRecord, target: PostThread) -> None:
        """Look at the branch now: someone else's commits on it go into `record.edits`."""
        info = await self._repository.pull_info(target.number)
        record.edits = await self._branch_edits(target, info.head_sha)

    async def _branch_edits(self, target: PostThread, head_sha: str) -> dict[str, object] | None:
        """Someone else's commits between the bot's last commit and `head_sha`, and the file
        as they left it; None when the head is the bot's own (no request then)."""
        own = target.own_head
        if not own or not head_sha or head_sha == own:
            return None
        found = await self._repository.file_at(head_sha, target.path)
        if found is None:
            raise PublishError(
                f"The post's file {target.path} is no longer on the branch of pull request "
                f"#{target.number}, so I can't revise it there. Send /new to start a new post."
            )
        commits = await self._repository.commits_since(head_sha, own, limit=MAX_COMMITS_READ)
        authors = tuple(dict.fromkeys(c.author for c in commits))
        text, file_sha = found
        return BranchEdits(head_sha, text, file_sha, len(commits), authors).to_json()

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
        pull request is still open (someone else's commits on its branch are read); after a
        merge, a message that reads as a change asks; otherwise a new post."""
        replied = conversation.post_for_message(record.reply_to) if record.reply_to else None
        target = replied or conversation.current_post
        record.edits = None
        if target is not None:
            info = await self._repository.pull_info(target.number)
            if info.state == "merged" and reads_as_change(record.text, replied=replied is not None):
                record.kind, record.target = "ask", target.number
                return
            if info.state != "open":
                record.note = (
                    f"Pull request #{target.number} was {info.state}, so this starts a new post."
                )
                conversation.forget(target.number)
                await self.conversations.save(conversation)
                target = None
            else:
                record.edits = await self._branch_edits(target, info.head_sha)
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


def _became_follow_up(record: JobRecord) -> bool:
    """Whether a re-check turned the job into a follow-up (mypy narrows `record.kind` as if a
    call could not change it)."""
    return record.kind == "followup"


@contextmanager
def _counted(record: JobRecord, usage: ModelUsage) -> Iterator[None]:
    """The model calls' usage goes on the record, a failed draft's too (it was spent)."""
    try:
        yield
    finally:
        record.add_usage(usage)
