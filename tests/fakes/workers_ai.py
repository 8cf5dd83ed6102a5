"""A loopback fake of Cloudflare Workers AI's REST API (the v4 `/ai/run/{model}` endpoint).

    with FakeWorkersAI() as ai:
        httpx.post(f"{ai.api_url}/accounts/{ai.account_id}/ai/run/@cf/google/gemma-4-26b-a4b-it",
                   headers={"Authorization": f"Bearer {ai.token}"},
                   json={"messages": [...], "chat_template_kwargs": {"enable_thinking": False}})

Behaviour follows the NOTES.md kept with the official API descriptions ("Workers AI"; see README,
"Contract digest"):

* Two reply shapes in the v4 envelope: Gemma 4 answers an OpenAI `chat.completion` (the text is
  `choices[0].message.content`, which may be null); older models answer
  `{"response": "<text>", "usage": {...}}`.
* Gemma 4 thinks unless the request sends `chat_template_kwargs: {"enable_thinking": false}`:
  then the budget goes to `reasoning_content`, `content` is null and `finish_reason` "length".
* Output is capped by `max_completion_tokens` (or the deprecated `max_tokens`) for Gemma 4 and by
  `max_tokens` (default 256) for older models, counting a token as 3/4 of a word. A capped Gemma
  answer says `finish_reason: "length"`; an older model just stops, and its `usage` shows
  `completion_tokens == max_tokens`. The context window is enforced (413, code 5021).
* `usage` (prompt, completion and total tokens) comes with every text answer, whole or streamed;
  Gemma 4's also carries `neurons`, as observed replies do, at the published price (NOTES.md,
  "Cost"), unless `report_neurons` is off. `continuing(post)` is a responder that writes a long
  post the way a model continues one cut off by the limit.
* Errors use the v4 failure envelope with integer codes: bad token 401/10000, wrong account
  404/7003, unknown model 400/5007, a request that fails the model's input schema 400/5004
  (only when `validate=True`; the violation is also recorded in `errors`).
* `"stream": true` answers `text/event-stream`, never enveloped: `chat.completion.chunk` events
  (a word each, `choices[0].delta.content`) for Gemma 4, `{"response": ...}` events with `"p"`
  padding for older models, a final `{"response": "", "usage"}` event, `data: [DONE]`. The bytes
  go out in `stream_chunks` pieces cut anywhere (inside a line, inside a UTF-8 character) over
  `stream_seconds`, with chunked transfer encoding; `first_tokens` records when the piece holding
  the first word was written.
* Also served: the OpenAI-compatible `POST .../ai/v1/chat/completions` (no envelope) and
  `GET .../ai/models/search` (for a config doctor).
* Speech to text, `@cf/openai/whisper-large-v3-turbo`: `{"audio": "<base64>", "language"?}`
  (checked against the supplement's schema; audio that is not base64 is a 400/5004) answers
  `{"text", "word_count", "segments", "vtt", "transcription_info"}`. What it hears: the next
  `queue_transcript` (or `queue_speech_error`, a FIFO of its own), else the words that
  `spoken_audio(words)` put in the bytes, else nothing (`""`: silence). The detected language
  is the request's `language`, else the queued one, else "en".

* Embeddings, `@cf/baai/bge-m3` (1,024 numbers; checked against the 2024 generic op's "Text
  Embeddings" branch) and `@cf/baai/bge-base-en-v1.5` (768; the supplement's schema):
  `{"text": str | [<=100 str]}` answers `{"shape": [n, d], "data": [[...]], "pooling": "mean"}`,
  each vector tests/fakes/embeddings.py's `topic_vector` (texts on one topic come out close).
  A text longer than the model reads is a 413/5021; `queue_embedding_error` fails the next call.

What the model says: the next queued item (`queue_reply` / `queue_error`, one FIFO), else
`responder(request_json)` if set, else a deterministic Markdown post with YAML front matter
that quotes the last user message verbatim. Queued and responder texts obey the same thinking
and length rules as the default text.
"""

from __future__ import annotations

import base64
import itertools
import json
import math
import re
import secrets
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal, Self
from urllib.parse import unquote

from tests.fakes.base import FakeServer, RecordedRequest, Response
from tests.fakes.contracts import validate_workers_ai_request, validate_workers_ai_response
from tests.fakes.embeddings import topic_vector

GEMMA_4 = "@cf/google/gemma-4-26b-a4b-it"
BGE_M3 = "@cf/baai/bge-m3"
BGE_BASE = "@cf/baai/bge-base-en-v1.5"
EMBEDDING_TASK = "Text Embeddings"
LLAMA_3_3 = "@cf/meta/llama-3.3-70b-instruct-fp8-fast"
MISTRAL_7B = "@cf/mistral/mistral-7b-instruct-v0.1"
WHISPER = "@cf/openai/whisper-large-v3-turbo"
SPEECH_TASK = "Automatic Speech Recognition"
# What `spoken_audio` puts in front of the words it hides in an OGG-looking file.
_SPOKEN_MARKER = b"\x00FAKE-SPEECH:"


