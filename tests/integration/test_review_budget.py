"""What watching pull requests costs (README, "Reviews on GitHub"): the real watcher and its
PyGithub adapter against the fake, 20 open pull requests, an hour of polls at the default
interval (60 polls), counted in requests and in the rate limit the fake charges (304s free)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.adapters.github_repo import github_retry
from bot.adapters.github_reviews import GitHubReviews
from bot.core.conversation import Conversation, ConversationStore, PostThread
from bot.core.jobs import JobStore
from bot.core.reviews import Notice, ReviewWatcher
from tests.fakes.github import FakeGitHub
from tests.integration.test_github_reviews import open_pull
from tests.unit.fakes import MemoryStateStore

OPEN_PULLS = 20
POLLS_PER_HOUR = 60  # REVIEW_POLL_SECONDS=60


class Inbox:
    def __init__(self) -> None:
        self.notices: list[Notice] = []

    async def deliver(self, notice: Notice) -> None:
        self.notices.append(notice)


def post(number: int) -> PostThread:
    return PostThread(
        number=number,
        url=f"https://github.example/pull/{number}",
        branch=f"p{number}",
        path=f"content/posts/p{number}.md",
        file_sha="f",
        commit_url="c",
        date="2026-01-01",
        title=f"Post {number}",
        description="d",
        tags=[],
        body="b",
        words=1,
    )


@pytest.fixture
def adapter(github: FakeGitHub) -> Iterator[GitHubReviews]:
    reviews = GitHubReviews(
        api_url=github.api_url,
        token=github.token,
        repo=github.repo,
        retry=github_retry(total=1, backoff_factor=0),
    )
    yield reviews
    reviews.close()


def spent(github: FakeGitHub, since: int, rate_before: int) -> tuple[int, int]:
    """(requests made, requests counted against the rate limit) since request `since`."""
    return len(github.requests) - since, github.rate_used - rate_before


async def test_an_hour_of_watching_twenty_open_pull_requests(
    github: FakeGitHub, adapter: GitHubReviews
) -> None:
    numbers = [open_pull(github, f"post-{i}") for i in range(OPEN_PULLS)]
    store = MemoryStateStore()
    conversations = ConversationStore(store, ttl_seconds=3600)
    inbox = Inbox()
    watcher = ReviewWatcher(
        github=adapter,
        store=store,
        conversations=conversations,
        jobs=JobStore(store),
        sink=inbox,
    )
    await watcher.poll()  # the first run
    for chat_id, half in ((7, numbers[:10]), (8, numbers[10:])):  # a chat remembers 10 posts
        conversation = Conversation(chat_id=chat_id)
        for number in half:
            conversation.remember(post(number))
        await conversations.save(conversation)
    await watcher.poll()  # each is read once (its first look) ...
    await watcher.poll()  # ... and once more

    # A quiet hour: one conditional list per poll, every one a 304.
    start, rate = len(github.requests), github.rate_used
    for _ in range(POLLS_PER_HOUR):
        await watcher.poll()
    assert spent(github, start, rate) == (POLLS_PER_HOUR, 0)

    # An hour with one comment on one of them: the list (200), then its three lists, twice.
    start, rate = len(github.requests), github.rate_used
    github.add_issue_comment(numbers[5], "One word.", user="maintainer")
    for _ in range(POLLS_PER_HOUR):
        await watcher.poll()
    assert spent(github, start, rate) == (POLLS_PER_HOUR + 6, 7)
    assert [n.feedback.body for n in inbox.notices if n.feedback] == ["One word."]
