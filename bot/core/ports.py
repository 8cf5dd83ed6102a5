"""The ports: what the core needs from the world, as protocols, and the plain types that cross
them. Adapters (bot/adapters) implement them; tests fake them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol, TypedDict

from bot.core.posts import PostFile
from bot.core.usage import ModelUsage


class ChatMessage(TypedDict):
    role: Literal["system", "user", "assistant"]
    content: str


@dataclass(frozen=True)
class FileCommit:
    file_sha: str
    commit_sha: str
    commit_url: str


@dataclass(frozen=True)
class PullRef:
    number: int
    url: str


PullState = Literal["open", "closed", "merged"]


@dataclass(frozen=True)
class PullInfo:
    """A pull request's state and the commit its branch points at (one read)."""

    state: PullState
    head_sha: str


@dataclass(frozen=True)
class CommitInfo:
    """A commit on a post's branch: who made it (the git author's name)."""

    sha: str
    author: str


@dataclass(frozen=True)
class ImageInput:
    """An image the model is shown with the last user message: a `data:` URL (JPEG or PNG)."""

    url: str


class ModelListener(Protocol):
    """Hears a model call as it goes: the answer growing, and tries that failed and are
    retried. Both are best effort: a slow listener must not stall the model's answer."""

    async def text(self, so_far: str) -> None:
        """The answer as far as it has come (it starts again from "" after a retry)."""
        ...

    async def retrying(self, attempt: int, attempts: int) -> None:
        """Try `attempt` of `attempts` is about to start because the model was busy or the
        service failed (the earlier tries' text is gone)."""
        ...


class TextModel(Protocol):
    model: str

    async def complete(
        self,
        messages: Sequence[ChatMessage],
        *,
        images: Sequence[ImageInput] = (),
        listener: ModelListener | None = None,
        usage: ModelUsage | None = None,
    ) -> str:
        """The answer text; `images` go with the last user message (a vision model). With a
        `listener`, the answer is streamed and the listener hears it grow. Each answer's
        tokens (and neurons) are added to `usage`, a cut-off one's too. Raises AnswerCutOff
        (with the text so far) when the answer stopped at the token limit."""
        ...


@dataclass(frozen=True)
class Transcript:
    """What a speech-to-text model heard: the words (possibly none) and the language."""

    text: str
    language: str | None = None
    duration_seconds: float | None = None


class SpeechToText(Protocol):
    model: str

    async def transcribe(self, audio: bytes, *, language: str | None = None) -> Transcript:
        """The words in `audio` (the file's bytes as they are: OGG/Opus, MP3, MP4...).
        `language` is an ISO 639-1 hint; None lets the model detect it."""
        ...


class TextEmbedder(Protocol):
    """A text-embedding model: one vector per text, in order (cosine similarity compares them)."""

    model: str

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """The vectors of `texts` (any number: the adapter batches them). Raises a ModelError
        subclass on failure."""
        ...


class BlobLister(Protocol):
    """The blob sha of every file of the blog at a commit: a post's sha changes exactly when
    its text does, so what was learned from a post can be kept by it."""

    async def blob_shas(self, commit_sha: str) -> dict[str, str]:
        """path -> blob sha of every file at `commit_sha` (one recursive tree read)."""
        ...


class FileSource(Protocol):
    """Where the files writers send are fetched from (Telegram)."""

    async def download(self, file_id: str, *, what: str) -> bytes:
        """The file's bytes. Raises FileTooBig over the source's download limit (`what` names
        the file in that sentence) and FileUnavailable when it cannot be fetched."""
        ...


