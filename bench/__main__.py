"""`python -m bench [--quick] [--messages N] [--users N] [--json PATH]`."""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import time
from pathlib import Path

from bench import metrics, report, runner, soak

DEFAULT_JSON = Path(__file__).resolve().parent / "results.json"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Benchmark the real bot process against the loopback fakes with injected "
        "latency; print a Markdown table and write JSON.",
    )
    parser.add_argument("--quick", action="store_true", help="a tiny run (smoke test)")
    parser.add_argument("--messages", type=int, help="sequential messages (default 50)")
    parser.add_argument("--users", type=int, help="users sending at once (default 10)")
    parser.add_argument(
        "--json", type=Path, default=DEFAULT_JSON, help=f"where to write JSON ({DEFAULT_JSON})"
    )
    parser.add_argument("--api-latency-ms", type=float, help="per API call (default 30)")
    parser.add_argument("--model-latency-ms", type=float, help="sequential model (default 75)")
    parser.add_argument(
        "--concurrency-model-s", type=float, help="model time with N users (default 2)"
    )
    parser.add_argument(
        "--github-pacing",
        action="store_true",
        help="keep the bot's GitHub write pacing (80 writes a minute); by default the benchmark "
        "lifts it (GITHUB_WRITES_PER_MINUTE), as it makes ~200 writes in half a minute",
    )
    parser.add_argument(
        "--state",
        choices=("sqlite", "redis"),
        default="sqlite",
        help="the bot's state store: a SQLite file (default) or a private redis-server "
        "(REDIS_URL, as on Heroku)",
    )
    parser.add_argument(
        "--soak",
        action="store_true",
        help="the soak run instead: many writers, 5%% injected faults, a SIGKILL and a SIGTERM "
        "(bench/soak.py); --messages and --users set its size (default 1000 and 20)",
    )
    parser.add_argument("--fault-rate", type=float, default=0.05, help="soak: share of calls")
    parser.add_argument("--seed", type=int, default=1, help="soak: where the faults fall")
    parser.add_argument("--soak-dir", type=Path, help="soak: keep the bot's log and state here")
    parser.add_argument(
        "--wrap",
        help="run the bot under this command, e.g. 'py-spy record -o bot-{run}.svg --' "
        "({run}: 1 for the main bot process, 2.. for start-up samples); timings then include "
        "the wrapper",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.soak:
        return run_soak(args)
    settings = runner.Settings.quick_run() if args.quick else runner.Settings()
    if args.messages is not None:
        settings.messages = max(args.messages, 2)
    if args.users is not None:
        settings.users = max(args.users, 1)
    if args.api_latency_ms is not None:
        settings.api_latency = args.api_latency_ms / 1000
    if args.model_latency_ms is not None:
        settings.model_latency = args.model_latency_ms / 1000
    settings.github_pacing = args.github_pacing
    settings.state = args.state
    if args.concurrency_model_s is not None:
        settings.concurrency_model_latency = args.concurrency_model_s

    began = time.monotonic()

    def progress(text: str) -> None:
        print(f"[bench {time.monotonic() - began:5.1f}s] {text}", file=sys.stderr, flush=True)

    wrap = shlex.split(args.wrap) if args.wrap else None
    try:
        observations = runner.observe(settings, progress, wrap)
    except runner.BenchError as exc:
        print(f"benchmark failed: {exc}", file=sys.stderr)
        return 1
    results, details = metrics.compute(observations)
    info = report.machine()
    print(report.markdown(results, details, observations, info))
    args.json.parent.mkdir(parents=True, exist_ok=True)
    payload = report.as_json(results, details, observations, info)
    args.json.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n", "utf-8")
    progress(f"wrote {args.json}")
    return 0


def run_soak(args: argparse.Namespace) -> int:
    settings = soak.SoakSettings(fault_rate=args.fault_rate, seed=args.seed)
    if args.messages is not None:
        settings.messages = max(args.messages, 3)
    if args.users is not None:
        settings.writers = max(args.users, 1)
    began = time.monotonic()

    def progress(text: str) -> None:
        print(f"[soak {time.monotonic() - began:5.1f}s] {text}", file=sys.stderr, flush=True)

    result = soak.run_soak(settings, progress, args.soak_dir)
    print(soak.report(result))
    return 0 if not result.problems else 1


if __name__ == "__main__":
    sys.exit(main())
