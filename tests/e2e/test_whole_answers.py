"""Whole answers, as a writer meets them (the real bot process, streaming from the fake Workers
AI): a post longer than one answer's token budget is continued by follow-up calls and
published as one clean post; a post that never ends is refused with a clear answer."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.core import prompts
from tests.botprocess import WRITER_ID, BotProcess, bot_environment
from tests.fakes.github import FakeGitHub
from tests.fakes.telegram import FakeTelegram
from tests.fakes.workers_ai import FakeWorkersAI, continuing, count_tokens, prompt_text
from tests.helpers_chat import model_post, post_file

# One answer holds at most this many tokens (150 words): the post below needs three.
BUDGET = 200
SECTIONS = (
    (
        "The planner",
        "We started with the planner, because every slow page in our dashboards came "
        "down to one bad plan. Postgres 17 picked better joins for our reporting queries without a "
        "single hint, and the nightly export finished before breakfast for the first time.",
    ),
    (
        "Indexes",
        "Next came the indexes. Two of them had grown to twice their useful size, so we "
        "rebuilt them concurrently on a Tuesday and saw the disk graph fall by forty gigabytes.",
    ),
    (
        "Vacuum",
        "Vacuum used to wake the on-call engineer at three in the morning. The new memory "
        "handling let it finish large tables in one pass, and the pager has stayed quiet since.",
    ),
    (
        "Replicas",
        "Our read replicas lagged whenever the billing job ran. After the upgrade the lag "
        "rarely passes a second, which means customers finally see their invoices right away.",
    ),
    (
        "Backups",
        "Incremental backups were the feature we waited for most. A full copy took six "
        "hours; now the daily increment takes twenty minutes and restores were rehearsed twice.",
    ),
    (
        "Connections",
        "We also trimmed the connection pool. Fewer, busier connections turned out "
        "faster than many idle ones, and the application servers dropped a little memory as well.",
    ),
    (
        "Statistics",
        "Better statistics on skewed columns fixed an old puzzle: the country filter "
        "that was fast for Germany and painfully slow for Iceland now behaves the same everywhere.",
    ),
    (
        "Locks",
        "Schema changes no longer block the checkout. Adding a column with a default is "
        "instant, so product teams ship migrations during the day instead of waiting for weekends.",
    ),
    (
        "Queries",
        "The JSON functions let us delete a small service that only reshaped documents. "
        "One query replaced about three hundred lines of glue code we never liked.",
    ),
    (
        "Alerts",
        "Finally we rewrote the alerts. Instead of a dozen noisy thresholds we watch three "
        "numbers that matter to users, and each one links to a short runbook.",
    ),
)
BODY = "\n\n".join(f"## {heading}\n\n{text}" for heading, text in SECTIONS)
POST = model_post("Postgres 17 in ten steps", BODY)


@pytest.fixture
def bot_env(
    telegram: FakeTelegram, workers_ai: FakeWorkersAI, github: FakeGitHub, tmp_path: Path
) -> dict[str, str]:
    return bot_environment(telegram, workers_ai, github, tmp_path, AI_MAX_TOKENS=str(BUDGET))


def answer(telegram: FakeTelegram) -> str:
    return telegram.wait_for_bot_message(
        WRITER_ID, lambda m: "Pull request #1" in m.text or "⚠️" in m.text, timeout=30
    ).text


def test_a_post_cut_off_twice_is_continued_and_published_whole(
    bot: BotProcess, telegram: FakeTelegram, workers_ai: FakeWorkersAI, github: FakeGitHub
) -> None:
    assert 2 * BUDGET < count_tokens(POST) < 3 * BUDGET - 10
    workers_ai.stream_seconds, workers_ai.stream_chunks = 1.2, 12
    workers_ai.responder = continuing(POST)  # repeats three words at each seam, as models do
    telegram.send_text(WRITER_ID, "A long post about our ten steps to Postgres 17")

    text = answer(telegram)

    assert "Pull request #1" in text, text
    # One clean post: the committed file is the post the model meant, without a seam.
    post = post_file(github, 1)
    assert post["title"] == "Postgres 17 in ten steps"
    assert post.content == BODY
    # Three model calls: the notes, then twice the text so far and the continuation prompt.
    calls = workers_ai.text_requests()
    assert len(calls) == 3
    first_messages = calls[0]["messages"]
    assert all(m["role"] != "assistant" for m in first_messages)
    so_far = []
    for call in calls[1:]:
        *same, written, ask = call["messages"]
        assert same == first_messages
        assert written["role"] == "assistant" and POST.startswith(written["content"])
        assert ask == {"role": "user", "content": prompts.render("continue")}
        so_far.append(written["content"])
    assert len(so_far[0]) < len(so_far[1]) < len(POST)
    # The writer watched one text grow across the continuations; it never started over.
    shown = [d.text for d in telegram.drafts(WRITER_ID)]
    assert all(POST.startswith(s) for s in shown), shown
    assert [len(s) for s in shown] == sorted(len(s) for s in shown)
    assert any(len(s) > len(so_far[1]) for s in shown), shown  # seen during the third call
    # The job's log line says what the three calls cost.
    tokens_in = sum(count_tokens(prompt_text(call)) for call in calls)
    tokens_out = 2 * BUDGET + count_tokens(POST[len(so_far[1]) :])
    line = next(line for line in bot.logs().splitlines() if "outcome=answered" in line)
    found = re.search(r"tokens_in=(\d+) tokens_out=(\d+) neurons=([\d.]+)", line)
    assert found is not None, line
    assert int(found[1]) == tokens_in
    assert abs(int(found[2]) - tokens_out) <= 4  # the last call repeats three words
    expected_neurons = (int(found[1]) * 9_100 + int(found[2]) * 27_300) / 1e6
    assert float(found[3]) == pytest.approx(expected_neurons, abs=0.1)


def test_a_post_that_never_ends_is_refused_and_nothing_is_written(
    bot: BotProcess, telegram: FakeTelegram, workers_ai: FakeWorkersAI, github: FakeGitHub
) -> None:
    endless = model_post("Endless", "\n\n".join([BODY] * 6))
    assert count_tokens(endless) > 5 * BUDGET
    workers_ai.stream_seconds = 0.05
    workers_ai.responder = continuing(endless)
    telegram.send_text(WRITER_ID, "A post that goes on and on")

    text = answer(telegram)

    assert "⚠️" in text
    assert "too long" in text and "shorter" in text
    assert "Traceback" not in text and "AI_MAX_TOKENS" not in text
    assert len(workers_ai.text_requests()) == 4  # the answer, then three continuations
    assert github.write_requests() == []
    assert github.pulls() == []
