"""In-memory fakes of the core's ports, for use-case tests that run in milliseconds.

FakeBlogRepository keeps branches, commits (each a full snapshot of its files) and pull
requests in dicts and honours the BlogRepository contract (bot/core/ports.py). A test can make
its next write of a kind fail before the work, lose its answer after the work (GitHub did it,
the bot got a 5xx), or crash after the work (the process died before reading the answer:
`Crash` is a BaseException, so nothing that catches Exception saves anything).
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, TypeVar

from bot.core.errors import PublishError
from bot.core.ports import (
    BaseCommit,
    ChatMessage,
    CommitInfo,
    FileCommit,
    FilesCommit,
    ImageInput,
    ModelListener,
    PullInfo,
    PullRef,
    PullState,
)
from bot.core.posts import PostFile
from bot.core.usage import ModelUsage
from tests.fakes.embeddings import topic_vector

T = TypeVar("T")

Write = Literal[
    "create_branch",
    "create_file",
    "create_pull",
    "update_file",
    "update_pull",
    "dress_pull",
    "close_pull",
    "delete_branch",
    "commit_files",
    "create_branch_with_files",
]
FaultKind = Literal["fail", "lose", "crash"]
GITHUB_DOWN = "GitHub is having trouble right now (502). Try again in a few minutes."


class Crash(BaseException):
    """The bot process died here (SIGKILL, not an error it handles); the unsaved is gone."""


def _sha(*parts: str) -> str:
    return hashlib.sha1("\0".join(parts).encode(), usedforsecurity=False).hexdigest()


@dataclass
class FakeCommit:
    parent: str | None
    files: dict[str, str]
    message: str
    binaries: dict[str, bytes] = field(default_factory=dict)  # files that are not UTF-8 text


@dataclass
class FakePull:
    number: int
    branch: str
    title: str
    body: str
    state: PullState = "open"
    draft: bool = False
    labels: list[str] = field(default_factory=list)
    reviewers: list[str] = field(default_factory=list)


@dataclass
class FakeBlogRepository:
    base: str = "main"
    commits: dict[str, FakeCommit] = field(default_factory=dict)
    branches: dict[str, str] = field(default_factory=dict)  # name -> head commit
    pulls: dict[int, FakePull] = field(default_factory=dict)
    writes: list[Write] = field(default_factory=list)  # every write request, in order
    faults: dict[Write, list[FaultKind | None]] = field(default_factory=dict)
    slow: dict[Write, int] = field(default_factory=dict)  # extra event-loop turns before the work
    reads: list[str] = field(default_factory=list)  # every file read by read_files, in order
    tree_reads: int = 0  # blob_shas calls

    def __post_init__(self) -> None:
        root = self._commit(None, {"README.md": "# Blog\n"}, "Initial commit")
        self.branches[self.base] = root

    # -- test helpers ----------------------------------------------------------------------
    def next_write(self, write: Write, fault: FaultKind, *, after: int = 0) -> None:
        """The next write of this kind (the one after `after` more of them) meets `fault`."""
        self.faults.setdefault(write, []).extend([None] * after + [fault])

    def push(self, branch: str, files: dict[str, str], message: str = "Edit") -> str:
        """Someone else's commit on `branch` (created from the base when missing)."""
        head = self.branches.get(branch, self.branches[self.base])
        commit = self._commit(head, {**self.commits[head].files, **files}, message)
        self.branches[branch] = commit
        return commit

    def post_branches(self) -> list[str]:
        return sorted(b for b in self.branches if b != self.base)

    def files(self, branch: str) -> dict[str, str]:
        return dict(self.commits[self.branches[branch]].files)

    def binary_files(self, branch: str) -> dict[str, bytes]:
        """The files on `branch` that are not text (images), with their bytes."""
        return dict(self.commits[self.branches[branch]].binaries)

    def new_files(self, branch: str) -> dict[str, str]:
        base = self.files(self.base)
        return {p: c for p, c in self.files(branch).items() if base.get(p) != c}

    def new_commits(self, branch: str) -> list[str]:
        """Commits on `branch` that are not on the base, newest first."""
        on_base = set(self._history(self.branches[self.base]))
        return [c for c in self._history(self.branches[branch]) if c not in on_base]

    def open_pulls(self) -> list[FakePull]:
        return [p for p in self.pulls.values() if p.state == "open"]

    # -- the port --------------------------------------------------------------------------
    async def base_head(self) -> tuple[str, str]:
        await asyncio.sleep(0)
        return self.base, self.branches[self.base]

    async def base_commit(self) -> BaseCommit:
        await asyncio.sleep(0)
        head = self.branches[self.base]
        return BaseCommit(self.base, head, self.tree_of(head))

    @staticmethod
    def tree_of(commit_sha: str) -> str:
        """The (made-up) sha of a commit's tree."""
        return _sha("tree", commit_sha)

    async def create_branch(self, name: str, head_sha: str) -> bool:
        def work() -> bool:
            if name in self.branches:
                return False
            self.branches[name] = head_sha
            return True

        return await self._write("create_branch", work)

    async def branch_head(self, name: str) -> str | None:
        await asyncio.sleep(0)
        return self.branches.get(name)

    async def create_file(self, post: PostFile, branch: str, message: str) -> FileCommit | None:
        def work() -> FileCommit | None:
            if post.path in self.files(branch):
                return None
            return self._change(branch, post.path, post.content, message)

        return await self._write("create_file", work)

    async def same_file(self, post: PostFile, branch: str) -> FileCommit | None:
        await asyncio.sleep(0)
        if self.files(branch).get(post.path) != post.content:
            return None
        head = self.branches[branch]
        return FileCommit(_sha("blob", post.content), head, self.commit_url(head))

    async def create_pull(
        self, *, branch: str, title: str, body: str, draft: bool = False
    ) -> PullRef:
        def work() -> PullRef:
            for pull in self.open_pulls():
                if pull.branch == branch:  # GitHub: "A pull request already exists"; adopted
                    return self.pull_ref(pull.number)
            number = len(self.pulls) + 1
            self.pulls[number] = FakePull(number, branch, title, body, draft=draft)
            return self.pull_ref(number)

        return await self._write("create_pull", work)

    async def pull_state(self, number: int) -> PullState:
        await asyncio.sleep(0)
        return self.pulls[number].state

    async def pull_info(self, number: int) -> PullInfo:
        await asyncio.sleep(0)
        pull = self.pulls[number]
        return PullInfo(pull.state, self.branches.get(pull.branch, ""))

    async def commits_since(self, head_sha: str, since_sha: str, *, limit: int) -> list[CommitInfo]:
        await asyncio.sleep(0)
        chain: list[CommitInfo] = []
        for sha in self._history(head_sha):
            if sha == since_sha or len(chain) >= limit:
                break
            chain.append(CommitInfo(sha, "Someone Else"))
        return chain

    async def update_pull(self, number: int, *, title: str, body: str) -> None:
        def work() -> None:
            self.pulls[number].title, self.pulls[number].body = title, body

        await self._write("update_pull", work)

    async def dress_pull(
        self, number: int, *, labels: Sequence[str], reviewers: Sequence[str]
    ) -> None:
        def work() -> None:
            self.pulls[number].labels += list(labels)
            self.pulls[number].reviewers += list(reviewers)

        await self._write("dress_pull", work)

    async def update_file(
        self, *, branch: str, path: str, content: str, file_sha: str, message: str
    ) -> FileCommit:
        def work() -> FileCommit:
            current = self.files(branch)[path]
            if _sha("blob", current) != file_sha:  # GitHub: 409, the sha is stale
                if current != content:
                    raise PublishError(f"GitHub answered 409: {path} does not match.", status=409)
                head = self.branches[branch]  # an earlier attempt made this commit: adopted
                return FileCommit(_sha("blob", content), head, self.commit_url(head))
            return self._change(branch, path, content, message)

        return await self._write("update_file", work)

    async def discard(self, *, number: int, branch: str) -> None:
        def close() -> None:
            self.pulls[number].state = "closed"

        def delete() -> None:
            self.branches.pop(branch, None)

        await self._write("close_pull", close)
        await self._write("delete_branch", delete)

    async def file_at(self, branch: str, path: str) -> tuple[str, str] | None:
        await asyncio.sleep(0)
        text = self.commits[self.branches.get(branch, branch)].files.get(path)
        return None if text is None else (text, _sha("blob", text))

    async def read_tree(self, commit_sha: str) -> list[str]:
        await asyncio.sleep(0)
        commit = self.commits[commit_sha]
        return sorted({*commit.files, *commit.binaries})

    async def read_files(self, commit_sha: str, paths: Sequence[str]) -> dict[str, str]:
        await asyncio.sleep(0)
        files = self.commits[commit_sha].files
        self.reads.extend(p for p in paths if p in files)
        return {p: files[p] for p in paths if p in files}

    async def blob_shas(self, commit_sha: str) -> dict[str, str]:
        await asyncio.sleep(0)
        self.tree_reads += 1
        commit = self.commits[commit_sha]
        shas = {p: _sha("blob", text) for p, text in commit.files.items()}
        return shas | {p: _sha("binary", data.hex()) for p, data in commit.binaries.items()}

    async def commit_files(
        self, *, branch: str, parent_sha: str, files: Mapping[str, bytes], message: str
    ) -> FilesCommit:
        def work() -> FilesCommit:
            head = self.branches.get(branch)
            if head is None:
                raise PublishError(f"The branch {branch} no longer exists.", status=422)
            change = self._files_on(parent_sha, files)
            if head != parent_sha:  # GitHub: 422, not a fast-forward
                if not self._is_change(head, parent_sha, change):
                    raise PublishError(f"The branch {branch} changed on GitHub.", status=409)
                return FilesCommit(head, self.commit_url(head), change[2])  # an earlier attempt's
            return self._commit_change(branch, parent_sha, change, message)

        return await self._write("commit_files", work)

    async def create_branch_with_files(
        self,
        *,
        branch: str,
        parent_sha: str,
        parent_tree: str,
        files: Mapping[str, bytes],
        message: str,
    ) -> FilesCommit | None:
        def work() -> FilesCommit | None:
            if parent_tree != self.tree_of(parent_sha):
                raise PublishError("GitHub refused the change (422: not a tree).", status=422)
            change = self._files_on(parent_sha, files)
            head = self.branches.get(branch)
            if head is None or head == parent_sha:  # new, or made empty for this post before
                return self._commit_change(branch, parent_sha, change, message)
            if self._is_change(head, parent_sha, change):  # an earlier attempt's: adopted
                return FilesCommit(head, self.commit_url(head), change[2])
            return None  # someone else's branch

        return await self._write("create_branch_with_files", work)

    # -- internals -------------------------------------------------------------------------
    def _files_on(
        self, parent_sha: str, files: Mapping[str, bytes]
    ) -> tuple[dict[str, str], dict[str, bytes], dict[str, str]]:
        """The texts and binaries of `files` written over `parent_sha`'s, and their blob shas."""
        parent = self.commits[parent_sha]
        texts, binaries = dict(parent.files), dict(parent.binaries)
        blobs: dict[str, str] = {}
        for path, data in files.items():
            try:
                texts[path], blobs[path] = data.decode(), _sha("blob", data.decode())
                binaries.pop(path, None)
            except UnicodeDecodeError:
                binaries[path], blobs[path] = bytes(data), _sha("binary", data.hex())
                texts.pop(path, None)
        return texts, binaries, blobs

    def _is_change(
        self,
        sha: str,
        parent_sha: str,
        change: tuple[dict[str, str], dict[str, bytes], dict[str, str]],
    ) -> bool:
        made = self.commits[sha]
        return (made.parent, made.files, made.binaries) == (parent_sha, change[0], change[1])

    def _commit_change(
        self,
        branch: str,
        parent_sha: str,
        change: tuple[dict[str, str], dict[str, bytes], dict[str, str]],
        message: str,
    ) -> FilesCommit:
        texts, binaries, blobs = change
        content = [f"{p}={c}" for p, c in texts.items()]
        content += [f"{p}={d.hex()}" for p, d in binaries.items()]
        sha = _sha("commit", parent_sha, message, *sorted(content))
        self.commits[sha] = FakeCommit(parent_sha, texts, message, binaries)
        self.branches[branch] = sha
        return FilesCommit(sha, self.commit_url(sha), blobs)

    async def _write(self, write: Write, work: Callable[[], T]) -> T:
        for _ in range(1 + self.slow.get(write, 0)):
            await asyncio.sleep(0)  # a request: other jobs run meanwhile
        queued = self.faults.get(write) or []
        fault = queued.pop(0) if queued else None
        self.writes.append(write)
        if fault == "fail":
            raise PublishError(GITHUB_DOWN, status=502)
        result = work()
        await asyncio.sleep(0)  # the answer travels back: other jobs run meanwhile
        if fault == "lose":
            raise PublishError(GITHUB_DOWN, status=502)
        if fault == "crash":
            raise Crash(write)
        return result

    def _commit(self, parent: str | None, files: dict[str, str], message: str) -> str:
        sha = _sha("commit", parent or "", message, *sorted(f"{p}={c}" for p, c in files.items()))
        self.commits[sha] = FakeCommit(parent, files, message)
        return sha

    def _change(self, branch: str, path: str, content: str, message: str) -> FileCommit:
        head = self.branches[branch]
        commit = self._commit(head, {**self.commits[head].files, path: content}, message)
        self.branches[branch] = commit
        return FileCommit(_sha("blob", content), commit, self.commit_url(commit))

    def _history(self, sha: str | None) -> list[str]:
        chain = []
        while sha is not None:
            chain.append(sha)
            sha = self.commits[sha].parent
        return chain

    @staticmethod
    def commit_url(sha: str) -> str:
        return f"https://github.com/acme/blog/commit/{sha}"

    @staticmethod
    def pull_ref(number: int) -> PullRef:
        return PullRef(number, f"https://github.com/acme/blog/pull/{number}")


