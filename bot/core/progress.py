"""How far a job's publishing got: the typed resume state, checkpointed after every step.

A new post moves through

    BranchClaimed -> FileClaimed -> FileCommitted -> PullOpened

(a post with images goes from BranchClaimed straight to FileCommitted: its branch is created at
the commit of the post and its images)

and a revision has one state, RevisionCommitted. A *claim* is saved before the GitHub request
that creates the thing it names, so that after a lost answer or a crash the next attempt knows
which name it used and recognises its own branch or file instead of making another; the other
states are saved once GitHub has answered. Each state carries everything the steps after it
need, so resuming never meets a half-filled record.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from bot.core.ports import FileCommit, PullRef


@dataclass(frozen=True)
class BranchClaimed:
    """The branch about to be created (it may exist already: the answer may have been lost).

    A branch of this name pointing at `base_sha` is this job's own. `base_sha` is None only in
    records written by a version that did not record it: the recorded name alone is trusted.

    `base_tree` (the base commit's tree) is set for a post with images: its branch is created
    directly at the commit of the post and its images (one request less than a branch at the
    base moved on later), and a branch of this name whose head is exactly that change on
    `base_sha` is this job's own. None (a post without images, or a record written before):
    the branch is created at `base_sha` and the post committed onto it.
    """

    date: str  # the post's date (ISO, seconds), fixed by the first attempt
    branch: str
    base_sha: str | None
    base_tree: str | None = None


@dataclass(frozen=True)
class FileClaimed:
    """The branch is this job's own; the file is about to be committed at `path`. A file at
    `path` on the branch holding exactly the post is this job's own."""

    date: str
    branch: str
    path: str
    base_sha: str | None = None  # the branch's start: a post with images commits onto it


@dataclass(frozen=True)
class FileCommitted:
    """The post is committed on the branch; the pull request is next."""

    date: str
    branch: str
    path: str
    commit: FileCommit


@dataclass(frozen=True)
class PullOpened:
    """The new post is published: its pull request is open."""

    date: str
    branch: str
    path: str
    commit: FileCommit
    pull: PullRef


@dataclass(frozen=True)
class RevisionCommitted:
    """The revision is committed on the post's branch; the PR title may still follow."""

    commit: FileCommit


NewPostProgress = BranchClaimed | FileClaimed | FileCommitted | PullOpened
Progress = NewPostProgress | RevisionCommitted

_STEP_NAMES: dict[type[Any], str] = {
    BranchClaimed: "branch-claimed",
    FileClaimed: "file-claimed",
    FileCommitted: "file-committed",
    PullOpened: "pull-opened",
    RevisionCommitted: "revision-committed",
}


def progress_to_json(progress: Progress) -> dict[str, Any]:
    return {"step": _STEP_NAMES[type(progress)], **asdict(progress)}


def progress_from_json(data: dict[str, Any]) -> Progress:
    step = data["step"]
    if step == "revision-committed":
        return RevisionCommitted(FileCommit(**data["commit"]))
    date, branch = str(data["date"]), str(data["branch"])
    if step == "branch-claimed":
        return BranchClaimed(date, branch, data["base_sha"], data.get("base_tree"))
    if step == "file-claimed":
        return FileClaimed(date, branch, data["path"], data.get("base_sha"))
    commit = FileCommit(**data["commit"])
    if step == "file-committed":
        return FileCommitted(date, branch, data["path"], commit)
    if step == "pull-opened":
        return PullOpened(date, branch, data["path"], commit, PullRef(**data["pull"]))
    raise ValueError(f"unknown publishing step {step!r}")


def legacy_progress(old: dict[str, Any], kind: str | None) -> Progress | None:
    """The progress recorded by a version with flat fields (post_date, branch, path, file_sha,
    commit_sha, commit_url, number, url), so that its unfinished jobs resume where they were."""
    commit = None
    if old.get("file_sha"):
        commit = FileCommit(
            old["file_sha"], old.get("commit_sha") or "", old.get("commit_url") or ""
        )
    if kind == "revise":
        return RevisionCommitted(commit) if commit is not None else None
    date, branch, path = old.get("post_date"), old.get("branch"), old.get("path")
    if date is None or branch is None:
        return None  # nothing was written to GitHub yet
    if path is None:
        return BranchClaimed(date, branch, None)
    if commit is None:
        return FileClaimed(date, branch, path)
    if old.get("number") is not None and old.get("url"):
        return PullOpened(date, branch, path, commit, PullRef(old["number"], old["url"]))
    return FileCommitted(date, branch, path, commit)
