"""What the newest existing posts say: their file names, front matter format and keys, the
shape of each value, the tag and category vocabulary, authors, excerpt marker and images.

The posts are the blog's conventions as actually practised; they outrank the generator's
defaults but not an explicit configuration.
"""

from __future__ import annotations

import datetime as dt
import posixpath
import re
from collections import Counter
from collections.abc import Sequence, Set
from typing import Any

from bot.core.blog.facts import Facts
from bot.core.blog.matter import Parsed, split_post
from bot.core.blog.paths import name_pattern
from bot.core.blog.profile import Author, Field
from bot.core.blog.values import date_style_of, role_of, shape_of

__all__ = ["learn_from_names", "learn_from_posts"]

_TABLES = ("taxonomies", "extra", "params")  # tables whose keys are post metadata (Zola, Hugo)
_CORE = {"title", "date", "description", "tags", "categories", "authors", "draft", "layout", "slug"}
_EXCERPT = re.compile(r"<!--\s*(?:more|truncate)\s*-->|\{/\*\s*truncate\s*\*/\}")
_IMAGE = re.compile(r"!\[[^\]]*\]\(\s*<?([^)\s>]+)")


def learn_from_names(posts: Sequence[str], posts_dir: str) -> Facts:
    """The file name template most of the posts follow (paths only: every post counts)."""
    facts = Facts(source="file names")
    patterns = Counter(
        pattern
        for path in posts
        if (pattern := name_pattern(path.removeprefix(posts_dir.rstrip("/") + "/")))
    )
    if patterns:
        best, count = patterns.most_common(1)[0]
        facts.filename = best
        facts.source = f"{count} of {len(posts)} post file names"
    return facts


def learn_from_posts(generator: str, posts: Sequence[tuple[str, str]], tree: Set[str]) -> Facts:
    """Conventions of the given posts (path, text), newest first."""
    parsed = [(path, split_post(text)) for path, text in posts]
    facts = Facts(source="the newest post" if len(parsed) == 1 else f"{len(parsed)} newest posts")
    if not parsed:
        return facts
    facts.samples = tuple(path for path, _ in parsed)
    formats = Counter(post.format for _, post in parsed if post.format)
    # Posts without any front matter (a plain Markdown repository): new ones get none either.
    facts.front_matter = formats.most_common(1)[0][0] if formats else "none"
    flat = [_flatten(post.meta) for _, post in parsed]
    titled = sum(any(role_of(k) == "title" for k in meta) for meta in flat)
    headed = sum(_first_line(post.body).startswith("# ") for _, post in parsed)
    facts.title_in = "key" if titled * 2 >= len(parsed) else "heading" if headed else None
    if not formats:
        facts.title_in = "heading"  # no front matter: the title can only be the heading
    facts.fields = _fields(generator, flat, facts)
    _date_style(parsed, flat, facts)
    _vocabulary(generator, flat, facts)
    _authors(flat, facts)
    if not formats:
        facts.date_line = _date_line(parsed[0][1].body)
    marker = next((m[0] for _, post in parsed if (m := _EXCERPT.search(post.body))), "")
    facts.excerpt = marker
    _images(parsed, tree, facts)
    return facts


def _flatten(meta: dict[str, Any]) -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in meta.items():
        if key.lower() in _TABLES and isinstance(value, dict):
            flat.update({f"{key}.{sub}": inner for sub, inner in value.items()})
        else:
            flat[key] = value
    return flat


_DATE_LINE = re.compile(r"^(?P<mark>[*_]{0,2})(?P<date>[^*_]{6,40}?)(?P=mark)\s*$")
_DATE_LINE_FORMATS = ("%d %B %Y", "%B %d, %Y", "%d %b %Y", "%b %d, %Y", "%Y-%m-%d")


def _date_line(body: str) -> str | None:
    """A post without front matter may carry its date as the line under its `# ` title
    (`*27 February 2025*`): the template to write new posts' dates the same way."""
    lines = [line.strip() for line in body.splitlines() if line.strip()]
    if len(lines) < 2 or not lines[0].startswith("# "):
        return None
    match = _DATE_LINE.match(lines[1])
    if match is None:
        return None
    for fmt in _DATE_LINE_FORMATS:
        try:
            dt.datetime.strptime(match["date"], fmt)
        except ValueError:
            continue
        unpadded = "%d" in fmt and not re.search(r"(?<!\d)0\d(?!\d)", match["date"])
        return f"{match['mark']}{fmt.replace('%d', '{day}') if unpadded else fmt}{match['mark']}"
    return None


def _first_line(body: str) -> str:
    return next((line for line in body.splitlines() if line.strip()), "")


def _fields(generator: str, flat: list[dict[str, Any]], facts: Facts) -> list[Field]:
    """Keys in the newest post's order; a key counts when at least half the posts have it."""
    order: dict[str, None] = {}
    for meta in flat:
        order.update(dict.fromkeys(meta))
    fields = []
    for key in order:
        values = [meta[key] for meta in flat if key in meta]
        if len(values) * 2 < len(flat):
            continue
        newest = values[0]
        role = role_of(key, newest)
        shape = "date" if role == "date" else shape_of(newest, role, generator)
        fields.append(
            Field(
                key=key,
                role=role,
                shape=shape,
                default=_constant(role, values, len(flat)),
                example=newest,
                source=facts.source,
            )
        )
    return fields


