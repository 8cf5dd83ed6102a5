"""Observations -> metrics, each judged against its target.

Own overhead of one message (see RESULTS.md, "Method"):

    reply time = when the fake Telegram had applied the final answer edit - when the update was
                 queued in the fake Telegram
    overhead   = reply time - |union of the injected-latency intervals of the calls on the path|

The calls on the path are every GitHub and Workers AI call and every Telegram call for the same
chat that started between sending and the final answer. The union counts two calls that overlap
in time once, so only the latency the path really waited for serially is subtracted; with the
calls serial it equals model latency + per-call latency x (GitHub calls + Telegram calls).

Model input of one message (6.): the input tokens are the fake Workers AI's `usage.prompt_tokens`
(its tokenizer: words x 4/3), the characters those of every message's content the model reads.

Media (7.): GitHub calls of a new post with k photos, counted like 2.; a voice note's own
overhead, the same subtraction up to the edit that shows the transcript:

    voice overhead = transcript shown - voice note queued - |union of the injected-latency
                     intervals of the calls before it| (status, getFile, the file download,
                     the speech model, the edit itself)
"""

from __future__ import annotations

import json
import re
import statistics
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from bench.fakes import BENCH_PARAGRAPHS, SPEECH_RUN, Span
from bench.runner import MEDIA_IMAGES, STYLE_BLOG, Message, Observations, VoiceNote
from bot.core.usage import FREE_NEURONS_PER_DAY, estimated_neurons, posts_per_day
from tests.fakes.workers_ai import GEMMA_4, count_tokens, prompt_text

DEFAULT_MODEL = GEMMA_4  # the bot's default AI_MODEL, which the benchmark runs

MB = 1024  # kB per MB (MiB, as the kernel's "kB" are KiB)


@dataclass
class Metric:
    id: str
    group: str
    label: str
    value: float
    unit: str
    target: str
    limit: float | None  # pass when value <= limit; None: reported, not judged
    detail: str = ""

    @property
    def passed(self) -> bool | None:
        return None if self.limit is None else self.value <= self.limit

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "pass": self.passed}


METRIC_IDS = (
    "overhead_p50_ms",
    "overhead_p95_ms",
    "github_calls_new_post",
    "github_calls_revision",
    "telegram_calls_per_message",
    "telegram_stream_edits_per_message",
    "telegram_stream_edits_per_second",
    "telegram_draft_updates_per_message",
    "telegram_draft_updates_per_second",
    "telegram_status_edits_per_message",
    "first_text_after_first_token_s",
    "first_reaction_all_users_s",
    "slowest_pr_ratio",
    "rss_idle_mb",
    "rss_after_jobs_mb",
    "startup_s",
    "model_input_new_post_before_tokens",
    "model_input_new_post_after_tokens",
    "style_excerpt_added_tokens",
    "model_input_revision_tokens",
    "blog_learning_first_message_calls",
    "blog_learning_later_calls",
    "neurons_new_post",
    "neurons_revision",
    "posts_per_day_free_neurons",
    *(f"github_calls_post_{k}_images" for k in MEDIA_IMAGES),
    "voice_overhead_p50_ms",
)


def union_length(intervals: Iterable[tuple[float, float]], lo: float, hi: float) -> float:
    """Total length of the union of the intervals, clipped to [lo, hi]."""
    clipped = sorted((max(a, lo), min(b, hi)) for a, b in intervals if min(b, hi) > max(a, lo))
    total = 0.0
    current: tuple[float, float] | None = None
    for a, b in clipped:
        if current is None or a > current[1]:
            if current is not None:
                total += current[1] - current[0]
            current = (a, b)
        else:
            current = (current[0], max(current[1], b))
    if current is not None:
        total += current[1] - current[0]
    return total


