"""Several files in one commit through GitHub's Git data API: BlogRepository.commit_files
(a post and its images land together, so the pull request never shows a post without them).

For n files of which k cannot go inline (binary, or text over INLINE_TEXT_LIMIT) it costs
k + 4 requests, k + 3 of them writes:

    GET   /git/commits/{parent}        the parent's tree
    POST  /git/blobs                   once per binary file (base64)
    POST  /git/trees                   base_tree = the parent's tree; text files inline
    POST  /git/commits                 parents = [parent]
    PATCH /git/refs/heads/{branch}     sha = the new commit, force = false (a fast-forward)

A post with k images is k + 4 requests. Every write spends the write budget.

Lost answers: blobs and trees are named by their content, so a repeated POST makes the same
object (and PyGithub's retry of a lost blob, tree or ref update meets the same result). A
commit made whose ref update never happened is left dangling, and the next attempt makes an
identical one. A ref update that happened but whose answer was lost (every retry failed too)
makes the next attempt's update no longer a fast-forward (422): the branch's head is then
read, and adopted when its parent is `parent_sha` and its tree is exactly the tree this
attempt built (the same files on the same parent tree hash to the same tree). Anything else
on the branch is someone else's commit: nothing is forced, the call fails.
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
        if not files:
            raise ValueError("commit_files needs at least one file")
        files = {checked_path(path): bytes(data) for path, data in sorted(files.items())}
        blobs = {path: git_blob_sha(data) for path, data in files.items()}
        parent = self._get(f"/git/commits/{parent_sha}")
        entries = [self._tree_entry(path, data, blobs[path]) for path, data in files.items()]
        tree = self._write("POST", "/git/trees", base_tree=parent["tree"]["sha"], tree=entries)
        commit = self._write(
            "POST", "/git/commits", message=message, tree=tree["sha"], parents=[parent_sha]
        )
        try:
            self._write("PATCH", _ref_path(branch), sha=commit["sha"], force=False)
        except GithubException as exc:
            if exc.status != 422:  # 422: not a fast-forward, or no such branch
                raise
            commit = self._adopted(branch, parent_sha, tree["sha"])
        return FilesCommit(commit["sha"], str(commit.get("html_url") or ""), blobs)

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
        try:
            head = self._get(f"/git/ref/heads/{quote(branch, safe='/')}")["object"]["sha"]
        except GithubException as exc:
            if exc.status == 404:
                raise PublishError(
                    f"The branch {branch} no longer exists on GitHub, so nothing was committed.",
                    status=422,
                ) from exc
            raise
        commit = self._get(f"/git/commits/{head}")
        parents = [p.get("sha") for p in commit.get("parents", [])]
        if commit["tree"]["sha"] == tree_sha and parents == [parent_sha]:
            return commit
        raise PublishError(
            f"The branch {branch} changed on GitHub while this version was being saved "
            "(someone else committed to it). Nothing was overwritten; please try again.",
            status=409,
        )

    def _get(self, path: str) -> dict[str, Any]:
        _, data = self._repo.requester.requestJsonAndCheck("GET", self._repo.url + path)
        return dict(data)

    def _write(self, verb: str, path: str, **body: Any) -> dict[str, Any]:
        self._spend()
        _, data = self._repo.requester.requestJsonAndCheck(verb, self._repo.url + path, input=body)
        return dict(data)


def _ref_path(branch: str) -> str:
    # The documented plural form (a lazy PyGithub GitRef would PATCH /git/ref/...).
    return f"/git/refs/heads/{quote(branch, safe='/')}"