@dataclass(frozen=True)
class ModelInfo:
    name: str
    shape: Literal["chat.completion", "response", "transcription", "embedding"]
    description: str
    context_window: int
    default_max_tokens: int
    thinks: bool = False
    task: str = "Text Generation"
    dimensions: int = 0  # of an embedding model's vectors


KNOWN_MODELS: dict[str, ModelInfo] = {
    GEMMA_4: ModelInfo(
        GEMMA_4,
        "chat.completion",
        "Gemma 4 26B A4B is a mixture-of-experts model from Google with thinking, tool use "
        "and a 256k context window.",
        context_window=131_072,  # documented 256k; users report 131,072 enforced
        default_max_tokens=4096,  # not documented; a guess large enough for a post
        thinks=True,
    ),
    LLAMA_3_3: ModelInfo(
        LLAMA_3_3,
        "response",
        "Llama 3.3 70B quantized to fp8 precision, optimized to be faster.",
        context_window=24_000,
        default_max_tokens=256,
    ),
    MISTRAL_7B: ModelInfo(
        MISTRAL_7B,
        "response",
        "Instruct fine-tuned version of the Mistral-7b generative text model with 7 billion "
        "parameters.",
        context_window=2_824,
        default_max_tokens=256,
    ),
    WHISPER: ModelInfo(
        WHISPER,
        "transcription",
        "Whisper is a pre-trained model for automatic speech recognition (ASR) and speech "
        "translation.",
        context_window=0,
        default_max_tokens=0,
        task=SPEECH_TASK,
    ),
    BGE_M3: ModelInfo(
        BGE_M3,
        "embedding",
        "Multi-Functionality, Multi-Linguality, and Multi-Granularity embeddings model.",
        context_window=60_000,
        default_max_tokens=0,
        task=EMBEDDING_TASK,
        dimensions=1024,
    ),
    BGE_BASE: ModelInfo(
        BGE_BASE,
        "embedding",
        "BAAI general embedding (Base) model that transforms any given text into a 768-dimensional "
        "vector",
        context_window=512,
        default_max_tokens=0,
        task=EMBEDDING_TASK,
        dimensions=768,
    ),
}

# Default error codes for `queue_error(status, None, ...)` with a JSON body (NOTES.md table).
# Cloudflare documents no code for a 5xx; 1000 stands in (the envelope requires code >= 1000).
_DEFAULT_CODES = {400: 3003, 401: 10000, 403: 10000, 404: 7003, 408: 3007, 413: 3006, 429: 3040}
_EDGE_TITLES = {
    408: "Request timeout",
    500: "Internal server error",
    502: "Bad gateway",
    503: "Service unavailable",
    504: "Gateway time-out",
    520: "Web server is returning an unknown error",
    522: "Connection timed out",
    524: "A timeout occurred",
}
_RUN = re.compile(r"^/client/v4/accounts/(?P<account>[^/]+)/ai/run/(?P<model>.+)$")
_OPENAI = re.compile(r"^/client/v4/accounts/(?P<account>[^/]+)/ai/v1/chat/completions$")
_SEARCH = re.compile(r"^/client/v4/accounts/(?P<account>[^/]+)/ai/models/search$")
_STOPWORD_TEXT = (
    "about after also because been before being could does from have into just mention more "
    "most much only other over post some such than that their them then there these they "
    "this those very were what when where which while with would write your"
)
_STOPWORDS = frozenset(_STOPWORD_TEXT.split())
_FILLER = (
    "Every team that ships software eventually runs into the same question: what changed, and "
    "why does it matter to the people who use it? This post walks through the background, the "
    "decision we made, and the results we measured, so that readers who were not in the room "
    "can follow the reasoning and reuse what worked.",
    "We started by writing down what we wanted to learn and how we would know we had learned it. "
    "That meant agreeing on a small set of numbers to watch, a baseline taken before any change, "
    "and a plan to roll back quickly if something went wrong during the rollout.",
    "The work itself was less dramatic than the planning. We made the change in small steps, "
    "checked the numbers after each one, and kept notes about surprises. Most surprises were "
    "small, but two of them changed how we approached the remaining steps.",
    "Looking back, the most useful habit was to share progress early and often. Short written "
    "updates let others spot problems we had missed, and they made this write-up easy to "
    "assemble once the work was done. We would do it the same way again.",
)


@dataclass
class _QueuedReply:
    text: str


