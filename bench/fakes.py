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
from tests.fakes.github import FakeGitHub
from tests.fakes.telegram import FakeTelegram
from tests.fakes.workers_ai import (
    WHISPER,
    FakeWorkersAI,
    last_user_text,
    prompt_text,
    writer_words,
)

# Telegram methods that get no injected latency: the long poll is waiting when an update comes.
NO_LATENCY_TELEGRAM = frozenset({"getUpdates"})
FILE_DOWNLOAD = "file download"  # GET /file/bot<token>/<file_path>: not a method call
SPEECH_RUN = "POST /ai/run/{speech model}"  # Whisper: its own label and latency

_TELEGRAM_PATH = re.compile(r"^/bot[^/]*/([^/]+)/?$")

_REPO = r"/repos/[^/]+/[^/]+"
# GitHub REST routes the bot may call: (label, path regex). The label names the call in the
# results, "METHOD /route" with the repository prefix left out.
GITHUB_ROUTES: tuple[tuple[str, str], ...] = (
    ("GET /user", r"/user"),
    ("GET /rate_limit", r"/rate_limit"),
    ("GET /repos/{repo}", _REPO),
    ("GET /branches/{branch}", _REPO + r"/branches/.+"),
    ("GET /git/ref/{ref}", _REPO + r"/git/ref/.+"),
    ("POST /git/refs", _REPO + r"/git/refs"),
    # PyGithub's lazy GitRef writes to `/git/ref/...` (singular) too.
    ("PATCH /git/refs/{ref}", _REPO + r"/git/refs?/.+"),
    ("DELETE /git/refs/{ref}", _REPO + r"/git/refs?/.+"),
    ("GET /contents/{path}", _REPO + r"/contents(?:/.*)?"),
    ("PUT /contents/{path}", _REPO + r"/contents/.+"),
    ("DELETE /contents/{path}", _REPO + r"/contents/.+"),
    ("POST /git/blobs", _REPO + r"/git/blobs"),
    ("POST /git/trees", _REPO + r"/git/trees"),
    ("GET /git/trees/{sha}", _REPO + r"/git/trees/[^/]+"),
    ("POST /git/commits", _REPO + r"/git/commits"),
    ("GET /git/commits/{sha}", _REPO + r"/git/commits/[^/]+"),
    ("GET /pulls", _REPO + r"/pulls"),
    ("POST /pulls", _REPO + r"/pulls"),
    ("GET /pulls/{number}", _REPO + r"/pulls/\d+"),
    ("PATCH /pulls/{number}", _REPO + r"/pulls/\d+"),
    ("POST /issues/{number}/labels", _REPO + r"/issues/\d+/labels"),
    ("GET /issues/{number}/comments", _REPO + r"/issues/\d+/comments"),
    ("POST /issues/{number}/comments", _REPO + r"/issues/\d+/comments"),
    ("GET /pulls/{number}/comments", _REPO + r"/pulls/\d+/comments"),
    ("POST /pulls/{number}/requested_reviewers", _REPO + r"/pulls/\d+/requested_reviewers"),
)
_GITHUB_ROUTES = tuple(
    (label.split(" ", 1)[0], re.compile(f"^{regex}$"), label) for label, regex in GITHUB_ROUTES
)


def github_endpoint(method: str, path: str) -> str:
    """The label of a GitHub call (GITHUB_ROUTES), or "METHOD /path" for any other."""
    route = path.rstrip("/") if path != "/" and not path.endswith("/contents/") else path
    for route_method, regex, label in _GITHUB_ROUTES:
        if route_method == method and regex.match(route):
            return label
    return f"{method} {path}"


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
    ref: str = ""  # GitHub: the `ref` query of a read (a branch name or a commit sha)
    # Workers AI run calls: the request and the answer as they went over the wire, kept as they
    # are (parsed afterwards by `bench.metrics`, so that the fake's answer is not delayed).
    request_body: bytes = b""
    response_body: bytes = b""


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

    def dispatch(self, http: Any) -> None:
        self._current.received = time.monotonic()
        self._current.span = None
        super().dispatch(http)  # type: ignore[misc]
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
        if response.chunks:  # a streamed answer: its pieces are spaced on purpose too
            delay += response.chunk_delay * (len(response.chunks) - 1)
        span = Span(self.service, endpoint, start, delay, end, response.status, **extra)
        span.received, span.written = start, end  # until dispatch knows better
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
        if request.path.startswith("/file/"):
            return FILE_DOWNLOAD
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
        if endpoint in NO_LATENCY_TELEGRAM or endpoint == FILE_DOWNLOAD:
            return {}
        call = self.decode_call(request)
        params = call.params if call else {}
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
    """GitHub whose main branch holds `files` (by default the fake's bare repository)."""

    service = "github"

    def __init__(self, files: dict[str, str] | None = None) -> None:
        super().__init__(validate=False, files=files)
        self._init_timing()

    def endpoint_of(self, request: RecordedRequest) -> str:
        return github_endpoint(request.method, request.path)

    def describe(
        self, request: RecordedRequest, endpoint: str, response: Response
    ) -> dict[str, Any]:
        ref = request.query.get("ref")
        return {"ref": ref[0]} if ref else {}


