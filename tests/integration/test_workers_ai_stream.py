"""The Workers AI client streaming from the loopback fake: the listener hears the answer grow
(both answer shapes), retries are told, errors are the same as without a stream."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from bot.core import errors as ai
from tests.fakes.workers_ai import FakeWorkersAI
from tests.integration.test_workers_ai import GEMMA, LLAMA, MESSAGES, make_client

POST = "# Postgres 17\n\nWe moved to Postgres 17 and got 40% faster. Ünïcödé survives cuts. ✍️"


@dataclass
class Heard:
    texts: list[str] = field(default_factory=list)
    retries: list[tuple[int, int]] = field(default_factory=list)

    async def text(self, so_far: str) -> None:
        self.texts.append(so_far)

    async def retrying(self, attempt: int, attempts: int) -> None:
        self.retries.append((attempt, attempts))


@pytest.mark.parametrize("model", [GEMMA, LLAMA])
async def test_the_listener_hears_the_answer_grow(workers_ai: FakeWorkersAI, model: str) -> None:
    workers_ai.stream_chunks = 12  # cut inside lines and inside UTF-8 characters
    client = make_client(workers_ai, model=model)
    heard = Heard()
    try:
        workers_ai.queue_reply(POST)
        assert await client.complete(MESSAGES, listener=heard) == POST
    finally:
        await client.aclose()
    assert workers_ai.run_requests()[-1]["stream"] is True
    assert len(heard.texts) >= 5
    assert all(POST.startswith(text) for text in heard.texts)
    assert [len(t) for t in heard.texts] == sorted({len(t) for t in heard.texts})
    assert heard.texts[-1] == POST
    assert heard.retries == []
    assert len(workers_ai.first_tokens) == 1


async def test_a_busy_model_is_retried_and_the_listener_told(workers_ai: FakeWorkersAI) -> None:
    client = make_client(workers_ai)
    heard = Heard()
    try:
        workers_ai.queue_error(429, 3040, "Capacity temporarily exceeded")
        workers_ai.queue_error(503, None, "Service unavailable", html=True)
        workers_ai.queue_reply(POST)
        assert await client.complete(MESSAGES, listener=heard) == POST
    finally:
        await client.aclose()
    assert heard.retries == [(2, 4), (3, 4)]
    assert heard.texts[-1] == POST


async def test_errors_are_mapped_as_without_a_stream(workers_ai: FakeWorkersAI) -> None:
    client = make_client(workers_ai, max_attempts=2)
    heard = Heard()
    try:
        workers_ai.queue_error(429, 3036, "daily free allocation used up")
        with pytest.raises(ai.DailyQuotaExceeded):
            await client.complete(MESSAGES, listener=heard)
        workers_ai.queue_error(500, None, "boom")
        workers_ai.queue_error(500, None, "boom")
        with pytest.raises(ai.ServiceUnavailable):
            await client.complete(MESSAGES, listener=heard)
    finally:
        await client.aclose()
    assert heard.texts == []
    assert heard.retries == [(2, 2)]


@pytest.mark.parametrize("model", [GEMMA, LLAMA])
async def test_a_streamed_answer_cut_by_the_token_budget_is_incomplete(
    workers_ai: FakeWorkersAI, model: str
) -> None:
    """Gemma 4 says `finish_reason: "length"`; an older model's final usage event shows
    `completion_tokens` at the limit."""
    client = make_client(workers_ai, model=model, max_tokens=5)
    try:
        workers_ai.queue_reply("word " * 50)
        with pytest.raises(ai.AnswerCutOff) as raised:
            await client.complete(MESSAGES, listener=Heard())
        assert raised.value.partial.split() == ["word"] * 3  # 5 tokens of 4/3 a word
    finally:
        await client.aclose()
