"""A new post with images: its branch is born at the commit of the post and its images (one
write), every step resumes, a branch or path someone else has is never written to, and
progress saved by the version before (branch first, then the commit) still resumes."""

from __future__ import annotations

import asyncio
import io
from dataclasses import replace

import pytest
from PIL import Image

from bot.core.errors import PublishError
from bot.core.images import prepare_image
from bot.core.photos import Photos
from bot.core.progress import (
    BranchClaimed,
    FileClaimed,
    FileCommitted,
    PullOpened,
    progress_from_json,
    progress_to_json,
)
from tests.unit.fakes import Crash, FakeBlogRepository, FaultKind
from tests.unit.test_publishing import BRANCH, DATE, DRAFT, PATH, Saved, publisher

WRITES = ["create_branch_with_files", "create_pull"]


def photos(count: int = 2) -> Photos:
    images = []
    for n in range(count):
        out = io.BytesIO()
        Image.new("RGB", (40, 30), (60 * n, 200, 10)).save(out, "JPEG")
        images.append(prepare_image(out.getvalue(), max_side=100, max_bytes=10**6))
    return Photos(tuple(images), tuple(f"Photo {n}" for n in range(count)))


DRAFT_WITH_IMAGES = replace(DRAFT, body="Look:\n\n![A green square](image-1)\n")


def assert_one_commit(repo: FakeBlogRepository, branch: str, path: str, images: int) -> None:
    """One commit on the base: the post at `path` and its images, each once."""
    [commit] = repo.new_commits(branch)
    assert repo.commits[commit].parent == repo.branches["main"]
    assert list(repo.new_files(branch)) == [path]
    assert len(repo.binary_files(branch)) == images
    assert [p.branch for p in repo.open_pulls()] == [branch]


async def test_the_branch_is_created_at_the_commit_of_the_post_and_its_images() -> None:
    repo, saved = FakeBlogRepository(), Saved()
    thread = await publisher(repo).new_post(
        DRAFT_WITH_IMAGES, "notes", None, saved, photos=photos()
    )
    assert repo.writes == WRITES
    base = repo.branches["main"]
    assert saved.states[0] == BranchClaimed(DATE, BRANCH, base, repo.tree_of(base))
    assert [type(s) for s in saved.states] == [BranchClaimed, FileCommitted, PullOpened]
    assert (thread.branch, thread.path) == (BRANCH, PATH)
    assert_one_commit(repo, BRANCH, PATH, 2)
    assert thread.commit_url == repo.commit_url(repo.branches[BRANCH])


@pytest.mark.parametrize("fault", ["lose", "crash"])
async def test_a_lost_or_unread_branch_creation_is_adopted(fault: FaultKind) -> None:
    repo, saved = FakeBlogRepository(), Saved()
    repo.next_write("create_branch_with_files", fault)
    with pytest.raises((PublishError, Crash)):
        await publisher(repo).new_post(DRAFT_WITH_IMAGES, "notes", None, saved, photos=photos())
    assert isinstance(saved.last, BranchClaimed)
    repo.push("main", {"notes.txt": "merged meanwhile"})  # the claim keeps its base commit
    thread = await publisher(repo).new_post(
        DRAFT_WITH_IMAGES, "notes", saved.last, saved, photos=photos()
    )
    assert repo.writes == ["create_branch_with_files", *WRITES]
    assert repo.post_branches() == [BRANCH]
    [commit] = repo.new_commits(BRANCH)
    assert repo.commits[commit].parent == saved.states[0].base_sha  # type: ignore[union-attr]
    assert thread.commit_url == repo.commit_url(commit)


async def test_a_branch_of_that_name_that_is_someone_elses_gets_the_next_name() -> None:
    repo, saved = FakeBlogRepository(), Saved()
    theirs = repo.push(BRANCH, {"draft.md": "someone else's"})
    thread = await publisher(repo).new_post(
        DRAFT_WITH_IMAGES, "notes", None, saved, photos=photos()
    )
    assert repo.branches[BRANCH] == theirs  # untouched
    assert thread.branch == f"{BRANCH}-2"
    claims = [s.branch for s in saved.states if isinstance(s, BranchClaimed)]
    assert claims == [BRANCH, f"{BRANCH}-2"]  # the next name is checkpointed before its write
    assert_one_commit(repo, f"{BRANCH}-2", PATH, 2)


