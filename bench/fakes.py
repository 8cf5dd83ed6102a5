"""The test fakes, timed: per-endpoint injected latency and a span for every request.

The fakes' own `latency` delays every request alike, getUpdates included, and records no timing.
These subclasses leave it at 0 and instead sleep in `handle()` for a latency chosen per endpoint
(none for getUpdates: a long poll that is waiting answers as soon as an update is queued), and
record a `Span` per request: when its headers were parsed, when it was fully received, how long
the fake slept on purpose, when the answer was ready and when it was written. All times are
`time.monotonic()` of this process, the same clock the driver reads when it sends an update.
"""

from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import dataclass
from typing import Any

from tests.fakes.base import RecordedRequest, Response
from tests.fakes.github import FakeGitHub, _find_route
from tests.fakes.telegram import FakeTelegram
from tests.fakes.workers_ai import _FILLER, FakeWorkersAI, last_user_text, prompt_text

# Telegram methods that get no injected latency: the long poll is waiting when an update comes.
NO_LATENCY_TELEGRAM = frozenset({"getUpdates"})

_TELEGRAM_PATH = re.compile(r"^/bot[^/]*/([^/]+)/?$")

GITHUB_LABELS = {
    "get_user": "GET /user",
    "get_rate_limit": "GET /rate_limit",
    "get_repo": "GET /repos/{repo}",
    "get_branch": "GET /branches/{branch}",
    "get_ref": "GET /git/ref/{ref}",
    "create_ref": "POST /git/refs",
    "update_ref": "PATCH /git/refs/{ref}",
    "delete_ref": "DELETE /git/refs/{ref}",
    "get_contents": "GET /contents/{path}",
    "put_contents": "PUT /contents/{path}",
    "delete_contents": "DELETE /contents/{path}",
    "create_blob": "POST /git/blobs",
    "create_tree": "POST /git/trees",
    "get_tree": "GET /git/trees/{sha}",
    "create_commit": "POST /git/commits",
    "get_commit": "GET /git/commits/{sha}",
    "list_pulls": "GET /pulls",
    "create_pull": "POST /pulls",
    "get_pull": "GET /pulls/{number}",
    "update_pull": "PATCH /pulls/{number}",
    "add_labels": "POST /issues/{number}/labels",
    "list_issue_comments": "GET /issues/{number}/comments",
    "create_issue_comment": "POST /issues/{number}/comments",
    "list_review_comments": "GET /pulls/{number}/comments",
    "request_reviewers": "POST /pulls/{number}/requested_reviewers",
}


@dataclass
class Span:
    service: str  # "telegram", "github" or "workers_ai"
    endpoint: str  # Telegram method name, GitHub "METHOD /route", "POST /ai/run/{model}"
    start: float  # the request was fully received
    injected: float  # seconds the fake slept on purpose (from `start`)
    end: float  # the answer was ready to be written
    status: int
    chat_id: int | None = None  # Telegram only
    text: str = ""  # Telegram: the text the bot sent, if any
    final: bool = False  # Telegram: the answer carries a pull request link
    # The fake's whole share: from the request's headers being parsed (body not yet read) to
    # the answer being written to the socket.
    received: float = 0.0
    written: float = 0.0


class _Timing:
    """Mixin for a FakeServer subclass: latency per endpoint, and spans."""

    service = ""

    def _init_timing(self) -> None:
        self.spans: list[Span] = []
        self.api_latency = 0.0  # every request but the exempt ones
        self.endpoint_latency: dict[str, float] = {}  # overrides by endpoint
        self._spans_lock = threading.Lock()
        self.arrivals: list[tuple[str, float]] = []  # (endpoint, start), recorded on arrival
        self._current = threading.local()  # the span of the request this thread is serving

    def endpoint_of(self, request: RecordedRequest) -> str:
        raise NotImplementedError

    def injected_for(self, endpoint: str, request: RecordedRequest) -> float:
        return self.endpoint_latency.get(endpoint, self.api_latency)

    def describe(
        self, request: RecordedRequest, endpoint: str, response: Response
    ) -> dict[str, Any]:
        return {}

    def _dispatch(self, http: Any) -> None:
        self._current.received = time.monotonic()
        self._current.span = None
        super()._dispatch(http)  # type: ignore[misc]
        span: Span | None = self._current.span
        if span is not None:
            span.written = time.monotonic()
            span.received = self._current.received

    def handle(self, request: RecordedRequest) -> Response:
        start = time.monotonic()
        endpoint = self.endpoint_of(request)
        with self._spans_lock:
            self.arrivals.append((endpoint, start))
        self.notify()  # type: ignore[attr-defined]
        delay = self.injected_for(endpoint, request)
        if delay > 0:
            time.sleep(delay)
        response: Response = super().handle(request)  # type: ignore[misc]
        end = time.monotonic()
        extra = self.describe(request, endpoint, response)
        span = Span(self.service, endpoint, start, delay, end, response.status, **extra)
        span.received, span.written = start, end  # until _dispatch knows better
        self._current.span = span
        with self._spans_lock:
            self.spans.append(span)
        return response

    def spans_between(self, since: float, until: float = float("inf")) -> list[Span]:
        with self._spans_lock:
            return [s for s in self.spans if since <= s.start < until]

    def all_spans(self) -> list[Span]:
        with self._spans_lock:
            return list(self.spans)


