"""The blog's repository on GitHub (PyGithub): the BlogRepository port.

PyGithub is synchronous, so every coroutine here runs its requests in a worker thread; the core
never sees a thread. A new post costs four requests (base head, branch, file, pull request),
plus one each for PR_LABELS and PR_REVIEWERS when set; the default branch is read once per
process. A revision is the commit and one PATCH of the pull request's title and body (the
writer's use case reads the pull request before and after drafting). Several files in one
commit (a post and its images) go through the Git data API (bot/adapters/github_git.py): a
new post with k images is k + 5 requests (the base branch with its tree, k blobs, the tree,
the commit, the branch created at it, the pull request).

GitHub may do a write and lose its answer (a 5xx or a timeout after the work). PyGithub retries
such answers (see github_retry), and the retry meets the first try's work: "Reference already
exists" is reported as False and "sha wasn't supplied" as None (the core recognises its own
branch or file), "A pull request already exists" adopts that pull request, a stale sha whose
file already holds the new content adopts that commit, and an already closed pull request or
deleted branch is what was wanted.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar
from urllib.parse import quote, urlsplit

import requests
from github import Auth, Github, GithubException, GithubRetry
from github.Repository import Repository
from urllib3.util.retry import Retry

from bot.adapters.github_git import GitData
from bot.adapters.write_budget import WriteBudget
from bot.core.errors import PublishError
from bot.core.ports import (
    BaseCommit,
    CommitInfo,
    FileCommit,
    FilesCommit,
    PullInfo,
    PullRef,
    PullState,
)
from bot.core.posts import PostFile

log = logging.getLogger(__name__)

T = TypeVar("T")


def _message_of(exc: GithubException) -> str:
    data = exc.data if isinstance(exc.data, dict) else {}
    message = str(data.get("message") or "")
    errors = data.get("errors")
    if isinstance(errors, list):
        details = [str(e.get("message", "")) if isinstance(e, dict) else str(e) for e in errors]
        message = "; ".join(filter(None, [message, *details]))
    return message


def explain(exc: GithubException, repo: str) -> PublishError:
    status = exc.status
    if status == 401:
        text = "GitHub rejected the token (401 Bad credentials). Check GITHUB_TOKEN."
    elif status == 403:
        text = (
            f"The GitHub token may not write to {repo} (403). Give it Contents and Pull requests "
            "read/write on that repository."
        )
    elif status == 404:
        text = (
            f"GitHub cannot find {repo} with this token (404). Check GITHUB_REPO and that the "
            "token has access to it."
        )
    elif status == 422:
        text = f"GitHub refused the change (422: {_message_of(exc) or 'validation failed'})."
    elif status >= 500:
        text = f"GitHub is having trouble right now ({status}). Try again in a few minutes."
    else:
        text = f"GitHub answered {status}: {_message_of(exc) or 'unexpected error'}."
    return PublishError(text, status=status)


def github_retry(total: int = 3, backoff_factor: float = 0.5, **options: Any) -> GithubRetry:
    """PyGithub's retry of 5xx answers and rate limits, PATCH included: the bot's PATCHes set a
    title or close a pull request, and doing that twice is doing it once."""
    methods = Retry.DEFAULT_ALLOWED_METHODS | {"GET", "POST", "PATCH"}
    return GithubRetry(
        total=total, backoff_factor=backoff_factor, allowed_methods=methods, **options
    )


def github_client(
    *, api_url: str, token: str, timeout: int, retry: Retry | int | None, lazy: bool = False
) -> Github:
    """The PyGithub client as the bot and `check` set it up. None of PyGithub's fixed spacing
    between requests: one second between writes would serialise every writer (WriteBudget
    paces the bot's writes instead)."""
    return Github(
        auth=Auth.Token(token),
        base_url=api_url,
        timeout=timeout,
        lazy=lazy,
        seconds_between_requests=None,
        seconds_between_writes=None,
        retry=retry,
    )


def web_url(api_url: str, repo: str) -> str:
    """The repository's pages: api.github.com -> github.com; GitHub Enterprise's
    https://HOST/api/v3 -> https://HOST."""
    root = api_url.rstrip("/").removesuffix("/api/v3")
    parts = urlsplit(root)
    if parts.hostname == "api.github.com":
        root = f"{parts.scheme}://github.com"
    return f"{root}/{repo}"


class GitHubRepository:
    def __init__(
        self,
        *,
        api_url: str,
        token: str,
        repo: str,
        base_branch: str | None = None,
        retry: Retry | int | None = None,
        timeout: int = 30,
        write_budget: WriteBudget | None = None,
    ) -> None:
        self.full_name = repo
        self.owner = repo.split("/", 1)[0]
        self.web_url = web_url(api_url, repo)
        self._configured_base = base_branch
        self._default_branch: str | None = None
        self._lock = threading.Lock()
        self._writes = write_budget or WriteBudget()
        self._github = github_client(
            api_url=api_url,
            token=token,
            timeout=timeout,
            retry=retry if retry is not None else github_retry(max_rate_limit_wait=120),
            lazy=True,  # no request until one is needed: the repo object costs nothing
        )
        self._repo: Repository = self._github.get_repo(repo)
        self._git = GitData(self._repo, self._writes.spend)

    def close(self) -> None:
        self._github.close()

    def file_link(self, branch: str, path: str) -> str:
        """The page of the file at `path` on `branch` (no request)."""
        return f"{self.web_url}/blob/{quote(branch)}/{quote(path)}"

    def base_branch(self) -> str:
        if self._configured_base:
            return self._configured_base
        with self._lock:
            if self._default_branch is None:
                self._default_branch = self._call(lambda: self._repo.default_branch)
            return self._default_branch

    def verify_access(self) -> None:
        """One read of the repository: proves the token and the name, learns the default branch
        (which a new post needs anyway, so the first message costs one request less)."""
        with self._lock:
            self._default_branch = self._call(lambda: self._repo.default_branch)

    async def _off_loop(self, work: Callable[[], T]) -> T:
        """Run blocking PyGithub work in a worker thread, its failures translated."""
        return await asyncio.to_thread(self._call, work)

    def _call(self, action: Callable[[], T]) -> T:
        with self._translated_errors():
            return action()

    @contextmanager
    def _translated_errors(self) -> Iterator[None]:
        """Every failure leaves here as a PublishError with a message fit for the writer."""
        try:
            yield
        except GithubException as exc:
            raise explain(exc, self.full_name) from exc
        except requests.exceptions.RetryError as exc:
            # urllib3 gave up retrying 5xx answers; the last status is in the reason text.
            raise PublishError(
                "GitHub is having trouble right now (server errors after retries). "
                "Try again in a few minutes."
            ) from exc
        except requests.exceptions.RequestException as exc:
            raise PublishError(
                f"Could not reach GitHub ({type(exc).__name__}). Try again in a few minutes."
            ) from exc

    # -- the port --------------------------------------------------------------------------
    async def base_head(self) -> tuple[str, str]:
        """The base branch and the sha of its head commit: where a new post's branch starts."""
        return await self._off_loop(self._base_head)

    async def base_commit(self) -> BaseCommit:
        """The base branch, its head and the head's tree: one `GET /branches/{branch}`."""
        return await self._off_loop(self._base_commit)

    async def create_branch(self, name: str, head_sha: str) -> bool:
        return await self._off_loop(lambda: self._create_branch(name, head_sha))

    async def branch_head(self, name: str) -> str | None:
        return await self._off_loop(lambda: self._branch_head(name))

    async def create_file(self, post: PostFile, branch: str, message: str) -> FileCommit | None:
        return await self._off_loop(lambda: self._create_file(post, branch, message))

    async def same_file(self, post: PostFile, branch: str) -> FileCommit | None:
        return await self._off_loop(lambda: self._same_file(post, branch))

    async def create_pull(
        self, *, branch: str, title: str, body: str, draft: bool = False
    ) -> PullRef:
        return await self._off_loop(lambda: self._create_pull(branch, title, body, draft))

    async def pull_state(self, number: int) -> PullState:
        return (await self.pull_info(number)).state

    async def pull_info(self, number: int) -> PullInfo:
        return await self._off_loop(lambda: self._pull_info(number))

    async def commits_since(self, head_sha: str, since_sha: str, *, limit: int) -> list[CommitInfo]:
        return await self._off_loop(lambda: self._commits_since(head_sha, since_sha, limit))

    async def update_pull(self, number: int, *, title: str, body: str) -> None:
        await self._off_loop(lambda: self._edit_pull(number, title=title, body=body))

    async def dress_pull(
        self, number: int, *, labels: Sequence[str], reviewers: Sequence[str]
    ) -> None:
        await self._off_loop(lambda: self._dress_pull(number, list(labels), list(reviewers)))

    async def update_file(
        self, *, branch: str, path: str, content: str, file_sha: str, message: str
    ) -> FileCommit:
        return await self._off_loop(
            lambda: self._update_file(branch, path, content, file_sha, message)
        )

    async def discard(self, *, number: int, branch: str) -> None:
        await self._off_loop(lambda: self._discard(number, branch))

    async def read_tree(self, commit_sha: str) -> list[str]:
        return await self._off_loop(lambda: self._read_tree(commit_sha))

    async def blob_shas(self, commit_sha: str) -> dict[str, str]:
        return await self._off_loop(lambda: self._blob_shas(commit_sha))

    async def file_at(self, branch: str, path: str) -> tuple[str, str] | None:
        return await self._off_loop(lambda: self._file_at(branch, path))

    async def read_files(self, commit_sha: str, paths: Sequence[str]) -> dict[str, str]:
        return await self._off_loop(lambda: self._read_files(commit_sha, paths))

    async def commit_files(
        self, *, branch: str, parent_sha: str, files: Mapping[str, bytes], message: str
    ) -> FilesCommit:
        files = dict(files)  # the caller's mapping is not read from another thread
        return await self._off_loop(
            lambda: self._git.commit_files(
                branch=branch, parent_sha=parent_sha, files=files, message=message
            )
        )

    async def create_branch_with_files(
        self,
        *,
        branch: str,
        parent_sha: str,
        parent_tree: str,
        files: Mapping[str, bytes],
        message: str,
    ) -> FilesCommit | None:
        files = dict(files)  # the caller's mapping is not read from another thread
        return await self._off_loop(
            lambda: self._git.create_branch_with_files(
                branch=branch,
                parent_sha=parent_sha,
                parent_tree=parent_tree,
                files=files,
                message=message,
            )
        )

    # -- the requests (blocking) -----------------------------------------------------------
    def _read_tree(self, commit_sha: str) -> list[str]:
        """Every file path at `commit_sha`, in one recursive tree read."""
        tree = self._repo.get_git_tree(commit_sha, recursive=True)
        if tree.raw_data.get("truncated"):
            # Over GitHub's limit (100,000 entries): what came back is still most of the blog.
            log.warning("the tree of %s is truncated; learning from part of it", self.full_name)
        return sorted(entry.path for entry in tree.tree if entry.type == "blob")

    def _blob_shas(self, commit_sha: str) -> dict[str, str]:
        """path -> blob sha of every file at `commit_sha`, in one recursive tree read."""
        tree = self._repo.get_git_tree(commit_sha, recursive=True)
        return {entry.path: entry.sha for entry in tree.tree if entry.type == "blob"}

    def _file_at(self, branch: str, path: str) -> tuple[str, str] | None:
        try:
            content = self._repo.get_contents(path, ref=branch)
        except GithubException as exc:
            if exc.status == 404:
                return None
            raise
        if isinstance(content, list):
            return None
        return content.decoded_content.decode("utf-8", "replace"), content.sha

    def _read_files(self, commit_sha: str, paths: Sequence[str]) -> dict[str, str]:
        """The text of each of `paths` at `commit_sha`; a missing or binary one is left out."""
        found: dict[str, str] = {}
        for path in paths:
            try:
                content = self._repo.get_contents(path, ref=commit_sha)
            except GithubException as exc:
                if exc.status == 404:
                    continue
                raise
            if isinstance(content, list):
                continue
            try:
                found[path] = content.decoded_content.decode("utf-8")
            except UnicodeDecodeError:
                continue
        return found

    def _base_head(self) -> tuple[str, str]:
        base = self.base_branch()
        return base, self._repo.get_git_ref(f"heads/{base}").object.sha

    def _base_commit(self) -> BaseCommit:
        base = self.base_branch()
        _, data = self._repo.requester.requestJsonAndCheck(
            "GET", f"{self._repo.url}/branches/{quote(base, safe='/')}"
        )
        head = data["commit"]
        return BaseCommit(base, str(head["sha"]), str(head["commit"]["tree"]["sha"]))

    def _create_branch(self, name: str, head_sha: str) -> bool:
        """Create branch `name` at head_sha; False when a branch of that name exists."""
        try:
            self._writes.spend()
            self._repo.create_git_ref(f"refs/heads/{name}", head_sha)
        except GithubException as exc:
            if exc.status == 422 and "already exists" in _message_of(exc).lower():
                return False
            raise
        return True

    def _branch_head(self, name: str) -> str | None:
        try:
            return self._repo.get_git_ref(f"heads/{name}").object.sha
        except GithubException as exc:
            if exc.status == 404:
                return None
            raise

    def _create_file(self, post: PostFile, branch: str, message: str) -> FileCommit | None:
        """Commit the post as a new file; None when a file exists at that path (it is never
        overwritten)."""
        try:
            self._writes.spend()
            result = self._repo.create_file(post.path, message, post.content, branch=branch)
        except GithubException as exc:
            # 422 without a sha: the file exists.
            if exc.status == 422 and "sha" in _message_of(exc).lower():
                return None
            raise
        content, commit = result["content"], result["commit"]
        return FileCommit(content.sha, commit.sha, commit.html_url or "")

    def _same_file(self, post: PostFile, branch: str) -> FileCommit | None:
        """The file at post.path on `branch` if it holds exactly post.content, with the branch's
        head commit (the one that wrote it, an attempt ago); else None."""
        existing = self._repo.get_contents(post.path, ref=branch)
        if isinstance(existing, list) or existing.decoded_content != post.content.encode():
            return None
        head = self._repo.get_branch(branch).commit
        return FileCommit(existing.sha, head.sha, head.html_url or "")

    def _create_pull(self, branch: str, title: str, body: str, draft: bool = False) -> PullRef:
        """Open the PR; when one exists for the branch (a retried POST) it is the one. A
        repository whose plan has no draft pull requests gets a ready one."""
        base = self.base_branch()
        try:
            self._writes.spend()
            pull = self._repo.create_pull(
                base=base, head=branch, title=title, body=body, draft=draft
            )
            return PullRef(pull.number, pull.html_url)
        except GithubException as exc:
            message = _message_of(exc).lower()
            if exc.status == 422 and "already exists" in message:
                found = self._find_pull(branch)
                if found is not None:
                    return found
            if exc.status == 422 and draft and "draft" in message:
                log.warning(
                    "%s does not allow draft pull requests; opening a ready one", self.full_name
                )
                return self._create_pull(branch, title, body, draft=False)
            raise

    def _dress_pull(self, number: int, labels: list[str], reviewers: list[str]) -> None:
        """Labels, then review requests; a refusal is logged (the pull request is open)."""
        url = f"{self._repo.url}"
        for what, path, payload in (
            ("labels", f"{url}/issues/{number}/labels", {"labels": labels}),
            ("reviewers", f"{url}/pulls/{number}/requested_reviewers", {"reviewers": reviewers}),
        ):
            if not payload[what]:
                continue
            try:
                self._writes.spend()
                self._repo.requester.requestJsonAndCheck("POST", path, input=payload)
            except GithubException as exc:
                if exc.status not in (403, 404, 422):
                    raise explain(exc, self.full_name) from exc
                log.warning(
                    "could not add %s to pull request #%s: %s (%s)",
                    what,
                    number,
                    _message_of(exc) or "refused",
                    exc.status,
                )

    def _find_pull(self, branch: str) -> PullRef | None:
        pulls = list(self._repo.get_pulls(state="all", head=f"{self.owner}:{branch}"))
        if not pulls:
            return None
        newest = max(pulls, key=lambda p: p.number)
        return PullRef(newest.number, newest.html_url)

    def _pull_info(self, number: int) -> PullInfo:
        """ "open", "closed" or "merged" (a revision only goes to an open pull request), and
        the head commit (a maintainer's commit on the branch shows there), from one read."""
        _, data = self._repo.requester.requestJsonAndCheck(
            "GET", f"{self._repo.url}/pulls/{number}"
        )
        state: PullState = "open" if data.get("state") == "open" else "closed"
        if data.get("merged") or data.get("merged_at"):
            state = "merged"
        return PullInfo(state, str((data.get("head") or {}).get("sha") or ""))

    def _commits_since(self, head_sha: str, since_sha: str, limit: int) -> list[CommitInfo]:
        """Walk first parents from `head_sha` to `since_sha` (one read per commit: nearly
        always one or two, a maintainer's fix)."""
        found: list[CommitInfo] = []
        sha = head_sha
        while sha and sha != since_sha and len(found) < limit:
            _, data = self._repo.requester.requestJsonAndCheck(
                "GET", f"{self._repo.url}/git/commits/{sha}"
            )
            author = (data.get("author") or {}).get("name") or "someone"
            found.append(CommitInfo(sha, str(author)))
            parents = data.get("parents") or []
            sha = str(parents[0].get("sha") or "") if parents else ""
        return found

    def _edit_pull(self, number: int, **fields: str) -> None:
        """PATCH the pull request without reading it first (PyGithub's edit() needs an object)."""
        self._writes.spend()
        self._repo.requester.requestJsonAndCheck(
            "PATCH", f"{self._repo.url}/pulls/{number}", input=fields
        )

    def _update_file(
        self, branch: str, path: str, content: str, file_sha: str, message: str
    ) -> FileCommit:
        """One commit replacing the post on its branch. A 409 (stale sha) with the file already
        holding exactly `content` means an earlier attempt made the commit: it is adopted."""
        try:
            self._writes.spend()
            result = self._repo.update_file(path, message, content, file_sha, branch=branch)
        except GithubException as exc:
            adopted = None
            if exc.status == 409:
                adopted = self._same_file(PostFile(path=path, content=content, slug=""), branch)
            if adopted is None:
                raise
            return adopted
        new_content, commit = result["content"], result["commit"]
        return FileCommit(new_content.sha, commit.sha, commit.html_url or "")

    def _discard(self, number: int, branch: str) -> None:
        """Close the pull request and delete its branch."""
        self._edit_pull(number, state="closed")
        try:
            # The documented path; a lazy GitRef would DELETE the singular /git/ref/ form.
            self._writes.spend()
            self._repo.requester.requestJsonAndCheck(
                "DELETE", f"{self._repo.url}/git/refs/heads/{quote(branch, safe='/')}"
            )
        except GithubException as exc:
            if exc.status not in (404, 422):  # already gone is what we wanted
                raise
