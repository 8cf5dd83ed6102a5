"""The soak run (`python -m bench --soak`): many writers, faults and restarts, one bot process
line.

Writers each send a new post and then revisions, one message at a time (each waits for the
answer to its last message, as a person does), while every fake service answers a share of
the requests with the faults the real ones produce: Telegram 429 with `retry_after` and 5xx,
Workers AI "capacity exceeded" 429s and 5xx, GitHub 5xx, secondary rate limits, and answers
lost after the work was done. The bot is killed with SIGKILL after a third of the messages and
stopped with SIGTERM after two thirds, and started again each time with the same state.

What it checks (a violation fails the run; the figures go to bench/RESULTS.md):
- the process stays up between the planned restarts;
- every message ends in exactly one answer: one result (a pull request opened or revised) or
  one clear failure (a ⚠️ message), never none and never two;
- no duplicate pull request: as many pull requests as "opened" answers, one per branch;
- RSS of the last process grows by less than `rss_limit_mb` from its warm-up to the end.
"""

from __future__ import annotations

import random
import re
import signal
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.fakes import bench_post
from bench.runner import proc_status
from tests.botprocess import BotProcess, bot_environment
from tests.fakes.base import Fault, Response
from tests.fakes.github import FakeGitHub, secondary_rate_limit_response, server_error
from tests.fakes.telegram import BotMessage, FakeTelegram
from tests.fakes.workers_ai import FakeWorkersAI

WRITER_BASE = 50_000
OPENED = "✅ Pull request"
REVISED = "✏️ Revised pull request"
FAILED = "⚠️"
_PULL_NUMBER = re.compile(r"#(\d+)")


@dataclass
class SoakSettings:
    messages: int = 1000
    writers: int = 20
    fault_rate: float = 0.05
    seed: int = 1
    api_latency: float = 0.005
    model_latency: float = 0.02
    revisions_per_post: int = 4  # then the writer sends /new and starts another post
    answer_timeout: float = 120.0
    rss_limit_mb: float = 10.0
    warmup_messages: int = 100  # of the last process, before its RSS baseline is read


@dataclass
class Outcome:
    writer: int
    text: str
    kind: str  # "opened", "revised", "failed" or "none"
    answer: str
    seconds: float


@dataclass
class SoakResult:
    settings: SoakSettings
    outcomes: list[Outcome] = field(default_factory=list)
    faults: Counter[str] = field(default_factory=Counter)
    restarts: list[str] = field(default_factory=list)
    unexpected_exits: int = 0
    pull_requests: int = 0
    duplicate_branches: int = 0
    extra_answers: int = 0
    rss_start_kb: int = 0
    rss_end_kb: int = 0
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)

    @property
    def rss_growth_mb(self) -> float:
        return (self.rss_end_kb - self.rss_start_kb) / 1024

    def count(self, kind: str) -> int:
        return sum(1 for o in self.outcomes if o.kind == kind)


# -- faults -----------------------------------------------------------------------------------
class _Chaos:
    """Mixed into a fake: a seeded share of eligible requests gets one of `faults()`."""

    rate = 0.0
    rng = random.Random(0)
    injected: Counter[str]
    service = ""

    def eligible(self, method: str, path: str) -> bool:
        raise NotImplementedError

    def faults(self, method: str) -> list[tuple[str, Response, bool]]:
        """(name, response, after_work) choices for a request of `method`."""
        raise NotImplementedError

    def _take_fault(self, method: str, path: str) -> Fault | None:
        planned: Fault | None = super()._take_fault(method, path)  # type: ignore[misc]
        if planned is not None or not self.rate or not self.eligible(method, path):
            return planned
        with _CHAOS_LOCK:
            if self.rng.random() >= self.rate:
                return None
            name, response, after_work = self.rng.choice(self.faults(method))
            self.injected[f"{self.service}: {name}"] += 1
        return Fault(method, re.compile(""), response, 1, 0.0, after_work)


_CHAOS_LOCK = threading.Lock()
_TELEGRAM_CALLS = re.compile(r"/(sendMessage|editMessageText|sendChatAction|answerCallbackQuery)$")


