"""The public API: `parse_draft` and `word_count`."""

from __future__ import annotations

import re

from bot.core.drafts.cleanup import clean_inline, clean_title, normalise_tags
from bot.core.drafts.fallbacks import derive_description, fallback_title
from bot.core.drafts.front_matter import split_front_matter
from bot.core.drafts.model import Draft, DraftFormatError
from bot.core.drafts.patterns import FENCE, WORD
from bot.core.drafts.shape import drop_leading_chatter, drop_reasoning, unwrap_fence
from bot.core.drafts.title import (
    drop_trailing_chatter,
    join_body,
    take_header_labels,
    take_title,
)


def parse_draft(text: str) -> Draft:
    """Extract title, description, tags and body from a model's answer."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    text = drop_reasoning(text)
    if not text.strip():
        raise DraftFormatError("The model's answer was empty.")

    lines = unwrap_fence(text.split("\n"))
    lines = drop_leading_chatter(lines)
    meta, lines = split_front_matter(lines)

    raw_title = meta.get("title")
    title = clean_title(raw_title) if isinstance(raw_title, str) else ""
    raw_description = meta.get("description")
    description = clean_inline(raw_description) if isinstance(raw_description, str) else ""
    tags = normalise_tags(meta.get("tags"))

    lines, heading_title = take_title(lines, have_title=bool(title))
    title = title or heading_title
    lines, header = take_header_labels(lines, allow_subtitle=bool(heading_title))
    lines, trailer = drop_trailing_chatter(lines)

    description = description or header.get("description") or trailer.get("description", "")
    tags = tags or normalise_tags(header.get("tags")) or normalise_tags(trailer.get("tags"))
    if not title and header.get("title"):
        title = clean_title(header["title"])

    body = join_body(lines)
    if not body.strip():
        raise DraftFormatError("The model's answer has no post text.")
    body_lines = body.split("\n")
    title = title or fallback_title(body_lines)
    description = description or derive_description(body_lines)
    return Draft(title=title, description=description, tags=tags, body=body)


def word_count(markdown: str) -> int:
    """Count words as a reader would: link text not URLs, no markup, one per CJK character."""
    text = markdown.replace("\r\n", "\n")
    closed = text.rfind("-->") + 3  # unterminated comments would make the search quadratic
    text = re.sub(r"<!--.*?-->", " ", text[:closed], flags=re.DOTALL) + text[closed:]
    kept = [line for line in text.split("\n") if not FENCE.match(line)]
    text = "\n".join(kept)
    # Bounded repeats keep this linear on long lines full of unclosed brackets.
    text = re.sub(r"!\[[^\]\n]{0,500}\]\([^)\n]{0,2000}\)", " ", text)
    text = re.sub(r"\[([^\]\n]{0,500})\]\([^)\n]{0,2000}\)", r"\1", text)
    text = re.sub(r"\[([^\]\n]{0,500})\]\[[^\]\n]{0,500}\]", r"\1", text)
    text = re.sub(r"https?://\S+", " url ", text)
    text = re.sub(r"</?[A-Za-z][^>\n]{0,500}>", " ", text)
    text = re.sub(r"(?m)^[ \t]*(?:[-*+]|\d+[.)])[ \t]+", " ", text)
    return len(WORD.findall(text))