def _constant(role: str, values: list[Any], total: int) -> object:
    """A value every post repeats (layout: post, comments: true): written on new posts too."""
    if role not in {"other", "layout"} or len(values) < total:
        return None
    first = values[0]
    if not isinstance(first, str | bool | int | float) or any(v != first for v in values):
        return None
    if total >= 2 or isinstance(first, bool) or role == "layout":
        return first
    return None


def _raw_value(post: Parsed, key: str) -> str | None:
    """The source text of a top-level key's value, to tell quoted strings from native dates."""
    separator = "=" if post.format == "toml" else ":"
    name = key.split(".")[-1]
    match = re.search(rf"^\s*{re.escape(name)}\s*{separator}[ \t]*(.+)$", post.raw, re.M)
    if not match:
        return None
    value = match[1].strip()
    return value if value[:1] in {"'", '"'} else re.split(r"\s+#", value)[0].strip()


def _date_style(parsed: list[tuple[str, Parsed]], flat: list[dict[str, Any]], facts: Facts) -> None:
    key = next((f.key for f in facts.fields if f.role == "date"), None)
    if key is None:
        return
    for (path, post), meta in zip(parsed, flat, strict=True):
        if key in meta:
            style = date_style_of(meta[key], _raw_value(post, key))
            if style is not None:
                facts.date_style = style
                return
            facts.notes.append(
                f"{path}: date {meta[key]!r} is not ISO 8601; new posts get ISO dates"
            )
            return


def _terms(value: object, shape: str) -> list[str]:
    if isinstance(value, list | tuple):
        return [str(item) for item in value if item is not None]
    if isinstance(value, str):
        parts = (
            value.split(",") if shape == "csv" else value.split() if shape == "words" else [value]
        )
        return [part.strip() for part in parts if part.strip()]
    return []


def _vocabulary(generator: str, flat: list[dict[str, Any]], facts: Facts) -> None:
    if generator == "eleventy":
        facts.collection_tags = ()  # posts without tags: a directory data file gives them
    for role in ("tags", "categories"):
        spec = next((f for f in facts.fields if f.role == role), None)
        if spec is None:
            continue
        per_post = [_terms(meta.get(spec.key), spec.shape) for meta in flat]
        vocabulary = dict.fromkeys(term for terms in per_post for term in terms)
        if role == "categories":
            facts.categories = tuple(vocabulary)
            facts.max_categories = max((len(terms) for terms in per_post), default=1) or 1
            continue
        if generator == "eleventy":
            common = set(per_post[0]).intersection(*per_post[1:])
            # Tags on every post put it in a collection (Eleventy's `posts`); one post alone
            # shows only that its `posts` tag is one.
            keep = common if len(per_post) > 1 else common & {"posts", "post", "blog"}
            facts.collection_tags = tuple(t for t in per_post[0] if t in keep)
            vocabulary = {t: None for t in vocabulary if t not in keep}
        facts.tags = tuple(vocabulary)


def _authors(flat: list[dict[str, Any]], facts: Facts) -> None:
    key = next((f.key for f in facts.fields if f.role == "authors"), None)
    if key is None:
        return
    seen: Counter[str] = Counter()
    known: dict[str, Author] = {}
    for meta in flat:
        value = meta.get(key)
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, dict) and isinstance(item.get("name"), str):
                author = Author(id=item["name"], name=item["name"], value=item)
            elif isinstance(item, str) and item.strip():
                author = Author(id=item.strip())
            else:
                continue
            known.setdefault(author.id, author)
            seen[author.id] += 1
    if seen:
        facts.authors = tuple(known.values())
        facts.frequent_author = seen.most_common(1)[0][0]


def _images(parsed: list[tuple[str, Parsed]], tree: Set[str], facts: Facts) -> None:
    """Where the posts' images are: beside a bundled post, or the folder a link points into."""
    image_keys = [f.key for f in facts.fields if f.role == "image"]
    for path, post in parsed:
        in_meta = [v for k in image_keys if isinstance(v := _flatten(post.meta).get(k), str)]
        for url in [*_IMAGE.findall(post.body), *in_meta][:8]:  # a few are telling enough
            if re.match(r"[a-z]+:", url, re.I) or url.startswith("//"):
                continue
            folder = posixpath.dirname(path)
            if not url.startswith("/"):
                target = posixpath.normpath(posixpath.join(folder, url.split("#")[0]))
                if posixpath.dirname(target) == folder and posixpath.basename(path).startswith(
                    "index."
                ):
                    facts.images_beside_post = True
                    return
                if target in tree:
                    facts.images_dir = posixpath.dirname(target)
                    return
                continue
            hits = sorted(p for p in tree if p.endswith(url) or p == url.lstrip("/"))
            if hits:
                facts.images_dir = posixpath.dirname(hits[0])
                return
