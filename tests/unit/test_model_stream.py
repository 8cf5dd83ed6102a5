"""Reading Workers AI's streamed answers: both event shapes, events cut across reads, the end
of the stream, and errors inside it."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from httpx_sse import ServerSentEvent

from bot.adapters.model_stream import StreamedAnswer, StreamFailed
from bot.adapters.workers_ai import WorkersAIClient
from bot.core import errors as ai

USAGE = {"prompt_tokens": 10, "completion_tokens": 4, "total_tokens": 14}


def chunk(content: str | None, finish: str | None = None) -> dict[str, Any]:
    delta = {} if content is None else {"content": content}
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "@cf/google/gemma-4-26b-a4b-it",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}],
    }


def sse(*events: Any) -> bytes:
    return b"".join(
        f"data: {e if isinstance(e, str) else json.dumps(e)}\n\n".encode() for e in events
    )


def feed(answer: StreamedAnswer, *events: Any) -> list[str]:
    return [
        answer.add(ServerSentEvent(data=e if isinstance(e, str) else json.dumps(e))) for e in events
    ]


def test_older_models_response_events() -> None:
    answer = StreamedAnswer()
    added = feed(
        answer,
        {"response": "Hello", "p": "abcde"},
        {"response": " world"},
        {"response": "", "usage": USAGE},
        "[DONE]",
    )
    assert added == ["Hello", " world", "", ""]
    assert answer.text == "Hello world" and answer.done
    assert answer.completion_tokens == 4 and not answer.openai_shape


def test_openai_chunks_ignore_thinking_and_keep_the_finish_reason() -> None:
    answer = StreamedAnswer()
    thinking = chunk(None)
    thinking["choices"][0]["delta"] = {"reasoning_content": "Let me think..."}
    feed(
        answer,
        chunk(""),
        thinking,
        chunk("Hi"),
        chunk(" there"),
        chunk(None, "stop"),
        {"response": "", "usage": USAGE},
        "[DONE]",
    )
    assert answer.text == "Hi there"
    assert answer.finish_reason == "stop" and answer.openai_shape and answer.done


@pytest.mark.parametrize(
    ("event", "code", "message"),
    [
        (
            ServerSentEvent(event="error", data='{"error": {"code": 3040, "message": "busy"}}'),
            3040,
            "busy",
        ),
        (
            ServerSentEvent(
                data='{"errors": [{"code": 3007, "message": "timeout"}], "success": false}'
            ),
            3007,
            "timeout",
        ),
        (ServerSentEvent(data='{"error": "internal"}'), None, "internal"),
        (ServerSentEvent(event="error", data="upstream reset"), None, "upstream reset"),
    ],
)
def test_errors_inside_the_stream(event: ServerSentEvent, code: int | None, message: str) -> None:
    with pytest.raises(StreamFailed) as failed:
        StreamedAnswer().add(event)
    assert (failed.value.code, failed.value.message) == (code, message)


class ByteByByte(httpx.AsyncByteStream):
    """The body one byte per read: every event and every UTF-8 character cut across reads."""

    def __init__(self, body: bytes) -> None:
        self.body = body

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for index in range(len(self.body)):
            yield self.body[index : index + 1]


class Heard:
    def __init__(self) -> None:
        self.texts: list[str] = []
        self.retries: list[tuple[int, int]] = []

    async def text(self, so_far: str) -> None:
        self.texts.append(so_far)

    async def retrying(self, attempt: int, attempts: int) -> None:
        self.retries.append((attempt, attempts))


def client_answering(*bodies: bytes, max_tokens: int = 100) -> WorkersAIClient:
    answers = list(bodies)

    def answer(request: httpx.Request) -> httpx.Response:
        assert json.loads(request.content)["stream"] is True
        headers = {"content-type": "text/event-stream"}
        return httpx.Response(200, headers=headers, stream=ByteByByte(answers.pop(0)))

    return WorkersAIClient(
        api_url="http://ai.invalid/client/v4",
        account_id="acc",
        api_token="token",
        model="@cf/google/gemma-4-26b-a4b-it",
        max_tokens=max_tokens,
        backoff_initial=0.001,
        backoff_max=0.001,
        http=httpx.AsyncClient(transport=httpx.MockTransport(answer)),
    )


MESSAGES = [{"role": "user", "content": "hi"}]


async def test_events_cut_across_reads_add_up() -> None:
    client = client_answering(sse(chunk("Grüße, "), chunk("Welt ✍️"), chunk(None, "stop"), "[DONE]"))
    heard = Heard()
    assert await client.complete(MESSAGES, listener=heard) == "Grüße, Welt ✍️"  # type: ignore[arg-type]
    assert heard.texts == ["Grüße, ", "Grüße, Welt ✍️"]


async def test_a_stream_cut_before_done_is_retried_from_scratch() -> None:
    client = client_answering(
        sse(chunk("Half an ans")),  # the connection ends: no [DONE]
        sse(chunk("Whole"), chunk(None, "stop"), "[DONE]"),
    )
    heard = Heard()
    assert await client.complete(MESSAGES, listener=heard) == "Whole"  # type: ignore[arg-type]
    assert heard.texts == ["Half an ans", "Whole"]
    assert heard.retries == [(2, 4)]


async def test_an_error_event_is_the_error_it_names() -> None:
    client = client_answering(
        sse(chunk("Par"), {"errors": [{"code": 3036, "message": "quota"}], "success": False})
    )
    with pytest.raises(ai.DailyQuotaExceeded):
        await client.complete(MESSAGES, listener=Heard())  # type: ignore[arg-type]


async def test_a_stream_cut_by_the_budget_is_incomplete() -> None:
    client = client_answering(sse(chunk("Cut"), chunk(None, "length"), "[DONE]"))
    with pytest.raises(ai.IncompleteAnswer):
        await client.complete(MESSAGES, listener=Heard())  # type: ignore[arg-type]
