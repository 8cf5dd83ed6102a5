"""The unit tier's FakeBlogRepository keeps commit_files' contract (bot/core/ports.py) as the
real adapter does (tests/integration/test_git_data.py): one commit per call, a lost answer's
commit adopted by the next attempt, a moved branch never overwritten."""

from __future__ import annotations

import pytest

from bot.core.errors import PublishError
from bot.core.ports import BlogRepository, FilesCommit
from tests.unit.fakes import Crash, FakeBlogRepository, FaultKind

BRANCH = "blogbot/hello"
FILES = {"content/posts/hello.md": "# Hello ✨\n".encode(), "static/images/a.jpg": b"\xff\xd8\xff"}


async def start(repo: FakeBlogRepository) -> str:
    _, base = await repo.base_head()
    assert await repo.create_branch(BRANCH, base)
    return base


async def commit(repo: BlogRepository, parent: str) -> FilesCommit:
    return await repo.commit_files(branch=BRANCH, parent_sha=parent, files=FILES, message="Add")


async def test_a_post_and_an_image_are_one_commit() -> None:
    repo = FakeBlogRepository()
    base = await start(repo)
    result = await commit(repo, base)
    assert repo.new_commits(BRANCH) == [result.sha]
    assert repo.new_files(BRANCH) == {"content/posts/hello.md": "# Hello ✨\n"}
    assert repo.binary_files(BRANCH) == {"static/images/a.jpg": b"\xff\xd8\xff"}
    assert set(result.blobs) == set(FILES)
    assert "static/images/a.jpg" in await repo.read_tree(result.sha)


@pytest.mark.parametrize("fault", ["lose", "crash"])
async def test_the_next_attempt_after_a_lost_answer_adopts_the_commit(fault: FaultKind) -> None:
    repo = FakeBlogRepository()
    base = await start(repo)
    repo.next_write("commit_files", fault)
    with pytest.raises((PublishError, Crash)):
        await commit(repo, base)
    result = await commit(repo, base)
    assert repo.new_commits(BRANCH) == [result.sha]


async def test_a_later_version_goes_on_top() -> None:
    repo = FakeBlogRepository()
    base = await start(repo)
    first = await commit(repo, base)
    second = await repo.commit_files(
        branch=BRANCH, parent_sha=first.sha, files={"static/images/a.jpg": b"\x89PNG"}, message="2"
    )
    assert repo.new_commits(BRANCH) == [second.sha, first.sha]
    assert repo.binary_files(BRANCH) == {"static/images/a.jpg": b"\x89PNG"}


async def test_a_moved_branch_is_refused() -> None:
    repo = FakeBlogRepository()
    base = await start(repo)
    theirs = repo.push(BRANCH, {"README.md": "# Theirs\n"})
    with pytest.raises(PublishError) as caught:
        await commit(repo, base)
    assert caught.value.status == 409
    assert repo.branches[BRANCH] == theirs
