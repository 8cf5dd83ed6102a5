"""Publishing a post to the blog's repository, as explicit idempotent steps.

A new post is three steps, each checkpointed (bot.core.progress):

1. **ensure the branch**: claim a name (saved), then create it at the base head. A branch of
   the claimed name at the claimed base commit is this job's own: GitHub made it for an attempt
   whose answer was lost. At another commit it is someone else's: the next name is claimed.
2. **ensure the file**: claim a path (saved), then commit the post there. A file at the claimed
   path holding exactly the post is this job's own; any other file is never overwritten: the
   next path (`-2.md`, `-3.md`…) is claimed.
3. **ensure the pull request**: open it from the branch; one open from it already is this job's.

A post with images does steps 1 and 2 as one: the branch is created at the commit of the post
and its images (BlogRepository.create_branch_with_files), so a new post with k images costs
k + 5 requests. Its path is the first name not taken in the base's tree (learned with the blog,
so no request asks); a branch of the claimed name holding exactly this change on the base is
this job's own, any other one is someone else's and the next name is claimed.

A revision is one step, **ensure the commit** (a commit that already made exactly this change
is adopted by the repository), after which the pull request's title follows the post's.

Nothing here knows of Telegram, threads or job records: the bot, the command line and the tests
drive the same steps, each with its own checkpoint.
"""

from __future__ import annotations

import posixpath
from collections.abc import Awaitable, Callable, Container, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from typing import Any

from bot.core import prompts
from bot.core.blog import BlogProfile, Overrides, add_to_listing, render_for_blog
from bot.core.blog_source import BlogKnowledge
from bot.core.conversation import Change, PostThread, Turn
from bot.core.drafts import Draft, word_count
from bot.core.errors import NothingToChange, PublishError
from bot.core.photo_commits import commit_new_post, commit_revision
from bot.core.photos import Photos
from bot.core.ports import BlogRepository, FileCommit
from bot.core.posts import PostFile
from bot.core.progress import (
    BranchClaimed,
    FileClaimed,
    FileCommitted,
    NewPostProgress,
    Progress,
    PullOpened,
    RevisionCommitted,
)
from bot.core.pull_body import PullFacts, pull_request_body
from bot.core.text import shorten

Checkpoint = Callable[[Progress], Awaitable[None]]

# How many names (`name`, `name-2`… `name-20`) to try for a branch or a file before giving up.
MAX_NAME_ATTEMPTS = 20


async def no_checkpoint(progress: Progress) -> None:
    return None


@dataclass(frozen=True)
class PostLayout:
    """Where posts go. A posts folder or file name given here (POSTS_DIR / POST_FILENAME set
    by the operator) overrides what is learned from the blog; None: learn it."""

    posts_dir: str | None
    filename_template: str | None
    branch_prefix: str

    def overrides(self) -> Overrides | None:
        if self.posts_dir is None and self.filename_template is None:
            return None
        return Overrides(posts_dir=self.posts_dir, filename=self.filename_template)


@dataclass(frozen=True)
class PullOptions:
    """How the bot's pull requests are opened and described (PR_* settings)."""

    labels: tuple[str, ...] = ()
    reviewers: tuple[str, ...] = ()
    draft: bool = False
    include_notes: bool = True


@dataclass(frozen=True)
class BranchEdits:
    """Commits on a post's branch that are not the bot's (a maintainer's fix): the file as it
    is there, which the revision starts from and commits on top of."""

    head_sha: str
    text: str
    file_sha: str
    commits: int
    authors: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "authors": list(self.authors)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> BranchEdits:
        return cls(**{**data, "authors": tuple(data.get("authors", ()))})

    def sentence(self) -> str:
        who = ", ".join(self.authors) or "someone"
        commits = f"{self.commits} commit{'s' if self.commits != 1 else ''}"
        return f"Kept the maintainer's edits ({commits} by {who})."


def version_note(thread: PostThread) -> Turn:
    return Turn(
        "assistant",
        f'(Version {thread.revisions + 1} of the post: "{thread.title}", {thread.words} words.)',
    )


