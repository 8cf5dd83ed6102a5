"""A short excerpt of the blog's newest posts, for the model to write in the blog's voice."""

from __future__ import annotations

from collections.abc import Mapping

from bot.core.blog.matter import split_post
from bot.core.blog.profile import BlogProfile

__all__ = ["MAX_STYLE_CHARS", "style_sample"]

MAX_STYLE_CHARS = 1500
_PER_POST = 2  # one or two posts: enough for a voice, not enough to copy


def style_sample(profile: BlogProfile, contents: Mapping[str, str]) -> str:
    """At most MAX_STYLE_CHARS of the newest posts' bodies (front matter removed), cut at
    paragraph ends, each headed by its path; "" when no post was read."""
    bodies = [
        (path, split_post(contents[path]).body.strip())
        for path in profile.samples
        if path in contents
    ]
    bodies = [(path, body) for path, body in bodies if body][:_PER_POST]
    if not bodies:
        return ""
    share = MAX_STYLE_CHARS // len(bodies)
    parts = []
    for path, body in bodies:
        header = f"[{path}]\n"
        parts.append(header + _cut(body, share - len(header) - 2))
    return "\n\n".join(parts)[:MAX_STYLE_CHARS]


def _cut(text: str, limit: int) -> str:
    """Whole paragraphs that fit; the first paragraph cut at a word when none does."""
    if len(text) <= limit:
        return text
    kept = ""
    for paragraph in text.split("\n\n"):
        candidate = f"{kept}\n\n{paragraph}" if kept else paragraph
        if len(candidate) > limit:
            break
        kept = candidate
    if kept:
        return kept
    cut = text[: max(limit - 1, 0)]
    space = cut.rfind(" ")
    return (cut[:space] if space > limit // 2 else cut) + "…"