@dataclass
class _QueuedError:
    status: int
    code: int | None
    message: str
    retry_after: int | None
    html: bool


@dataclass
class _QueuedTranscript:
    text: str
    language: str | None


def spoken_audio(words: str, *, padding: int = 2048) -> bytes:
    """Bytes that look like a Telegram voice note (an Ogg page header, then noise) in which the
    fake's Whisper "hears" `words`; without words, silence."""
    noise = bytes((i * 37 + 11) % 256 for i in range(padding))
    spoken = _SPOKEN_MARKER + words.encode("utf-8") + b"\x00" if words else b""
    return b"OggS\x00\x02" + noise + spoken + noise


def heard_in(audio: bytes) -> str:
    """The words `spoken_audio` hid in `audio` ("" when none)."""
    start = audio.find(_SPOKEN_MARKER)
    if start < 0:
        return ""
    start += len(_SPOKEN_MARKER)
    return audio[start : audio.index(b"\x00", start)].decode("utf-8")


def count_tokens(text: str) -> int:
    """The fake's tokenizer: a token is 3/4 of a word (words * 4/3, rounded up)."""
    return math.ceil(len(text.split()) * 4 / 3)


def truncate_to_tokens(text: str, max_tokens: int) -> tuple[str, bool]:
    """-> (text cut to at most `max_tokens` tokens, whether it was cut)."""
    if count_tokens(text) <= max_tokens:
        return text, False
    keep = max(int(max_tokens * 3 / 4), 0)
    pieces = re.findall(r"\s*\S+", text)
    return "".join(pieces[:keep]), True


# Gemma 4's price in neurons per million input and output tokens (NOTES.md, "Cost").
_GEMMA_NEURONS_PER_MILLION = (9_100, 27_300)


def continuing(post: str, *, repeat_words: int = 3) -> Callable[[dict[str, Any]], str]:
    """A responder that writes `post`: asked afresh, all of it (the token limit cuts it); asked
    to go on after its own text so far (the last assistant message), the rest, starting a few
    words back as models tend to (`repeat_words`), each piece cut again by the limit."""

    def respond(body: dict[str, Any]) -> str:
        written = _last_assistant_text(body)
        if not written:
            return post
        if not post.startswith(written):
            raise AssertionError(f"asked to continue a text that is not the post: {written!r}")
        starts = [m.start() for m in re.finditer(r"\S+", post[: len(written)])]
        back = starts[-repeat_words] if repeat_words and len(starts) >= repeat_words else 0
        return post[back if repeat_words else len(written) :]

    return respond


def _last_assistant_text(body: dict[str, Any]) -> str:
    messages = body.get("messages")
    if isinstance(messages, list):
        for message in reversed(messages):
            if isinstance(message, dict) and message.get("role") == "assistant":
                return _message_text(message.get("content"))
    return ""


def _message_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(
            str(part.get("text", ""))
            for part in content
            if isinstance(part, dict) and part.get("type") == "text"
        )
    return ""


def last_user_text(body: dict[str, Any]) -> str:
    """The last user message of a chat request, or its `prompt`."""
    messages = body.get("messages")
    if isinstance(messages, list):
        for message in reversed(messages):
            if isinstance(message, dict) and message.get("role") == "user":
                return _message_text(message.get("content"))
    prompt = body.get("prompt")
    return prompt if isinstance(prompt, str) else ""


def prompt_text(body: dict[str, Any]) -> str:
    """Everything the model reads (for prompt token counts)."""
    messages = body.get("messages")
    if isinstance(messages, list):
        return "\n".join(_message_text(m.get("content")) for m in messages if isinstance(m, dict))
    prompt = body.get("prompt")
    return prompt if isinstance(prompt, str) else ""


def _yaml_quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


@cache
def _prompt_templates() -> tuple[str, ...]:
    folder = Path(__file__).resolve().parents[2] / "prompts"
    return tuple(path.read_text(encoding="utf-8").strip() for path in sorted(folder.glob("*.md")))


def writer_words(prompt: str) -> str:
    """The writer's own words inside the bot's prompt (`$request` of prompts/*.md): a model that
    follows its instructions writes about them and does not repeat the instructions."""
    for template in _prompt_templates():
        before, found, after = template.partition("$request")
        if not found or not before.strip():
            continue
        anchor = before.strip().split("\n")[-1]  # the words just before the request
        start = prompt.find(anchor)
        if start < 0:
            continue
        rest = prompt[start + len(anchor) :]
        # The request ends where the template's next words, or another template, begin.
        stops = [after.strip()] + [other for other in _prompt_templates() if other != template]
        ends = [rest.find(stop.split("$")[0].split("\n")[0]) for stop in stops]
        end = min(
            (e for e, stop in zip(ends, stops, strict=True) if e > 0 and stop[:1] != "$"),
            default=len(rest),
        )
        return rest[:end].strip() or prompt
    return prompt


