"""Smoke test of the benchmark: `python -m bench --quick` runs and reports every metric.

It checks that the command works end to end (fakes, the real bot process, the table, the JSON),
not that the targets are met: that is what the full `python -m bench` run reports.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

from bench.metrics import METRIC_IDS

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_quick_benchmark_prints_the_table_and_writes_every_metric(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    result = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--json", str(out)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]

    data = json.loads(out.read_text(encoding="utf-8"))
    metrics = data["metrics"]
    assert [m["id"] for m in metrics] == list(METRIC_IDS)
    for metric in metrics:
        assert isinstance(metric["value"], int | float), metric
        assert math.isfinite(metric["value"]), metric
        assert metric["pass"] in (True, False, None), metric
        assert metric["target"], metric
    assert data["settings"]["quick"] is True
    assert data["settings"]["memory_jobs"] >= 12
    assert data["machine"]["nproc"] >= 1 and data["machine"]["python"]
    assert data["details"]["overhead"]["messages"] == 4

    table = result.stdout
    assert "| Metric | Value | Target | Result | Notes |" in table
    for metric in metrics:
        assert metric["label"] in table
    verdicts = [
        line for line in table.splitlines() if line.startswith("| ") and "Target" not in line
    ]
    assert any(v.count("PASS") or v.count("MISS") for v in verdicts)
