"""The Workers AI fake, driven by a plain httpx client."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from typing import Any

import frontmatter
import httpx
import pytest

from tests.fakes import contracts
from tests.fakes.contracts import FAILURE_SCHEMA, load_spec, workers_ai_supplement_contract
from tests.fakes.workers_ai import (
    BGE_BASE,
    BGE_M3,
    GEMMA_4,
    LLAMA_3_3,
    MISTRAL_7B,
    WHISPER,
    FakeWorkersAI,
    count_tokens,
    heard_in,
    spoken_audio,
)

REQUEST = "A post about our move to Postgres 17, mention the 40% speed-up."
NO_THINKING = {"enable_thinking": False}


@pytest.fixture
def fake() -> Iterator[FakeWorkersAI]:
    with FakeWorkersAI() as server:
        yield server
    assert server.errors == [], server.errors


@pytest.fixture
def http(fake: FakeWorkersAI) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=fake.api_url, headers={"Authorization": f"Bearer {fake.token}"}, timeout=5
    ) as client:
        yield client


def run(http: httpx.Client, model: str, account: str = "acc123", **body: Any) -> httpx.Response:
    return http.post(f"/accounts/{account}/ai/run/{model}", json=body)


def chat(**extra: Any) -> dict[str, Any]:
    return {
        "messages": [
            {"role": "system", "content": "You write blog posts."},
            {"role": "user", "content": REQUEST},
        ],
        **extra,
    }


def assert_failure(response: httpx.Response, status: int, code: int) -> str:
    """A v4 failure envelope, valid against the supplement's api-response-common-failure."""
    assert response.status_code == status
    assert response.headers["content-type"].startswith("application/json")
    payload = response.json()
    assert workers_ai_supplement_contract().schema_errors(FAILURE_SCHEMA, payload) == []
    assert payload["success"] is False and payload["result"] is None
    assert payload["messages"] == []
    [error] = payload["errors"]
    assert error["code"] == code and isinstance(error["code"], int)
    return str(error["message"])


# -- reply shapes ---------------------------------------------------------------------------------
def test_gemma_without_thinking_off_thinks_and_returns_no_content(
    fake: FakeWorkersAI, http: httpx.Client
) -> None:
    r = run(http, GEMMA_4, **chat(max_completion_tokens=2048))
    assert r.status_code == 200
    payload = r.json()
    assert payload["success"] is True and payload["errors"] == []
    result = payload["result"]
    assert result["object"] == "chat.completion" and result["model"] == GEMMA_4
    [choice] = result["choices"]
    assert choice["message"]["content"] is None
    assert choice["finish_reason"] == "length"
    assert "Postgres 17" in choice["message"]["reasoning_content"]
    assert result["usage"]["completion_tokens"] == 2048


def test_gemma_with_thinking_off_writes_a_post(fake: FakeWorkersAI, http: httpx.Client) -> None:
    r = run(http, GEMMA_4, **chat(chat_template_kwargs=NO_THINKING, max_completion_tokens=2048))
    [choice] = r.json()["result"]["choices"]
    assert choice["finish_reason"] == "stop"
    assert choice["message"]["refusal"] is None
    content = choice["message"]["content"]
    post = frontmatter.loads(content)
    assert post["title"] == "Our move to Postgres 17"
    assert post["description"] and post["tags"]
    assert "## " in post.content
    assert REQUEST in post.content  # the request's facts are kept verbatim
    assert fake.run_requests() == [
        chat(chat_template_kwargs=NO_THINKING, max_completion_tokens=2048)
    ]


@pytest.mark.parametrize("model", [LLAMA_3_3, MISTRAL_7B])
def test_older_models_answer_response_and_usage(http: httpx.Client, model: str) -> None:
    r = run(http, model, **chat(max_tokens=2048))
    result = r.json()["result"]
    assert set(result) == {"response", "usage"}
    assert REQUEST in result["response"]
    assert "finish_reason" not in result
    assert result["usage"]["completion_tokens"] < 2048


