"""The results as a Markdown table and as JSON."""

from __future__ import annotations

import datetime as dt
import os
import platform
import statistics
import sys
from importlib import metadata
from typing import Any

from bench.metrics import Metric
from bench.runner import Observations


def machine() -> dict[str, Any]:
    model = ""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:
        cpus = os.cpu_count() or 0
    versions = {}
    for package in ("python-telegram-bot", "PyGithub", "httpx"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "not installed"
    return {
        "nproc": cpus,
        "cpu_model": model or platform.processor() or "unknown",
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "packages": versions,
    }


def settings_summary(obs: Observations) -> dict[str, Any]:
    s = obs.settings
    return {
        "quick": s.quick,
        "messages": s.messages,
        "users": s.users,
        "api_latency_ms": s.api_latency * 1000,
        "model_latency_ms": s.model_latency * 1000,
        "concurrency_model_latency_s": s.concurrency_model_latency,
        "memory_jobs": obs.jobs,
        "startup_runs": s.startup_runs,
        "state": s.state,
        "github_pacing": "shipped" if s.github_pacing else "lifted (GITHUB_WRITES_PER_MINUTE)",
        "github_pacing_waits": obs.pacing_waits,
        "total_seconds": round(obs.seconds, 1),
    }


def _value(metric: Metric) -> str:
    if metric.unit in ("calls", "edits", "tokens"):
        text = f"{metric.value:g}" if metric.value == int(metric.value) else f"{metric.value:.2f}"
        return f"{text} {metric.unit}"
    if metric.unit == "×":
        return f"{metric.value:.2f}×"
    if metric.unit == "ms":
        return f"{metric.value:.1f} ms"
    if metric.unit == "s":
        return f"{metric.value:.2f} s"
    return f"{metric.value:.1f} {metric.unit}"


def _verdict(metric: Metric) -> str:
    return {True: "PASS", False: "**MISS**", None: "info"}[metric.passed]


def table(metrics: list[Metric]) -> str:
    lines = [
        "| Metric | Value | Target | Result | Notes |",
        "| --- | --- | --- | --- | --- |",
    ]
    for m in metrics:
        label = f"{m.group}: {m.label}"
        notes = m.detail.replace("|", "\\|")
        lines.append(f"| {label} | {_value(m)} | {m.target} | {_verdict(m)} | {notes} |")
    return "\n".join(lines)


def steps_table(details: dict[str, Any]) -> str:
    """The bot's own time before each call of a message, p50, new posts and revisions."""
    steps = details.get("overhead", {}).get("steps", [])
    lines = [
        "| Kind | Step | Call | Own time before it, p50 | p95 |",
        "| --- | --- | --- | --- | --- |",
    ]
    for kind in ("new", "revision"):
        rows = [s for s in steps if s["kind"] == kind]
        typical = max((s["messages"] for s in rows), default=0)
        for row in rows:
            if row["messages"] * 2 < typical:
                continue  # a rare path (the first post's extra call): it would mislead
            lines.append(
                f"| {kind} | {row['step']} | {row['call']} | {row['gap_ms_p50']:.1f} ms "
                f"| {row['gap_ms_p95']:.1f} ms |"
            )
    return "\n".join(lines)


def _cell(values: list[float]) -> str:
    """One value, or the median of several and their range."""
    if not values:
        return "—"
    text = f"{statistics.median(values):,.0f}"
    if min(values) != max(values):
        text += f" ({min(values):,.0f}–{max(values):,.0f})"
    return text


def _reads(calls: dict[str, int]) -> str:
    if not calls:
        return "0"
    return (
        f"{sum(calls.values())} (" + ", ".join(f"{c} ×{n}" for c, n in sorted(calls.items())) + ")"
    )


def model_input_table(details: dict[str, Any]) -> str:
    """6. By repository and message kind: the model's input, and the blog-learning reads."""
    detail = details.get("model_input")
    if not detail:
        return ""
    lines = [
        "| Repository | Message | n | Input tokens | Request chars (messages / JSON) "
        "| Style excerpt chars / tokens | GitHub reads learning the blog |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for side in ("before", "after"):
        part = detail[side]
        name = "default (no posts)" if side == "before" else part["repository"]
        later = max(part["learning_reads"][1:], default=0)
        learning = {
            "new": f"first message {_reads(part['learning_first_message'])}; later ones {later}",
            "revision": "—",
        }
        for kind, label in (("new", "new post"), ("revision", "revision")):
            row = part[kind]
            if not row["messages"]:
                continue
            style = (
                f"{_cell(row['style_chars'])} / {_cell(row['style_tokens'])}"
                if any(row["style_chars"])
                else "none"
            )
            lines.append(
                f"| {name} | {label} | {row['messages']} | {_cell(row['input_tokens'])} "
                f"| {_cell(row['input_chars'])} / {_cell(row['body_chars'])} | {style} "
                f"| {learning[kind]} |"
            )
    return "\n".join(lines)


def markdown(
    metrics: list[Metric], details: dict[str, Any], obs: Observations, info: dict[str, Any]
) -> str:
    s = settings_summary(obs)
    head = (
        f"Injected latency: {s['api_latency_ms']:g} ms per API call (getUpdates excepted), "
        f"model {s['model_latency_ms']:g} ms (sequential and memory phases) and "
        f"{s['concurrency_model_latency_s']:g} s (concurrency phase). "
        f"{s['messages']} sequential messages, {s['users']} concurrent users, "
        f"{s['memory_jobs']} jobs, state in {s['state']}, GitHub write pacing "
        f"{s['github_pacing']}. "
        f"Machine: {info['nproc']} CPU ({info['cpu_model']}), "
        f"Python {info['python']}, {info['date']}. Took {s['total_seconds']:g} s"
        + (" (--quick: numbers are not meaningful)." if s["quick"] else ".")
    )
    missed = [m for m in metrics if m.passed is False]
    tail = (
        "All targets met."
        if not missed
        else "Missed: " + ", ".join(f"{m.group} {m.label}" for m in missed) + "."
    )
    if obs.pacing_waits:
        tail += (
            f" The bot paused its GitHub writes {obs.pacing_waits} time(s) to stay under GitHub's "
            "secondary limit: those timings include the pause."
        )
    if obs.fake_errors:
        tail += f" The fakes recorded {len(obs.fake_errors)} contract problems (see the JSON)."
    inputs = model_input_table(details)
    return (
        f"{head}\n\n{table(metrics)}\n\n{tail}\n\n"
        "Where the own overhead goes (from the answer the bot got, or the update, to its next "
        "request):\n\n"
        f"{steps_table(details)}\n"
        + (
            "\nModel input per message (tokens: the fake Workers AI's usage.prompt_tokens, "
            "words × 4/3; median, range in brackets):\n\n"
            f"{inputs}\n"
            if inputs
            else ""
        )
    )


def as_json(
    metrics: list[Metric], details: dict[str, Any], obs: Observations, info: dict[str, Any]
) -> dict[str, Any]:
    return {
        "machine": info,
        "settings": settings_summary(obs),
        "metrics": [m.as_dict() for m in metrics],
        "details": details,
        "fake_errors": obs.fake_errors[:50],
    }
