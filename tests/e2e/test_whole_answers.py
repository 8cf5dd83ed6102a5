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

# One answer holds at most this many tokens (225 words): the post below needs three.
BUDGET = 300
STEPS = (
    "chose", "measured", "copied", "replayed", "compared", "tuned", "rehearsed", "switched",
    "watched", "wrote",
)  # fmt: skip
NOUNS = (
    "planner", "indexes", "vacuum", "replicas", "backups", "connections", "statistics", "locks",
    "queries", "alerts",
)  # fmt: skip
BODY = "\n\n".join(
    f"## Why the {noun} mattered\n\n"
    f"Next we {step} the {noun} on the staging cluster, because the {noun} had surprised us "
    f"before. The team {step} each change on a quiet afternoon, wrote down what the {noun} did, "
    f"and kept the old settings at hand in case the {noun} misbehaved once real traffic arrived."
    for step, noun in zip(STEPS, NOUNS, strict=True)
)
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