def default_post(request_text: str) -> str:
    """A plausible, deterministic Markdown blog post about `request_text`, quoting it verbatim."""
    first_line = request_text.strip().splitlines()[0] if request_text.strip() else "Untitled"
    topic = re.sub(
        r"^(please\s+)?(write\s+)?(me\s+)?(a\s+)?(short\s+)?(blog\s+)?(post|article)\s+(about|on)\s+",
        "",
        first_line,
        flags=re.IGNORECASE,
    )
    topic = re.split(r"[.,;:!?]", topic)[0].strip() or "Untitled"
    words = topic.split()[:8]
    title = " ".join(words)
    title = title[0].upper() + title[1:]
    tags: list[str] = []
    for word in re.findall(r"[A-Za-z][A-Za-z0-9-]+", topic.lower()):
        if len(word) > 3 and word not in _STOPWORDS and word not in tags:
            tags.append(word)
    tags = tags[:3] or ["blog"]
    description = f"What we learned about {topic[0].lower() + topic[1:]}."
    body = [
        "---",
        f"title: {_yaml_quote(title)}",
        f"description: {_yaml_quote(description)}",
        f"tags: [{', '.join(tags)}]",
        "---",
        "",
        f"## {title}",
        "",
        "This post was written from the following request:",
        "",
        request_text.strip(),
        "",
        _FILLER[0],
        "",
        "## How we went about it",
        "",
        *[p for filler in _FILLER[1:] for p in (filler, "")],
    ]
    return "\n".join(body).rstrip() + "\n"


def edge_error_page(status: int, ray_id: str) -> str:
    """Cloudflare's HTML error page, as its edge sends for 5xx (and some 4xx) answers."""
    title = _EDGE_TITLES.get(status, "Error")
    return (
        "<!DOCTYPE html>\n"
        '<!--[if lt IE 7]> <html class="no-js ie6 oldie" lang="en-US"> <![endif]-->\n'
        '<html class="no-js" lang="en-US">\n<head>\n'
        f"<title>api.cloudflare.com | {status}: {title}</title>\n"
        '<meta charset="UTF-8" />\n</head>\n<body>\n'
        f'<div id="cf-error-details"><h1><span class="inline-block">{title}</span>\n'
        f'<span class="code-label">Error code {status}</span></h1>\n'
        f'<p>Cloudflare Ray ID: <strong class="font-semibold">{ray_id}</strong></p>\n'
        "</div>\n</body>\n</html>\n"
    )


