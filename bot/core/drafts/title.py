"""Title, header and trailer: the lines around the body that carry metadata or chatter."""

from __future__ import annotations

import re

from bot.core.drafts.cleanup import clean_inline, clean_title, strip_markup
from bot.core.drafts.patterns import ATX_HEADING, CLOSER, HASHTAG_LINE, RULE
from bot.core.drafts.shape import (
    bold_title,
    code_mask,
    heading,
    label,
    paragraph_text,
    trim_blank,
)


def take_title(lines: list[str], *, have_title: bool) -> tuple[list[str], str]:
    """Remove the title line at the top of the body; return it when none is known yet."""
    lines = trim_blank(lines)
    if not lines:
        return lines, ""
    top = heading(lines, 0)
    mask = code_mask(lines)
    has_h1 = any(
        not mask[i] and (h := heading(lines, i)) is not None and h[0] == 1
        for i in range(len(lines))
    )
    found: str | None = None
    used = 0
    metadata = label(lines[0])
    bold = bold_title(lines[0])
    if top and top[0] == 1:
        found, used = top[1], top[2]
    elif metadata and metadata[0] == "title":
        found, used = metadata[1], 1
    elif bold and not have_title and (len(lines) == 1 or not lines[1].strip()):
        found, used = bold, 1
    elif top and top[0] == 2 and not has_h1 and not have_title:
        found, used = top[1], top[2]
    if found is None:
        return lines, ""
    return trim_blank(lines[used:]), "" if have_title else clean_title(found)


def take_header_labels(
    lines: list[str], *, allow_subtitle: bool
) -> tuple[list[str], dict[str, str]]:
    """Remove metadata lines (description, tags, date...) right below the title."""
    found: dict[str, str] = {}
    i = 0
    while i < len(lines):
        line = lines[i]
        if not line.strip() or (RULE.match(line) and found):
            i += 1
            continue
        metadata = label(line)
        if metadata:
            found.setdefault(metadata[0], metadata[1])
        elif HASHTAG_LINE.match(line) and not ATX_HEADING.match(line):
            found.setdefault("tags", line)
        elif allow_subtitle and not found and _is_emphasis_line(line):
            found["description"] = line
        else:
            break
        i += 1
    if not found:
        return lines, {}
    if "description" in found:
        found["description"] = clean_inline(found["description"])
    return trim_blank(lines[i:]), found


def _is_emphasis_line(line: str) -> bool:
    text = line.strip()
    return bool(re.fullmatch(r"(\*{1,2}|_{1,2})(?!\s)[^*_\n]+(?<!\s)\1", text))


def drop_trailing_chatter(lines: list[str]) -> tuple[list[str], dict[str, str]]:
    """Remove chatter, rules and metadata lines from the end; return the metadata found."""
    lines = trim_blank(lines)
    mask = code_mask(lines)
    found: dict[str, str] = {}
    while lines and not any(mask[len(lines) - 1 :]):
        start = len(lines)
        while start > 0 and lines[start - 1].strip():
            start -= 1
        paragraph = lines[start:]
        if any(mask[start:]):
            break
        single = paragraph[0] if len(paragraph) == 1 else None
        metadata = label(single) if single else None
        if single and RULE.match(single):
            pass
        elif metadata and metadata[0] == "tags":
            found.setdefault("tags", metadata[1])
        elif metadata and metadata[0] == "description":
            # "Summary: ..." can close a post; only an explicit description is metadata.
            if not re.match(r"meta|description$", metadata[2]):
                break
            found.setdefault("description", clean_inline(metadata[1]))
        elif metadata and metadata[0] in {"title", "other"}:
            pass
        elif single and HASHTAG_LINE.match(single):
            found.setdefault("tags", single)
        elif not _is_closer(paragraph):
            break
        lines = trim_blank(lines[:start])
        mask = mask[: len(lines)]
    return lines, found


def _is_closer(paragraph: list[str]) -> bool:
    first = strip_markup(paragraph[0][:300]).strip(" \t*_>-–—")
    first = re.sub(r"^[^\w]+", "", first)  # a leading emoji or bullet
    return len(paragraph_text(paragraph)) <= 600 and bool(CLOSER.match(first))


def join_body(lines: list[str]) -> str:
    lines = trim_blank(lines)
    while lines and RULE.match(lines[0]):
        lines = trim_blank(lines[1:])
    return "\n".join(lines).rstrip()