def test_older_model_default_256_tokens_truncates_a_long_post(http: httpx.Client) -> None:
    result = run(http, LLAMA_3_3, **chat()).json()["result"]
    assert result["usage"]["completion_tokens"] == 256  # the only sign of truncation
    assert count_tokens(result["response"]) <= 256
    assert not result["response"].rstrip().endswith("again.")


def test_gemma_max_completion_tokens_truncates_with_length(
    fake: FakeWorkersAI, http: httpx.Client
) -> None:
    fake.queue_reply("word " * 400)
    r = run(http, GEMMA_4, **chat(chat_template_kwargs=NO_THINKING, max_completion_tokens=64))
    [choice] = r.json()["result"]["choices"]
    assert choice["finish_reason"] == "length"
    assert len(choice["message"]["content"].split()) == 48  # 64 tokens = 48 words


def test_prompt_variant_is_accepted(http: httpx.Client) -> None:
    r = run(http, GEMMA_4, prompt=REQUEST, chat_template_kwargs=NO_THINKING)
    assert REQUEST in r.json()["result"]["choices"][0]["message"]["content"]


def test_queue_reply_is_fifo_then_default(fake: FakeWorkersAI, http: httpx.Client) -> None:
    fake.queue_reply("first")
    fake.queue_reply("second")
    body = chat(chat_template_kwargs=NO_THINKING)
    texts = [run(http, GEMMA_4, **body).json()["result"]["choices"][0]["message"] for _ in range(3)]
    assert [t["content"] for t in texts[:2]] == ["first", "second"]
    assert texts[2]["content"].startswith("---\ntitle:")
    assert fake.pending() == 0
    assert len(fake.run_requests()) == 3


def test_responder_sees_the_request(fake: FakeWorkersAI, http: httpx.Client) -> None:
    fake.responder = lambda body: f"echo: {body['messages'][-1]['content']}"
    result = run(http, LLAMA_3_3, **chat(max_tokens=500)).json()["result"]
    assert result["response"] == f"echo: {REQUEST}"


def test_streaming_shapes(http: httpx.Client) -> None:
    gemma = run(http, GEMMA_4, **chat(chat_template_kwargs=NO_THINKING, stream=True))
    assert gemma.headers["content-type"].startswith("text/event-stream")
    lines = [ln.removeprefix("data: ") for ln in gemma.text.split("\n\n") if ln]
    assert lines[-1] == "[DONE]"
    chunks = [json.loads(ln) for ln in lines[:-1]]
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if "choices" in c)
    assert REQUEST in text
    assert chunks[-1]["usage"]["completion_tokens"] > 0

    llama = run(http, LLAMA_3_3, **chat(stream=True, max_tokens=1000))
    lines = [ln.removeprefix("data: ") for ln in llama.text.split("\n\n") if ln]
    assert lines[-1] == "[DONE]"
    assert REQUEST in "".join(json.loads(ln)["response"] for ln in lines[:-1])


def test_openai_compatible_endpoint(http: httpx.Client) -> None:
    r = http.post(
        "/accounts/acc123/ai/v1/chat/completions",
        json={"model": GEMMA_4, **chat(chat_template_kwargs=NO_THINKING)},
    )
    assert r.status_code == 200
    payload = r.json()
    assert "success" not in payload  # no v4 envelope
    assert REQUEST in payload["choices"][0]["message"]["content"]


def test_model_search(http: httpx.Client) -> None:
    r = http.get("/accounts/acc123/ai/models/search", params={"search": "gemma"})
    payload = r.json()
    assert payload["success"] is True
    [model] = payload["result"]
    assert model["name"] == GEMMA_4
    assert model["task"]["name"] == "Text Generation"
    assert model["id"] and model["description"]
    everything = http.get("/accounts/acc123/ai/models/search").json()["result"]
    assert {m["name"] for m in everything} == {
        GEMMA_4,
        LLAMA_3_3,
        MISTRAL_7B,
        WHISPER,
        BGE_M3,
        BGE_BASE,
    }


# -- speech to text ----------------------------------------------------------------------------


def audio_body(audio: bytes, **extra: Any) -> dict[str, Any]:
    return {"audio": base64.b64encode(audio).decode(), **extra}