class ChaosTelegram(_Chaos, FakeTelegram):
    service = "Telegram"

    def eligible(self, method: str, path: str) -> bool:
        return bool(_TELEGRAM_CALLS.search(path))

    def faults(self, method: str) -> list[tuple[str, Response, bool]]:
        too_many = Response.json(
            429,
            {
                "ok": False,
                "error_code": 429,
                "description": "Too Many Requests: retry after 1",
                "parameters": {"retry_after": 1},
            },
        )
        bad_gateway = Response(502, b"<html>502 Bad Gateway</html>", {"Content-Type": "text/html"})
        return [
            ("429 retry after 1 s", too_many, False),
            ("502 before the work", bad_gateway, False),
        ]


class ChaosWorkersAI(_Chaos, FakeWorkersAI):
    service = "Workers AI"

    def eligible(self, method: str, path: str) -> bool:
        return method == "POST" and "/ai/run/" in path

    def faults(self, method: str) -> list[tuple[str, Response, bool]]:
        busy = _workers_ai_failure(429, 3040, "Capacity temporarily exceeded")
        internal = _workers_ai_failure(500, 3043, "Internal server error")
        return [("429 capacity exceeded", busy, False), ("500 internal error", internal, False)]


def _workers_ai_failure(status: int, code: int, message: str) -> Response:
    """Cloudflare's v4 failure envelope."""
    body = {"success": False, "errors": [{"code": code, "message": message}], "messages": []}
    return Response.json(status, {**body, "result": None})


class ChaosGitHub(_Chaos, FakeGitHub):
    service = "GitHub"

    def eligible(self, method: str, path: str) -> bool:
        # Not the start-up checks (the repository, the token's user): the soak is about jobs.
        return "/repos/" in path and not re.search(r"/repos/[^/]+/[^/]+$", path)

    def faults(self, method: str) -> list[tuple[str, Response, bool]]:
        choices = [
            ("502 before the work", server_error(502), False),
            ("secondary rate limit", secondary_rate_limit_response(retry_after=1), False),
        ]
        if method in ("POST", "PUT", "PATCH", "DELETE"):
            choices.append(("answer lost after the work", server_error(502), True))
        return choices


# -- the run ----------------------------------------------------------------------------------
def request_text(writer: int, post: int, revision: int) -> str:
    topic = writer * 100 + post
    if revision == 0:
        return (
            f"Please write a post about bench topic {topic}: what we learned running our "
            f"service for {post + 2} years, mention the on-call rota and the quiet weekends."
        )
    return f"Make it a little shorter and warmer, pass {revision} (bench topic {topic})."


def answer_kind(message: BotMessage) -> str | None:
    # A first post's answer starts with a note (how the blog's layout was read).
    if OPENED in message.text:
        return "opened"
    if REVISED in message.text:
        return "revised"
    if message.text.startswith(FAILED):
        return "failed"
    return None