class FakeWorkersAI(FakeServer):
    """Cloudflare Workers AI over loopback HTTP. See the module docstring."""

    def __init__(
        self, account_id: str = "acc123", token: str = "cf-test-token", validate: bool = True
    ) -> None:
        super().__init__()
        self.account_id = account_id
        self.token = token
        self.validate = validate
        # Models this account can run (add a ModelInfo to offer another one).
        self.models: dict[str, ModelInfo] = dict(KNOWN_MODELS)
        # What the model says when nothing is queued: responder(request_json) -> text.
        self.responder: Callable[[dict[str, Any]], str] | None = None
        # Extra seconds for every run call that reaches the model (queued errors included);
        # `latency` (from FakeServer) delays every request.
        self.model_latency: float = 0.0
        # A streamed answer is written in this many pieces, spread over this many seconds.
        self.stream_chunks: int = 8
        self.stream_seconds: float = 0.2
        # Gemma 4's usage carries `neurons` (observed replies do); off, the client estimates.
        self.report_neurons: bool = True
        # time.monotonic() when each stream's first word went out, in order.
        self.first_tokens: list[float] = []
        self._queue: deque[_QueuedReply | _QueuedError] = deque()
        self._speech_queue: deque[_QueuedTranscript | _QueuedError] = deque()
        self._embedding_queue: deque[_QueuedError] = deque()
        self._run_bodies: list[dict[str, Any]] = []
        self._run_paths: list[str] = []
        self._ids = itertools.count(1)

    @property
    def api_url(self) -> str:
        return f"{self.url}/client/v4"

    def __enter__(self) -> Self:
        self.start()
        return self

    # -- test-side API ----------------------------------------------------------------------
    def queue_reply(self, text: str) -> None:
        """The next run call (after anything queued earlier) answers with `text`."""
        with self._lock:
            self._queue.append(_QueuedReply(text))

    def queue_error(
        self,
        status: int,
        code: int | None,
        message: str,
        *,
        retry_after: int | None = None,
        html: bool = False,
    ) -> None:
        """The next run call fails: a v4 failure envelope, or Cloudflare's HTML page if `html`."""
        with self._lock:
            self._queue.append(_QueuedError(status, code, message, retry_after, html))

    def queue_embedding_error(
        self,
        status: int,
        code: int | None,
        message: str,
        *,
        retry_after: int | None = None,
        html: bool = False,
    ) -> None:
        """The next embedding call fails, as `queue_error` describes (a FIFO of its own)."""
        with self._lock:
            self._embedding_queue.append(_QueuedError(status, code, message, retry_after, html))

    def queue_transcript(self, text: str, *, language: str | None = None) -> None:
        """The next speech-to-text call hears `text` ("" for silence); `language` is what it
        reports detecting (default: the request's hint, else "en")."""
        with self._lock:
            self._speech_queue.append(_QueuedTranscript(text, language))

    def queue_speech_error(
        self,
        status: int,
        code: int | None,
        message: str,
        *,
        retry_after: int | None = None,
        html: bool = False,
    ) -> None:
        """The next speech-to-text call fails, as `queue_error` describes."""
        with self._lock:
            self._speech_queue.append(_QueuedError(status, code, message, retry_after, html))

    def run_requests(self) -> list[dict[str, Any]]:
        """The JSON bodies of every run call so far (an unparsable body shows as {"__raw__"})."""
        with self._lock:
            return [dict(b) for b in self._run_bodies]

    def speech_requests(self) -> list[dict[str, Any]]:
        """The bodies of the run calls to a speech-to-text model (Whisper)."""
        with self._lock:
            pairs = list(zip(self._run_paths, self._run_bodies, strict=True))
        return [dict(b) for path, b in pairs if _is_speech_path(path)]

    def text_requests(self) -> list[dict[str, Any]]:
        """The bodies of every other run call (text generation)."""
        with self._lock:
            pairs = list(zip(self._run_paths, self._run_bodies, strict=True))
        return [
            dict(b)
            for path, b in pairs
            if not _is_speech_path(path) and self._model_of(path) not in self._embedding_models()
        ]

    def embedding_requests(self) -> list[dict[str, Any]]:
        """The bodies of the run calls to an embedding model (`{"text": [...]}`)."""
        with self._lock:
            pairs = list(zip(self._run_paths, self._run_bodies, strict=True))
        models = self._embedding_models()
        return [dict(b) for path, b in pairs if self._model_of(path) in models]

    def embedded_texts(self) -> list[str]:
        """Every text sent to an embedding model, in order."""
        texts: list[str] = []
        for body in self.embedding_requests():
            text = body.get("text")
            texts += text if isinstance(text, list) else [str(text)]
        return texts

    def _embedding_models(self) -> set[str]:
        return {name for name, info in self.models.items() if info.shape == "embedding"}

    @staticmethod
    def _model_of(path: str) -> str | None:
        match = _RUN.match(path)
        return unquote(match["model"]) if match else None

    def pending(self) -> int:
        """How many queued replies/errors have not been used yet."""
        with self._lock:
            return len(self._queue)

    # -- HTTP -------------------------------------------------------------------------------
    def _ray_id(self) -> str:
        return f"{secrets.token_hex(8)}-SJC"

    def _json(self, status: int, payload: Any, extra: dict[str, str] | None = None) -> Response:
        headers = {
            "Content-Type": "application/json",
            "cf-ray": self._ray_id(),
            "cf-ai-req-id": str(uuid.uuid4()),
            "Server": "cloudflare",
            **(extra or {}),
        }
        return Response(status, json.dumps(payload).encode(), headers)

    def _failure(
        self, status: int, code: int, message: str, extra: dict[str, str] | None = None
    ) -> Response:
        payload = {
            "result": None,
            "success": False,
            "errors": [{"code": code, "message": message}],
            "messages": [],
        }
        return self._json(status, payload, extra)

    def _success(self, result: Any) -> Response:
        return self._json(200, {"result": result, "success": True, "errors": [], "messages": []})

    def _authorized(self, request: RecordedRequest) -> bool:
        scheme, _, value = request.headers.get("authorization", "").partition(" ")
        return scheme.lower() == "bearer" and value.strip() == self.token

    def handle(self, request: RecordedRequest) -> Response:
        response, checked = self._route(request)
        if self.validate and checked:
            info = self.models.get(self._model_of(request.path) or "")
            problems = validate_workers_ai_response(
                request.method,
                request.path,
                response.status,
                response.headers,
                response.body,
                task=info.task if info else "Text Generation",
            )
            if problems:
                with self._lock:
                    self.errors.extend(problems)
        return response

    def _route(self, request: RecordedRequest) -> tuple[Response, bool]:
        """-> (response, whether to contract-check it)."""
        path = request.path
        run, openai, search = _RUN.match(path), _OPENAI.match(path), _SEARCH.match(path)
        match = run or openai or search
        if (
            match is None
            or (search and request.method != "GET")
            or ((run or openai) and request.method != "POST")
        ):
            with self._lock:
                self.errors.append(f"unimplemented Workers AI route: {request.method} {path}")
            return self._failure(404, 7003, "No route for the URI"), True
        body: Any = None
        if run or openai:  # every run call is recorded, whatever it is answered
            body = self._record_run(request)
        if not self._authorized(request):
            return self._failure(401, 10000, "Authentication error"), True
        if match["account"] != self.account_id:
            message = (
                f"Could not route to {path.removeprefix('/client/v4')}, perhaps your object "
                "identifier is invalid?"
            )
            return self._failure(404, 7003, message), True
        if search:
            return self._search(request), True
        model = unquote(match["model"]) if run else None
        return self._run(request, body, openai_compatible=openai is not None, model=model)

    def _record_run(self, request: RecordedRequest) -> Any:
        """Parse and record a run call's body -> the parsed JSON (None if unparsable)."""
        try:
            body = json.loads(request.body) if request.body else None
        except ValueError:
            body = None
            parsed: dict[str, Any] = {"__raw__": request.body.decode("utf-8", "replace")}
        else:
            parsed = body if isinstance(body, dict) else {"__raw__": body}
        with self._lock:
            self._run_bodies.append(parsed)
            self._run_paths.append(unquote(request.path))
        return body

    def _search(self, request: RecordedRequest) -> Response:
        query = (request.query.get("search") or [""])[0].lower()
        task = (request.query.get("task") or [""])[0].lower()
        found = []
        for info in self.models.values():
            if query and query not in info.name.lower() and query not in info.description.lower():
                continue
            if task and task != info.task.lower():
                continue
            found.append(
                {
                    "id": str(uuid.uuid5(uuid.NAMESPACE_URL, info.name)),
                    "source": 1,
                    "name": info.name,
                    "description": info.description,
                    "task": {
                        "id": str(uuid.uuid5(uuid.NAMESPACE_URL, info.task)),
                        "name": info.task,
                        "description": "Family of generative text models.",
                    },
                    "tags": [],
                    "properties": [
                        {"property_id": "context_window", "value": str(info.context_window)},
                    ],
                }
            )
        payload = {
            "result": found,
            "success": True,
            "errors": [],
            "messages": [],
            "result_info": {
                "count": len(found),
                "page": 1,
                "per_page": 100,
                "total_count": len(found),
            },
        }
        return self._json(200, payload)

    def _run(
        self, request: RecordedRequest, body: Any, *, openai_compatible: bool, model: str | None
    ) -> tuple[Response, bool]:
        if openai_compatible:
            model = body.get("model") if isinstance(body, dict) else None
            if not isinstance(model, str):
                return self._failure(400, 3003, "Request is missing headers or body: model"), True
        assert model is not None
        info = self.models.get(model)
        if info is None:
            return self._failure(400, 5007, f"No such model {model} or task"), True
        if not request.body:
            return self._failure(400, 3003, "Request is missing headers or body: body"), True
        if not isinstance(body, dict):
            return self._failure(400, 5004, "Bad input: the body is not a JSON object"), True
        if self.validate:
            problems = validate_workers_ai_request(
                request.method, request.path, request.headers, request.body, task=info.task
            )
            if problems:
                with self._lock:
                    self.errors.extend(problems)
                return self._failure(400, 5004, f"AiError: Bad input: {problems[0]}"), True
        if info.shape == "transcription":
            return self._transcribe(body), True
        if info.shape == "embedding":
            return self._embed(info, body), True
        prompt_tokens = count_tokens(prompt_text(body))
        if prompt_tokens > info.context_window:
            message = (
                f"AiError: Input is too long: {prompt_tokens} tokens exceed the model's context "
                f"window of {info.context_window} tokens."
            )
            return self._failure(413, 5021, message), True

        with self._lock:
            queued = self._queue.popleft() if self._queue else None
            responder = self.responder
        if self.model_latency:
            time.sleep(self.model_latency)
        if isinstance(queued, _QueuedError):
            return self._queued_error(queued)
        if isinstance(queued, _QueuedReply):
            text = queued.text
        elif responder is not None:
            text = responder(body)
        else:
            text = default_post(writer_words(last_user_text(body)))
        if info.shape == "chat.completion" or openai_compatible:
            completion = self._chat_completion(info, body, text, prompt_tokens)
            if body.get("stream"):
                return self._stream_chat(completion), True
            if openai_compatible:
                return self._json(200, completion), True
            return self._success(completion), True
        result = self._response_result(info, body, text, prompt_tokens)
        if body.get("stream"):
            return self._stream_response(result), True
        return self._success(result), True

    def _queued_error(self, queued: _QueuedError) -> tuple[Response, bool]:
        extra = {"Retry-After": str(queued.retry_after)} if queued.retry_after is not None else {}
        if queued.html:
            ray = self._ray_id()
            headers = {
                "Content-Type": "text/html; charset=UTF-8",
                "cf-ray": ray,
                "Server": "cloudflare",
                **extra,
            }
            page = edge_error_page(queued.status, ray.split("-")[0])
            # An edge page is not an API answer: nothing to check it against.
            return Response(queued.status, page.encode(), headers), False
        code = queued.code if queued.code is not None else _DEFAULT_CODES.get(queued.status, 1000)
        return self._failure(queued.status, code, queued.message, extra), True

    def _transcribe(self, body: dict[str, Any]) -> Response:
        audio_text = body.get("audio")
        try:
            audio = base64.b64decode(str(audio_text), validate=True)
        except ValueError:
            return self._failure(400, 5004, "AiError: Bad input: audio is not base64")
        with self._lock:
            queued = self._speech_queue.popleft() if self._speech_queue else None
        if self.model_latency:
            time.sleep(self.model_latency)
        if isinstance(queued, _QueuedError):
            return self._queued_error(queued)[0]
        text = queued.text if queued is not None else heard_in(audio)
        hint = body.get("language")
        language = hint if isinstance(hint, str) else (queued and queued.language) or "en"
        return self._success(_transcription(text, language, audio))

    def _embed(self, info: ModelInfo, body: dict[str, Any]) -> Response:
        """`{"text": str | [str]}` -> `{"shape": [n, d], "data": [[...]], "pooling"}`; too long a
        text for the model (bge-base-en-v1.5 reads 512 tokens) is a 413/5021, as for chat."""
        text = body.get("text")
        texts = text if isinstance(text, list) else [text]
        longest = max((count_tokens(str(t)) for t in texts), default=0)
        if longest > info.context_window:
            message = (
                f"AiError: Input is too long: {longest} tokens exceed the model's context window "
                f"of {info.context_window} tokens."
            )
            return self._failure(413, 5021, message)
        with self._lock:
            queued = self._embedding_queue.popleft() if self._embedding_queue else None
        if self.model_latency:
            time.sleep(self.model_latency)
        if isinstance(queued, _QueuedError):
            return self._queued_error(queued)[0]
        data = [topic_vector(str(t), info.dimensions) for t in texts]
        result = {"shape": [len(data), info.dimensions], "data": data, "pooling": "mean"}
        return self._success(result)

    # -- reply shapes -----------------------------------------------------------------------
    @staticmethod
    def _budget(info: ModelInfo, body: dict[str, Any]) -> int:
        keys = ("max_completion_tokens", "max_tokens") if info.thinks else ("max_tokens",)
        for key in keys:
            value = body.get(key)
            if isinstance(value, int) and not isinstance(value, bool) and value > 0:
                return value
        return info.default_max_tokens

    def _chat_completion(
        self, info: ModelInfo, body: dict[str, Any], text: str, prompt_tokens: int
    ) -> dict[str, Any]:
        budget = self._budget(info, body)
        kwargs = body.get("chat_template_kwargs")
        thinking = info.thinks and not (
            isinstance(kwargs, dict) and kwargs.get("enable_thinking") is False
        )
        message: dict[str, Any] = {"role": "assistant", "refusal": None}
        if thinking:
            topic = last_user_text(body).strip().splitlines()[0] if last_user_text(body) else ""
            reasoning = (
                f"The user wants: {topic[:200]}. Let me plan the post. First, a title and front "
                "matter. Then an introduction that states the main facts. Then sections that "
                "explain the background and the results. Let me reconsider the structure..."
            )
            message["content"] = None
            message["reasoning_content"] = reasoning
            finish, completion_tokens, reasoning_tokens = "length", budget, budget
        else:
            content, cut = truncate_to_tokens(text, budget)
            message["content"] = content
            finish = "length" if cut else "stop"
            completion_tokens = budget if cut else count_tokens(content)
            reasoning_tokens = 0
        return {
            "id": f"chatcmpl-{secrets.token_hex(12)}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": info.name,
            "choices": [
                {"index": 0, "message": message, "finish_reason": finish, "logprobs": None}
            ],
            "usage": self._usage(info, prompt_tokens, completion_tokens)
            | {"completion_tokens_details": {"reasoning_tokens": reasoning_tokens}},
        }

    def _usage(self, info: ModelInfo, prompt_tokens: int, completion_tokens: int) -> dict[str, Any]:
        usage: dict[str, Any] = {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        }
        if self.report_neurons and info.name == GEMMA_4:
            rate_in, rate_out = _GEMMA_NEURONS_PER_MILLION
            usage["neurons"] = round(
                (prompt_tokens * rate_in + completion_tokens * rate_out) / 1e6, 4
            )
        return usage

    def _response_result(
        self, info: ModelInfo, body: dict[str, Any], text: str, prompt_tokens: int
    ) -> dict[str, Any]:
        budget = self._budget(info, body)
        content, cut = truncate_to_tokens(text, budget)
        completion_tokens = budget if cut else count_tokens(content)
        return {"response": content, "usage": self._usage(info, prompt_tokens, completion_tokens)}

    def _sse(self, events: list[Any], first_text: int) -> Response:
        """The events as a stream; `first_text` is the index of the first event with a word."""
        lines = [f"data: {json.dumps(e) if not isinstance(e, str) else e}\n\n" for e in events]
        body = "".join(lines).encode()
        first_end = len("".join(lines[: first_text + 1]).encode())
        pieces = max(1, min(self.stream_chunks, len(body)))
        cuts = [round(len(body) * i / pieces) for i in range(pieces + 1)]
        chunks = [body[a:b] for a, b in itertools.pairwise(cuts)]
        headers = {"Content-Type": "text/event-stream", "Server": "cloudflare"}
        recorded = False

        def written(index: int) -> None:
            nonlocal recorded
            if not recorded and cuts[index + 1] >= first_end:
                recorded = True
                with self._lock:
                    self.first_tokens.append(time.monotonic())

        delay = self.stream_seconds / pieces if pieces > 1 else 0.0
        # `body` stays whole as well: whoever records answers reads the stream from it.
        return Response(200, body, headers, chunks=chunks, chunk_delay=delay, on_chunk=written)

    def _stream_chat(self, completion: dict[str, Any]) -> Response:
        choice = completion["choices"][0]
        base = {k: completion[k] for k in ("id", "created", "model")}
        base["object"] = "chat.completion.chunk"

        def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
            entry = {"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}
            return {**base, "choices": [entry]}

        events: list[Any] = [chunk({"role": "assistant", "content": ""})]
        message = choice["message"]
        field = "content" if message["content"] is not None else "reasoning_content"
        for piece in re.findall(r"\s*\S+", message.get(field) or ""):
            events.append(chunk({field: piece}))
        events.append(chunk({}, choice["finish_reason"]))
        events.append({"response": "", "usage": completion["usage"]})
        events.append("[DONE]")
        return self._sse(events, first_text=1)

    def _stream_response(self, result: dict[str, Any]) -> Response:
        events: list[Any] = []
        for piece in re.findall(r"\s*\S+", result["response"]):
            events.append({"response": piece, "p": "abcdefghijklmnopqrstuvwxyz"[: len(piece)]})
        events.append({"response": "", "usage": result["usage"]})
        events.append("[DONE]")
        return self._sse(events, first_text=0)


def _is_speech_path(path: str) -> bool:
    return path.endswith(f"/ai/run/{WHISPER}")


def _transcription(text: str, language: str, audio: bytes) -> dict[str, Any]:
    """Whisper's answer for `text`: segments of about ten words, two words a second."""
    words = text.split()
    duration = max(len(audio) / 4000, len(words) / 2)  # a 32 kbit/s voice note
    segments, vtt = [], ["WEBVTT", ""]
    for index in range(0, len(words), 10):
        part = words[index : index + 10]
        start, end = index / 2, (index + len(part)) / 2
        segments.append(
            {
                "start": start,
                "end": end,
                "text": " " + " ".join(part),
                "temperature": 0.0,
                "avg_logprob": -0.2,
                "compression_ratio": 1.3,
                "no_speech_prob": 0.01,
                "words": [
                    {"word": " " + word, "start": start + i / 2, "end": start + (i + 1) / 2}
                    for i, word in enumerate(part)
                ],
            }
        )
        vtt += [f"00:{start:06.3f} --> 00:{end:06.3f}", " ".join(part), ""]
    return {
        "text": " ".join(words),
        "word_count": len(words),
        "segments": segments,
        "vtt": "\n".join(vtt),
        "transcription_info": {
            "language": language,
            "language_probability": 0.97,
            "duration": duration,
            "duration_after_vad": duration,
        },
    }


__all__ = [
    "BGE_BASE",
    "BGE_M3",
    "GEMMA_4",
    "KNOWN_MODELS",
    "LLAMA_3_3",
    "MISTRAL_7B",
    "WHISPER",
    "FakeWorkersAI",
    "ModelInfo",
    "continuing",
    "count_tokens",
    "default_post",
    "edge_error_page",
    "heard_in",
    "spoken_audio",
    "truncate_to_tokens",
]
