"""Publishing through real PyGithub against the loopback GitHub fake."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import frontmatter
import pytest

from bot.adapters.github_repo import GitHubRepository, github_retry
from bot.adapters.write_budget import WriteBudget
from bot.core.conversation import PostThread
from bot.core.drafts import Draft
from bot.core.errors import PublishError
from bot.core.progress import Progress, RevisionCommitted
from bot.core.publishing import PostLayout, Publisher
from tests.fakes.base import Response
from tests.fakes.github import FakeGitHub, server_error

NOW = datetime(2026, 11, 27, 9, 30, tzinfo=timezone(timedelta(hours=1)))


def make_repository(fake: FakeGitHub, **overrides: object) -> GitHubRepository:
    options: dict[str, object] = {
        "api_url": fake.api_url,
        "token": fake.token,
        "repo": fake.repo,
        "retry": github_retry(total=2, backoff_factor=0),
    }
    options.update(overrides)
    return GitHubRepository(**options)  # type: ignore[arg-type]


@pytest.fixture
def repository(github: FakeGitHub) -> Iterator[GitHubRepository]:
    repo = make_repository(github)
    yield repo
    repo.close()


@functools.cache  # one per repository, as in the bot: what it learned of the blog is kept
def publisher(repository: GitHubRepository) -> Publisher:
    return Publisher(
        repository=repository,
        layout=PostLayout("content/posts", "{date}-{slug}.md", "blogbot/"),
        clock=lambda: NOW,
        model_name="@cf/test/model",
    )


def make_draft(title: str = "Hello, world", body: str = "Hi there.\n") -> Draft:
    return Draft(title=title, description="A first post.", tags=("intro",), body=body)


def publish(repository: GitHubRepository, title: str = "Hello, world") -> tuple[str, PostThread]:
    """The publishing steps (branch, file, PR) against the fake, as the bot runs them."""
    thread = asyncio.run(publisher(repository).new_post(make_draft(title), "notes"))
    return thread.path, thread


def test_new_post_costs_four_requests_after_the_default_branch_is_known(
    github: FakeGitHub, repository: GitHubRepository
) -> None:
    publish(repository, "First")
    before = len(github.requests)
    path, _ = publish(repository, "Second")
    calls = [(r.method, r.path.split("/acme/blog", 1)[-1]) for r in github.requests[before:]]
    assert calls == [
        ("GET", "/git/ref/heads/main"),
        ("POST", "/git/refs"),
        ("PUT", f"/contents/{path}"),
        ("POST", "/pulls"),
    ]
    assert len(github.requests_to("GET", r"^/repos/acme/blog$")) == 1  # read once


def test_branch_file_and_pull_request(github: FakeGitHub, repository: GitHubRepository) -> None:
    path, pull = publish(repository)
    assert path == "content/posts/2026-11-27-hello-world.md"
    assert pull.branch == "blogbot/2026-11-27-hello-world"
    [summary] = github.pulls()
    assert summary["head"] == pull.branch
    assert summary["base"] == "main" and summary["title"] == "Hello, world"
    post = frontmatter.loads(github.file(pull.branch, path) or "")
    assert post["title"] == "Hello, world"
    assert pull.file_sha and pull.commit_url.endswith(github.commits(pull.branch)[0]["sha"])


def test_an_existing_file_is_never_overwritten(github: FakeGitHub) -> None:
    existing = "content/posts/2026-11-27-hello-world.md"
    with FakeGitHub(files={existing: "---\ntitle: Mine\n---\nHands off.\n"}) as fake:
        repo = make_repository(fake)
        path, pull = publish(repo)
        assert path == "content/posts/2026-11-27-hello-world-2.md"
        assert fake.file(pull.branch, existing) == "---\ntitle: Mine\n---\nHands off.\n"
        assert fake.file(pull.branch, path) is not None
        assert not fake.errors
        repo.close()


def test_an_existing_branch_is_not_reused(github: FakeGitHub, repository: GitHubRepository) -> None:
    github.commit("main", {"notes.txt": "x"})
    _, first = publish(repository)
    _, second = publish(repository)
    assert first.branch == "blogbot/2026-11-27-hello-world"
    assert second.branch == "blogbot/2026-11-27-hello-world-2"
    assert [p["number"] for p in github.pulls()] == [1, 2]


def test_hostile_title_lands_under_the_posts_folder(
    github: FakeGitHub, repository: GitHubRepository
) -> None:
    title = '../../.github/workflows/x: "pwn" #1 🚀'
    path, pull = publish(repository, title)
    assert path.startswith("content/posts/2026-11-27-") and "/.." not in path
    changed = set(github.files(pull.branch)) - set(github.files("main"))
    assert changed == {path}
    assert not any(p.startswith(".github") for p in github.files(pull.branch))
    assert frontmatter.loads(github.file(pull.branch, path) or "")["title"] == title


def test_a_transient_502_on_the_pull_request_is_retried(
    github: FakeGitHub, repository: GitHubRepository
) -> None:
    github.fail_next("POST", r"/pulls$", server_error(502))
    _, pull = publish(repository)
    assert [p["number"] for p in github.pulls()] == [pull.number]


@pytest.mark.parametrize(
    ("fake_options", "repo_options", "expected"),
    [
        ({}, {"token": "wrong"}, "GitHub rejected the token (401"),
        ({"push": False}, {}, "may not write to acme/blog (403)"),
        ({}, {"repo": "acme/nope"}, "cannot find acme/nope"),
    ],
)
def test_errors_are_explained_without_the_token(
    fake_options: dict[str, object], repo_options: dict[str, object], expected: str
) -> None:
    with FakeGitHub(**fake_options) as fake:  # type: ignore[arg-type]
        repo = make_repository(fake, **repo_options)
        with pytest.raises(PublishError) as caught:
            publish(repo)
        assert expected in caught.value.user_message
        assert fake.token not in caught.value.user_message
        assert fake.pulls() == []
        repo.close()


def test_server_errors_after_retries_are_explained(
    github: FakeGitHub, repository: GitHubRepository
) -> None:
    github.fail_next("GET", r"/git/ref/", Response.json(503, {"message": "down"}), times=5)
    with pytest.raises(PublishError, match="GitHub is having trouble"):
        publish(repository)
    assert github.write_requests() == []


class ManualClock:
    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_write_budget_lets_a_burst_through_and_paces_a_sustained_rate() -> None:
    clock = ManualClock()
    budget = WriteBudget(clock=clock, sleep=clock.sleep)
    for _ in range(80):  # ten writers at once is thirty writes: well inside one minute's 80
        budget.spend()
    assert clock.slept == []
    budget.spend()  # the 81st write within a minute waits for the first to leave the window
    assert clock.slept == [pytest.approx(60.0)]


def test_write_budget_keeps_under_the_hourly_limit() -> None:
    clock = ManualClock()
    budget = WriteBudget(limits=((80, 60.0), (500, 3600.0)), clock=clock, sleep=clock.sleep)
    for _ in range(500):
        budget.spend()
        clock.now += 1.0  # one write a second: never over 80 a minute
    waited = sum(clock.slept)
    budget.spend()
    assert sum(clock.slept) - waited == pytest.approx(3600.0 - 500.0)


# -- lost answers: GitHub did the work, the answer never arrived ------------------------------
POST_BRANCH = "blogbot/2026-11-27-hello-world"
POST_PATH = "content/posts/2026-11-27-hello-world.md"


def post_branches(github: FakeGitHub) -> list[str]:
    return sorted(b for b in github.branches() if b != "main")


def new_commits(github: FakeGitHub, branch: str) -> list[str]:
    on_main = {c["sha"] for c in github.commits("main")}
    return [c["sha"] for c in github.commits(branch) if c["sha"] not in on_main]


def assert_one_post(github: FakeGitHub, thread: PostThread) -> None:
    """One branch, one file, one commit, one pull request: nothing made twice."""
    assert post_branches(github) == [POST_BRANCH] == [thread.branch]
    assert thread.path == POST_PATH
    changed = set(github.files(POST_BRANCH)) - set(github.files("main"))
    assert changed == {POST_PATH}
    [commit] = new_commits(github, POST_BRANCH)
    assert thread.commit_url.endswith(commit)
    [pull] = github.pulls()
    assert (pull["number"], pull["head"]) == (thread.number, POST_BRANCH)


def test_a_lost_answer_to_creating_the_branch_adopts_the_branch(
    github: FakeGitHub, repository: GitHubRepository
) -> None:
    github.lose_next_answer("POST", r"/git/refs$")  # PyGithub's retry meets "already exists"
    _, thread = publish(repository)
    assert len(github.requests_to("POST", r"/git/refs$")) == 2
    assert_one_post(github, thread)


def test_a_lost_answer_to_creating_the_file_adopts_the_file(
    github: FakeGitHub, repository: GitHubRepository
) -> None:
    github.lose_next_answer("PUT", r"/contents/")  # the retry meets "sha wasn't supplied"
    _, thread = publish(repository)
    assert len(github.requests_to("PUT", r"/contents/")) == 2
    assert_one_post(github, thread)


def test_a_lost_answer_to_creating_the_pull_request_adopts_the_pull_request(
    github: FakeGitHub, repository: GitHubRepository
) -> None:
    github.lose_next_answer("POST", r"/pulls$")  # the retry meets "A pull request already exists"
    _, thread = publish(repository)
    assert len(github.requests_to("POST", r"/pulls$")) == 2
    assert_one_post(github, thread)


@pytest.mark.parametrize(
    ("method", "path"),
    [("POST", r"/git/refs$"), ("PUT", r"/contents/"), ("POST", r"/pulls$")],
)
def test_after_a_lost_answer_and_failed_retries_the_next_attempt_adopts_the_work(
    github: FakeGitHub, repository: GitHubRepository, method: str, path: str
) -> None:
    """The work was done, every retry failed: the job fails, and resuming from its last
    checkpoint finds what the lost request made."""
    saved: list[Progress] = []

    async def checkpoint(progress: Progress) -> None:
        saved.append(progress)

    steps = publisher(repository)
    github.lose_next_answer(method, path)
    github.fail_next(method, path, server_error(502), times=2)  # PyGithub's two retries
    with pytest.raises(PublishError, match="GitHub is having trouble"):
        asyncio.run(steps.new_post(make_draft(), "notes", None, checkpoint))
    resumed = saved[-1]
    assert not isinstance(resumed, RevisionCommitted)
    thread = asyncio.run(steps.new_post(make_draft(), "notes", resumed, checkpoint))
    assert_one_post(github, thread)


def revise(repository: GitHubRepository, thread: PostThread, title: str) -> PostThread:
    draft = make_draft(title, body="Hi there, shorter.\n")
    return asyncio.run(publisher(repository).revision(thread, draft, "shorter"))


def test_a_lost_answer_to_a_revision_commit_adopts_the_commit(
    github: FakeGitHub, repository: GitHubRepository
) -> None:
    _, thread = publish(repository)
    github.lose_next_answer("PUT", r"/contents/")  # the retry meets 409: the sha is stale
    revised = revise(repository, thread, "Hello, world")
    assert len(github.requests_to("PUT", r"/contents/")) == 3  # the post, the revision twice
    commits = new_commits(github, POST_BRANCH)
    assert len(commits) == 2
    assert revised.commit_url.endswith(commits[0])  # newest first
    assert "shorter" in (github.file(POST_BRANCH, POST_PATH) or "")
    assert revised.file_sha != thread.file_sha


def test_a_lost_answer_to_the_title_edit_is_retried(
    github: FakeGitHub, repository: GitHubRepository
) -> None:
    _, thread = publish(repository)
    github.lose_next_answer("PATCH", r"/pulls/\d+$")
    revise(repository, thread, "Hello again")
    assert len(github.requests_to("PATCH", r"/pulls/\d+$")) == 2
    [pull] = github.pulls()
    assert pull["title"] == "Hello again"
    assert len(new_commits(github, POST_BRANCH)) == 2


@pytest.mark.parametrize(
    ("method", "path"), [("PATCH", r"/pulls/\d+$"), ("DELETE", r"/git/refs/heads/")]
)
def test_a_lost_answer_while_discarding_is_harmless(
    github: FakeGitHub, repository: GitHubRepository, method: str, path: str
) -> None:
    _, thread = publish(repository)
    github.lose_next_answer(method, path)
    asyncio.run(repository.discard(number=thread.number, branch=thread.branch))
    assert len(github.requests_to(method, path)) == 2
    [pull] = github.pulls()
    assert pull["state"] == "closed"
    assert post_branches(github) == []


def test_discarding_again_after_a_lost_answer_is_harmless(
    github: FakeGitHub, repository: GitHubRepository
) -> None:
    """Every retry of the close failed after the work: the writer presses Discard again."""
    _, thread = publish(repository)
    github.lose_next_answer("PATCH", r"/pulls/\d+$")
    github.fail_next("PATCH", r"/pulls/\d+$", server_error(502), times=2)
    with pytest.raises(PublishError):
        asyncio.run(repository.discard(number=thread.number, branch=thread.branch))
    asyncio.run(repository.discard(number=thread.number, branch=thread.branch))
    [pull] = github.pulls()
    assert pull["state"] == "closed"
    assert post_branches(github) == []


def test_opening_the_pull_request_is_paced_by_the_write_budget(github: FakeGitHub) -> None:
    clock = ManualClock()
    budget = WriteBudget(limits=((2, 60.0),), clock=clock, sleep=clock.sleep)
    repo = make_repository(github, write_budget=budget)
    publish(repo)  # branch and file fit in the window; the pull request waits for a slot
    repo.close()
    assert clock.slept == [pytest.approx(60.0)]
    assert len(github.pulls()) == 1


def test_pull_info_commits_since_and_dressing_a_pull_request(
    github: FakeGitHub, repository: GitHubRepository, caplog: pytest.LogCaptureFixture
) -> None:
    _, thread = publish(repository)
    info = asyncio.run(repository.pull_info(thread.number))
    assert info.state == "open" and info.head_sha == thread.head_sha
    theirs = github.commit(thread.branch, {"README.md": "# Blog!\n"}, author="Maya Maintainer")
    found = asyncio.run(repository.commits_since(theirs, thread.head_sha, limit=10))
    assert [(c.sha, c.author) for c in found] == [(theirs, "Maya Maintainer")]
    assert asyncio.run(repository.pull_info(thread.number)).head_sha == theirs

    # The pull request's author cannot review it (GitHub: 422): logged, the labels still land.
    asyncio.run(repository.dress_pull(thread.number, labels=["blog"], reviewers=["blogbot"]))
    assert github.pull(thread.number)["labels"] == ["blog"]
    assert "could not add reviewers to pull request #1" in caplog.text

    asyncio.run(repository.update_pull(thread.number, title="New title", body="New body"))
    pull = github.pull(thread.number)
    assert (pull["title"], pull["body"]) == ("New title", "New body")
    github.merge_pull(thread.number)
    assert asyncio.run(repository.pull_state(thread.number)) == "merged"


def test_a_draft_where_the_plan_has_none_opens_a_ready_pull_request(
    github: FakeGitHub, repository: GitHubRepository
) -> None:
    github.drafts_allowed = False
    asyncio.run(repository.create_branch("blogbot/x", github.branches()["main"]))
    github.commit("blogbot/x", {"content/posts/x.md": "# X\n"})
    pull = asyncio.run(repository.create_pull(branch="blogbot/x", title="X", body="B", draft=True))
    assert github.pull(pull.number)["draft"] is False
    github.drafts_allowed = True
    asyncio.run(repository.create_branch("blogbot/y", github.branches()["main"]))
    github.commit("blogbot/y", {"content/posts/y.md": "# Y\n"})
    drafted = asyncio.run(
        repository.create_pull(branch="blogbot/y", title="Y", body="B", draft=True)
    )
    assert github.pull(drafted.number)["draft"] is True