class BenchWorkersAI(_Timing, FakeWorkersAI):
    """Workers AI whose run calls take `api_latency + run_latency` (a speech model's:
    `api_latency + speech_latency`); it drafts benchmark posts."""

    service = "workers_ai"

    def __init__(self) -> None:
        super().__init__(validate=False)
        self._init_timing()
        self.run_latency = 0.0  # the model's own time, on top of the per-call latency
        self.speech_latency = 0.0  # the speech model's own time, likewise
        self.responder = bench_post
        # A streamed answer's words arrive over this time, after the run latency.
        self.stream_seconds, self.stream_chunks = 0.25, 10

    def endpoint_of(self, request: RecordedRequest) -> str:
        if request.path.endswith(f"/ai/run/{WHISPER}"):
            return SPEECH_RUN
        if "/ai/run/" in request.path:
            return "POST /ai/run/{model}"
        return f"{request.method} {request.path}"

    def injected_for(self, endpoint: str, request: RecordedRequest) -> float:
        base = super().injected_for(endpoint, request)
        own = {"POST /ai/run/{model}": self.run_latency, SPEECH_RUN: self.speech_latency}
        return base + own.get(endpoint, 0.0)

    def describe(
        self, request: RecordedRequest, endpoint: str, response: Response
    ) -> dict[str, Any]:
        if endpoint != "POST /ai/run/{model}":
            return {}
        return {"request_body": request.body, "response_body": response.body}


_TOPIC = re.compile(r"bench topic (\d+)", re.IGNORECASE)
# The benchmark's own post text, so that its numbers do not move when the fakes' default post does.
BENCH_PARAGRAPHS = (
    "Every team that ships software eventually runs into the same question: what changed, and "
    "why does it matter to the people who use it? This post walks through the background, the "
    "decision we made, and the results we measured, so that readers who were not in the room "
    "can follow the reasoning and reuse what worked.",
    "We started by writing down what we wanted to learn and how we would know we had learned it. "
    "That meant agreeing on a small set of numbers to watch, a baseline taken before any change, "
    "and a plan to roll back quickly if something went wrong during the rollout.",
    "The work itself was less dramatic than the planning. We made the change in small steps, "
    "checked the numbers after each one, and kept notes about surprises. Most surprises were "
    "small, but two of them changed how we approached the remaining steps.",
    "Looking back, the most useful habit was to share progress early and often. Short written "
    "updates let others spot problems we had missed, and they made this write-up easy to "
    "assemble once the work was done. We would do it the same way again.",
)
# In place of repeating paragraphs, which the quality gate rightly refuses as a loop: the same
# length as BENCH_PARAGRAPHS[1:4], so the post keeps its ~450 words.
BENCH_MORE = (
    "Caching was the change that mattered most. Builds used to fetch every dependency from "
    "scratch; now each job restores a cache keyed by the lock file, and only a changed lock file "
    "pays for a full download. Most builds never do.",
    "We measured twice a day for two weeks before switching anything on. The median build took "
    "eleven minutes, with a long tail on Mondays when caches went cold, and that tail was what "
    "people complained about.",
    "Not everything worked at first. One cache grew without bound until a job ran out of disk, "
    "so every cache now expires after a week, and the largest ones are split by platform so that "
    "a change for one platform leaves the others warm.",
)


def bench_post(body: dict[str, Any]) -> str:
    """A ~450-word post whose title depends only on the topic number in the request.

    A revision therefore keeps its title (one commit, no PR title edit), and every new post gets
    its own file and branch name (no name collisions that would cost extra GitHub calls).
    """
    request = last_user_text(body)
    match = _TOPIC.search(request) or _TOPIC.search(prompt_text(body))
    topic = match.group(1) if match else "0"
    asked = " ".join(writer_words(request).split()[-30:])
    paragraphs = [
        f"This post covers benchmark topic {topic}. The latest request was: {asked}",
        *BENCH_PARAGRAPHS,
        *BENCH_MORE[:2],
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
            BENCH_MORE[2],
        ]
    )
