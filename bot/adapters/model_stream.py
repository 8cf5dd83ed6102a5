"""Reading a Workers AI streamed answer (`"stream": true`): server-sent events, not the envelope.

Each event's `data` is one JSON object, in one of two shapes (NOTES.md, "Streaming"):

- older models: `{"response": "<chunk>"}`, and last `{"response": "", "usage": {...}}`;
- Gemma 4 and newer models: OpenAI `chat.completion.chunk` objects whose text is
  `choices[0].delta.content`; `finish_reason` comes with the last chunk, and a final
  `{"response": "", "usage": {...}}` may still follow.

`data: [DONE]` ends the stream. Unknown members (padding `"p"`, `reasoning_content`) are
ignored: thinking is never part of the answer. An error inside the stream (an `error` event, or
data carrying `error`/`errors`) fails the call like an error answer would.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from httpx_sse import ServerSentEvent

DONE = "[DONE]"


class StreamFailed(Exception):
    """The stream carried an error: Cloudflare's integer `code` (when it gave one) and message."""

    def __init__(self, code: int | None, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class StreamedAnswer:
    """What the events of one stream added up to so far."""

    text: str = ""
    finish_reason: str | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    neurons: float | None = None
    done: bool = False  # `[DONE]` was seen
    openai_shape: bool = False

    def add(self, event: ServerSentEvent) -> str:
        """Take one event in; -> the text it added ("" for none). Raises StreamFailed."""
        data = event.data.strip()
        if event.event == "error":
            raise StreamFailed(*_error_of(_json_or_text(data)))
        if not data:
            return ""  # a keep-alive
        if data == DONE:
            self.done = True
            return ""
        payload = _json_or_text(data)
        if not isinstance(payload, dict):
            raise StreamFailed(None, "Workers AI streamed an event that is not a JSON object")
        if "error" in payload or payload.get("success") is False:
            raise StreamFailed(*_error_of(payload))
        self._usage(payload.get("usage"))
        choices = payload.get("choices")
        if isinstance(choices, list):
            self.openai_shape = True
            return self._append(_delta_text(choices))
        response = payload.get("response")
        if response is None:
            return ""
        # JSON mode may stream an object: keep it as JSON text, as the whole answer would be.
        return self._append(response if isinstance(response, str) else json.dumps(response))

    def _append(self, piece: str | tuple[str, str | None]) -> str:
        if isinstance(piece, tuple):
            piece, finish = piece
            if finish:
                self.finish_reason = finish
        self.text += piece
        return piece

    def _usage(self, usage: Any) -> None:
        found = usage_of(usage)
        if found is not None:
            self.prompt_tokens, self.completion_tokens, self.neurons = found


def usage_of(usage: Any) -> tuple[int | None, int | None, float | None] | None:
    """(prompt_tokens, completion_tokens, neurons) of a `usage` object (None where absent),
    or None when it is not one."""
    if not isinstance(usage, dict):
        return None

    def number(key: str) -> int | float | None:
        value = usage.get(key)
        return value if isinstance(value, int | float) and not isinstance(value, bool) else None

    prompt, completion, neurons = (
        number(k) for k in ("prompt_tokens", "completion_tokens", "neurons")
    )
    return (
        int(prompt) if prompt is not None else None,
        int(completion) if completion is not None else None,
        float(neurons) if neurons is not None else None,
    )


def _delta_text(choices: list[Any]) -> tuple[str, str | None]:
    if not choices or not isinstance(choices[0], dict):
        return "", None
    choice = choices[0]
    delta = choice.get("delta")
    content = delta.get("content") if isinstance(delta, dict) else None
    finish = choice.get("finish_reason")
    return (content if isinstance(content, str) else ""), (
        finish if isinstance(finish, str) else None
    )


def _json_or_text(data: str) -> Any:
    try:
        return json.loads(data)
    except ValueError:
        return data


def _error_of(payload: Any) -> tuple[int | None, str]:
    """(code, message) of an error event: `{"errors": [...]}` (the v4 envelope),
    `{"error": {...}}` / `{"error": "..."}` (OpenAI style) or plain text."""
    if isinstance(payload, dict):
        errors = payload.get("errors")
        if isinstance(errors, list) and errors and isinstance(errors[0], dict):
            return _code(errors[0].get("code")), str(errors[0].get("message") or "unknown error")
        error = payload.get("error")
        if isinstance(error, dict):
            return _code(error.get("code")), str(error.get("message") or "unknown error")
        if isinstance(error, str):
            return None, error
    if isinstance(payload, str) and payload:
        return None, payload[:200]
    return None, "unknown error"


def _code(raw: Any) -> int | None:
    try:
        return int(raw) if raw is not None and not isinstance(raw, bool) else None
    except (TypeError, ValueError):
        return None