class BenchTelegram(_Timing, FakeTelegram):
    service = "telegram"

    def __init__(self, *, pull_url_marker: str = "/pull/") -> None:
        super().__init__()
        self._init_timing()
        self.pull_url_marker = pull_url_marker

    def endpoint_of(self, request: RecordedRequest) -> str:
        match = _TELEGRAM_PATH.match(request.path)
        if match is None:
            return request.path
        spec = self.spec.method(match.group(1))
        return spec.name if spec is not None else match.group(1)

    def injected_for(self, endpoint: str, request: RecordedRequest) -> float:
        if endpoint in NO_LATENCY_TELEGRAM:
            return 0.0
        return super().injected_for(endpoint, request)

    def describe(
        self, request: RecordedRequest, endpoint: str, response: Response
    ) -> dict[str, Any]:
        if endpoint in NO_LATENCY_TELEGRAM:
            return {}
        decoded = self._decoded_call(request)
        params = decoded[1] if decoded else {}
        chat_id = params.get("chat_id")
        text = params.get("text")
        markup = params.get("reply_markup")
        blob = json.dumps([text, markup], default=str)
        try:
            chat = int(chat_id) if chat_id is not None else None
        except (TypeError, ValueError):
            chat = None  # an @channel name: never a benchmark chat
        return {
            "chat_id": chat,
            "text": text if isinstance(text, str) else "",
            "final": response.status == 200 and self.pull_url_marker in blob,
        }


class BenchGitHub(_Timing, FakeGitHub):
    service = "github"

    def __init__(self) -> None:
        super().__init__(validate=False)
        self._init_timing()

    def endpoint_of(self, request: RecordedRequest) -> str:
        route, _ = _find_route(request.method, request.path)
        if route is None:
            return f"{request.method} {request.path}"
        return GITHUB_LABELS.get(route.handler, f"{request.method} {route.handler}")


class BenchWorkersAI(_Timing, FakeWorkersAI):
    """Workers AI whose run calls take `api_latency + run_latency`; it drafts benchmark posts."""

    service = "workers_ai"

    def __init__(self) -> None:
        super().__init__(validate=False)
        self._init_timing()
        self.run_latency = 0.0  # the model's own time, on top of the per-call latency
        self.responder = bench_post

    def endpoint_of(self, request: RecordedRequest) -> str:
        if "/ai/run/" in request.path:
            return "POST /ai/run/{model}"
        return f"{request.method} {request.path}"

    def injected_for(self, endpoint: str, request: RecordedRequest) -> float:
        base = super().injected_for(endpoint, request)
        return base + self.run_latency if endpoint == "POST /ai/run/{model}" else base


_TOPIC = re.compile(r"bench topic (\d+)", re.IGNORECASE)


def bench_post(body: dict[str, Any]) -> str:
    """A ~450-word post whose title depends only on the topic number in the request.

    A revision therefore keeps its title (one commit, no PR title edit), and every new post gets
    its own file and branch name (no name collisions that would cost extra GitHub calls).
    """
    request = last_user_text(body)
    match = _TOPIC.search(request) or _TOPIC.search(prompt_text(body))
    topic = match.group(1) if match else "0"
    asked = " ".join(request.split()[-30:])
    paragraphs = [
        f"This post covers benchmark topic {topic}. The latest request was: {asked}",
        *_FILLER,
        *_FILLER[1:3],
    ]
    return "\n".join(
        [
            "---",
            f'title: "Bench topic {topic}: faster builds with caching"',
            f'description: "How caching made our builds faster (topic {topic})."',
            "tags: [builds, caching, ci]",
            "---",
            "",
            *[p for paragraph in paragraphs for p in (paragraph, "")],
            "## What we would do again",
            "",
            _FILLER[3],
        ]
    )