def percentile(values: Sequence[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default)."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    position = (len(ordered) - 1) * q / 100
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _belongs(span: Span, chat: int) -> bool:
    return span.service != "telegram" or span.chat_id == chat


def window(spans: Sequence[Span], message: Message) -> list[Span]:
    """Calls attributed to the message: started in its window; Telegram ones for its chat."""
    return [
        s
        for s in spans
        if message.sent <= s.start < message.until
        and _belongs(s, message.chat)
        and s.endpoint != "getUpdates"
    ]


@dataclass
class MessageTiming:
    kind: str
    reply: float
    injected: float
    injected_by_count: float
    fake_busy: float

    @property
    def overhead(self) -> float:
        return self.reply - self.injected

    @property
    def overhead_without_fakes(self) -> float:
        return self.reply - self.fake_busy


def timing(spans: Sequence[Span], message: Message) -> MessageTiming:
    done = message.final.end
    path = [s for s in window(spans, message) if s.start < done]
    injected = union_length(((s.start, s.start + s.injected) for s in path), message.sent, done)
    by_count = sum(s.injected for s in path)  # as if every call on the path were serial
    # The long poll that delivered the update (the next one waits through the whole job).
    delivery = _delivery(spans, message)
    busy = union_length(
        ((s.received, s.written) for s in [*path, *([delivery] if delivery else [])]),
        message.sent,
        done,
    )
    return MessageTiming(message.kind, done - message.sent, injected, by_count, busy)


def _status_texts() -> frozenset[str]:
    """The bot's fixed status texts ("Drafting your post…"): editing to one is no stream edit."""
    try:
        from bot.telegram import replies
    except Exception:  # the bot package cannot be imported here: fall back to a length rule
        return frozenset()
    return frozenset(v for k, v in vars(replies).items() if k.isupper() and isinstance(v, str))


STATUS_TEXTS = _status_texts()


def is_stream_edit(span: Span) -> bool:
    """An edit that shows part of the draft, as opposed to the final answer or a status text."""
    if span.endpoint != "editMessageText" or span.final or span.text.startswith("⚠️"):
        return False
    if is_status_edit(span):
        return False
    if STATUS_TEXTS:
        return span.text not in STATUS_TEXTS
    return len(span.text) > 200


DRAFT_UPDATE = "sendMessageDraft"
# The status while a busy model is retried ("⏳ The model is busy, retrying 2/4…").
_RETRY_STATUS = re.compile(r"^⏳ .*\d+/\d+…$")


def is_status_edit(span: Span) -> bool:
    """An edit of the status message to a phase ("📤 Publishing to GitHub…"): a live update,
    counted apart from the message's own calls like stream edits and draft updates."""
    if span.endpoint != "editMessageText" or span.final:
        return False
    return span.text in STATUS_TEXTS or bool(_RETRY_STATUS.match(span.text))


def _delivery(spans: Sequence[Span], message: Message) -> Span | None:
    return min(
        (s for s in spans if s.endpoint == "getUpdates" and s.end >= message.sent),
        key=lambda s: s.end,
        default=None,
    )


def hops(spans: Sequence[Span], messages: Sequence[Message]) -> list[dict[str, Any]]:
    """Median time the bot took before each call on the path, from the previous answer it got.

    Step 1 starts when the fake Telegram wrote the update to the waiting long poll; each later
    step when the fake wrote the previous call's answer. It ends when the fake had parsed the
    next request's headers. The gap is the bot's own time (plus loopback and the fakes' header
    parsing), so the steps show where the overhead goes.
    """
    gaps: dict[tuple[str, int, str], list[float]] = {}
    for message in messages:
        delivery = _delivery(spans, message)
        if delivery is None:
            continue
        previous = delivery.written
        path = sorted(
            (s for s in window(spans, message) if s.start <= message.final.end),
            key=lambda s: s.received,
        )
        for step, span in enumerate(path, 1):
            label = span.endpoint if span.status < 400 else f"{span.endpoint} [{span.status}]"
            gaps.setdefault((message.kind, step, label), []).append(
                max(span.received - previous, 0.0) * 1000
            )
            previous = max(previous, span.written)
    return [
        {
            "kind": kind,
            "step": step,
            "call": label,
            "messages": len(values),
            "gap_ms_p50": round(percentile(values, 50), 2),
            "gap_ms_p95": round(percentile(values, 95), 2),
        }
        for (kind, step, label), values in sorted(gaps.items())
    ]


@dataclass
class LiveUpdates:
    """A message's Telegram calls that show the job while it runs, each kind throttled."""

    stream_edits: int = 0  # the status message edited to show the draft (groups)
    draft_updates: int = 0  # sendMessageDraft (private chats)
    status_edits: int = 0  # the status message edited to the next phase
    typing_renewals: int = 0  # typing actions after the first


def telegram_counts(spans: Sequence[Span], message: Message) -> tuple[Counter[str], LiveUpdates]:
    """Telegram calls of the message by method, live updates left out, and its live updates.

    A call Telegram refused is counted under "method [status]": it cost a round trip all the same.
    """
    calls: Counter[str] = Counter()
    live = LiveUpdates()
    for span in window(spans, message):
        if span.service != "telegram":
            continue
        if span.endpoint == DRAFT_UPDATE:
            live.draft_updates += 1
        elif is_stream_edit(span):
            live.stream_edits += 1
        elif is_status_edit(span):
            live.status_edits += 1
        elif span.endpoint == "sendChatAction" and calls["sendChatAction"]:
            live.typing_renewals += 1
        elif span.status != 200:
            calls[f"{span.endpoint} [{span.status}]"] += 1
        else:
            calls[span.endpoint] += 1
    return calls, live


def github_counts(spans: Sequence[Span], message: Message) -> Counter[str]:
    return Counter(s.endpoint for s in window(spans, message) if s.service == "github")


def _breakdown(counts: Counter[str]) -> str:
    return ", ".join(f"{endpoint} ×{n}" for endpoint, n in sorted(counts.items()))


def _typical(counters: list[Counter[str]]) -> Counter[str]:
    keyed = Counter(tuple(sorted(c.items())) for c in counters)
    return Counter(dict(keyed.most_common(1)[0][0])) if keyed else Counter()


def stream_edit_rate(
    spans: Sequence[Span], messages: Sequence[Message], kind: Callable[[Span], bool] | None = None
) -> int:
    """Most stream edits (or calls of `kind`) any one chat got within one second."""
    wanted = kind or is_stream_edit
    per_chat: dict[int, list[float]] = {}
    for message in messages:
        for span in window(spans, message):
            if wanted(span):
                per_chat.setdefault(message.chat, []).append(span.end)
    most = 0
    for times in per_chat.values():
        times.sort()
        for i, t in enumerate(times):
            most = max(most, sum(1 for u in times[i:] if u < t + 1.0))
    return most


Section = tuple[list[Metric], dict[str, Any]]  # the section's metrics, its part of the details


def compute(obs: Observations) -> tuple[list[Metric], dict[str, Any]]:
    """Every metric, in METRIC_IDS order, and the details behind them by section."""
    metrics: list[Metric] = []
    details: dict[str, Any] = {}
    sections = (
        own_overhead,
        github_economy,
        telegram_economy,
        concurrency,
        memory,
        startup,
        model_input,
        photos_and_voice,
    )
    for section in sections:
        found, detail = section(obs)
        metrics += found
        details.update(detail)
    assert tuple(m.id for m in metrics) == METRIC_IDS
    return metrics, details


def own_overhead(obs: Observations) -> Section:
    """1. The bot's own time per sequential message: reply time minus the injected latency."""
    timings = [timing(obs.spans, m) for m in obs.sequential]
    overheads = [t.overhead * 1000 for t in timings]
    without_fakes = [t.overhead_without_fakes * 1000 for t in timings]
    n = len(timings)
    by_kind = {
        kind: {
            "messages": len(values),
            "overhead_p50_ms": round(percentile(values, 50), 2),
            "overhead_p95_ms": round(percentile(values, 95), 2),
        }
        for kind in ("new", "revision")
        if (values := [t.overhead * 1000 for t in timings if t.kind == kind])
    }
    detail = {
        "messages": n,
        "reply_ms_p50": round(percentile([t.reply * 1000 for t in timings], 50), 2),
        "injected_ms_p50": round(percentile([t.injected * 1000 for t in timings], 50), 2),
        "injected_by_count_ms_p50": round(
            percentile([t.injected_by_count * 1000 for t in timings], 50), 2
        ),
        "overhead_ms": [round(v, 2) for v in overheads],
        "overhead_without_fake_time_ms_p50": round(percentile(without_fakes, 50), 2),
        "overhead_without_fake_time_ms_p95": round(percentile(without_fakes, 95), 2),
        "by_kind": by_kind,
        "bot_cpu_ms_per_message": round(obs.bot_cpu_sequential * 1000 / max(n, 1), 2),
        "bench_cpu_ms_per_message": round(obs.bench_cpu_sequential * 1000 / max(n, 1), 2),
        # The first message pays one-off costs (the default branch lookup, cold caches).
        "steps": hops(obs.spans, obs.sequential[1:] or obs.sequential),
    }
    split = ", ".join(
        f"{kind} {v['overhead_p50_ms']:.1f}/{v['overhead_p95_ms']:.1f}"
        for kind, v in by_kind.items()
    )
    group = "1. Own overhead"
    metrics = [
        Metric(
            "overhead_p50_ms",
            group,
            f"Per message, p50 (n={n})",
            percentile(overheads, 50),
            "ms",
            "≤ 20 ms",
            20,
            f"reply p50 {detail['reply_ms_p50']:.0f} ms − injected p50 "
            f"{detail['injected_ms_p50']:.0f} ms; p50/p95 by kind: {split}",
        ),
        Metric(
            "overhead_p95_ms",
            group,
            f"Per message, p95 (n={n})",
            percentile(overheads, 95),
            "ms",
            "≤ 60 ms",
            60,
            f"minus the fakes' processing time too: p50 {percentile(without_fakes, 50):.1f} ms, "
            f"p95 {percentile(without_fakes, 95):.1f} ms; bot CPU "
            f"{detail['bot_cpu_ms_per_message']:.0f} ms per message",
        ),
    ]
    return metrics, {"overhead": detail}


def github_economy(obs: Observations) -> Section:
    """2. GitHub calls per new post (the first one after start-up aside) and per revision."""
    new_counts = [github_counts(obs.spans, m) for m in obs.sequential if m.kind == "new"]
    rev_counts = [github_counts(obs.spans, m) for m in obs.sequential if m.kind == "revision"]
    steady = new_counts[1:] or new_counts
    first = new_counts[0] if new_counts else Counter[str]()
    first_extra = first - _typical(steady)
    detail = {
        "new_post_first_after_start": dict(first),
        "new_post_typical": dict(_typical(steady)),
        "new_post_totals": [sum(c.values()) for c in new_counts],
        "revision_typical": dict(_typical(rev_counts)),
        "revision_totals": [sum(c.values()) for c in rev_counts],
        "pull_requests_opened": obs.pull_requests,  # over the whole run
    }
    metrics = [
        Metric(
            "github_calls_new_post",
            "2. API economy",
            "GitHub calls, new post (max)",
            max((sum(c.values()) for c in steady), default=0),
            "calls",
            "≤ 4",
            4,
            f"{_breakdown(_typical(steady))}; the first post after start-up: "
            f"{sum(first.values())}" + (f" (+ {_breakdown(first_extra)})" if first_extra else ""),
        ),
        Metric(
            "github_calls_revision",
            "2. API economy",
            "GitHub calls, revision (max)",
            max((sum(c.values()) for c in rev_counts), default=0),
            "calls",
            "≤ 4",
            4,
            _breakdown(_typical(rev_counts)),
        ),
    ]
    return metrics, {"github": detail}


def _is_draft_update(span: Span) -> bool:
    return span.endpoint == DRAFT_UPDATE


def first_text_delays(obs: Observations) -> list[float]:
    """Per sequential message: seconds from the model's first word leaving the fake Workers AI
    to the fake Telegram holding the first call that shows text of the draft."""
    delays = []
    for message in obs.sequential:
        tokens = [t for t in obs.first_tokens if message.sent <= t < message.until]
        if not tokens:
            continue
        shown = [
            s.start
            for s in window(obs.spans, message)
            if s.service == "telegram"
            and (_is_draft_update(s) or is_stream_edit(s))
            and s.start >= tokens[0]
        ]
        if shown:
            delays.append(min(shown) - tokens[0])
    return delays


def telegram_economy(obs: Observations) -> Section:
    """2. Telegram calls per message (live updates aside), live updates and their rates, and
    how soon the writer sees the model's first words."""
    tg = [telegram_counts(obs.spans, m) for m in obs.sequential]
    calls = [c for c, _ in tg]
    stream_counts = [live.stream_edits for _, live in tg]
    draft_counts = [live.draft_updates for _, live in tg]
    status_counts = [live.status_edits for _, live in tg]
    delays = first_text_delays(obs)
    detail = {
        "per_message_typical": dict(_typical(calls)),
        "per_message_totals": [sum(c.values()) for c in calls],
        "stream_edits": stream_counts,
        "draft_updates": draft_counts,
        "status_edits": status_counts,
        "typing_renewals": [live.typing_renewals for _, live in tg],
        "first_text_after_first_token_s": [round(d, 4) for d in delays],
    }
    streamed = len(delays)
    metrics = [
        Metric(
            "telegram_calls_per_message",
            "2. API economy",
            "Telegram calls per message, live updates aside (max)",
            max((sum(c.values()) for c in calls), default=0),
            "calls",
            "≤ 3",
            3,
            _breakdown(_typical(calls))
            + "; getUpdates, draft updates, stream and status edits, typing renewals counted apart",
        ),
        Metric(
            "telegram_stream_edits_per_message",
            "2. API economy",
            "Stream edits per message (mean)",
            statistics.fmean(stream_counts) if stream_counts else 0.0,
            "edits",
            "—",
            None,
            f"max {max(stream_counts, default=0)}"
            + ("; groups only (private chats get draft updates)" if not any(stream_counts) else ""),
        ),
        Metric(
            "telegram_stream_edits_per_second",
            "2. API economy",
            "Stream edits per chat within any 1 s (max)",
            stream_edit_rate(obs.spans, [*obs.sequential, *obs.concurrent]),
            "edits",
            "≤ 1",
            1,
            "over the sequential and the concurrent messages",
        ),
        Metric(
            "telegram_draft_updates_per_message",
            "2. API economy",
            "Draft updates per message (sendMessageDraft, mean)",
            statistics.fmean(draft_counts) if draft_counts else 0.0,
            "calls",
            "—",
            None,
            f"max {max(draft_counts, default=0)}; private chats, at most one per 0.4 s",
        ),
        Metric(
            "telegram_draft_updates_per_second",
            "2. API economy",
            "Draft updates per chat within any 1 s (max)",
            stream_edit_rate(obs.spans, [*obs.sequential, *obs.concurrent], _is_draft_update),
            "calls",
            "≤ 3",
            3,
            "over the sequential and the concurrent messages",
        ),
        Metric(
            "telegram_status_edits_per_message",
            "2. API economy",
            "Status edits per message (phases, max)",
            max(status_counts, default=0),
            "edits",
            "—",
            None,
            "drafting/revising, publishing to GitHub, retrying; at most one a second with "
            "the stream edits",
        ),
        Metric(
            "first_text_after_first_token_s",
            "2. API economy",
            "Model's first word to the first text the writer sees (max)",
            max(delays) if delays else 99.0,
            "s",
            "≤ 0.5 s",
            0.5,
            f"{streamed} of {len(obs.sequential)} sequential messages streamed"
            + (f"; median {statistics.median(delays) * 1000:.0f} ms" if delays else ""),
        ),
    ]
    return metrics, {"telegram": detail}


def _first_reaction(spans: Sequence[Span], message: Message, since: float) -> float:
    """Seconds from `since` to the first Telegram call for the message's chat."""
    seen = [
        s.end
        for s in window(spans, message)
        if s.service == "telegram" and s.chat_id == message.chat
    ]
    return min(seen) - since


def concurrency(obs: Observations) -> Section:
    """3. N users at once: each gets a first reaction soon; the slowest PR vs one user's."""
    spans = obs.spans
    users = len(obs.concurrent)
    assert obs.single is not None
    single = obs.single
    one = single.final.end - single.sent
    replies = [m.final.end - m.sent for m in obs.concurrent]
    slowest = max(replies, default=float("nan"))
    burst_start = min((m.sent for m in obs.concurrent), default=0.0)
    burst_end = max((m.final.end for m in obs.concurrent), default=0.0)
    reactions = [_first_reaction(spans, m, burst_start) for m in obs.concurrent]
    pulls_single = [
        s.end - single.sent
        for s in window(spans, single)
        if s.endpoint == "POST /pulls" and s.start < single.final.end
    ]
    pulls_burst = [
        s.end - burst_start
        for s in spans
        if s.endpoint == "POST /pulls" and burst_start <= s.start < burst_end
    ]
    model_latency = obs.settings.concurrency_model_latency
    detail = {
        "users": users,
        "model_latency_s": model_latency,
        "one_user_reply_s": round(one, 3),
        "reply_s": [round(r, 3) for r in replies],
        "first_reaction_s": [round(r, 3) for r in reactions],
        "one_user_pr_opened_s": round(pulls_single[0], 3) if pulls_single else None,
        "last_pr_opened_s": round(max(pulls_burst), 3) if pulls_burst else None,
    }
    metrics = [
        Metric(
            "first_reaction_all_users_s",
            "3. Concurrency",
            f"{users} users at once: every user has a first reaction",
            max(reactions, default=float("nan")),
            "s",
            "≤ 1 s",
            1.0,
            f"typing or status message; median user {percentile(reactions, 50) * 1000:.0f} ms",
        ),
        Metric(
            "slowest_pr_ratio",
            "3. Concurrency",
            f"{users} users at once: slowest PR / one user's PR",
            slowest / one,
            "×",
            "≤ 2×",
            2.0,
            f"{slowest:.2f} s / {one:.2f} s to the answer with the PR link, "
            f"model {model_latency:g} s",
        ),
    ]
    return metrics, {"concurrency": detail}


def memory(obs: Observations) -> Section:
    """4. The bot's resident memory idle after start-up and after the jobs."""
    metrics = [
        Metric(
            "rss_idle_mb",
            "4. Memory",
            "RSS idle after start-up",
            obs.rss_idle_kb / MB,
            "MB",
            "≤ 80 MB",
            80,
            f"VmHWM {obs.rss_idle_hwm_kb / MB:.1f} MB",
        ),
        Metric(
            "rss_after_jobs_mb",
            "4. Memory",
            f"RSS after {obs.jobs} jobs",
            obs.rss_after_jobs_kb / MB,
            "MB",
            "≤ 100 MB",
            100,
            f"VmHWM {obs.rss_after_jobs_hwm_kb / MB:.1f} MB; "
            f"+{(obs.rss_after_jobs_kb - obs.rss_idle_kb) / MB:.1f} MB over idle",
        ),
    ]
    detail = {
        "jobs": obs.jobs,
        "rss_idle_kb": obs.rss_idle_kb,
        "rss_after_jobs_kb": obs.rss_after_jobs_kb,
        "rss_idle_samples_kb": [u.rss_idle_kb for u in obs.startups],
    }
    return metrics, {"memory": detail}


def startup(obs: Observations) -> Section:
    """5. Process start to the first getUpdates, median of the start-up samples."""
    samples = [u.seconds for u in obs.startups]
    injected = statistics.median(u.injected for u in obs.startups)
    metric = Metric(
        "startup_s",
        "5. Start-up",
        f"Process start → first getUpdates (median of {len(samples)})",
        statistics.median(samples),
        "s",
        "≤ 1.5 s",
        1.5,
        "samples "
        + ", ".join(f"{v:.2f}" for v in samples)
        + f" s; includes {injected * 1000:.0f} ms injected API latency",
    )
    detail = {"samples_s": samples, "injected_s": [u.injected for u in obs.startups]}
    return [metric], {"startup": detail}


# -- 6. Model input ----------------------------------------------------------------------------

MODEL_RUN = "POST /ai/run/{model}"
# Learning the blog (bot/core/blog_source.py): one recursive tree read and file reads, both at
# the base head's commit sha. Every other read of the bot names a branch.
TREE_READ = "GET /git/trees/{sha}"
FILE_READ = "GET /contents/{path}"
_COMMIT_SHA = re.compile(r"[0-9a-f]{40}")
# prompts/style.md: the excerpt of recent posts sits between these tags.
_EXCERPT = re.compile(r"<recent-posts>\n?(.*?)\n?</recent-posts>", re.DOTALL)
_EXCERPT_POST = re.compile(r"^\[([^\]\n]+)\]$", re.MULTILINE)
STYLE_ADDED_LIMIT = 600  # tokens the style excerpt may add to a new post's input


def _style_cap() -> int:
    """The excerpt's length cap (bot/core/blog/style.py)."""
    try:
        from bot.core.blog.style import MAX_STYLE_CHARS
    except Exception:  # the bot package cannot be imported here
        return 1500
    return MAX_STYLE_CHARS


STYLE_CAP_CHARS = _style_cap()


def tokens_at_cap(wrapper_tokens: int) -> int:
    """What an excerpt at its cap would add: STYLE_CAP_CHARS of the benchmark's own prose,
    counted the same way, plus the prompt around it (prompts/style.md)."""
    prose = "\n\n".join(BENCH_PARAGRAPHS * 2)[:STYLE_CAP_CHARS]
    return count_tokens(prose) + wrapper_tokens


@dataclass
class ModelInput:
    """What one message sent the model."""

    tokens: int  # the fake's usage.prompt_tokens (counted from the request when it has none)
    chars: int  # every message's content: the text the model reads
    body_chars: int  # the whole JSON request body
    style_chars: int  # the style excerpt (inside <recent-posts>), 0 without one
    style_tokens: int  # the excerpt alone, counted the same way
    style_posts: list[str]  # the posts the excerpt quotes


def _usage_of(response_body: bytes) -> dict[str, Any] | None:
    """The `usage` of a model answer, whole (enveloped) or streamed; None without one."""
    try:
        payload = json.loads(response_body)
    except ValueError:
        payload = _streamed_usage(response_body)
    result = payload.get("result", payload) if isinstance(payload, dict) else None
    usage = result.get("usage") if isinstance(result, dict) else None
    return usage if isinstance(usage, dict) else None


def _prompt_tokens(response_body: bytes) -> int | None:
    tokens = (_usage_of(response_body) or {}).get("prompt_tokens")
    return tokens if isinstance(tokens, int) else None


def _neurons(usage: dict[str, Any]) -> float:
    """The answer's `usage.neurons`, else estimated from its tokens (bot/core/usage.py)."""
    reported = usage.get("neurons")
    if isinstance(reported, int | float):
        return float(reported)
    tokens_in, tokens_out = usage.get("prompt_tokens", 0), usage.get("completion_tokens", 0)
    return estimated_neurons(DEFAULT_MODEL, int(tokens_in or 0), int(tokens_out or 0))


def message_neurons(spans: Sequence[Span], message: Message) -> float | None:
    """The neurons of every text-generation answer of the message (continuations included)."""
    usages = [
        _usage_of(s.response_body)
        for s in window(spans, message)
        if s.service == "workers_ai" and s.endpoint == MODEL_RUN and s.status == 200
    ]
    found = [_neurons(u) for u in usages if u is not None]
    return sum(found) if found else None


def _streamed_usage(body: bytes) -> dict[str, Any] | None:
    """The last event of a streamed answer that carries `usage` (server-sent events)."""
    found = None
    for line in body.decode("utf-8", "replace").splitlines():
        data = line.removeprefix("data:").strip()
        if line.startswith("data:") and data.startswith("{"):
            try:
                event = json.loads(data)
            except ValueError:
                continue
            if isinstance(event, dict) and isinstance(event.get("usage"), dict):
                found = event
    return found


def model_input_of(span: Span) -> ModelInput:
    body_text = span.request_body.decode("utf-8", "replace")
    try:
        body = json.loads(body_text)
    except ValueError:
        body = {}
    text = prompt_text(body) if isinstance(body, dict) else ""
    tokens = _prompt_tokens(span.response_body)
    match = _EXCERPT.search(text)
    excerpt = match.group(1) if match else ""
    return ModelInput(
        tokens=tokens if tokens is not None else count_tokens(text),
        chars=len(text),
        body_chars=len(body_text),
        style_chars=len(excerpt),
        style_tokens=count_tokens(excerpt) if excerpt else 0,
        style_posts=_EXCERPT_POST.findall(excerpt),
    )


def message_input(spans: Sequence[Span], message: Message) -> ModelInput | None:
    """The message's model call (the last answered one, should the bot have retried)."""
    calls = [
        s
        for s in window(spans, message)
        if s.service == "workers_ai" and s.endpoint == MODEL_RUN and s.request_body
    ]
    answered = [s for s in calls if s.status == 200] or calls
    return model_input_of(answered[-1]) if answered else None


def learning_reads(spans: Sequence[Span], message: Message) -> Counter[str]:
    """GitHub requests of the message that read the blog to learn it (tree and files)."""
    return Counter(
        s.endpoint
        for s in window(spans, message)
        if s.service == "github"
        and (s.endpoint == TREE_READ or (s.endpoint == FILE_READ and _COMMIT_SHA.fullmatch(s.ref)))
    )


def _median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def repository_inputs(spans: Sequence[Span], messages: Sequence[Message]) -> dict[str, Any]:
    """Model input by kind and the blog-learning GitHub reads of each message, in order."""
    inputs = [(m, message_input(spans, m)) for m in messages]
    by_kind: dict[str, Any] = {}
    for kind in ("new", "revision"):
        found = [i for m, i in inputs if m.kind == kind and i is not None]
        by_kind[kind] = {
            "messages": len(found),
            "input_tokens": [i.tokens for i in found],
            "input_chars": [i.chars for i in found],
            "body_chars": [i.body_chars for i in found],
            "style_chars": [i.style_chars for i in found],
            "style_tokens": [i.style_tokens for i in found],
            "style_posts": sorted({p for i in found for p in i.style_posts}),
        }
    reads = [learning_reads(spans, m) for m in messages]
    calls = [github_counts(spans, m) for m in messages]
    later_new = [c for m, c in zip(messages[1:], calls[1:], strict=True) if m.kind == "new"]
    return {
        "messages": len(messages),
        "new": by_kind["new"],
        "revision": by_kind["revision"],
        "learning_reads": [sum(r.values()) for r in reads],  # per message, in order
        "learning_first_message": dict(reads[0]) if reads else {},
        "first_message_github_calls": dict(calls[0]) if calls else {},
        # What the first message (a new post) cost beyond a later new post.
        "first_message_extra_calls": dict(calls[0] - _typical(later_new)) if later_new else {},
    }


def model_input(obs: Observations) -> Section:
    """6. What the model reads per message, without (the bare default repository, phase 1) and
    with a style excerpt (a blog with posts, phase 6); GitHub reads spent learning the blog."""
    before = repository_inputs(obs.spans, obs.sequential)
    after = repository_inputs(obs.spans, obs.style)
    # Phase 6 sends the same requests as the first sequential messages (same topics, in order).
    pairs = list(zip(after["new"]["input_tokens"], before["new"]["input_tokens"], strict=False))
    char_pairs = list(zip(after["new"]["input_chars"], before["new"]["input_chars"], strict=False))
    added = [a - b for a, b in pairs]
    added_chars = [a - b for a, b in char_pairs]
    excerpt_tokens = max(after["new"]["style_tokens"], default=0)
    at_cap = tokens_at_cap(max(added, default=0) - excerpt_tokens) if added else None
    detail: dict[str, Any] = {
        "before": {"repository": "default", "files": obs.repositories.get("default", []), **before},
        "after": {
            "repository": f"tests/blogs/{STYLE_BLOG}",
            "files": obs.repositories.get(STYLE_BLOG, []),
            **after,
        },
        "style_added_tokens": added,  # per new post: after - before, same request
        "style_added_chars": added_chars,
        "style_added_limit_tokens": STYLE_ADDED_LIMIT,
        # An estimate for a blog whose posts fill the excerpt (STYLE_CAP_CHARS characters).
        "style_added_tokens_at_cap": at_cap,
        "style_cap_chars": STYLE_CAP_CHARS,
    }
    group = "6. Model input"
    b_new, a_new = before["new"], after["new"]
    b_rev, a_rev = before["revision"], after["revision"]
    excerpt_posts = len(a_new["style_posts"])
    later = [*before["learning_reads"][1:], *after["learning_reads"][1:]]
    first_after = Counter(after["learning_first_message"])
    first_before = Counter(before["learning_first_message"])
    extra = Counter(after["first_message_extra_calls"]) - first_after

    def chars(part: dict[str, Any]) -> str:
        return (
            f"request {_median(part['input_chars']):,.0f} chars of messages "
            f"({_median(part['body_chars']):,.0f} chars of JSON)"
        )

    metrics = [
        Metric(
            "model_input_new_post_before_tokens",
            group,
            f"Input tokens per new post, default repository, no posts (n={b_new['messages']})",
            _median(b_new["input_tokens"]),
            "tokens",
            "—",
            None,
            f"{chars(b_new)}; no style excerpt",
        ),
        Metric(
            "model_input_new_post_after_tokens",
            group,
            f"Input tokens per new post, tests/blogs/{STYLE_BLOG} (n={a_new['messages']})",
            _median(a_new["input_tokens"]),
            "tokens",
            "—",
            None,
            f"{chars(a_new)}; style excerpt {max(a_new['style_chars'], default=0):,} chars, "
            f"{max(a_new['style_tokens'], default=0)} tokens, from {excerpt_posts} posts",
        ),
        Metric(
            "style_excerpt_added_tokens",
            group,
            "Style excerpt adds, per new post (max)",
            max(added, default=float("nan")),
            "tokens",
            f"≤ {STYLE_ADDED_LIMIT}",
            STYLE_ADDED_LIMIT,
            f"after − before, same request: +{max(added_chars, default=0):,} chars, the "
            f"excerpt and prompts/style.md around it; an excerpt at its {STYLE_CAP_CHARS:,}-char "
            f"cap would add ~{at_cap} tokens",
        ),
        Metric(
            "model_input_revision_tokens",
            group,
            f"Input tokens per revision, default repository (n={b_rev['messages']})",
            _median(b_rev["input_tokens"]),
            "tokens",
            "—",
            None,
            f"{chars(b_rev)}; tests/blogs/{STYLE_BLOG}: {_median(a_rev['input_tokens']):.0f} "
            f"tokens, {_median(a_rev['input_chars']):,.0f} chars; a revision sends the post and "
            "the conversation, no excerpt",
        ),
        Metric(
            "blog_learning_first_message_calls",
            group,
            f"GitHub reads learning the blog, first message, tests/blogs/{STYLE_BLOG}",
            sum(first_after.values()),
            "calls",
            "—",
            None,
            f"{_breakdown(first_after) or 'none'} ({len(detail['after']['files'])} files in the "
            f"tree); default repository: {sum(first_before.values())} "
            f"({_breakdown(first_before) or 'none'})"
            + (f"; beyond a later new post it also makes {_breakdown(extra)}" if extra else ""),
        ),
        Metric(
            "blog_learning_later_calls",
            group,
            "GitHub reads learning the blog, later messages (max)",
            max(later, default=0),
            "calls",
            "0",
            0,
            f"over {len(later)} later messages to both repositories, base head unchanged",
        ),
        *neuron_rows(obs, detail),
    ]
    return metrics, {"model_input": detail}


def neuron_rows(obs: Observations, detail: dict[str, Any]) -> list[Metric]:
    """What a new post and a revision cost in Workers AI neurons (the answers' `usage`), and
    how many new posts the free daily allocation pays for."""
    group = "6. Model input"
    costs: dict[str, list[float]] = {"new": [], "revision": []}
    for message in [*obs.sequential, *obs.style]:
        neurons = message_neurons(obs.spans, message)
        if neurons is not None and message.kind in costs:
            costs[message.kind].append(neurons)
    detail["neurons"] = {kind: [round(n, 2) for n in found] for kind, found in costs.items()}
    new, revision = round(_median(costs["new"]), 1), round(_median(costs["revision"]), 1)
    a_day = posts_per_day(new) if costs["new"] else 0
    return [
        Metric(
            "neurons_new_post",
            group,
            f"Neurons per new post (n={len(costs['new'])})",
            new,
            "neurons",
            "—",
            None,
            "median over both repositories; the answers' usage.neurons (Gemma 4 at $0.10/$0.30 "
            "per million input/output tokens: 9,100/27,300 neurons), every call of the message",
        ),
        Metric(
            "neurons_revision",
            group,
            f"Neurons per revision (n={len(costs['revision'])})",
            revision,
            "neurons",
            "—",
            None,
            "median; a revision sends the post and the conversation",
        ),
        Metric(
            "posts_per_day_free_neurons",
            group,
            f"New posts a day in the free {FREE_NEURONS_PER_DAY:,} neurons",
            a_day,
            "posts",
            "—",
            None,
            f"{FREE_NEURONS_PER_DAY:,} / {new:.1f}; with a revision each: "
            f"{posts_per_day(new + revision) if costs['revision'] else 0}",
        ),
    ]


def voice_path(spans: Sequence[Span], note: VoiceNote) -> list[Span]:
    """The calls from queueing the voice note to the transcript shown. getFile and the file
    download name no chat: phase 7 has one user at a time, so they are this one's."""
    return [
        s
        for s in spans
        if note.message.sent <= s.start < note.shown.end
        and s.endpoint != "getUpdates"
        and (_belongs(s, note.message.chat) or s.chat_id is None)
    ]


def voice_timing(spans: Sequence[Span], note: VoiceNote) -> MessageTiming:
    """From queueing the voice note to the fake having shown the transcript (the edit done)."""
    sent, shown = note.message.sent, note.shown.end
    path = voice_path(spans, note)
    injected = union_length(((s.start, s.start + s.injected) for s in path), sent, shown)
    delivery = _delivery(spans, note.message)
    busy = union_length(
        ((s.received, s.written) for s in [*path, *([delivery] if delivery else [])]), sent, shown
    )
    return MessageTiming("voice", shown - sent, injected, sum(s.injected for s in path), busy)


def photos_and_voice(obs: Observations) -> Section:
    """7. GitHub calls of a new post with k photos; the voice note's own overhead."""
    group = "7. Media"
    posts = {m.images: github_counts(obs.spans, m) for m in obs.photo_posts}
    metrics = []
    for k in MEDIA_IMAGES:
        counts = posts.get(k, Counter[str]())
        metrics.append(
            Metric(
                f"github_calls_post_{k}_images",
                group,
                f"GitHub calls, new post with {k} image{'s' if k > 1 else ''}",
                sum(counts.values()) if counts else float("nan"),
                "calls",
                f"≤ {k + 5}",
                k + 5,
                (_breakdown(counts) or "not measured") + " (the blog already learned)",
            )
        )
    timings = [voice_timing(obs.spans, note) for note in obs.voice_notes]
    overheads = [t.overhead * 1000 for t in timings]
    speech = [s.injected * 1000 for s in obs.spans if s.endpoint == SPEECH_RUN and s.status == 200]
    paths = [voice_path(obs.spans, note) for note in obs.voice_notes]
    calls = _typical([Counter(s.endpoint for s in path) for path in paths])
    detail = {
        "posts": {str(k): dict(c) for k, c in sorted(posts.items())},
        "post_totals": {str(k): sum(c.values()) for k, c in sorted(posts.items())},
        "voice_notes": len(timings),
        "voice_overhead_ms": [round(v, 2) for v in overheads],
        "voice_to_transcript_ms_p50": round(percentile([t.reply * 1000 for t in timings], 50), 2),
        "voice_injected_ms_p50": round(percentile([t.injected * 1000 for t in timings], 50), 2),
        "voice_speech_model_ms": round(percentile(speech, 50), 2),
        "voice_calls_to_transcript": dict(calls),
        "voice_overhead_without_fake_time_ms_p50": round(
            percentile([t.overhead_without_fakes * 1000 for t in timings], 50), 2
        ),
    }
    metrics.append(
        Metric(
            "voice_overhead_p50_ms",
            group,
            f"Voice note to transcript shown, own overhead, p50 (n={len(timings)})",
            percentile(overheads, 50),
            "ms",
            "—",
            None,
            f"to the transcript p50 {detail['voice_to_transcript_ms_p50']:.0f} ms − injected p50 "
            f"{detail['voice_injected_ms_p50']:.0f} ms (the speech model "
            f"{detail['voice_speech_model_ms']:.0f} ms of it) over {_breakdown(calls)}; "
            f"minus the fakes' processing time too: p50 "
            f"{detail['voice_overhead_without_fake_time_ms_p50']:.1f} ms",
        )
    )
    return metrics, {"media": detail}