# A real post has running text: the quality gate rejects a draft of two words as "no prose".
DEFAULT_BODY = "Hi there. This is the first post of this blog, written from the writer's notes."


def model_answer(title: str, body: str = DEFAULT_BODY) -> str:
    return (
        f'---\ntitle: "{title}"\ndescription: A post about {title.lower()}.\n'
        f"tags: [intro]\n---\n\n{body}\n"
    )


@dataclass
class FakeModel:
    """Answers with the queued posts, then with a default one; remembers every request."""

    model: str = "@cf/test/fake-model"
    answers: list[str] = field(default_factory=list)
    requests: list[list[ChatMessage]] = field(default_factory=list)
    images: list[list[ImageInput]] = field(default_factory=list)
    # Run while the model "thinks", one per request (someone committing meanwhile).
    meanwhile: list[Callable[[], object]] = field(default_factory=list)

    def will_write(self, title: str, body: str = DEFAULT_BODY) -> None:
        self.answers.append(model_answer(title, body))

    async def complete(
        self,
        messages: Sequence[ChatMessage],
        *,
        images: Sequence[ImageInput] = (),
        listener: ModelListener | None = None,
        usage: ModelUsage | None = None,
    ) -> str:
        await asyncio.sleep(0)
        self.requests.append(list(messages))
        self.images.append(list(images))
        if self.meanwhile:
            self.meanwhile.pop(0)()
        answer = self.answers.pop(0) if self.answers else model_answer("Hello, world")
        if listener is not None:
            # The answer grows a line at a time, as a streamed one does.
            lines = answer.splitlines(keepends=True)
            for count in range(1, len(lines) + 1):
                await listener.text("".join(lines[:count]))
        return answer


@dataclass
class FakeEmbedder:
    """The TextEmbedder port: tests/fakes/embeddings.py's topic vectors; remembers each call,
    and fails every call while `failure` is set."""

    model: str = "@cf/baai/bge-m3"
    calls: list[list[str]] = field(default_factory=list)
    failure: Exception | None = None

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        await asyncio.sleep(0)
        self.calls.append(list(texts))
        if self.failure is not None:
            raise self.failure
        return [topic_vector(text, 256) for text in texts]


class MemoryStateStore:
    """The StateStore port in a dict. Expiry is not modelled: nothing here lives that long."""

    description = "memory"

    def __init__(self) -> None:
        self.data: dict[str, str] = {}

    async def get(self, key: str) -> str | None:
        return self.data.get(key)

    async def put(self, key: str, value: str, ttl_seconds: float | None) -> None:
        self.data[key] = value

    async def delete(self, key: str) -> None:
        self.data.pop(key, None)

    async def keys(self, prefix: str) -> list[str]:
        return sorted(k for k in self.data if k.startswith(prefix))

    async def ping(self) -> None:
        return None

    async def close(self) -> None:
        return None
