"""The Workers AI client against the loopback fake: reply shapes, typed errors, retry rules."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator

import pytest

from bot.adapters.workers_ai import WorkersAIClient, WorkersAISpeech
from bot.core import errors as ai
from bot.core.ports import ChatMessage
from bot.core.usage import ModelUsage, estimated_neurons
from tests.fakes.workers_ai import WHISPER, FakeWorkersAI, count_tokens, spoken_audio

GEMMA = "@cf/google/gemma-4-26b-a4b-it"
LLAMA = "@cf/meta/llama-3.3-70b-instruct-fp8-fast"
MESSAGES: list[ChatMessage] = [
    {"role": "system", "content": "You write blog posts."},
    {"role": "user", "content": "A post about Postgres 17, mention the 40% speed-up."},
]


def make_client(fake: FakeWorkersAI, model: str = GEMMA, **kwargs: object) -> WorkersAIClient:
    options: dict[str, object] = {"max_tokens": 2048, "backoff_initial": 0.01, "backoff_max": 0.05}
    options.update(kwargs)
    return WorkersAIClient(
        api_url=fake.api_url,
        account_id="acc123",
        api_token="cf-test-token",
        model=model,
        **options,  # type: ignore[arg-type]
    )


@pytest.fixture
async def client(workers_ai: FakeWorkersAI) -> AsyncIterator[WorkersAIClient]:
    client = make_client(workers_ai)
    yield client
    await client.aclose()


async def test_gemma_reply_shape_with_thinking_off(
    workers_ai: FakeWorkersAI, client: WorkersAIClient
) -> None:
    workers_ai.queue_reply("# Postgres 17\n\nWe got 40% faster.")
    assert await client.complete(MESSAGES) == "# Postgres 17\n\nWe got 40% faster."
    body = workers_ai.run_requests()[-1]
    assert body["chat_template_kwargs"] == {"enable_thinking": False}
    assert body["max_completion_tokens"] == 2048
    assert body["messages"] == MESSAGES


async def test_older_model_response_shape(workers_ai: FakeWorkersAI) -> None:
    client = make_client(workers_ai, model=LLAMA)
    try:
        workers_ai.queue_reply("# Title\n\nBody text.")
        assert await client.complete(MESSAGES) == "# Title\n\nBody text."
        body = workers_ai.run_requests()[-1]
        assert body["max_tokens"] == 2048
        assert "chat_template_kwargs" not in body
    finally:
        await client.aclose()


@pytest.mark.parametrize("model", [GEMMA, LLAMA])
async def test_a_truncated_answer_is_cut_off_with_its_text_so_far(
    workers_ai: FakeWorkersAI, model: str
) -> None:
    """`finish_reason: "length"` (Gemma 4) or `completion_tokens` at the limit (older models):
    the text so far comes with the failure, for a follow-up call to continue."""
    client = make_client(workers_ai, model=model, max_tokens=64)
    usage = ModelUsage()
    try:
        workers_ai.queue_reply("word " * 400)
        with pytest.raises(ai.AnswerCutOff) as raised:
            await client.complete(MESSAGES, usage=usage)
    finally:
        await client.aclose()
    assert raised.value.partial.split() == ["word"] * 48  # 64 tokens of 4/3 a word
    assert usage.completion_tokens == 64
    assert usage.calls == 1


async def test_a_budget_spent_before_any_text_is_incomplete_not_cut_off(
    workers_ai: FakeWorkersAI,
) -> None:
    client = make_client(workers_ai, max_tokens=1)
    try:
        workers_ai.queue_reply("Hello there")
        with pytest.raises(ai.IncompleteAnswer) as raised:
            await client.complete(MESSAGES)
    finally:
        await client.aclose()
    assert not isinstance(raised.value, ai.AnswerCutOff)


@pytest.mark.parametrize(("model", "neurons"), [(GEMMA, True), (GEMMA, False), (LLAMA, False)])
@pytest.mark.parametrize("streamed", [False, True])
async def test_usage_is_counted_from_whole_and_streamed_answers(
    workers_ai: FakeWorkersAI, model: str, neurons: bool, streamed: bool
) -> None:
    workers_ai.report_neurons = neurons
    client = make_client(workers_ai, model=model)
    usage = ModelUsage()
    heard = _Silent() if streamed else None
    try:
        workers_ai.queue_reply("one two three four five six")  # 8 tokens
        await client.complete(MESSAGES, listener=heard, usage=usage)
        workers_ai.queue_reply("seven eight nine")  # 4 tokens
        await client.complete(MESSAGES, listener=heard, usage=usage)
    finally:
        await client.aclose()
    prompt = count_tokens("\n".join(m["content"] for m in MESSAGES))
    assert (usage.calls, usage.prompt_tokens, usage.completion_tokens) == (2, 2 * prompt, 12)
    expected = estimated_neurons(GEMMA, 2 * prompt, 12)
    assert usage.neurons == pytest.approx(expected, abs=0.001)
    assert usage.estimated is not (model == GEMMA and neurons)


class _Silent:
    async def text(self, so_far: str) -> None:
        pass

    async def retrying(self, attempt: int, attempts: int) -> None:
        pass


async def test_capacity_429_3040_is_retried_then_succeeds(
    workers_ai: FakeWorkersAI, client: WorkersAIClient
) -> None:
    workers_ai.queue_error(429, 3040, "Capacity temporarily exceeded, please try again.")
    workers_ai.queue_error(429, 3040, "Capacity temporarily exceeded, please try again.")
    workers_ai.queue_reply("# Fine\n\nNow it works.")
    assert await client.complete(MESSAGES) == "# Fine\n\nNow it works."
    assert len(workers_ai.run_requests()) == 3


async def test_retry_after_header_is_honoured(workers_ai: FakeWorkersAI) -> None:
    slept: list[float] = []

    async def record_sleep(seconds: float) -> None:
        slept.append(seconds)

    client = make_client(workers_ai, sleep=record_sleep)
    try:
        workers_ai.queue_error(429, 3040, "Capacity temporarily exceeded", retry_after=7)
        workers_ai.queue_reply("# Ok\n\nBody.")
        await client.complete(MESSAGES)
        assert slept == [pytest.approx(0.05)]  # Retry-After 7, capped by backoff_max in tests
    finally:
        await client.aclose()


@pytest.mark.parametrize(
    ("status", "code", "error"),
    [
        (429, 3036, ai.DailyQuotaExceeded),
        (401, 10000, ai.AuthenticationFailed),
        (403, 10000, ai.AuthenticationFailed),
        (400, 5007, ai.ModelNotAvailable),
        (400, 5004, ai.RequestRejected),
        (413, 5021, ai.RequestRejected),
    ],
)
async def test_errors_that_are_not_retried(
    workers_ai: FakeWorkersAI,
    client: WorkersAIClient,
    status: int,
    code: int,
    error: type[ai.ModelError],
) -> None:
    workers_ai.queue_error(status, code, "nope")
    workers_ai.queue_reply("# never\n\nreached")
    with pytest.raises(error) as caught:
        await client.complete(MESSAGES)
    assert caught.value.code == code
    assert caught.value.status == status
    assert len(workers_ai.run_requests()) == 1


@pytest.mark.parametrize("status", [500, 502, 503, 408])
async def test_server_errors_are_retried(
    workers_ai: FakeWorkersAI, client: WorkersAIClient, status: int
) -> None:
    workers_ai.queue_error(status, None, "upstream trouble", html=True)
    workers_ai.queue_reply("# Back\n\nAll good.")
    assert await client.complete(MESSAGES) == "# Back\n\nAll good."


async def test_html_error_page_is_a_typed_error_after_retries(
    workers_ai: FakeWorkersAI, client: WorkersAIClient
) -> None:
    for _ in range(4):
        workers_ai.queue_error(502, None, "Bad gateway", html=True)
    with pytest.raises(ai.ServiceUnavailable, match="non-JSON text/html"):
        await client.complete(MESSAGES)
    assert len(workers_ai.run_requests()) == 4


async def test_real_bad_token_and_unknown_model(workers_ai: FakeWorkersAI) -> None:
    bad_token = WorkersAIClient(
        api_url=workers_ai.api_url,
        account_id="acc123",
        api_token="wrong",
        model=GEMMA,
        max_tokens=512,
    )
    unknown = make_client(workers_ai, model="@cf/nobody/no-such-model")
    try:
        with pytest.raises(ai.AuthenticationFailed):
            await bad_token.complete(MESSAGES)
        with pytest.raises(ai.ModelNotAvailable):
            await unknown.complete(MESSAGES)
    finally:
        await bad_token.aclose()
        await unknown.aclose()


async def test_connection_refused_is_retried_then_reported() -> None:
    client = WorkersAIClient(
        api_url="http://127.0.0.1:9",  # discard port: nothing listens
        account_id="acc",
        api_token="t",
        model=GEMMA,
        max_tokens=512,
        max_attempts=2,
        backoff_initial=0.01,
    )
    try:
        with pytest.raises(ai.ServiceUnavailable, match="could not reach Workers AI"):
            await client.complete(MESSAGES)
    finally:
        await client.aclose()


# -- speech to text ---------------------------------------------------------------------------


@pytest.fixture
async def speech(workers_ai: FakeWorkersAI) -> AsyncIterator[WorkersAISpeech]:
    client = WorkersAISpeech(
        api_url=workers_ai.api_url,
        account_id="acc123",
        api_token="cf-test-token",
        model=WHISPER,
        backoff_initial=0.01,
        backoff_max=0.05,
    )
    yield client
    await client.aclose()


async def test_audio_goes_as_base64_with_the_language_hint_and_comes_back_as_words(
    workers_ai: FakeWorkersAI, speech: WorkersAISpeech
) -> None:
    audio = spoken_audio("Ein Beitrag über unseren Umzug")
    transcript = await speech.transcribe(audio, language="de")
    assert transcript.text == "Ein Beitrag über unseren Umzug"
    assert transcript.language == "de" and transcript.duration_seconds
    [body] = workers_ai.speech_requests()
    assert base64.b64decode(body["audio"]) == audio  # the bytes as they are, no conversion
    assert body["language"] == "de"


async def test_without_a_hint_no_language_is_sent_so_the_model_detects_it(
    workers_ai: FakeWorkersAI, speech: WorkersAISpeech
) -> None:
    workers_ai.queue_transcript("", language="en")
    assert (await speech.transcribe(b"OggS silence")).text == ""
    assert "language" not in workers_ai.speech_requests()[0]


async def test_speech_capacity_is_retried(
    workers_ai: FakeWorkersAI, speech: WorkersAISpeech
) -> None:
    workers_ai.queue_speech_error(429, 3040, "Capacity temporarily exceeded")
    workers_ai.queue_speech_error(502, None, "Bad gateway", html=True)
    workers_ai.queue_transcript("Third time lucky")
    assert (await speech.transcribe(b"OggS")).text == "Third time lucky"
    assert len(workers_ai.speech_requests()) == 3


@pytest.mark.parametrize(
    ("status", "code", "error", "sentence"),
    [
        (400, 5007, ai.SpeechModelNotAvailable, "AI_SPEECH_MODEL"),
        (400, 5004, ai.AudioRejected, "shorter clip"),
        (413, 3006, ai.AudioRejected, "shorter clip"),
        (429, 3036, ai.DailyQuotaExceeded, "00:00 UTC"),
    ],
)
async def test_speech_errors_say_what_they_mean_for_a_recording(
    workers_ai: FakeWorkersAI,
    speech: WorkersAISpeech,
    status: int,
    code: int,
    error: type[ai.ModelError],
    sentence: str,
) -> None:
    workers_ai.queue_speech_error(status, code, "nope")
    with pytest.raises(error) as caught:
        await speech.transcribe(b"OggS")
    assert sentence in caught.value.user_message
    assert len(workers_ai.speech_requests()) == 1