async def test_a_path_taken_on_the_base_gets_the_next_name_without_asking_github() -> None:
    repo = FakeBlogRepository()
    repo.push("main", {PATH: "---\ntitle: Mine\n---\nHands off.\n"})
    thread = await publisher(repo).new_post(DRAFT_WITH_IMAGES, "notes", photos=photos(1))
    second = PATH.replace(".md", "-2.md")
    assert thread.path == second
    assert repo.files(BRANCH)[PATH] == "---\ntitle: Mine\n---\nHands off.\n"
    assert repo.writes == WRITES
    assert_one_commit(repo, BRANCH, second, 1)


async def test_two_jobs_with_the_same_title_at_once_get_a_branch_each() -> None:
    repo = FakeBlogRepository()
    repo.slow["create_branch_with_files"] = 5
    steps = publisher(repo)
    first, second = await asyncio.gather(
        steps.new_post(DRAFT_WITH_IMAGES, "notes", photos=photos(1)),
        steps.new_post(DRAFT_WITH_IMAGES, "other", photos=photos(2)),
    )
    assert {first.branch, second.branch} == {BRANCH, f"{BRANCH}-2"}
    assert len(repo.new_commits(first.branch)) == len(repo.new_commits(second.branch)) == 1
    assert first.number != second.number


# -- progress saved by the version before this one -------------------------------------------
async def test_an_old_claim_without_the_base_tree_resumes_the_old_way() -> None:
    """Saved before the branch's creation: the branch is made at the base and moved on."""
    repo = FakeBlogRepository()
    claim = progress_from_json(
        {
            "step": "branch-claimed",
            "date": DATE,
            "branch": BRANCH,
            "base_sha": repo.branches["main"],
        }
    )
    assert claim == BranchClaimed(DATE, BRANCH, repo.branches["main"], None)
    thread = await publisher(repo).new_post(
        DRAFT_WITH_IMAGES,
        "notes",
        claim,
        photos=photos(),
    )
    assert repo.writes == ["create_branch", "commit_files", "create_pull"]
    assert thread.branch == BRANCH
    assert_one_commit(repo, BRANCH, PATH, 2)


async def test_an_old_file_claim_on_an_empty_branch_resumes() -> None:
    repo = FakeBlogRepository()
    base = repo.branches["main"]
    repo.branches[BRANCH] = base  # the old version created the branch at the base
    claim = progress_from_json(
        {"step": "file-claimed", "date": DATE, "branch": BRANCH, "path": PATH, "base_sha": base}
    )
    assert claim == FileClaimed(DATE, BRANCH, PATH, base)
    thread = await publisher(repo).new_post(
        DRAFT_WITH_IMAGES,
        "notes",
        claim,
        photos=photos(),
    )
    assert repo.writes == ["commit_files", "create_pull"]
    assert thread.path == PATH
    assert_one_commit(repo, BRANCH, PATH, 2)


async def test_a_new_claim_on_an_empty_branch_of_its_name_moves_it_on() -> None:
    """An old version's empty branch for this very claim (its name, at its base commit)."""
    repo = FakeBlogRepository()
    base = repo.branches["main"]
    repo.branches[BRANCH] = base
    claim = BranchClaimed(DATE, BRANCH, base, repo.tree_of(base))
    thread = await publisher(repo).new_post(DRAFT_WITH_IMAGES, "notes", claim, photos=photos())
    assert thread.branch == BRANCH
    assert_one_commit(repo, BRANCH, PATH, 2)


def test_a_claim_with_its_base_tree_round_trips() -> None:
    claim = BranchClaimed(DATE, BRANCH, "a" * 40, "b" * 40)
    saved = progress_to_json(claim)
    assert saved["base_tree"] == "b" * 40
    assert progress_from_json(saved) == claim
