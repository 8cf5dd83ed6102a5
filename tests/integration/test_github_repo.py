"""Publishing through real PyGithub against the loopback GitHub fake."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import frontmatter
import pytest
from github import GithubRetry

from bot.adapters.github_repo import GitHubRepository, WriteBudget
from bot.core.conversation import PostThread
from bot.core.drafts import Draft
from bot.core.errors import PublishError
from bot.core.service import PostLayout, PostService
from tests.fakes.base import Response
from tests.fakes.github import FakeGitHub, server_error

NOW = datetime(2026, 11, 27, 9, 30, tzinfo=timezone(timedelta(hours=1)))


def make_repository(fake: FakeGitHub, **overrides: object) -> GitHubRepository:
    options: dict[str, object] = {
        "api_url": fake.api_url,
        "token": fake.token,
        "repo": fake.repo,
        "retry": GithubRetry(total=2, backoff_factor=0),
    }
    options.update(overrides)
    return GitHubRepository(**options)  # type: ignore[arg-type]


@pytest.fixture
def repository(github: FakeGitHub) -> Iterator[GitHubRepository]:
    repo = make_repository(github)
    yield repo
    repo.close()


class NamedModel:
    """Publishing names the model in the PR body; nothing here asks it anything."""

    model = "@cf/test/model"

    async def complete(self, messages: object) -> str:
        raise AssertionError("publishing must not call the model")


def publish(repository: GitHubRepository, title: str = "Hello, world") -> tuple[str, PostThread]:
    """The service's publishing steps (branch, file, PR) against the fake, as the bot runs them."""
    draft = Draft(title=title, description="A first post.", tags=("intro",), body="Hi there.\n")
    service = PostService(
        model=NamedModel(),
        repository=repository,
        layout=PostLayout("content/posts", "{date}-{slug}.md", "blogbot/"),
        clock=lambda: NOW,
    )
    thread = asyncio.run(service.publish(draft, "notes"))
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
