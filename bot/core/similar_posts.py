""" "You wrote about this before": the blog's post closest to a new draft, when it is very close.

Each post of the blog (its title, description and first paragraph) is embedded once and kept in
the state store under its file's blob sha: a post is embedded again only when its text changed,
and a restart embeds nothing that was embedded before. The draft is embedded the same way, in
the same call as any post not yet embedded, and compared by cosine similarity.

The check is advice, never a gate: whatever fails in it (the embedding model, GitHub, the
store) is logged and the post goes ahead as if nothing similar had been found.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import math
import re
import struct
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from bot.core.blog import BlogProfile
from bot.core.blog.matter import split_post
from bot.core.blog.paths import newest_first, posts_in
from bot.core.blog_source import BlogKnowledge
from bot.core.drafts import Draft
from bot.core.ports import BlobLister, BlogRepository, StateStore, TextEmbedder
from bot.core.text import shorten

log = logging.getLogger(__name__)

# The newest posts compared; older ones are left out (a blog rarely repeats a decade-old topic,
# and the first index of a huge blog stays a few hundred file reads).
MAX_INDEXED_POSTS = 300
# Of each text embedded: the title, the description and the first paragraph, cut here (about
# 400 tokens, inside bge-base-en-v1.5's 512).
MAX_TEXT_CHARS = 1600
# A post edited since leaves its old vector behind; it fades after this long.
VECTOR_TTL_SECONDS = 180 * 24 * 3600

_DESCRIPTION_KEYS = ("description", "summary", "excerpt", "teaser", "subtitle", "lead")
_NOT_PROSE = re.compile(
    r"^(?:#|!\[|<|\{[{%]|\*[^*\s][^*]*\*$|_[^_\s][^_]*_$|---|\+\+\+|```|>\s*$|\||\[\^)"
)


class SimilarPostFound(Exception):
    """A new draft is very close to an existing post: the writer chooses before anything is
    committed."""

    def __init__(self, found: SimilarPost) -> None:
        super().__init__(f"close to {found.path} ({found.score:.2f})")
        self.found = found


@dataclass(frozen=True)
class SimilarPost:
    path: str
    title: str
    url: str  # the post's file on GitHub
    score: float  # cosine similarity with the draft
    blob_sha: str  # the file as compared: an update starts from exactly this text

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SimilarPost:
        return cls(
            path=str(data["path"]),
            title=str(data["title"]),
            url=str(data["url"]),
            score=float(data["score"]),
            blob_sha=str(data["blob_sha"]),
        )


@dataclass(frozen=True)
class _Indexed:
    title: str
    vector: tuple[float, ...]  # unit length


# -- what is embedded ----------------------------------------------------------------------------
def summary_text(title: str, description: str, body: str) -> str:
    """What a post is about: its title, description and first paragraph, at most MAX_TEXT_CHARS."""
    parts = [part.strip() for part in (title, description, first_paragraph(body))]
    text = "\n".join(part for part in parts if part)
    return shorten(text, MAX_TEXT_CHARS, words=True)


def first_paragraph(body: str) -> str:
    """The first paragraph of prose: headings, images, HTML, date lines and fences skipped."""
    for block in re.split(r"\n[ \t]*\n", body.strip()):
        lines = [line.strip() for line in block.strip().splitlines() if line.strip()]
        prose = [line for line in lines if not _NOT_PROSE.match(line)]
        if prose:
            return " ".join(prose)
    return ""


def post_summary(text: str, profile: BlogProfile) -> tuple[str, str]:
    """(title, summary text) of a post file of the blog."""
    parsed = split_post(text)
    meta = {str(k).lower(): v for k, v in parsed.meta.items()}
    title_field = profile.field("title")
    title = _value(meta, title_field.key.lower()) if title_field else ""
    title = title or _value(meta, "title")
    body = parsed.body
    heading = re.match(r"\s*#\s+(.+)", body)
    if heading and not title:
        title = heading[1].strip()
    if heading:
        body = body[heading.end() :]
    description_field = profile.field("description")
    keys = ((description_field.key.lower(),) if description_field else ()) + _DESCRIPTION_KEYS
    description = next((d for key in keys if (d := _value(meta, key))), "")
    return title, summary_text(title, description, body)


def _value(meta: Mapping[str, Any], dotted: str) -> str:
    value: Any = meta
    for part in dotted.split("."):
        if not isinstance(value, Mapping):
            return ""
        value = value.get(part)
    return " ".join(str(value).split()) if isinstance(value, str | int | float) else ""


def draft_summary(draft: Draft) -> str:
    return summary_text(draft.title, draft.description, draft.body)


# -- vectors -------------------------------------------------------------------------------------
def unit(vector: Sequence[float]) -> tuple[float, ...]:
    norm = math.sqrt(sum(v * v for v in vector))
    return tuple(v / norm for v in vector) if norm else tuple(vector)


def cosine(a: Sequence[float], b: Sequence[float]) -> float:
    """Cosine similarity; 0 for vectors of different lengths (a model changed) or zero ones."""
    if len(a) != len(b):
        return 0.0
    na, nb = math.sqrt(sum(x * x for x in a)), math.sqrt(sum(y * y for y in b))
    if not na or not nb:
        return 0.0
    return sum(x * y for x, y in zip(a, b, strict=True)) / (na * nb)


def _pack(vector: Sequence[float]) -> str:
    """float32, little-endian, base64: a quarter of the JSON's size (4 KB for 1,024 numbers)."""
    return base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode("ascii")