class Soak:
    def __init__(self, settings: SoakSettings, workdir: Path, progress: Any = print) -> None:
        self.settings = settings
        self.workdir = workdir
        self.progress = progress
        rng = random.Random(settings.seed)
        self.telegram = ChaosTelegram()
        self.ai = ChaosWorkersAI(validate=False)
        self.github = ChaosGitHub(validate=False)
        self.fakes: list[Any] = [self.telegram, self.ai, self.github]
        for fake in self.fakes:
            fake.rng = random.Random(rng.random())
            fake.injected = Counter()
        self.ai.responder = bench_post
        self.writers = [WRITER_BASE + i for i in range(settings.writers)]
        self.bot: BotProcess | None = None
        self._sent = 0
        self._lock = threading.Lock()
        self._restart_points = [settings.messages // 3, 2 * settings.messages // 3]
        self._restart_due = threading.Event()
        self._pause = threading.Event()  # set: writers may send
        self._pause.set()
        self.result = SoakResult(settings)
        self._last_start_sent = 0  # messages sent when the current process started

    def run(self) -> SoakResult:
        began = time.monotonic()
        for fake in self.fakes:
            fake.start()
            fake.latency = self.settings.api_latency
        self.ai.latency = self.settings.api_latency + self.settings.model_latency
        try:
            self._start_bot()
            for fake in self.fakes:
                fake.rate = self.settings.fault_rate
            threads = [
                threading.Thread(target=self._writer, args=(w, i), daemon=True)
                for i, w in enumerate(self.writers)
            ]
            for thread in threads:
                thread.start()
            self._supervise(threads)
            self._rss_end()
            self._check()
        finally:
            if self.bot is not None:
                self.bot.stop()
            for fake in self.fakes:
                fake.stop()
        self.result.seconds = time.monotonic() - began
        return self.result

    def _start_bot(self) -> None:
        env = bot_environment(
            self.telegram,
            self.ai,
            self.github,
            self.workdir,
            ALLOWED_USER_IDS=",".join(str(w) for w in self.writers),
            LOG_LEVEL="INFO",
            GITHUB_WRITES_PER_MINUTE="1000000",
            GITHUB_WRITES_PER_HOUR="1000000",
        )
        self.bot = BotProcess(env, self.workdir, self.telegram).start()

    # -- writers -------------------------------------------------------------------------------
    def _share(self, index: int) -> int:
        """How many messages writer `index` sends (the total split as evenly as it goes)."""
        base, extra = divmod(self.settings.messages, self.settings.writers)
        return base + (1 if index < extra else 0)

    def _writer(self, writer: int, index: int) -> None:
        post = revision = 0
        for _ in range(self._share(index)):
            self._pause.wait()
            with self._lock:
                self._sent += 1
                if self._restart_points and self._sent >= self._restart_points[0]:
                    self._restart_due.set()
            text = request_text(writer, post, revision)
            outcome = self._send_and_wait(writer, text)
            with self._lock:
                self.result.outcomes.append(outcome)
                done = len(self.result.outcomes)
            if done % 50 == 0 or outcome.kind == "none":
                self.progress(f"{done} answered; last: {outcome.kind} in {outcome.seconds:.1f} s")
            if outcome.kind == "opened" or (outcome.kind == "revised" and revision):
                revision += 1
            if revision > self.settings.revisions_per_post:
                self._command(writer, "/new")
                post, revision = post + 1, 0

    def _send_and_wait(self, writer: int, text: str) -> Outcome:
        before = {m.message_id for m in self.telegram.bot_messages(writer)}
        sent = time.monotonic()
        self.telegram.send_text(writer, text, first_name=f"Writer{writer}")

        def answer() -> BotMessage | None:
            for message in self.telegram.bot_messages(writer):
                if message.message_id not in before and answer_kind(message):
                    return message
            return None

        try:
            found: BotMessage = self.telegram.wait_until(answer, self.settings.answer_timeout)
        except TimeoutError:
            seen = [m.text[:80] for m in self.telegram.bot_messages(writer)[-3:]]
            return Outcome(writer, text, "none", f"last messages: {seen}", time.monotonic() - sent)
        kind = answer_kind(found) or "none"
        return Outcome(writer, text, kind, found.text, time.monotonic() - sent)

    def _command(self, writer: int, command: str) -> None:
        before = len(self.telegram.bot_messages(writer))
        self.telegram.send_text(writer, command, first_name=f"Writer{writer}")
        try:
            self.telegram.wait_until(
                lambda: len(self.telegram.bot_messages(writer)) > before, timeout=60
            )
        except TimeoutError:
            self.result.problems.append(f"writer {writer}: no answer to {command}")

    # -- restarts and watching -----------------------------------------------------------------
    def _supervise(self, threads: list[threading.Thread]) -> None:
        while any(t.is_alive() for t in threads):
            if self._restart_due.wait(timeout=0.2):
                self._restart_due.clear()
                self._restart()
            assert self.bot is not None
            if self.bot.exited:
                self.result.unexpected_exits += 1
                self.result.problems.append(f"the bot exited by itself:\n{self.bot.logs()[-3000:]}")
                self._start_bot()
            if (
                not self.result.rss_start_kb
                and len(self._restart_points) == 0
                and self._sent >= self._last_start_sent + self.settings.warmup_messages
            ):
                self.result.rss_start_kb = proc_status(self._pid())["VmRSS"]

    def _restart(self) -> None:
        assert self.bot is not None
        point = self._restart_points.pop(0)
        kind = signal.SIGKILL if len(self.result.restarts) == 0 else signal.SIGTERM
        name = "SIGKILL" if kind == signal.SIGKILL else "SIGTERM"
        self.progress(f"{name} after {point} messages")
        self.bot.stop(kind, timeout=30)
        self.result.restarts.append(f"{name} after {point} messages")
        self._start_bot()
        self._last_start_sent = self._sent

    def _pid(self) -> int:
        assert self.bot is not None and self.bot.process is not None
        return self.bot.process.pid

    def _rss_end(self) -> None:
        if self.bot is not None and not self.bot.exited:
            self.result.rss_end_kb = proc_status(self._pid())["VmRSS"]
            if not self.result.rss_start_kb:
                self.result.rss_start_kb = self.result.rss_end_kb

    # -- checks --------------------------------------------------------------------------------
    def _check(self) -> None:
        result = self.result
        for fake in self.fakes:
            result.faults.update(fake.injected)
            result.problems += [f"fake {fake.service}: {error}" for error in fake.errors]
        unanswered = [o for o in result.outcomes if o.kind == "none"]
        result.problems += [
            f"writer {o.writer}: no answer to {o.text[:60]!r}; {o.answer}" for o in unanswered
        ]
        for writer in self.writers:
            answers = [m for m in self.telegram.bot_messages(writer) if answer_kind(m)]
            asked = sum(1 for o in result.outcomes if o.writer == writer)
            if len(answers) > asked:
                result.extra_answers += len(answers) - asked
                result.problems.append(f"writer {writer}: {len(answers)} answers to {asked}")
        pulls = self.github.pulls()
        result.pull_requests = len(pulls)
        branches = Counter(p["head"] for p in pulls)
        result.duplicate_branches = sum(n - 1 for n in branches.values() if n > 1)
        opened = result.count("opened")
        if result.pull_requests != opened:
            result.problems.append(
                f"{result.pull_requests} pull requests for {opened} 'opened' answers"
            )
        if result.rss_growth_mb >= self.settings.rss_limit_mb:
            result.problems.append(f"RSS grew {result.rss_growth_mb:.1f} MB")


def run_soak(
    settings: SoakSettings, progress: Any = print, workdir: Path | None = None
) -> SoakResult:
    """The soak in `workdir` (kept: the bot's log and state), else in a temporary folder."""
    if workdir is not None:
        workdir.mkdir(parents=True, exist_ok=True)
        return Soak(settings, workdir, progress).run()
    with tempfile.TemporaryDirectory(prefix="blogbot-soak-") as tmp:
        return Soak(settings, Path(tmp), progress).run()


def report(result: SoakResult) -> str:
    s = result.settings
    times = sorted(o.seconds for o in result.outcomes if o.kind != "none")
    p50 = times[len(times) // 2] if times else 0.0
    p99 = times[min(len(times) - 1, int(len(times) * 0.99))] if times else 0.0
    rows = [
        ("messages", f"{len(result.outcomes)} from {s.writers} writers"),
        (
            "faults injected",
            f"{sum(result.faults.values())} ({s.fault_rate:.0%} of eligible calls)",
        ),
        *((f"  {name}", str(n)) for name, n in sorted(result.faults.items())),
        ("restarts", ", ".join(result.restarts) or "none"),
        ("unexpected exits", str(result.unexpected_exits)),
        ("answers: PR opened", str(result.count("opened"))),
        ("answers: PR revised", str(result.count("revised"))),
        ("answers: clear failure", str(result.count("failed"))),
        ("messages with no answer", str(result.count("none"))),
        ("messages with two answers", str(result.extra_answers)),
        (
            "pull requests / duplicate branches",
            f"{result.pull_requests} / {result.duplicate_branches}",
        ),
        ("answer time p50 / p99", f"{p50:.2f} s / {p99:.2f} s"),
        (
            "RSS of the last process",
            f"{result.rss_start_kb / 1024:.1f} -> {result.rss_end_kb / 1024:.1f} MB "
            f"({result.rss_growth_mb:+.1f} MB; limit {s.rss_limit_mb:.0f})",
        ),
        ("wall time", f"{result.seconds:.0f} s"),
        ("verdict", "PASS" if not result.problems else f"FAIL ({len(result.problems)} problems)"),
    ]
    width = max(len(k) for k, _ in rows)
    lines = ["| soak | |", "| --- | --- |"]
    lines += [f"| {k.ljust(width)} | {v} |" for k, v in rows]
    lines += [f"- {p}" for p in result.problems[:20]]
    return "\n".join(lines)
