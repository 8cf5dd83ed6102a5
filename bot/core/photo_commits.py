"""A post and its images as one commit (BlogRepository.commit_files) on a branch that exists,
recognising its own commit after a lost answer: the images are named after their content and the
post is compared with what the branch holds, so a retry never adds anything twice.

A new post's branch is now created at its commit (bot.core.publishing); `commit_new_post` is
what resumes a job saved by the version before, whose branch was first created at the base."""

from __future__ import annotations

import re

from bot.core.errors import PublishError
from bot.core.photos import PlacedPost
from bot.core.ports import BlogRepository, FileCommit

_SHA = re.compile(r"[0-9a-f]{40}$")


async def commit_new_post(
    repository: BlogRepository,
    *,
    branch: str,
    base_sha: str | None,
    placed: PlacedPost,
    message: str,
) -> FileCommit | None:
    """The post and its images as the branch's one new commit on `base_sha`; None when another
    file is at the post's path (never overwritten: the caller claims the next path). A commit
    of exactly these files on `base_sha` (an attempt whose answer was lost) is adopted."""
    found = await repository.file_at(branch, placed.post.path)
    if found is not None and found[0] != placed.post.content:
        return None
    parent = base_sha or await repository.branch_head(branch)
    if parent is None:
        return None
    done = await repository.commit_files(
        branch=branch, parent_sha=parent, files=placed.files, message=message
    )
    return FileCommit(done.blobs[placed.post.path], done.sha, done.url)


async def commit_revision(
    repository: BlogRepository,
    *,
    branch: str,
    placed: PlacedPost,
    commit_url: str,
    message: str,
) -> FileCommit:
    """The revised post and its new images as one commit on the branch's head. When the branch
    already holds exactly this post (an earlier attempt made the commit), that commit."""
    head = await repository.branch_head(branch)
    if head is None:
        raise PublishError(f"The branch {branch} is gone.")
    found = await repository.file_at(branch, placed.post.path)
    if found is not None and found[0] == placed.post.content:
        return FileCommit(found[1], head, _SHA.sub(head, commit_url))
    done = await repository.commit_files(
        branch=branch, parent_sha=head, files=placed.files, message=message
    )
    return FileCommit(done.blobs[placed.post.path], done.sha, done.url)
