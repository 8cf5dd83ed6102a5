"""The review loop's GitHub adapter through real PyGithub against the loopback fake: ETags and
304s, reviews, inline comments and comments, `since`, and the bot's reply."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from github import Auth, Github

from bot.adapters.github_repo import github_retry
from bot.adapters.github_reviews import GitHubReviews
from bot.core.errors import PublishError
from tests.fakes.github import FakeGitHub


@pytest.fixture
def reviews(github: FakeGitHub) -> Iterator[GitHubReviews]:
    adapter = GitHubReviews(
        api_url=github.api_url,
        token=github.token,
        repo=github.repo,
        retry=github_retry(total=1, backoff_factor=0),
    )
    yield adapter
    adapter.close()


def open_pull(github: FakeGitHub, name: str = "post") -> int:
    client = Github(
        auth=Auth.Token(github.token),
        base_url=github.api_url,
        retry=None,
        seconds_between_requests=None,
        seconds_between_writes=None,
    )
    repo = client.get_repo(github.repo)
    repo.create_git_ref(f"refs/heads/{name}", repo.get_branch("main").commit.sha)
    repo.create_file(f"content/posts/{name}.md", "Add", "Hello\n", branch=name)
    number = repo.create_pull(base="main", head=name, title=name, body="").number
    client.close()
    return number


async def test_an_unchanged_list_is_a_304_that_costs_no_rate_limit(
    github: FakeGitHub, reviews: GitHubReviews
) -> None:
    number = open_pull(github)
    first = await reviews.pull_statuses(None)
    assert first.etag and first.pulls is not None
    [status] = first.pulls
    assert (status.number, status.state) == (number, "open")
    assert status.url.endswith(f"/pull/{number}")

    used = github.rate_used
    again = await reviews.pull_statuses(first.etag)
    assert again.pulls is None and again.etag == first.etag
    assert github.rate_used == used  # a 304 is free
    [(request, answered)] = github.conditional_requests(r"/pulls$")
    assert request.headers["if-none-match"] == first.etag and answered == 304

    github.add_issue_comment(number, "A word.")
    changed = await reviews.pull_statuses(first.etag)
    assert changed.pulls is not None and changed.etag != first.etag
    assert changed.pulls[0].updated_at > status.updated_at

    github.merge_pull(number)
    merged = await reviews.pull_statuses(changed.etag)
    assert merged.pulls is not None and merged.pulls[0].state == "merged"


async def test_feedback_reads_reviews_inline_comments_and_comments(
    github: FakeGitHub, reviews: GitHubReviews
) -> None:
    number = open_pull(github)
    github.add_review(number, "Shorter, please.", user="ann")
    github.add_review_comment(number, "Typo.", path="content/posts/post.md", line=1, user="bob")
    github.add_issue_comment(number, "Nice.", user="cy")
    found = await reviews.feedback(number, None)
    assert [(f.kind, f.author, f.body) for f in found] == [
        ("review", "ann", "Shorter, please."),
        ("review_comment", "bob", "Typo."),
        ("comment", "cy", "Nice."),
    ]
    assert found[0].review_state == "CHANGES_REQUESTED" and "pullrequestreview-" in found[0].url
    assert (found[1].path, found[1].line) == ("content/posts/post.md", 1)
    assert not any(f.author_is_bot for f in found)

    listed = await reviews.pull_statuses(None)
    assert listed.pulls is not None
    since = listed.pulls[0].updated_at
    github.add_issue_comment(number, "Later.", user="cy")
    later = await reviews.feedback(number, since)
    # Reviews have no `since` (the caller dedupes); comments before it are left out, and the
    # one of that very second (the PR's updated_at) comes again: `since` is inclusive.
    assert [f.body for f in later if f.kind == "comment"] == ["Nice.", "Later."]
    assert [f.kind for f in later].count("review") == 1
    assert not [f for f in later if f.kind == "review_comment"]


async def test_the_bot_replies_as_itself(github: FakeGitHub, reviews: GitHubReviews) -> None:
    number = open_pull(github)
    assert await reviews.login() == github.user_login
    url = await reviews.comment(number, "Applied in abc.")
    assert url.endswith(f"/pull/{number}#issuecomment-{url.rsplit('-', 1)[1]}")
    [mine] = await reviews.feedback(number, None)
    assert (mine.author, mine.body) == (github.user_login, "Applied in abc.")


async def test_failures_are_sentences(github: FakeGitHub) -> None:
    adapter = GitHubReviews(api_url=github.api_url, token="ghp_wrong", repo=github.repo, retry=0)
    try:
        with pytest.raises(PublishError, match="401"):
            await adapter.pull_statuses(None)
    finally:
        adapter.close()