def test_whisper_hears_the_words_spoken_into_the_audio(
    fake: FakeWorkersAI, http: httpx.Client
) -> None:
    audio = spoken_audio("Ein Beitrag über Postgres 17")
    assert heard_in(audio) == "Ein Beitrag über Postgres 17" and audio.startswith(b"OggS")
    r = run(http, WHISPER, **audio_body(audio, language="de"))
    assert r.status_code == 200
    result = r.json()["result"]
    assert result["text"] == "Ein Beitrag über Postgres 17"
    assert result["word_count"] == 5
    assert result["transcription_info"]["language"] == "de"
    assert result["segments"][0]["words"][0]["word"] == " Ein"
    assert fake.speech_requests()[0]["language"] == "de" and fake.text_requests() == []


def test_whisper_queue_then_silence(fake: FakeWorkersAI, http: httpx.Client) -> None:
    fake.queue_transcript("A post about costs", language="fr")
    fake.queue_transcript("")
    fake.queue_speech_error(429, 3040, "Capacity temporarily exceeded")
    fake.queue_reply("not for speech")  # the text queue is a separate one
    first = run(http, WHISPER, **audio_body(spoken_audio("ignored"))).json()["result"]
    assert first["text"] == "A post about costs"
    assert first["transcription_info"]["language"] == "fr"
    silent = run(http, WHISPER, **audio_body(spoken_audio(""))).json()["result"]
    assert silent["text"] == "" and silent["segments"] == [] and silent["word_count"] == 0
    assert_failure(run(http, WHISPER, **audio_body(b"x")), 429, 3040)
    assert run(http, WHISPER, **audio_body(b"no words")).json()["result"]["text"] == ""
    assert fake.pending() == 1 and len(fake.speech_requests()) == 4


def test_whisper_requests_are_checked_against_its_schema() -> None:
    with FakeWorkersAI() as fake, httpx.Client(base_url=fake.api_url) as http:
        headers = {"Authorization": f"Bearer {fake.token}"}
        url = f"/accounts/acc123/ai/run/{WHISPER}"
        assert_failure(http.post(url, json={"language": "en"}, headers=headers), 400, 5004)
        assert len(fake.errors) == 1 and "audio" in fake.errors[0]
        fake.errors.clear()
        assert_failure(http.post(url, json={"audio": "%%%"}, headers=headers), 400, 5004)
        assert fake.errors == []  # a string, so valid JSON; the fake cannot decode it


# -- errors ---------------------------------------------------------------------------------------
def test_unknown_model_is_5007(http: httpx.Client) -> None:
    message = assert_failure(run(http, "@cf/nobody/no-such-model", **chat()), 400, 5007)
    assert message == "No such model @cf/nobody/no-such-model or task"


def test_wrong_account_is_7003(http: httpx.Client) -> None:
    assert_failure(run(http, GEMMA_4, account="someone-else", **chat()), 404, 7003)


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}])
def test_bad_or_missing_token_is_10000(fake: FakeWorkersAI, headers: dict[str, str]) -> None:
    r = httpx.post(f"{fake.api_url}/accounts/acc123/ai/run/{GEMMA_4}", json=chat(), headers=headers)
    assert assert_failure(r, 401, 10000) == "Authentication error"
    assert fake.run_requests() == [chat()]  # recorded even though refused


def test_context_window_is_enforced(http: httpx.Client) -> None:
    long = [{"role": "user", "content": "word " * 3000}]
    assert_failure(run(http, MISTRAL_7B, messages=long), 413, 5021)


@pytest.mark.parametrize(
    ("status", "code", "retry_after"),
    [(429, 3040, 7), (429, 3036, None), (400, 5004, None), (403, 5016, None), (408, 3007, None)],
)
def test_queued_json_errors(
    fake: FakeWorkersAI,
    http: httpx.Client,
    status: int,
    code: int,
    retry_after: int | None,
) -> None:
    fake.queue_error(status, code, "nope", retry_after=retry_after)
    fake.queue_reply("after the error")
    r = run(http, GEMMA_4, **chat(chat_template_kwargs=NO_THINKING))
    assert assert_failure(r, status, code) == "nope"
    assert r.headers.get("retry-after") == (str(retry_after) if retry_after else None)
    r = run(http, GEMMA_4, **chat(chat_template_kwargs=NO_THINKING))
    assert r.json()["result"]["choices"][0]["message"]["content"] == "after the error"