def _unpack(text: str) -> tuple[float, ...]:
    raw = base64.b64decode(text)
    return struct.unpack(f"<{len(raw) // 4}f", raw)


# -- the index -----------------------------------------------------------------------------------
class SimilarPosts:
    """Finds the blog's post closest to a draft; see the module docstring."""

    def __init__(
        self,
        *,
        repository: BlogRepository,
        blobs: BlobLister,
        embedder: TextEmbedder,
        store: StateStore,
        knowledge: BlogKnowledge,
        threshold: float,
        link: Callable[[str, str], str],
    ) -> None:
        self._repository = repository
        self._blobs = blobs
        self._embedder = embedder
        self._store = store
        self._knowledge = knowledge
        self.threshold = threshold
        self._link = link  # (branch, path) -> the file's page
        self._known: dict[str, _Indexed] = {}  # blob sha -> what was embedded (this process)
        self._tree: tuple[str, dict[str, str]] | None = None  # (head sha, path -> blob sha)
        self._lock = asyncio.Lock()

    def _key(self, blob_sha: str) -> str:
        return f"embedding:{self._embedder.model}:{blob_sha}"

    async def closest(self, draft: Draft) -> SimilarPost | None:
        """The existing post at least `threshold` similar to `draft`, the closest one; None when
        there is none or when the check failed (logged: the post goes ahead)."""
        try:
            async with self._lock:  # two drafts at once must not embed the same posts twice
                return await self._closest(draft)
        except Exception:
            log.warning("could not compare the draft with the blog's posts", exc_info=True)
            return None

    async def _closest(self, draft: Draft) -> SimilarPost | None:
        base, head_sha = await self._repository.base_head()
        learned = await self._knowledge.at(head_sha)
        shas = await self._blob_shas(head_sha)
        paths = newest_first(posts_in(shas, learned.profile.posts_dir))[:MAX_INDEXED_POSTS]
        if not paths:
            return None
        await self._load_cached({shas[p] for p in paths})
        missing = [p for p in paths if shas[p] not in self._known]
        texts = await self._repository.read_files(head_sha, missing) if missing else {}
        summaries = {p: post_summary(texts[p], learned.profile) for p in missing if p in texts}
        wanted = [p for p, (_, text) in summaries.items() if text]
        vectors = await self._embedder.embed(
            [draft_summary(draft), *(summaries[p][1] for p in wanted)]
        )
        draft_vector = unit(vectors[0])
        for path, vector in zip(wanted, vectors[1:], strict=True):
            await self._remember(shas[path], _Indexed(summaries[path][0], unit(vector)))
        log.info(
            "compared the draft with %d posts (%d embedded now) using %s",
            len(paths),
            len(wanted),
            self._embedder.model,
        )
        scored = [
            (cosine(draft_vector, known.vector), path, known)
            for path in paths
            if (known := self._known.get(shas[path])) is not None
        ]
        if not scored:
            return None
        score, path, known = max(scored, key=lambda item: item[0])
        log.info("closest post: %s (%.3f, threshold %.2f)", path, score, self.threshold)
        if score < self.threshold:
            return None
        return SimilarPost(
            path=path,
            title=known.title or path,
            url=self._link(base, path),
            score=round(score, 4),
            blob_sha=shas[path],
        )

    async def _blob_shas(self, head_sha: str) -> dict[str, str]:
        """The blog's blob shas at `head_sha`: one tree read per base head."""
        if self._tree is None or self._tree[0] != head_sha:
            self._tree = (head_sha, await self._blobs.blob_shas(head_sha))
        return self._tree[1]

    async def _load_cached(self, blob_shas: set[str]) -> None:
        for sha in blob_shas - self._known.keys():
            raw = await self._store.get(self._key(sha))
            if raw is None:
                continue
            try:
                data = json.loads(raw)
                self._known[sha] = _Indexed(str(data["title"]), _unpack(str(data["vector"])))
            except (ValueError, KeyError, TypeError, struct.error):
                log.info("dropping an unreadable cached embedding %s", sha[:7])

    async def _remember(self, blob_sha: str, indexed: _Indexed) -> None:
        self._known[blob_sha] = indexed
        value = json.dumps({"title": indexed.title, "vector": _pack(indexed.vector)})
        await self._store.put(self._key(blob_sha), value, VECTOR_TTL_SECONDS)
