"""A short soak (the full one is `python -m bench --soak`, bench/soak.py): writers send new
posts and revisions while every fake service injects faults, and the bot is SIGKILLed and
SIGTERMed on the way; every message still ends in exactly one answer and no pull request is
opened twice."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.soak import SoakSettings, run_soak

# A minute of restarts and injected faults: the slow tier (.ci/run runs it).
pytestmark = pytest.mark.slow


def test_a_short_soak_answers_every_message_once(tmp_path: Path) -> None:
    settings = SoakSettings(messages=45, writers=5, fault_rate=0.05, seed=11, answer_timeout=60)

    result = run_soak(settings, progress=lambda _: None, workdir=tmp_path)

    assert result.problems == []
    assert sum(result.faults.values()) > 0, "the soak injected no fault"
    assert result.restarts == ["SIGKILL after 15 messages", "SIGTERM after 30 messages"]
    assert result.unexpected_exits == 0
    assert len(result.outcomes) == 45
    assert result.count("none") == 0 and result.extra_answers == 0
    assert result.pull_requests == result.count("opened") > 0
    assert result.duplicate_branches == 0
