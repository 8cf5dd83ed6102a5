"""Cloudflare Workers AI over its REST API (httpx).

`POST {api}/accounts/{account}/ai/run/{model}` answers inside the v4 envelope
`{"success", "result", "errors", "messages"}`. Older models put the text in `result.response`;
Gemma 4 and newer models answer with an OpenAI `chat.completion` in `result`. Failures carry
Cloudflare's integer error code, which decides whether a retry can help.

Speech to text (`@cf/openai/whisper-large-v3-turbo`) takes `{"audio": "<base64>"}` with an
optional `language` and answers `{"text", "transcription_info": {"language", ...}, ...}`. The
model decodes the file itself (faster-whisper, through FFmpeg), so Telegram's OGG/Opus voice
notes, MP3/M4A audio and MP4 video notes are sent as they are, with no conversion.

With a listener, text generation asks for a stream (`"stream": true`, server-sent events read
by bot/adapters/model_stream.py) and the listener hears the answer grow; a busy model or a
failed service is retried the same way, and the listener hears of each retry.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

import httpx
from httpx_sse import EventSource
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential_jitter,
)

from bot.adapters.model_stream import StreamedAnswer, StreamFailed, usage_of
from bot.core.errors import (
    AccountNotFound,
    AnswerCutOff,
    AudioRejected,
    AuthenticationFailed,
    CapacityExceeded,
    DailyQuotaExceeded,
    IncompleteAnswer,
    ModelError,
    ModelNotAvailable,
    RequestRejected,
    ServiceUnavailable,
    SpeechModelNotAvailable,
)
from bot.core.ports import ChatMessage, ImageInput, ModelListener, Transcript
from bot.core.usage import ModelUsage

log = logging.getLogger(__name__)

# Models that answer in the OpenAI shape and think before answering unless told not to.
_THINKING_MODEL_MARKERS = ("gemma-4",)

T = TypeVar("T")


def _is_retryable(exc: BaseException) -> bool:
    return isinstance(exc, ModelError) and exc.retryable


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None  # an HTTP date; the exponential backoff is a fine substitute


def _error_for(
    status: int, code: int | None, message: str, retry_after: float | None
) -> ModelError:
    kwargs: dict[str, Any] = {"status": status, "code": code, "retry_after": retry_after}
    if code == 3036:
        return DailyQuotaExceeded(message, **kwargs)
    if code == 3040 or (status == 429 and code is None):
        return CapacityExceeded(message, **kwargs)
    if status in (401, 403) and code in (10000, None):
        return AuthenticationFailed(message, **kwargs)
    if code in (5007, 3042, 5035, 5016):
        return ModelNotAvailable(message, **kwargs)
    if code == 7003 or status == 404:
        return AccountNotFound(message, **kwargs)
    if status == 408 or code in (3007, 3008) or status >= 500:
        return ServiceUnavailable(message, **kwargs)
    if status == 429:
        return CapacityExceeded(message, **kwargs)
    return RequestRejected(message, **kwargs)


def first_error(payload: Any) -> tuple[int | None, str]:
    """(code, message) of the first entry of a v4 envelope's `errors`; (None, "unknown error")
    when there is none. The config check reads the catalogue search's answer with it too."""
    errors = payload.get("errors") if isinstance(payload, dict) else None
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        raw_code = errors[0].get("code")
        try:
            code = int(raw_code) if raw_code is not None else None
        except (TypeError, ValueError):
            code = None  # the 2024 schema typed codes as strings; tolerate anything
        return code, str(errors[0].get("message") or "unknown error")
    return None, "unknown error"


