"""Observations -> metrics, each judged against its target.

Own overhead of one message (see RESULTS.md, "Method"):

    reply time = when the fake Telegram had applied the final answer edit - when the update was
                 queued in the fake Telegram
    overhead   = reply time - |union of the injected-latency intervals of the calls on the path|

The calls on the path are every GitHub and Workers AI call and every Telegram call for the same
chat that started between sending and the final answer. The union counts two calls that overlap
in time once, so only the latency the path really waited for serially is subtracted; with the
calls serial it equals model latency + per-call latency x (GitHub calls + Telegram calls).
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from bench.fakes import Span
from bench.runner import Message, Observations

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
    "first_reaction_all_users_s",
    "slowest_pr_ratio",
    "rss_idle_mb",
    "rss_after_jobs_mb",
    "startup_s",
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
    if STATUS_TEXTS:
        return span.text not in STATUS_TEXTS
    return len(span.text) > 200


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


def telegram_counts(spans: Sequence[Span], message: Message) -> tuple[Counter[str], int]:
    """Telegram calls of the message by method (stream edits left out), and its stream edits.

    A call Telegram refused is counted under "method [status]": it cost a round trip all the same.
    """
    calls: Counter[str] = Counter()
    stream = 0
    for span in window(spans, message):
        if span.service != "telegram":
            continue
        if is_stream_edit(span):
            stream += 1
        elif span.status != 200:
            calls[f"{span.endpoint} [{span.status}]"] += 1
        else:
            calls[span.endpoint] += 1
    return calls, stream


def github_counts(spans: Sequence[Span], message: Message) -> Counter[str]:
    return Counter(s.endpoint for s in window(spans, message) if s.service == "github")


def _breakdown(counts: Counter[str]) -> str:
    return ", ".join(f"{endpoint} ×{n}" for endpoint, n in sorted(counts.items()))


def _typical(counters: list[Counter[str]]) -> Counter[str]:
    keyed = Counter(tuple(sorted(c.items())) for c in counters)
    return Counter(dict(keyed.most_common(1)[0][0])) if keyed else Counter()


def stream_edit_rate(spans: Sequence[Span], messages: Sequence[Message]) -> int:
    """Most stream edits any one chat got within one second."""
    per_chat: dict[int, list[float]] = {}
    for message in messages:
        for span in window(spans, message):
            if is_stream_edit(span):
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
    for section in (own_overhead, github_economy, telegram_economy, concurrency, memory, startup):
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
            "≤ 2",
            2,
            _breakdown(_typical(rev_counts)),
        ),
    ]
    return metrics, {"github": detail}


def telegram_economy(obs: Observations) -> Section:
    """2. Telegram calls per message (stream edits aside), stream edits and their rate."""
    tg = [telegram_counts(obs.spans, m) for m in obs.sequential]
    calls = [c for c, _ in tg]
    stream_counts = [e for _, e in tg]
    detail = {
        "per_message_typical": dict(_typical(calls)),
        "per_message_totals": [sum(c.values()) for c in calls],
        "stream_edits": stream_counts,
    }
    metrics = [
        Metric(
            "telegram_calls_per_message",
            "2. API economy",
            "Telegram calls per message, stream edits aside (max)",
            max((sum(c.values()) for c in calls), default=0),
            "calls",
            "≤ 3",
            3,
            _breakdown(_typical(calls)) + "; getUpdates not counted",
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
            + ("; the bot does not stream the draft" if not any(stream_counts) else ""),
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
