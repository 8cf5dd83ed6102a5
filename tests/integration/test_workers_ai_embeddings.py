"""The Workers AI embedder against the loopback fake (requests and answers checked against the
specs): batches of at most 100 texts, one vector per text in order, typed errors, retries."""

from __future__ import annotations

import pytest

from bot.adapters.workers_ai_embeddings import WorkersAIEmbedder
from bot.core import errors as ai
from bot.core.similar_posts import cosine
from tests.fakes.workers_ai import BGE_BASE, BGE_M3, FakeWorkersAI


def make_embedder(fake: FakeWorkersAI, model: str = BGE_M3, **kwargs: object) -> WorkersAIEmbedder:
    options: dict[str, object] = {"backoff_initial": 0.01, "backoff_max": 0.05}
    options.update(kwargs)
    return WorkersAIEmbedder(
        api_url=fake.api_url,
        account_id=fake.account_id,
        api_token=fake.token,
        model=model,
        **options,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize(("model", "dimensions"), [(BGE_M3, 1024), (BGE_BASE, 768)])
async def test_one_vector_per_text_in_batches_of_100(
    workers_ai: FakeWorkersAI, model: str, dimensions: int
) -> None:
    texts = [f"post number {n} about topic {n % 7}" for n in range(130)]
    embedder = make_embedder(workers_ai, model)
    try:
        vectors = await embedder.embed(texts)
    finally:
        await embedder.aclose()
    assert len(vectors) == 130 and {len(v) for v in vectors} == {dimensions}
    assert [len(body["text"]) for body in workers_ai.embedding_requests()] == [100, 30]
    assert workers_ai.embedded_texts() == texts
    assert workers_ai.text_requests() == []  # none of them counts as a chat call
    # In order: each vector is its own text's (the same text again gives the same vector).
    again = make_embedder(workers_ai, model)
    try:
        [single] = await again.embed([texts[123]])
    finally:
        await again.aclose()
    assert cosine(single, vectors[123]) == pytest.approx(1.0)


async def test_close_topics_come_out_close(workers_ai: FakeWorkersAI) -> None:
    embedder = make_embedder(workers_ai)
    try:
        restores, practise, tides = await embedder.embed(
            [
                "A checklist for restores. Backups are only as good as the last restore.",
                "Practise your restores: a backup counts once you have restored it.",
                "Reading the harbour tide gauge at the north mole.",
            ]
        )
    finally:
        await embedder.aclose()
    assert cosine(restores, practise) > cosine(restores, tides) + 0.1


async def test_no_texts_no_call(workers_ai: FakeWorkersAI) -> None:
    embedder = make_embedder(workers_ai)
    try:
        assert await embedder.embed([]) == []
    finally:
        await embedder.aclose()
    assert workers_ai.embedding_requests() == []


async def test_a_server_error_is_retried(workers_ai: FakeWorkersAI) -> None:
    workers_ai.queue_embedding_error(503, None, "unavailable", html=True)
    embedder = make_embedder(workers_ai)
    try:
        [vector] = await embedder.embed(["hello"])
    finally:
        await embedder.aclose()
    assert len(vector) == 1024
    assert len(workers_ai.embedding_requests()) == 2


async def test_a_bad_token_is_an_authentication_error(workers_ai: FakeWorkersAI) -> None:
    embedder = WorkersAIEmbedder(
        api_url=workers_ai.api_url,
        account_id=workers_ai.account_id,
        api_token="wrong",
        model=BGE_M3,
    )
    try:
        with pytest.raises(ai.AuthenticationFailed):
            await embedder.embed(["hello"])
    finally:
        await embedder.aclose()


async def test_an_unknown_model_is_said_so(workers_ai: FakeWorkersAI) -> None:
    embedder = make_embedder(workers_ai, "@cf/baai/no-such-model")
    try:
        with pytest.raises(ai.ModelNotAvailable):
            await embedder.embed(["hello"])
    finally:
        await embedder.aclose()


async def test_too_long_a_text_for_bge_base_is_rejected(workers_ai: FakeWorkersAI) -> None:
    embedder = make_embedder(workers_ai, BGE_BASE)
    try:
        with pytest.raises(ai.RequestRejected):
            await embedder.embed(["word " * 1000])
    finally:
        await embedder.aclose()