class _ModelRunner:
    """One Workers AI model: runs it and retries what is worth retrying, with backoff."""

    # The failures whose sentence depends on what the model is for (text or speech).
    _not_available: type[ModelError] = ModelNotAvailable
    _rejected: type[ModelError] = RequestRejected

    def __init__(
        self,
        *,
        api_url: str,
        account_id: str,
        api_token: str,
        model: str,
        timeout: float = 120.0,
        max_attempts: int = 4,
        backoff_initial: float = 1.0,
        backoff_max: float = 30.0,
        sleep: Callable[[float], Awaitable[None]] | None = None,
        http: httpx.AsyncClient | None = None,
    ) -> None:
        self.model = model
        self._url = f"{api_url.rstrip('/')}/accounts/{account_id}/ai/run/{model}"
        self._max_attempts = max_attempts
        self._backoff = wait_exponential_jitter(
            multiplier=backoff_initial, max=backoff_max, jitter=backoff_initial
        )
        self._backoff_max = backoff_max
        self._sleep = sleep or asyncio.sleep
        self._http = http or httpx.AsyncClient(timeout=httpx.Timeout(timeout, connect=10.0))
        self._headers = {"Authorization": f"Bearer {api_token}"}

    async def aclose(self) -> None:
        await self._http.aclose()

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, ModelError) and exc.retry_after is not None:
            return min(exc.retry_after, self._backoff_max)
        return float(self._backoff(state))

    async def _run(self, body: dict[str, Any], extract: Callable[[Any], T]) -> T:
        """`extract(result)` of the model's answer to `body`. Raises a ModelError subclass."""
        return await self._retried(lambda: self._extracted(body, extract))

    async def _extracted(self, body: dict[str, Any], extract: Callable[[Any], T]) -> T:
        return extract(await self._run_once(body))

    async def _retried(
        self, call: Callable[[], Awaitable[T]], listener: ModelListener | None = None
    ) -> T:
        """`call()`, tried again with backoff while it fails in a way worth retrying; the
        listener hears of each retry before the wait, so the writer sees why it takes long."""

        async def before_sleep(state: RetryCallState) -> None:
            exc = state.outcome.exception() if state.outcome else None
            log.warning("Workers AI attempt %d failed (%s); retrying", state.attempt_number, exc)
            if listener is not None:
                await listener.retrying(state.attempt_number + 1, self._max_attempts)

        retrying = AsyncRetrying(
            sleep=self._sleep,
            stop=stop_after_attempt(self._max_attempts),
            wait=self._wait,
            retry=retry_if_exception(_is_retryable),
            reraise=True,
            before_sleep=before_sleep,
        )
        async for attempt in retrying:
            with attempt:
                return await call()
        raise AssertionError("unreachable: tenacity reraises the last error")

    def _error(
        self, status: int, code: int | None, message: str, retry_after: float | None
    ) -> ModelError:
        error = _error_for(status, code, message, retry_after)
        own = {ModelNotAvailable: self._not_available, RequestRejected: self._rejected}
        kind = own.get(type(error))
        if kind is None:
            return error
        return kind(message, status=status, code=code, retry_after=retry_after)

    async def _run_once(self, body: dict[str, Any]) -> Any:
        """The `result` of one successful run."""
        try:
            response = await self._http.post(self._url, json=body, headers=self._headers)
        except httpx.TimeoutException as exc:
            raise _timed_out(exc) from None
        except httpx.TransportError as exc:
            raise _unreachable(exc) from None
        return self._result_of(response)

    def _result_of(self, response: httpx.Response) -> Any:
        """The `result` of a read, enveloped answer; raises the ModelError it says."""
        try:
            payload = response.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            payload = None
        if not isinstance(payload, dict):
            # An edge error page (HTML) or garbage: say what it was, not the page itself.
            kind = response.headers.get("content-type", "unknown").split(";")[0]
            message = f"Workers AI answered with a non-JSON {kind} body"
            if response.status_code >= 400:
                raise self._error(response.status_code, None, message, _retry_after(response))
            raise ServiceUnavailable(message, status=response.status_code)

        if response.status_code >= 400 or payload.get("success") is False:
            code, message = first_error(payload)
            status = response.status_code if response.status_code >= 400 else 500
            raise self._error(status, code, message, _retry_after(response))
        return payload.get("result")