class Publisher:
    """The publishing steps for one repository and one post layout."""

    def __init__(
        self,
        *,
        repository: BlogRepository,
        layout: PostLayout,
        clock: Callable[[], datetime],
        model_name: str,
        pull_options: PullOptions = PullOptions(),
    ) -> None:
        self.repository = repository
        self.knowledge = BlogKnowledge(repository, layout.overrides())
        self._layout = layout
        self._clock = clock
        self._model_name = model_name  # named in the pull request's body
        self.pull_options = pull_options
        # Branches claimed by this process's jobs that may still point at the base commit,
        # where an empty branch looks the same whoever made it: no other job claims them.
        self._claimed: set[str] = set()

    def render(
        self,
        draft: Draft,
        when: datetime | None = None,
        *,
        profile: BlogProfile | None = None,
        suffix: int | None = None,
        author: str | None = None,
    ) -> PostFile:
        """The post file in the blog's conventions (the last learned, unless given)."""
        return render_for_blog(
            profile or self.knowledge.profile,
            draft,
            now=when or self._clock(),
            suffix=suffix if suffix and suffix > 1 else None,
            author=author,
        )

    # -- a new post ------------------------------------------------------------------------
    async def new_post(
        self,
        draft: Draft,
        request: str,
        progress: NewPostProgress | None = None,
        checkpoint: Checkpoint = no_checkpoint,
        *,
        author: str | None = None,
        photos: Photos | None = None,
    ) -> PostThread:
        """Branch, file, pull request, resuming after `progress`; `checkpoint` gets each state.
        `author`: the writer, mapped to one of the blog's authors (never a new one). With
        `photos` the post and its images are one commit, the branch created at it
        (BlogRepository.create_branch_with_files)."""
        state: NewPostProgress
        if progress is None:
            state = await self._first_claim(draft, author, with_tree=photos is not None)
            await checkpoint(state)
        else:
            state = progress
        profile = await self._profile_for(state)
        post = self.render(
            draft, datetime.fromisoformat(state.date), profile=profile, author=author
        )
        while not isinstance(state, PullOpened):
            if isinstance(state, BranchClaimed) and photos and state.base_tree:
                state = await self._ensure_branch_with_post(
                    state, post, draft, profile, author, photos
                )
            elif isinstance(state, BranchClaimed):
                state = await self._ensure_branch(state, post)
            elif isinstance(state, FileClaimed):
                state = await self._ensure_file(state, post, draft, profile, author, photos)
            else:
                await self._ensure_listing(state, post, draft, profile)
                state = await self._ensure_pull(state, draft, request)
            await checkpoint(state)
        body = photos.body(profile, state.path, draft.body) if photos else draft.body
        thread = self._new_thread(state, replace(draft, body=body), request)
        if profile.listing:  # the listing's commit came after the post's: the head is read
            thread.head_sha = await self.repository.branch_head(state.branch) or ""
        return thread

    async def _first_claim(
        self, draft: Draft, author: str | None, *, with_tree: bool = False
    ) -> BranchClaimed:
        """The first branch name, on the base head (`with_tree`: and its tree, same request)."""
        date = self._clock().isoformat(timespec="seconds")  # the post's date from now on
        base_tree = None
        if with_tree:
            base = await self.repository.base_commit()
            base_sha, base_tree = base.sha, base.tree_sha
        else:
            _, base_sha = await self.repository.base_head()
        learned = await self.knowledge.at(base_sha)  # learns only when the base moved
        post = self.render(
            draft, datetime.fromisoformat(date), profile=learned.profile, author=author
        )
        names = self._branch_names(post)
        return self._claim_branch(date, names, base_sha, after=None, base_tree=base_tree)

    async def _profile_for(self, state: NewPostProgress) -> BlogProfile:
        """The profile the post was first rendered with: its path must not change on resume."""
        base_sha = getattr(state, "base_sha", None)
        learned = await (self.knowledge.at(base_sha) if base_sha else self.knowledge.latest())
        return learned.profile

    def _branch_names(self, post: PostFile) -> list[str]:
        wanted = f"{self._layout.branch_prefix}{post.stem}"
        return [wanted, *(f"{wanted}-{n}" for n in range(2, MAX_NAME_ATTEMPTS + 1))]

    def _claim_branch(
        self,
        date: str,
        names: Sequence[str],
        base_sha: str,
        *,
        after: str | None,
        base_tree: str | None = None,
    ) -> BranchClaimed:
        name = _next_name(names, after, skip=self._claimed)
        if name is None:
            raise PublishError(f"Could not find a free branch name for {names[0]}.")
        self._claimed.add(name)
        return BranchClaimed(date, name, base_sha, base_tree)

    async def _ensure_branch(
        self, claim: BranchClaimed, post: PostFile | None = None, *, names: Sequence[str] = ()
    ) -> FileClaimed | BranchClaimed:
        """Create the claimed branch or recognise it as this job's own; else claim the next
        (of `names`, else of the names made from `post`)."""
        base_sha = claim.base_sha or (await self.repository.base_head())[1]
        self._claimed.add(claim.branch)  # a resumed claim too
        created = await self.repository.create_branch(claim.branch, base_sha)
        path = post.path if post is not None else ""
        if created or await self._is_own_branch(claim):
            return FileClaimed(claim.date, claim.branch, path, base_sha)
        self._claimed.discard(claim.branch)  # someone else's branch
        candidates = names or (self._branch_names(post) if post is not None else [])
        return self._claim_branch(claim.date, candidates, base_sha, after=claim.branch)

    async def _is_own_branch(self, claim: BranchClaimed) -> bool:
        head = await self.repository.branch_head(claim.branch)
        if head is None:
            return False
        return claim.base_sha is None or head == claim.base_sha

    async def _ensure_branch_with_post(
        self,
        claim: BranchClaimed,
        post: PostFile,
        draft: Draft,
        profile: BlogProfile,
        author: str | None,
        photos: Photos,
    ) -> FileCommitted | BranchClaimed:
        """Create the claimed branch at the commit of the post and its images, or recognise it
        as this job's own; else claim the next name."""
        assert claim.base_sha is not None and claim.base_tree is not None
        self._claimed.add(claim.branch)  # a resumed claim too
        taken = (await self.knowledge.at(claim.base_sha)).paths  # learned: no request
        planned = self._free_post(post, draft, profile, author, claim.date, taken)
        placed = photos.placed(profile, planned)
        done = await self.repository.create_branch_with_files(
            branch=claim.branch,
            parent_sha=claim.base_sha,
            parent_tree=claim.base_tree,
            files=placed.files,
            message=f"Add post: {draft.title}",
        )
        self._claimed.discard(claim.branch)  # this job's commit is on it, or it is not ours
        if done is not None:
            commit = FileCommit(done.blobs[planned.path], done.sha, done.url)
            return FileCommitted(claim.date, claim.branch, planned.path, commit)
        return self._claim_branch(
            claim.date,
            self._branch_names(post),
            claim.base_sha,
            after=claim.branch,
            base_tree=claim.base_tree,
        )

    def _free_post(
        self,
        post: PostFile,
        draft: Draft,
        profile: BlogProfile,
        author: str | None,
        date: str,
        taken: Container[str],
    ) -> PostFile:
        """The post under the first of its names (`-2`, `-3`…) that no file in `taken` has."""
        when = datetime.fromisoformat(date)
        for n in range(1, MAX_NAME_ATTEMPTS + 1):
            candidate = (
                post
                if n == 1
                else self.render(draft, when, profile=profile, suffix=n, author=author)
            )
            if candidate.path not in taken:
                return candidate
        raise PublishError(f"Could not find a free file name for {post.path}.")

    async def _ensure_file(
        self,
        claim: FileClaimed,
        post: PostFile,
        draft: Draft,
        profile: BlogProfile,
        author: str | None,
        photos: Photos | None = None,
    ) -> FileCommitted | FileClaimed:
        """Commit the post at the claimed path or recognise it there; else claim the next path."""
        when = datetime.fromisoformat(claim.date)

        def candidate(n: int) -> PostFile:
            # A `-n` name changes the slug inside the file too (bundle folder, `slug` key).
            return (
                post
                if n == 1
                else self.render(draft, when, profile=profile, suffix=n, author=author)
            )

        # Rendered one by one, only as far as needed: the claimed path is nearly always the first.
        planned = next(
            (c for n in range(1, MAX_NAME_ATTEMPTS + 1) if (c := candidate(n)).path == claim.path),
            replace(post, path=claim.path),
        )
        if photos:
            commit = await commit_new_post(
                self.repository,
                branch=claim.branch,
                base_sha=claim.base_sha,
                placed=photos.placed(profile, planned),
                message=f"Add post: {draft.title}",
            )
        else:
            commit = await self.repository.create_file(
                planned, claim.branch, f"Add post: {draft.title}"
            )
        if commit is None and not photos:  # a file is there: this job's own if it holds it
            commit = await self.repository.same_file(planned, claim.branch)
        if commit is not None:
            self._claimed.discard(claim.branch)  # it has this job's commit: no longer empty
            return FileCommitted(claim.date, claim.branch, claim.path, commit)
        paths = [candidate(n).path for n in range(1, MAX_NAME_ATTEMPTS + 1)]
        path = _next_name(paths, claim.path)
        if path is None:
            raise PublishError(f"Could not find a free file name for {post.path}.")
        return FileClaimed(claim.date, claim.branch, path, claim.base_sha)

    async def _ensure_listing(
        self, state: FileCommitted, post: PostFile, draft: Draft, profile: BlogProfile
    ) -> None:
        """A blog with no generator lists its posts by hand (its README): add this one, once.
        A listing that already links the post's path is this job's own earlier commit."""
        if not profile.listing:
            return
        found = await self.repository.file_at(state.branch, profile.listing)
        if found is None:
            return
        text, sha = found
        planned = replace(post, path=state.path)
        updated = add_to_listing(
            profile, planned, draft.title, text, now=datetime.fromisoformat(state.date)
        )
        link = posixpath.relpath(state.path, posixpath.dirname(profile.listing) or ".")
        if updated == text or f"]({link})" in text:
            return
        await self.repository.update_file(
            branch=state.branch,
            path=profile.listing,
            content=updated,
            file_sha=sha,
            message=f"List post: {shorten(draft.title, 60, one_line=True, trim=' ')}",
        )

    async def _ensure_pull(
        self, state: FileCommitted, draft: Draft, request: str, follows: PostThread | None = None
    ) -> PullOpened:
        if follows is None:
            notes, changes, follows_number = request, [], None
        else:
            notes = follows.writer_notes
            changes = [Change(request, state.commit.commit_url)]
            follows_number = follows.number
        facts = self._facts(draft, state.path, notes, changes, follows_number)
        options = self.pull_options
        pull = await self.repository.create_pull(
            branch=state.branch,
            title=draft.title,
            body=pull_request_body(facts, include_notes=options.include_notes),
            draft=options.draft,
        )
        if options.labels or options.reviewers:
            await self.repository.dress_pull(
                pull.number, labels=options.labels, reviewers=options.reviewers
            )
        return PullOpened(state.date, state.branch, state.path, state.commit, pull)

    def _facts(
        self,
        draft: Draft,
        path: str,
        notes: str,
        changes: Sequence[Change],
        follows: int | None = None,
    ) -> PullFacts:
        return PullFacts(
            title=draft.title,
            description=draft.description,
            tags=draft.tags,
            words=word_count(draft.body),
            path=path,
            notes=notes,
            changes=changes,
            model=self._model_name,
            prompt_version=prompts.version(),
            follows=follows,
        )

    def body_of(self, thread: PostThread) -> str:
        """The pull request's description for the post as `thread` has it."""
        facts = self._facts(
            thread.draft, thread.path, thread.writer_notes, thread.changes, thread.follows
        )
        return pull_request_body(facts, include_notes=self.pull_options.include_notes)

    def _new_thread(self, state: PullOpened, draft: Draft, request: str) -> PostThread:
        thread = PostThread(
            number=state.pull.number,
            url=state.pull.url,
            branch=state.branch,
            path=state.path,
            file_sha=state.commit.file_sha,
            commit_url=state.commit.commit_url,
            date=state.date,
            title=draft.title,
            description=draft.description,
            tags=list(draft.tags),
            body=draft.body,
            words=word_count(draft.body),
            updated_at=state.date,
            history=[Turn("user", request)],
            notes=request,
            head_sha=state.commit.commit_sha,
        )
        thread.history.append(version_note(thread))
        return thread

    # -- a revision ------------------------------------------------------------------------
    async def revision(
        self,
        thread: PostThread,
        draft: Draft,
        request: str,
        progress: RevisionCommitted | None = None,
        checkpoint: Checkpoint = no_checkpoint,
        *,
        author: str | None = None,
        photos: Photos | None = None,
        edits: BranchEdits | None = None,
    ) -> PostThread:
        """One new commit on the post's branch (the file keeps its path and its date), then the
        pull request's title and description follow the post's, in one request; resuming after
        `progress`. With `photos` the post and the new images are that one commit. With `edits`
        (someone else's commits on the branch) the commit replaces the file as it is there: a
        fast-forward on top of them."""
        if progress is None:
            file_sha = edits.file_sha if edits else thread.file_sha
            commit = await self._commit_on_branch(
                thread, draft, request, thread.branch, file_sha, author, photos
            )
            progress = RevisionCommitted(commit)
            await checkpoint(progress)
        if photos:
            profile = (await self.knowledge.latest()).profile
            draft = replace(draft, body=photos.body(profile, thread.path, draft.body))
        revised = self._revised_thread(thread, progress.commit, draft, request)
        # Setting the same title and body twice (a resumed job) is harmless.
        await self.repository.update_pull(
            revised.number, title=revised.title, body=self.body_of(revised)
        )
        return revised

    async def revised_content(
        self, thread: PostThread, draft: Draft, *, author: str | None, photos: Photos | None
    ) -> str:
        """The post file a revision of `thread` to `draft` commits (to recognise it)."""
        profile = (await self.knowledge.latest()).profile
        post = self.render(
            draft, datetime.fromisoformat(thread.date), profile=profile, author=author
        )
        post = replace(post, path=thread.path)
        return photos.placed(profile, post).post.content if photos else post.content

    async def _commit_on_branch(
        self,
        thread: PostThread,
        draft: Draft,
        request: str,
        branch: str,
        file_sha: str,
        author: str | None,
        photos: Photos | None,
    ) -> FileCommit:
        """The revised post committed over the file whose blob is `file_sha` on `branch`."""
        # The current conventions, at the post's own path and date: a revision never moves it.
        profile = (await self.knowledge.latest()).profile
        post = self.render(
            draft, datetime.fromisoformat(thread.date), profile=profile, author=author
        )
        message = f"Revise post: {shorten(request, 60, one_line=True, trim=' ')}"
        if photos:
            return await commit_revision(
                self.repository,
                branch=branch,
                placed=photos.placed(profile, replace(post, path=thread.path)),
                commit_url=thread.commit_url,
                message=message,
            )
        return await self.repository.update_file(
            branch=branch,
            path=thread.path,
            content=post.content,
            file_sha=file_sha,
            message=message,
        )

    # -- a follow-up to a merged post ------------------------------------------------------
    async def follow_up(
        self,
        merged: PostThread,
        draft: Draft,
        request: str,
        progress: NewPostProgress | None = None,
        checkpoint: Checkpoint = no_checkpoint,
        *,
        author: str | None = None,
        photos: Photos | None = None,
    ) -> PostThread:
        """A change to a merged post: a new branch from the base, one commit changing the file
        at the post's path as the base has it, and a new pull request that says which one it
        follows. The same checkpointed steps as a new post, so a resumed job adopts its own
        branch, commit and pull request."""
        state: NewPostProgress
        if progress is None:
            _, base_sha = await self.repository.base_head()
            if not photos:  # no branch, no pull request for a change that changes nothing
                merged_file = await self.repository.file_at(base_sha, merged.path)
                wanted = await self.revised_content(merged, draft, author=author, photos=None)
                if merged_file is not None and merged_file[0] == wanted:
                    raise NothingToChange(merged.number)
            names = self._follow_up_names(merged)
            state = self._claim_branch(merged.date, names, base_sha, after=None)
            await checkpoint(state)
        else:
            state = progress
        while not isinstance(state, PullOpened):
            if isinstance(state, BranchClaimed):
                state = await self._ensure_branch(state, names=self._follow_up_names(merged))
            elif isinstance(state, FileClaimed):
                state = await self._ensure_follow_up_commit(
                    state, merged, draft, request, author, photos
                )
            else:
                state = await self._ensure_pull(state, draft, request, follows=merged)
            await checkpoint(state)
        if photos:
            profile = (await self.knowledge.latest()).profile
            draft = replace(draft, body=photos.body(profile, merged.path, draft.body))
        thread = self._new_thread(state, draft, request)
        thread.notes = merged.writer_notes
        thread.changes = [Change(request, state.commit.commit_url)]
        thread.follows = merged.number
        thread.date = merged.date
        return thread

    def _follow_up_names(self, merged: PostThread) -> list[str]:
        wanted = f"{self._layout.branch_prefix}{PostFile(merged.path, '', '').stem}-edit"
        return [wanted, *(f"{wanted}-{n}" for n in range(2, MAX_NAME_ATTEMPTS + 1))]

    async def _ensure_follow_up_commit(
        self,
        claim: FileClaimed,
        merged: PostThread,
        draft: Draft,
        request: str,
        author: str | None,
        photos: Photos | None,
    ) -> FileCommitted:
        """Change the merged file on the follow-up branch; the branch holding exactly this
        change already (an attempt whose answer was lost) is adopted."""
        profile = (await self.knowledge.latest()).profile
        post = self.render(
            draft, datetime.fromisoformat(merged.date), profile=profile, author=author
        )
        planned = replace(post, path=merged.path)
        found = await self.repository.file_at(claim.branch, merged.path)
        if found is not None and found[0] == planned.content and not photos:
            adopted = await self.repository.same_file(planned, claim.branch)
            if adopted is not None:
                return FileCommitted(claim.date, claim.branch, merged.path, adopted)
        if found is None and not photos:  # the base lost the file: it comes back
            created = await self.repository.create_file(
                planned, claim.branch, f"Revise post: {draft.title}"
            )
            if created is None:
                raise PublishError(f"Could not write {merged.path} on {claim.branch}.")
            return FileCommitted(claim.date, claim.branch, merged.path, created)
        commit = await self._commit_on_branch(
            merged, draft, request, claim.branch, found[1] if found else "", author, photos
        )
        return FileCommitted(claim.date, claim.branch, merged.path, commit)

    def _revised_thread(
        self, thread: PostThread, commit: FileCommit, draft: Draft, request: str
    ) -> PostThread:
        revised = replace(
            thread,
            file_sha=commit.file_sha,
            commit_url=commit.commit_url,
            head_sha=commit.commit_sha,
            title=draft.title,
            description=draft.description,
            tags=list(draft.tags),
            body=draft.body,
            words=word_count(draft.body),
            revisions=thread.revisions + 1,
            updated_at=self._clock().isoformat(timespec="seconds"),
            history=[*thread.history, Turn("user", request)],
            changes=[*thread.changes, Change(request, commit.commit_url)],
        )
        revised.history.append(version_note(revised))
        return revised


def _next_name(names: Sequence[str], after: str | None, skip: Container[str] = ()) -> str | None:
    """The first of `names` that comes after `after` (from the start when `after` is not one of
    them) and is not in `skip`."""
    start = names.index(after) + 1 if after is not None and after in names else 0
    return next((n for n in names[start:] if n != after and n not in skip), None)
