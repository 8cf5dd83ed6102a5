"""Several files in one commit through GitHub's Git data API (a post and its images land
together, so the pull request never shows a post without them).

A file goes inline in the tree request when it is text up to INLINE_TEXT_LIMIT; any other (an
image) costs a blob request of its own. For k such files:

BlogRepository.create_branch_with_files, a new post's branch born with its commit, k + 3
requests, all writes:

    POST  /git/blobs                   once per binary file (base64)
    POST  /git/trees                   base_tree = the base commit's tree; text files inline
    POST  /git/commits                 parents = [base head]
    POST  /git/refs                    refs/heads/{branch} at the new commit

The base commit's tree comes with the base head (BlogRepository.base_commit, one request), so a
new post with k images is k + 5 requests with that read and the pull request.

BlogRepository.commit_files, a later commit on an existing branch, k + 4 requests, k + 3 writes:

    GET   /git/commits/{parent}        the parent's tree
    POST  /git/blobs                   once per binary file
    POST  /git/trees                   base_tree = the parent's tree
    POST  /git/commits                 parents = [parent]
    PATCH /git/refs/heads/{branch}     sha = the new commit, force = false (a fast-forward)

Every write spends the write budget.

Lost answers: blobs and trees are named by their content, so a repeated POST makes the same
object (and PyGithub's retry of a lost blob or tree meets the same result). A commit made whose
ref creation or update never happened is left dangling, and the next attempt makes an identical
one. A ref creation that happened but whose answer was lost is met by the next one as 422
"Reference already exists"; a ref update that happened makes the next one no longer a
fast-forward (422). Either way the branch's head is then read, and adopted when its parent is
the parent given and its tree is exactly the tree this attempt built (the same files on the same
parent tree hash to the same tree). A new branch found still at the base commit (created empty
for this post by an earlier attempt) is fast-forwarded to the new commit. Anything else on the
branch is someone else's commit: nothing is forced; a new branch's name is reported taken (the
core claims the next name), a later commit fails.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote

from github import GithubException
from github.Repository import Repository

from bot.core.errors import PublishError
from bot.core.ports import FilesCommit

# Text up to this size goes inside the tree request instead of a blob request of its own.
INLINE_TEXT_LIMIT = 256_000
_FILE_MODE = "100644"


def git_blob_sha(data: bytes) -> str:
    """The object id git (and GitHub) gives a file holding exactly `data`."""
    header = f"blob {len(data)}\0".encode()
    return hashlib.sha1(header + data, usedforsecurity=False).hexdigest()


def checked_path(path: str) -> str:
    """A repository path a commit may write: relative, no empty, `.`, `..` or `.git` parts."""
    parts = path.split("/")
    bad = (
        not path
        or any(p in ("", ".", "..") or p.lower() == ".git" for p in parts)
        or any(c in path for c in "\\\0")
    )
    if bad:
        raise ValueError(f"not a file path inside the repository: {path!r}")
    return path


def inline_text(data: bytes) -> str | None:
    """The text to send inline in the tree, or None when the file needs a blob request."""
    if len(data) > INLINE_TEXT_LIMIT or b"\0" in data:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


class GitData:
    """The Git data requests for one repository (blocking: run off the event loop).
    `spend` is called before every write (the write budget)."""

    def __init__(self, repo: Repository, spend: Callable[[], None]) -> None:
        self._repo = repo
        self._spend = spend

    def commit_files(
        self, *, branch: str, parent_sha: str, files: Mapping[str, bytes], message: str
    ) -> FilesCommit:
        files, blobs = _checked(files)
        parent_tree = self._get(f"/git/commits/{parent_sha}")["tree"]["sha"]
        tree, commit = self._tree_and_commit(parent_sha, parent_tree, files, blobs, message)
        try:
            self._write("PATCH", _ref_path(branch), sha=commit["sha"], force=False)
        except GithubException as exc:
            if exc.status != 422:  # 422: not a fast-forward, or no such branch
                raise
            commit = self._adopted(branch, parent_sha, tree)
        return FilesCommit(commit["sha"], _html_url(commit), blobs)

    def create_branch_with_files(
        self,
        *,
        branch: str,
        parent_sha: str,
        parent_tree: str,
        files: Mapping[str, bytes],
        message: str,
    ) -> FilesCommit | None:
        files, blobs = _checked(files)
        tree, commit = self._tree_and_commit(parent_sha, parent_tree, files, blobs, message)
        try:
            self._write("POST", "/git/refs", ref=f"refs/heads/{branch}", sha=commit["sha"])
        except GithubException as exc:
            if exc.status != 422 or "already exists" not in _message(exc):
                raise
            found = self._existing_branch(branch, parent_sha, tree, commit)
            if found is None:
                return None
            commit = found
        return FilesCommit(commit["sha"], _html_url(commit), blobs)

    def _tree_and_commit(
        self,
        parent_sha: str,
        parent_tree: str,
        files: Mapping[str, bytes],
        blobs: Mapping[str, str],
        message: str,
    ) -> tuple[str, dict[str, Any]]:
        """The tree of `files` over `parent_tree` and a commit of it on `parent_sha`."""
        entries = [self._tree_entry(path, data, blobs[path]) for path, data in files.items()]
        tree = self._write("POST", "/git/trees", base_tree=parent_tree, tree=entries)["sha"]
        commit = self._write(
            "POST", "/git/commits", message=message, tree=tree, parents=[parent_sha]
        )
        return str(tree), commit

    def _existing_branch(
        self, branch: str, base_sha: str, tree_sha: str, made: dict[str, Any]
    ) -> dict[str, Any] | None:
        """The commit a new branch that already exists ends at: its head when that is this very
        change on `base_sha`; `made` when the branch was still at `base_sha` (moved on to it);
        None when the branch is someone else's."""
        head = self._head(branch)
        if head == made["sha"]:  # a retried creation whose first try was done
            return made
        if head == base_sha:
            try:
                self._write("PATCH", _ref_path(branch), sha=made["sha"], force=False)
            except GithubException as exc:
                if exc.status != 422:
                    raise
                return self._adopted(branch, base_sha, tree_sha)
            return made
        commit = self._get(f"/git/commits/{head}")
        return commit if _is_change(commit, base_sha, tree_sha) else None

    def _tree_entry(self, path: str, data: bytes, sha: str) -> dict[str, str]:
        entry = {"path": path, "mode": _FILE_MODE, "type": "blob"}
        text = inline_text(data)
        if text is not None:
            return {**entry, "content": text}
        content = base64.b64encode(data).decode("ascii")
        stored = self._write("POST", "/git/blobs", content=content, encoding="base64")
        if stored.get("sha") != sha:  # git's hash of the same bytes: cannot differ
            raise PublishError(f"GitHub stored {path} differently from what was sent.")
        return {**entry, "sha": sha}

    def _adopted(self, branch: str, parent_sha: str, tree_sha: str) -> dict[str, Any]:
        """The branch's head when it is this very change on `parent_sha` (an earlier attempt's
        commit whose ref update answer was lost); else the branch moved: refused."""
        commit = self._get(f"/git/commits/{self._head(branch)}")
        if _is_change(commit, parent_sha, tree_sha):
            return commit
        raise PublishError(
            f"The branch {branch} changed on GitHub while this version was being saved "
            "(someone else committed to it). Nothing was overwritten; please try again.",
            status=409,
        )

    def _head(self, branch: str) -> str:
        try:
            return str(self._get(f"/git/ref/heads/{quote(branch, safe='/')}")["object"]["sha"])
        except GithubException as exc:
            if exc.status == 404:
                raise PublishError(
                    f"The branch {branch} no longer exists on GitHub, so nothing was committed.",
                    status=422,
                ) from exc
            raise

    def _get(self, path: str) -> dict[str, Any]:
        _, data = self._repo.requester.requestJsonAndCheck("GET", self._repo.url + path)
        return dict(data)

    def _write(self, verb: str, path: str, **body: Any) -> dict[str, Any]:
        self._spend()
        _, data = self._repo.requester.requestJsonAndCheck(verb, self._repo.url + path, input=body)
        return dict(data)


def _checked(files: Mapping[str, bytes]) -> tuple[dict[str, bytes], dict[str, str]]:
    """The files in path order, each path checked, and the blob sha each will have."""
    if not files:
        raise ValueError("a commit needs at least one file")
    checked = {checked_path(path): bytes(data) for path, data in sorted(files.items())}
    return checked, {path: git_blob_sha(data) for path, data in checked.items()}


def _is_change(commit: Mapping[str, Any], parent_sha: str, tree_sha: str) -> bool:
    """Whether `commit` is exactly the change made of `tree_sha` on `parent_sha`."""
    parents = [p.get("sha") for p in commit.get("parents", [])]
    return bool(commit["tree"]["sha"] == tree_sha and parents == [parent_sha])


def _message(exc: GithubException) -> str:
    data = exc.data if isinstance(exc.data, dict) else {}
    return str(data.get("message") or "").lower()


def _html_url(commit: Mapping[str, Any]) -> str:
    return str(commit.get("html_url") or "")


def _ref_path(branch: str) -> str:
    # The documented plural form (a lazy PyGithub GitRef would PATCH /git/ref/...).
    return f"/git/refs/heads/{quote(branch, safe='/')}"