def test_queued_error_without_code_gets_a_valid_code(
    fake: FakeWorkersAI, http: httpx.Client
) -> None:
    fake.queue_error(503, None, "Service unavailable")
    assert_failure(run(http, LLAMA_3_3, **chat()), 503, 1000)


def test_html_502_edge_page(fake: FakeWorkersAI, http: httpx.Client) -> None:
    fake.queue_error(502, None, "Bad gateway", html=True)
    r = run(http, GEMMA_4, **chat())
    assert r.status_code == 502
    assert r.headers["content-type"].startswith("text/html")
    assert "502: Bad gateway" in r.text and "Cloudflare Ray ID" in r.text
    with pytest.raises(json.JSONDecodeError):
        r.json()


# -- contract checks ------------------------------------------------------------------------------
@pytest.fixture(params=["compiled", "openapi-core"])
def engine(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setattr(contracts, "ENGINE", request.param)
    return str(request.param)


@pytest.mark.usefixtures("engine")
def test_malformed_request_is_flagged_and_rejected() -> None:
    with FakeWorkersAI() as fake, httpx.Client(base_url=fake.api_url) as http:
        headers = {"Authorization": f"Bearer {fake.token}"}
        r = http.post(
            f"/accounts/acc123/ai/run/{GEMMA_4}", json=chat(temperature=5), headers=headers
        )
        assert_failure(r, 400, 5004)
        assert len(fake.errors) == 1
        assert "temperature" in fake.errors[0] and "maximum of 2" in fake.errors[0]

        # Older models: temperature 5 is allowed (2024 schema: max 5); a message needs content.
        r = http.post(
            f"/accounts/acc123/ai/run/{LLAMA_3_3}",
            json={"messages": [{"role": "user"}]},
            headers=headers,
        )
        assert_failure(r, 400, 5004)
        assert len(fake.errors) == 2 and "content" in fake.errors[1]
        r = http.post(
            f"/accounts/acc123/ai/run/{LLAMA_3_3}", json=chat(temperature=5), headers=headers
        )
        assert r.status_code == 200 and len(fake.errors) == 2
        assert len(fake.run_requests()) == 3


@pytest.mark.usefixtures("engine")
def test_correct_requests_produce_no_errors(fake: FakeWorkersAI, http: httpx.Client) -> None:
    for model in (GEMMA_4, LLAMA_3_3, MISTRAL_7B):
        run(http, model, **chat(max_tokens=300, temperature=0.7, seed=1))
    run(
        http,
        GEMMA_4,
        **chat(max_completion_tokens=300, chat_template_kwargs=NO_THINKING, top_p=0.9),
    )
    assert fake.errors == []


def test_validation_off_skips_checks() -> None:
    with FakeWorkersAI(validate=False) as fake, httpx.Client(base_url=fake.api_url) as http:
        r = http.post(
            f"/accounts/acc123/ai/run/{GEMMA_4}",
            json=chat(temperature=5),
            headers={"Authorization": f"Bearer {fake.token}"},
        )
        assert r.status_code == 200 and fake.errors == []


def test_model_latency_applies_to_run_calls_only(fake: FakeWorkersAI, http: httpx.Client) -> None:
    fake.model_latency = 0.2
    started = time.monotonic()
    http.get("/accounts/acc123/ai/models/search")
    assert time.monotonic() - started < 0.15
    started = time.monotonic()
    run(http, LLAMA_3_3, **chat())
    assert time.monotonic() - started >= 0.2


def test_specs_are_cached() -> None:
    assert load_spec("workers-ai-openapi-supplement.json") is load_spec(
        "workers-ai-openapi-supplement.json"
    )