def _timed_out(exc: httpx.TimeoutException) -> ModelError:
    return ServiceUnavailable(f"Workers AI did not answer in time ({type(exc).__name__})")


def _unreachable(exc: httpx.TransportError) -> ModelError:
    return ServiceUnavailable(f"could not reach Workers AI ({type(exc).__name__})")


class WorkersAIClient(_ModelRunner):
    """Runs a text-generation model."""

    def __init__(self, *, max_tokens: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._max_tokens = max_tokens

    @property
    def thinks_by_default(self) -> bool:
        return any(marker in self.model for marker in _THINKING_MODEL_MARKERS)

    def request_body(
        self, messages: Sequence[ChatMessage], images: Sequence[ImageInput] = ()
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"messages": [dict(m) for m in messages]}
        if images:
            _attach_images(body["messages"], images)
        if self.thinks_by_default:
            # Thinking spends the token budget before the answer starts: empty posts otherwise.
            body["max_completion_tokens"] = self._max_tokens
            body["chat_template_kwargs"] = {"enable_thinking": False}
        else:
            body["max_tokens"] = self._max_tokens
        return body

    async def complete(
        self,
        messages: Sequence[ChatMessage],
        *,
        images: Sequence[ImageInput] = (),
        listener: ModelListener | None = None,
        usage: ModelUsage | None = None,
    ) -> str:
        """The model's answer text. Raises a ModelError subclass on failure (AnswerCutOff,
        with the text so far, when the token limit stopped it). With a `listener` the answer
        is streamed and the listener hears it grow. Each answer's usage is added to `usage`."""
        body = self.request_body(messages, images)
        if listener is None:
            return await self._run(body, lambda result: self._extract_text(result, usage))
        body["stream"] = True
        return await self._retried(lambda: self._stream_once(body, listener, usage), listener)

    def _count(self, usage: ModelUsage | None, reported: Any) -> None:
        """Add one answer's `usage` object (as the service reported it) to the job's total."""
        found = usage_of(reported)
        if usage is None or found is None:
            return
        prompt, completion, neurons = found
        usage.record(self.model, prompt or 0, completion or 0, neurons)

    def _cut_off(self, text: str) -> IncompleteAnswer:
        if not text.strip():
            return IncompleteAnswer("the model ran out of tokens before writing anything")
        return AnswerCutOff("the model ran out of tokens before finishing", partial=text)

    async def _stream_once(
        self, body: dict[str, Any], listener: ModelListener, usage: ModelUsage | None
    ) -> str:
        """One streamed run: the whole answer, the listener told of every piece."""
        headers = {**self._headers, "Accept": "text/event-stream"}
        try:
            async with self._http.stream("POST", self._url, json=body, headers=headers) as response:
                kind = response.headers.get("content-type", "").split(";")[0].strip()
                if response.status_code >= 400 or kind != "text/event-stream":
                    # An error (or a service that ignored "stream"): an ordinary answer.
                    await response.aread()
                    text = self._extract_text(self._result_of(response), usage)
                    await listener.text(text)
                    return text
                answer = await self._read_stream(response, listener)
        except httpx.TimeoutException as exc:
            raise _timed_out(exc) from None
        except httpx.TransportError as exc:
            raise _unreachable(exc) from None
        if answer.prompt_tokens is not None or answer.completion_tokens is not None:
            reported = {
                "prompt_tokens": answer.prompt_tokens,
                "completion_tokens": answer.completion_tokens,
                "neurons": answer.neurons,
            }
            self._count(usage, reported)
        return self._checked(answer)

    async def _read_stream(
        self, response: httpx.Response, listener: ModelListener
    ) -> StreamedAnswer:
        answer = StreamedAnswer()
        async for event in EventSource(response).aiter_sse():
            try:
                added = answer.add(event)
            except StreamFailed as exc:
                # Mid-stream failures come with no HTTP status of their own: a server error
                # (retried) unless Cloudflare's code says otherwise.
                raise self._error(500, exc.code, exc.message, None) from None
            if added:
                await listener.text(answer.text)
            if answer.done:
                break
        if not answer.done:
            raise ServiceUnavailable("the Workers AI stream ended before the answer was complete")
        return answer

    def _checked(self, answer: StreamedAnswer) -> str:
        """The streamed text, held to the same rules as a whole answer's."""
        if answer.finish_reason == "length" or (
            not answer.openai_shape
            and answer.completion_tokens is not None
            and answer.completion_tokens >= self._max_tokens
        ):
            raise self._cut_off(answer.text)
        if not answer.text.strip():
            raise IncompleteAnswer("the model answered with empty text")
        return answer.text

    def _extract_text(self, result: Any, usage: ModelUsage | None = None) -> str:
        if not isinstance(result, dict):
            raise ServiceUnavailable("Workers AI answered without a result")
        self._count(usage, result.get("usage"))
        choices = result.get("choices")
        if isinstance(choices, list):
            if not choices or not isinstance(choices[0], dict):
                raise IncompleteAnswer("the model answered with no choices")
            choice = choices[0]
            message = choice.get("message") or {}
            content = message.get("content") if isinstance(message, dict) else None
            text = content if isinstance(content, str) else ""
            if choice.get("finish_reason") == "length":
                raise self._cut_off(text)
        elif "response" in result:
            response = result["response"]
            # In JSON mode `response` is an object; keep it as JSON text for the caller.
            text = response if isinstance(response, str) else json.dumps(response)
            reported = result.get("usage") or {}
            completion_tokens = (
                reported.get("completion_tokens") if isinstance(reported, dict) else None
            )
            if isinstance(completion_tokens, int) and completion_tokens >= self._max_tokens:
                raise self._cut_off(text)
        else:
            raise ServiceUnavailable("Workers AI answered in an unknown shape")
        if not text.strip():
            raise IncompleteAnswer("the model answered with empty text")
        return text


def _attach_images(messages: list[dict[str, Any]], images: Sequence[ImageInput]) -> None:
    """The last user message becomes content parts: its text, then each image as a `data:` URL
    (OpenAI style, what Gemma 4 reads; system messages stay text only)."""
    last = max(i for i, m in enumerate(messages) if m["role"] == "user")
    parts: list[dict[str, Any]] = [{"type": "text", "text": messages[last]["content"]}]
    parts += [{"type": "image_url", "image_url": {"url": image.url}} for image in images]
    messages[last] = {**messages[last], "content": parts}


class WorkersAISpeech(_ModelRunner):
    """Runs a speech-to-text model (Whisper): the file's bytes in, the words out."""

    _not_available = SpeechModelNotAvailable
    _rejected = AudioRejected

    @staticmethod
    def request_body(audio: bytes, language: str | None) -> dict[str, Any]:
        body: dict[str, Any] = {"audio": base64.b64encode(audio).decode("ascii")}
        if language:
            # Left out, the model detects the language; the schema's default "en" is not used.
            body["language"] = language
        return body

    async def transcribe(self, audio: bytes, *, language: str | None = None) -> Transcript:
        """What was said; empty text for silence. Raises a ModelError subclass on failure."""
        return await self._run(self.request_body(audio, language), _transcript)


def _transcript(result: Any) -> Transcript:
    if not isinstance(result, dict):
        raise ServiceUnavailable("Workers AI answered without a result")
    text = result.get("text")
    if not isinstance(text, str):
        raise ServiceUnavailable("Workers AI answered in an unknown shape (no text)")
    info = result.get("transcription_info")
    info = info if isinstance(info, dict) else {}
    language = info.get("language")
    duration = info.get("duration")
    return Transcript(
        text=text,
        language=language if isinstance(language, str) else None,
        duration_seconds=float(duration) if isinstance(duration, int | float) else None,
    )
