"""What the review loop reads from GitHub (PyGithub's requester): the PullWatch port.

One conditional request per poll lists the repository's pull requests, most recently updated
first, with `If-None-Match` set to the ETag of the last answer: while nothing changed GitHub
answers 304, which does not count against the rate limit. Only a pull request whose
`updated_at` moved (a comment, a review, a push, a merge) is read in full: its reviews (no
`since` on that endpoint), review comments and comments (both from `since` on). The pull
request list and a single pull request are the operations whose description declares the 304;
the three lists of one pull request are read only when it changed, so they go unconditional.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import requests
from github import GithubException
from github.Requester import Requester
from urllib3.util.retry import Retry

from bot.adapters.github_repo import explain, github_client
from bot.core.errors import PublishError
from bot.core.ports import Feedback, FeedbackKind, PullListing, PullState, PullStatus

T = TypeVar("T")

# GitHub's largest page: one request lists the 100 most recently updated pull requests.
PAGE_SIZE = 100
# A pull request with more than this many pages of comments is read no further.
MAX_PAGES = 10


class GitHubReviews:
    def __init__(
        self,
        *,
        api_url: str,
        token: str,
        repo: str,
        spend_write: Callable[[], None] = lambda: None,
        retry: Retry | int | None = 2,
        timeout: int = 30,
    ) -> None:
        self.full_name = repo
        self._spend_write = spend_write
        self._github = github_client(
            api_url=api_url, token=token, timeout=timeout, retry=retry, lazy=True
        )
        self._repo_url = self._github.get_repo(repo).url
        self._login: str | None = None
        self._lock = threading.Lock()

    def close(self) -> None:
        self._github.close()

    @property
    def _requester(self) -> Requester:
        return self._github.requester

    # -- the port ----------------------------------------------------------------------------
    async def login(self) -> str:
        return await self._off_loop(self._read_login)

    async def pull_statuses(self, etag: str | None) -> PullListing:
        return await self._off_loop(lambda: self._pull_statuses(etag))

    async def feedback(self, number: int, since: str | None) -> list[Feedback]:
        return await self._off_loop(lambda: self._feedback(number, since))

    async def comment(self, number: int, body: str) -> str:
        return await self._off_loop(lambda: self._comment(number, body))

    # -- the requests (blocking) ---------------------------------------------------------------
    async def _off_loop(self, work: Callable[[], T]) -> T:
        return await asyncio.to_thread(self._translated, work)

    def _translated(self, work: Callable[[], T]) -> T:
        try:
            return work()
        except GithubException as exc:
            raise explain(exc, self.full_name) from exc
        except requests.exceptions.RequestException as exc:  # RetryError included
            raise PublishError(
                f"Could not reach GitHub ({type(exc).__name__}). Trying again later."
            ) from exc

    def _read_login(self) -> str:
        with self._lock:
            if self._login is None:
                _, data = self._requester.requestJsonAndCheck("GET", "/user")
                self._login = str(data["login"])
            return self._login

    def _pull_statuses(self, etag: str | None) -> PullListing:
        headers = {"If-None-Match": etag} if etag else {}
        params = {"state": "all", "sort": "updated", "direction": "desc", "per_page": PAGE_SIZE}
        status, response_headers, body = self._requester.requestJson(
            "GET", f"{self._repo_url}/pulls", parameters=params, headers=headers
        )
        new_etag = response_headers.get("etag") or etag
        if status == 304:
            return PullListing(new_etag, None)
        data = _checked(self._requester, status, response_headers, body)
        return PullListing(new_etag, [_pull_status(item) for item in data])

    def _feedback(self, number: int, since: str | None) -> list[Feedback]:
        since_param = {"since": since} if since else {}
        reviews = self._all(f"{self._repo_url}/pulls/{number}/reviews", {})
        inline = self._all(f"{self._repo_url}/pulls/{number}/comments", since_param)
        comments = self._all(f"{self._repo_url}/issues/{number}/comments", since_param)
        found = [_review(item) for item in reviews]
        found += [_review_comment(item) for item in inline]
        found += [_issue_comment(item) for item in comments]
        return found

    def _comment(self, number: int, body: str) -> str:
        self._spend_write()
        _, data = self._requester.requestJsonAndCheck(
            "POST", f"{self._repo_url}/issues/{number}/comments", input={"body": body}
        )
        return str(data.get("html_url") or "")

    def _all(self, url: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        """Every item of a list, following its `Link: rel="next"` pages (up to MAX_PAGES)."""
        items: list[dict[str, Any]] = []
        next_url: str | None = url
        parameters: dict[str, Any] | None = {**params, "per_page": PAGE_SIZE}
        for _ in range(MAX_PAGES):
            if next_url is None:
                break
            headers, data = self._requester.requestJsonAndCheck(
                "GET", next_url, parameters=parameters
            )
            items += [item for item in data or [] if isinstance(item, dict)]
            next_url = dict(_links(headers.get("link", ""))).get("next")
            parameters = None  # the next page's URL carries them
        return items


def _checked(requester: Requester, status: int, headers: dict[str, Any], body: str) -> Any:
    data = json.loads(body) if body else None
    if status >= 400:
        raise requester.createException(status, headers, data if isinstance(data, dict) else {})
    return data


def _links(header: str) -> Iterator[tuple[str, str]]:
    """(rel, url) pairs of a Link header."""
    for part in header.split(","):
        url, _, rest = part.partition(";")
        rel = rest.strip().removeprefix('rel="').removesuffix('"')
        if url.strip().startswith("<"):
            yield rel, url.strip()[1:-1]


def _pull_status(item: dict[str, Any]) -> PullStatus:
    state: PullState = "open" if item.get("state") == "open" else "closed"
    if item.get("merged_at"):
        state = "merged"
    return PullStatus(
        number=int(item["number"]),
        state=state,
        updated_at=str(item.get("updated_at") or ""),
        url=str(item.get("html_url") or ""),
    )


def _author(item: dict[str, Any]) -> tuple[str, bool]:
    user = item.get("user") or {}
    login = str(user.get("login") or "ghost")  # a deleted account is GitHub's "ghost"
    return login, user.get("type") == "Bot" or login.endswith("[bot]")


def _feedback(kind: FeedbackKind, item: dict[str, Any], **details: Any) -> Feedback:
    """What every review, inline comment and comment has: who, what, where on GitHub."""
    author, is_bot = _author(item)
    return Feedback(
        kind=kind,
        id=int(item["id"]),
        author=author,
        author_is_bot=is_bot,
        body=str(item.get("body") or ""),
        url=str(item.get("html_url") or ""),
        **details,
    )


def _review(item: dict[str, Any]) -> Feedback:
    return _feedback("review", item, review_state=str(item.get("state") or ""))


def _review_comment(item: dict[str, Any]) -> Feedback:
    line = item.get("line") or item.get("original_line")
    return _feedback(
        "review_comment",
        item,
        path=str(item.get("path") or "") or None,
        line=int(line) if isinstance(line, int) else None,
    )


def _issue_comment(item: dict[str, Any]) -> Feedback:
    return _feedback("comment", item)
