"""A post and its images in one commit (BlogRepository.commit_files): the real adapter, through
PyGithub, against the loopback GitHub fake and its git model."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Iterator

import pytest
from PIL import Image

from bot.adapters.github_git import INLINE_TEXT_LIMIT, git_blob_sha
from bot.adapters.github_repo import GitHubRepository, github_retry
from bot.adapters.write_budget import WriteBudget
from bot.core.errors import PublishError
from bot.core.images import prepare_image
from bot.core.ports import FilesCommit
from tests.fakes.base import Response
from tests.fakes.github import FakeGitHub, server_error

BRANCH = "blogbot/2026-11-27-hello-world"
POST = "content/posts/2026-11-27-hello-world.md"
POST_TEXT = '---\ntitle: "Hello, world"\n---\n\n![A red square](/images/a.jpg)\n\nHi there. ✨\n'


class CountingBudget(WriteBudget):
    def __init__(self) -> None:
        super().__init__()
        self.spent = 0

    def spend(self) -> None:
        self.spent += 1
        super().spend()


def make_repository(fake: FakeGitHub, **overrides: object) -> GitHubRepository:
    options: dict[str, object] = {
        "api_url": fake.api_url,
        "token": fake.token,
        "repo": fake.repo,
        "retry": github_retry(total=2, backoff_factor=0),
        "write_budget": CountingBudget(),
    }
    options.update(overrides)
    return GitHubRepository(**options)  # type: ignore[arg-type]


@pytest.fixture
def repository(github: FakeGitHub) -> Iterator[GitHubRepository]:
    repo = make_repository(github)
    yield repo
    repo.close()


def image_bytes(color: tuple[int, ...], mode: str = "RGB", fmt: str = "JPEG") -> bytes:
    out = io.BytesIO()
    Image.new(mode, (64, 48), color).save(out, fmt)
    prepared = prepare_image(out.getvalue(), max_side=2000, max_bytes=20_000_000)
    return prepared.content


IMAGES = {
    "static/images/a.jpg": image_bytes((200, 30, 30)),
    "static/images/b.png": image_bytes((30, 200, 30, 128), "RGBA", "PNG"),
    "static/images/c.jpg": image_bytes((30, 30, 200)),
}


def post_files(images: int = 3) -> dict[str, bytes]:
    chosen = dict(list(IMAGES.items())[:images])
    return {POST: POST_TEXT.encode(), **chosen}


def start_branch(github: FakeGitHub) -> str:
    """The post's branch at the base head, as publishing's first step makes it; returns
    the base head (the new commit's parent)."""
    base = github.branches()["main"]
    repo = make_repository(github)
    assert asyncio.run(repo.create_branch(BRANCH, base))
    repo.close()
    github.requests.clear()
    return base


def commit(
    repository: GitHubRepository, parent: str, files: dict[str, bytes], message: str = "Add post"
) -> FilesCommit:
    return asyncio.run(
        repository.commit_files(branch=BRANCH, parent_sha=parent, files=files, message=message)
    )


def new_commits(github: FakeGitHub) -> list[dict[str, object]]:
    on_main = {c["sha"] for c in github.commits("main")}
    return [c for c in github.commits(BRANCH) if c["sha"] not in on_main]


def assert_one_commit(
    github: FakeGitHub, repository: GitHubRepository, result: FilesCommit, files: dict[str, bytes]
) -> None:
    """Exactly one new commit on the branch, the branch's head, holding exactly `files` on
    top of the base; each path once in its tree."""
    [made] = new_commits(github)
    assert made["sha"] == result.sha == github.branches()[BRANCH]
    assert sorted(made["files"]) == sorted(files)  # type: ignore[call-overload]
    on_branch = github.raw_files(BRANCH)
    assert {p: on_branch[p] for p in files} == files
    assert set(on_branch) - set(files) == set(github.raw_files("main"))
    assert result.blobs == {p: git_blob_sha(data) for p, data in files.items()}
    assert result.url == f"{github.html_root}/commit/{result.sha}"
    listed = asyncio.run(repository.read_tree(result.sha))  # GitHub's own recursive listing
    assert len(listed) == len(set(listed)) and set(files) <= set(listed)


def calls(github: FakeGitHub) -> list[tuple[str, str]]:
    return [(r.method, r.path.split("/acme/blog", 1)[-1]) for r in github.requests]


# -- one commit -------------------------------------------------------------------------------
def test_a_post_and_three_images_land_as_one_commit(
    github: FakeGitHub, repository: GitHubRepository
) -> None:
    base = start_branch(github)
    files = post_files()
    result = commit(repository, base, files, "Add post: Hello, world")
    assert_one_commit(github, repository, result, files)
    assert new_commits(github)[0]["message"] == "Add post: Hello, world"
    assert github.file(BRANCH, POST) == POST_TEXT  # the text exactly, non-ASCII included


@pytest.mark.parametrize("images", [0, 1, 3])
def test_a_post_with_k_images_costs_k_plus_4_requests(
    github: FakeGitHub, repository: GitHubRepository, images: int
) -> None:
    base = start_branch(github)
    commit(repository, base, post_files(images))
    assert calls(github) == [
        ("GET", f"/git/commits/{base}"),  # the parent's tree
        *[("POST", "/git/blobs")] * images,  # the post goes inline in the tree
        ("POST", "/git/trees"),
        ("POST", "/git/commits"),
        ("PATCH", f"/git/refs/heads/{BRANCH}"),
    ]
    budget = repository._writes
    assert isinstance(budget, CountingBudget)
    assert budget.spent == images + 3 == len(github.write_requests())


def test_large_or_binary_text_goes_as_a_blob(
    github: FakeGitHub, repository: GitHubRepository
) -> None:
    base = start_branch(github)
    files = {
        "notes/big.md": b"x" * (INLINE_TEXT_LIMIT + 1),
        "notes/latin1.txt": "café".encode("latin-1"),
        "notes/small.md": b"small\n",
    }
    result = commit(repository, base, files)
    assert_one_commit(github, repository, result, files)
    assert len(github.requests_to("POST", r"/git/blobs$")) == 2


def test_a_later_version_is_a_second_commit_on_the_first(
    github: FakeGitHub, repository: GitHubRepository
) -> None:
    base = start_branch(github)
    first = commit(repository, base, post_files(1))
    revised = {POST: b"---\ntitle: Hello again\n---\n\nShorter.\n", **dict([*IMAGES.items()][1:])}
    second = commit(repository, first.sha, revised, "Revise post")
    newest, oldest = new_commits(github)
    assert (newest["sha"], oldest["sha"]) == (second.sha, first.sha)
    assert newest["parents"] == [first.sha]
    assert github.raw_files(BRANCH)[POST] == revised[POST]
    assert set(IMAGES) <= set(github.raw_files(BRANCH))


def test_the_same_call_again_after_success_adopts_the_commit(
    github: FakeGitHub, repository: GitHubRepository
) -> None:
    base = start_branch(github)
    first = commit(repository, base, post_files())
    again = commit(repository, base, post_files())
    assert again == first
    assert_one_commit(github, repository, again, post_files())


# -- lost answers -----------------------------------------------------------------------------
WRITES = [
    ("POST", r"/git/blobs$"),
    ("POST", r"/git/trees$"),
    ("POST", r"/git/commits$"),
    ("PATCH", r"/git/refs/heads/"),
]


@pytest.mark.parametrize(("method", "path"), WRITES)
def test_a_lost_answer_to_any_write_still_makes_one_commit(
    github: FakeGitHub, repository: GitHubRepository, method: str, path: str
) -> None:
    base = start_branch(github)
    github.lose_next_answer(method, path)  # GitHub did it; PyGithub's retry does it again
    result = commit(repository, base, post_files())
    assert len(github.requests_to(method, path)) == (4 if path == r"/git/blobs$" else 2)
    assert_one_commit(github, repository, result, post_files())


@pytest.mark.parametrize(("method", "path"), WRITES)
def test_after_a_lost_answer_and_failed_retries_the_next_attempt_adopts_or_redoes(
    github: FakeGitHub, repository: GitHubRepository, method: str, path: str
) -> None:
    """The write was done, every retry failed: the call fails; the job's next attempt (same
    parent, same files) ends with one commit on the branch, whatever had been done."""
    base = start_branch(github)
    github.lose_next_answer(method, path)
    github.fail_next(method, path, server_error(502), times=2)  # PyGithub's two retries
    with pytest.raises(PublishError, match="GitHub is having trouble"):
        commit(repository, base, post_files())
    result = commit(repository, base, post_files())
    assert_one_commit(github, repository, result, post_files())


def test_a_lost_ref_update_is_recognised_by_its_tree_and_parent(
    github: FakeGitHub, repository: GitHubRepository
) -> None:
    base = start_branch(github)
    github.lose_next_answer("PATCH", r"/git/refs/heads/")
    github.fail_next("PATCH", r"/git/refs/heads/", server_error(502), times=2)
    with pytest.raises(PublishError):
        commit(repository, base, post_files())
    made = github.branches()[BRANCH]  # the branch did move
    github.requests.clear()
    result = commit(repository, base, post_files())
    assert result.sha == made
    assert [c for c in calls(github) if c[0] != "POST"][-3:] == [
        ("PATCH", f"/git/refs/heads/{BRANCH}"),  # 422: not a fast-forward from the new commit
        ("GET", f"/git/ref/heads/{BRANCH}"),
        ("GET", f"/git/commits/{made}"),
    ]


# -- refusals ---------------------------------------------------------------------------------
def test_a_branch_someone_else_moved_is_not_overwritten(
    github: FakeGitHub, repository: GitHubRepository
) -> None:
    base = start_branch(github)
    theirs = github.commit(BRANCH, {"README.md": "# Theirs\n"})
    with pytest.raises(PublishError) as caught:
        commit(repository, base, post_files())
    assert caught.value.status == 409
    assert "changed on GitHub" in caught.value.user_message
    assert github.branches()[BRANCH] == theirs


def test_a_similar_commit_on_another_parent_is_not_adopted(
    github: FakeGitHub, repository: GitHubRepository
) -> None:
    base = start_branch(github)
    middle = github.commit(BRANCH, {"other.md": "x\n"})
    github.commit(BRANCH, {})  # someone else's empty commit on top
    with pytest.raises(PublishError, match="changed on GitHub"):
        commit(repository, base, post_files())
    with pytest.raises(PublishError, match="changed on GitHub"):
        commit(repository, middle, post_files())


def test_a_deleted_branch_is_reported(github: FakeGitHub, repository: GitHubRepository) -> None:
    base = start_branch(github)
    github.delete_branch(BRANCH)
    with pytest.raises(PublishError, match="no longer exists"):
        commit(repository, base, post_files())


@pytest.mark.parametrize(
    ("fake_options", "repo_options", "expected"),
    [
        ({}, {"token": "wrong"}, "GitHub rejected the token (401"),
        ({"push": False}, {}, "may not write to acme/blog (403)"),
        ({}, {"repo": "acme/nope"}, "cannot find acme/nope"),
    ],
)
def test_github_errors_are_explained(
    fake_options: dict[str, object], repo_options: dict[str, object], expected: str
) -> None:
    with FakeGitHub(**fake_options) as fake:  # type: ignore[arg-type]
        base = fake.branches()["main"]  # refused before the branch matters: no branch needed
        repo = make_repository(fake, **repo_options)
        with pytest.raises(PublishError) as caught:
            asyncio.run(
                repo.commit_files(
                    branch=BRANCH, parent_sha=base, files=post_files(), message="Add post"
                )
            )
        assert expected in caught.value.user_message
        assert fake.token not in caught.value.user_message
        assert not fake.errors
        repo.close()


def test_server_errors_after_retries_are_explained(
    github: FakeGitHub, repository: GitHubRepository
) -> None:
    base = start_branch(github)
    github.fail_next("POST", r"/git/trees$", Response.json(503, {"message": "down"}), times=3)
    with pytest.raises(PublishError, match="GitHub is having trouble"):
        commit(repository, base, post_files())
    assert new_commits(github) == []


@pytest.mark.parametrize(
    "path", ["", "/etc/passwd", "a//b.md", "../x.md", "content/./x.md", ".git/config", "a\\b"]
)
def test_paths_outside_the_repository_are_refused_before_any_request(
    github: FakeGitHub, repository: GitHubRepository, path: str
) -> None:
    base = start_branch(github)
    with pytest.raises(ValueError, match="not a file path"):
        commit(repository, base, {path: b"x"})
    with pytest.raises(ValueError, match="at least one file"):
        commit(repository, base, {})
    assert github.requests == []


# -- a new branch born at its commit ------------------------------------------------------------
def create_with_files(
    repository: GitHubRepository, files: dict[str, bytes], branch: str = BRANCH
) -> FilesCommit | None:
    base = asyncio.run(repository.base_commit())
    return asyncio.run(
        repository.create_branch_with_files(
            branch=branch,
            parent_sha=base.sha,
            parent_tree=base.tree_sha,
            files=files,
            message="Add post",
        )
    )


def test_the_base_commit_comes_with_its_tree_in_one_request(
    github: FakeGitHub, repository: GitHubRepository
) -> None:
    repository.verify_access()  # the default branch, as at start-up
    github.requests.clear()
    base = asyncio.run(repository.base_commit())
    assert (base.branch, base.sha) == ("main", github.branches()["main"])
    listed = asyncio.run(repository.read_tree(base.tree_sha))
    assert listed == sorted(github.files("main"))
    assert calls(github)[:1] == [("GET", "/branches/main")]
    assert not github.errors


@pytest.mark.parametrize("images", [0, 1, 3])
def test_a_new_branch_with_k_images_costs_k_plus_3_writes_after_the_base_read(
    github: FakeGitHub, repository: GitHubRepository, images: int
) -> None:
    repository.verify_access()
    github.requests.clear()
    files = post_files(images)
    result = create_with_files(repository, files)
    assert result is not None
    assert calls(github) == [
        ("GET", "/branches/main"),  # the base head and its tree
        *[("POST", "/git/blobs")] * images,  # the post goes inline in the tree
        ("POST", "/git/trees"),
        ("POST", "/git/commits"),
        ("POST", "/git/refs"),  # the branch, created at the new commit
    ]
    assert_one_commit(github, repository, result, files)
    budget = repository._writes
    assert isinstance(budget, CountingBudget)
    assert budget.spent == images + 3 == len(github.write_requests())
    assert not github.errors


def test_a_lost_ref_creation_is_adopted_by_the_retry_and_by_the_next_attempt(
    github: FakeGitHub, repository: GitHubRepository
) -> None:
    github.lose_next_answer("POST", r"/git/refs$")  # PyGithub's retry: "already exists"
    first = create_with_files(repository, post_files())
    assert first is not None
    assert_one_commit(github, repository, first, post_files())
    github.requests.clear()
    again = create_with_files(repository, post_files())  # a resumed job: the same change
    assert again == first
    assert calls(github)[-3:] == [
        ("POST", "/git/refs"),  # 422 "Reference already exists"
        ("GET", f"/git/ref/heads/{BRANCH}"),
        ("GET", f"/git/commits/{first.sha}"),  # this change on this base: adopted
    ]
    assert_one_commit(github, repository, first, post_files())


def test_a_lost_ref_creation_after_failed_retries_is_adopted_next_time(
    github: FakeGitHub, repository: GitHubRepository
) -> None:
    github.lose_next_answer("POST", r"/git/refs$")
    github.fail_next("POST", r"/git/refs$", server_error(502), times=2)
    with pytest.raises(PublishError, match="GitHub is having trouble"):
        create_with_files(repository, post_files())
    made = github.branches()[BRANCH]
    result = create_with_files(repository, post_files())
    assert result is not None and result.sha == made
    assert_one_commit(github, repository, result, post_files())


def test_a_branch_of_that_name_with_other_work_is_someone_elses(
    github: FakeGitHub, repository: GitHubRepository
) -> None:
    start_branch(github)
    theirs = github.commit(BRANCH, {"README.md": "# Theirs\n"})
    assert create_with_files(repository, post_files()) is None
    assert github.branches()[BRANCH] == theirs
    similar = create_with_files(repository, post_files(), branch=BRANCH + "-2")
    assert similar is not None  # the next name is free


def test_the_same_files_on_another_base_are_someone_elses(
    github: FakeGitHub, repository: GitHubRepository
) -> None:
    old_base = github.branches()["main"]
    made = create_with_files(repository, post_files())
    assert made is not None
    github.commit("main", {"notes.txt": "merged meanwhile\n"})
    assert create_with_files(repository, post_files()) is None  # its parent is not this base
    assert github.branches()[BRANCH] == made.sha
    assert github.commits(BRANCH)[1]["sha"] == old_base


def test_a_branch_still_at_the_base_is_moved_on_to_the_commit(
    github: FakeGitHub, repository: GitHubRepository
) -> None:
    """An earlier version created the branch empty at the base for this post."""
    start_branch(github)
    result = create_with_files(repository, post_files())
    assert result is not None
    assert_one_commit(github, repository, result, post_files())
    assert ("PATCH", f"/git/refs/heads/{BRANCH}") in calls(github)
