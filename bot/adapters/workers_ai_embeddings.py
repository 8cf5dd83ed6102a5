"""Text embeddings from Cloudflare Workers AI (`@cf/baai/bge-m3`, `@cf/baai/bge-base-en-v1.5`).

`POST {api}/accounts/{account}/ai/run/{model}` with `{"text": [<=100 strings]}` answers, inside
the v4 envelope, `{"shape": [n, d], "data": [[...] * n], "pooling"?}`: one vector per text, in
order. Longer lists go in batches of 100. The run, retry and error handling are the text
model's (bot.adapters.workers_ai), so a failure is the same ModelError with the same sentence.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.adapters.workers_ai import _ModelRunner
from bot.core.errors import ServiceUnavailable

# The schema's maxItems for `text` (bge-m3 and bge-base-en-v1.5 alike).
MAX_TEXTS_PER_CALL = 100


class WorkersAIEmbedder(_ModelRunner):
    """Runs an embedding model: texts in, one vector per text out."""

    @staticmethod
    def request_body(texts: Sequence[str]) -> dict[str, Any]:
        return {"text": list(texts)}

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """The vectors of `texts`, in order. Raises a ModelError subclass on failure."""
        vectors: list[list[float]] = []
        for start in range(0, len(texts), MAX_TEXTS_PER_CALL):
            batch = [text or " " for text in texts[start : start + MAX_TEXTS_PER_CALL]]
            found = await self._run(self.request_body(batch), _vectors)
            if len(found) != len(batch):
                raise ServiceUnavailable(
                    f"Workers AI returned {len(found)} embeddings for {len(batch)} texts"
                )
            vectors += found
        return vectors


def _vectors(result: Any) -> list[list[float]]:
    data = result.get("data") if isinstance(result, dict) else None
    if not isinstance(data, list) or not all(isinstance(row, list) for row in data):
        raise ServiceUnavailable("Workers AI answered in an unknown shape (no embeddings)")
    try:
        return [[float(value) for value in row] for row in data]
    except (TypeError, ValueError):
        raise ServiceUnavailable(
            "Workers AI answered with embeddings that are not numbers"
        ) from None