class BlogRepository(Protocol):
    """The blog's repository. Every write may have been done even when its answer was lost (a
    5xx or a timeout after the work): the methods say what they find instead of failing, so
    that the use cases can recognise their own branch, file and pull request."""

    async def base_head(self) -> tuple[str, str]:
        """The base branch and the sha of its head commit."""
        ...

    async def base_commit(self) -> BaseCommit:
        """The base branch, its head commit and that commit's tree, in one request."""
        ...

    async def create_branch(self, name: str, head_sha: str) -> bool:
        """Create branch `name` at head_sha; False when a branch of that name exists."""
        ...

    async def branch_head(self, name: str) -> str | None:
        """The sha branch `name` points at, or None when there is no such branch."""
        ...

    async def create_file(self, post: PostFile, branch: str, message: str) -> FileCommit | None:
        """Commit the post as a new file; None when a file exists at its path (never
        overwritten)."""
        ...

    async def same_file(self, post: PostFile, branch: str) -> FileCommit | None:
        """The file at post.path on `branch` and the branch's head commit, if the file holds
        exactly post.content; else None."""
        ...

    async def create_pull(
        self, *, branch: str, title: str, body: str, draft: bool = False
    ) -> PullRef:
        """Open the pull request from `branch` (a draft when asked and the repository allows
        it); when one is open already, that one."""
        ...

    async def pull_state(self, number: int) -> PullState: ...

    async def pull_info(self, number: int) -> PullInfo:
        """The pull request's state and its head commit, in one read."""
        ...

    async def commits_since(self, head_sha: str, since_sha: str, *, limit: int) -> list[CommitInfo]:
        """The commits from `head_sha` back to (not including) `since_sha`, newest first, at
        most `limit` (first parents only)."""
        ...

    async def update_pull(self, number: int, *, title: str, body: str) -> None:
        """Set the pull request's title and description (one request)."""
        ...

    async def dress_pull(
        self, number: int, *, labels: Sequence[str], reviewers: Sequence[str]
    ) -> None:
        """Add labels and request reviewers (each only when given). A refusal (a reviewer
        without access) is logged, never fatal: the pull request is open either way."""
        ...

    async def update_file(
        self, *, branch: str, path: str, content: str, file_sha: str, message: str
    ) -> FileCommit:
        """One commit replacing the file whose blob is `file_sha`. When the file has changed
        since and holds exactly `content` (an earlier attempt made this commit), that commit."""
        ...

    async def discard(self, *, number: int, branch: str) -> None:
        """Close the pull request and delete its branch; either already done is fine."""
        ...

    async def file_at(self, branch: str, path: str) -> tuple[str, str] | None:
        """The text and blob sha of the file at `path` on `branch`; None when there is none."""
        ...

    async def read_tree(self, commit_sha: str) -> list[str]:
        """Every file path of the repository at `commit_sha` (one recursive tree read)."""
        ...

    async def read_files(self, commit_sha: str, paths: Sequence[str]) -> dict[str, str]:
        """The text of each of `paths` at `commit_sha`; missing or binary files left out."""
        ...

    async def commit_files(
        self, *, branch: str, parent_sha: str, files: Mapping[str, bytes], message: str
    ) -> FilesCommit:
        """One commit on `branch`, child of `parent_sha`, writing `files` (path -> bytes, all
        in one commit: a post and its images) over the parent's tree; the branch moves from
        `parent_sha` to it (a fast-forward, never forced). When the branch already points at
        a commit of `parent_sha` with exactly these files (an earlier attempt whose answer was
        lost), that commit. PublishError when the branch has moved anywhere else."""
        ...

    async def create_branch_with_files(
        self,
        *,
        branch: str,
        parent_sha: str,
        parent_tree: str,
        files: Mapping[str, bytes],
        message: str,
    ) -> FilesCommit | None:
        """A new branch `branch` created at a new commit, child of `parent_sha` (the base head),
        writing `files` over `parent_tree` (that commit's tree): a post and its images, so the
        branch never exists without them. When a branch of that name exists already: its head
        is adopted when it is a commit of `parent_sha` with exactly these files (an earlier
        attempt whose answer was lost); a branch still at `parent_sha` (created empty for this
        post by an earlier attempt) is moved on to the new commit; any other branch is someone
        else's: None, nothing written to it."""
        ...


@dataclass(frozen=True)
class BaseCommit:
    """The base branch's head: where a new post's branch starts."""

    branch: str
    sha: str
    tree_sha: str  # the head commit's tree: the new commit's files go on top of it


@dataclass(frozen=True)
class FilesCommit:
    """A commit made by BlogRepository.commit_files."""

    sha: str
    url: str  # its page on GitHub
    blobs: Mapping[str, str]  # path -> blob sha of each file written (git's hash of its bytes)


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

    async def ping(self) -> None:
        """Raise StateStoreError unless the store is reachable and accepts writes."""
        ...

    async def close(self) -> None: ...


# -- the review loop (bot/core/reviews.py) -----------------------------------------------------
FeedbackKind = Literal["review", "review_comment", "comment"]


@dataclass(frozen=True)
class Feedback:
    """Someone's word on a pull request: a submitted review, an inline review comment (on a
    file and line of the diff) or a comment on the conversation tab."""

    kind: FeedbackKind
    id: int
    author: str
    body: str
    url: str  # its place on GitHub
    author_is_bot: bool = False  # an app's account (CI, deploy previews): never forwarded
    review_state: str | None = None  # reviews: APPROVED, CHANGES_REQUESTED, COMMENTED...
    path: str | None = None  # review comments: the file and line they are on
    line: int | None = None


@dataclass(frozen=True)
class PullStatus:
    """One pull request as the repository's list shows it."""

    number: int
    state: PullState
    updated_at: str  # ISO 8601 as GitHub wrote it; moves with every comment, review or push
    url: str


@dataclass(frozen=True)
class PullListing:
    """The answer to a conditional list of the repository's pull requests."""

    etag: str | None  # send it next time: an unchanged list then costs nothing
    pulls: list[PullStatus] | None  # None: unchanged since the etag that was sent (a 304)


class PullWatch(Protocol):
    """What the review loop reads from and writes to GitHub."""

    async def login(self) -> str:
        """The GitHub login the bot acts as (its own comments are not feedback)."""
        ...

    async def pull_statuses(self, etag: str | None) -> PullListing:
        """The repository's most recently updated pull requests (all states), asked with
        If-None-Match `etag`: an unchanged list answers 304, free of rate limit."""
        ...

    async def feedback(self, number: int, since: str | None) -> list[Feedback]:
        """Reviews, review comments and comments of pull request `number`, oldest first;
        comments only from `since` on (ISO 8601, inclusive) when given."""
        ...

    async def comment(self, number: int, body: str) -> str:
        """Post a comment on the pull request's conversation; returns its address."""
        ...
