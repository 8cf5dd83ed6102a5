"""Text cleanup: titles, descriptions and tags as plain, short, single-line text."""

from __future__ import annotations

import re

from bot.core.drafts.model import MAX_TAG_LENGTH, MAX_TAGS, MAX_TITLE, SCAN_LIMIT
from bot.core.drafts.patterns import (
    ABBREVIATION,
    INVISIBLE,
    LABEL_LINE,
    QUOTE_PAIRS,
    SENTENCE_END,
    TITLE_LABELS,
)
from bot.core.text import ELLIPSIS, shorten

# What a cut leaves dangling at its end: a separator before the ellipsis reads as a typo.
_DANGLING = " ,;:-–—"


def shorten_at_word(text: str, limit: int, *, ellipsis: str = ELLIPSIS) -> str:
    return shorten(text, limit, ellipsis=ellipsis, words=True, trim=_DANGLING)


def strip_markup(text: str) -> str:
    text = re.sub(r"!\[([^\]]*)\]\([^)]*\)", "", text)
    text = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"\[([^\]]+)\]\[[^\]]*\]", r"\1", text)
    text = re.sub(r"\[\^[^\]]+\]", "", text)
    text = re.sub(r"<(https?://[^>\s]+)>", r"\1", text)
    text = re.sub(r"</?[A-Za-z][^>]*>", "", text)
    text = re.sub(r"(`+)(.+?)\1", r"\2", text)
    text = re.sub(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1", r"\2", text)
    text = re.sub(r"~~(?=\S)(.+?)(?<=\S)~~", r"\1", text)
    text = re.sub(r"(?<![\w*])\*(?=\S)(.+?)(?<=\S)\*(?![\w*])", r"\1", text)
    text = re.sub(r"(?<![\w_])_(?=\S)(.+?)(?<=\S)_(?![\w_])", r"\1", text)
    return re.sub(r"\\([\\`*_{}\[\]()#+\-.!|])", r"\1", text)


def clean_inline(text: str) -> str:
    # Markup regexes are quadratic on pathological input; titles and descriptions need a
    # prefix only.
    text = " ".join(text[: 2 * SCAN_LIMIT].split())
    if len(text) > SCAN_LIMIT:
        text = shorten_at_word(text, SCAN_LIMIT, ellipsis="")
    return " ".join(INVISIBLE.sub("", strip_markup(text)).split())


def _strip_quotes(text: str) -> str:
    while len(text) >= 2 and QUOTE_PAIRS.get(text[0]) == text[-1]:
        inner = text[1:-1]
        if text[-1] in inner:
            break  # `"A" and "B"` is quoted inside, not wrapped
        text = inner.strip()
    return text


def clean_title(raw: str) -> str:
    text = clean_inline(raw)
    text = re.sub(r"^#+\s+|\s+#+$", "", text)
    label = LABEL_LINE.match(text)
    if label and re.fullmatch(TITLE_LABELS, label["label"], re.IGNORECASE):
        text = label["value"]
    text = _strip_quotes(text.strip("*_ \t"))
    return shorten_at_word(text, MAX_TITLE, ellipsis="")


def first_sentence(text: str) -> str:
    for match in SENTENCE_END.finditer(text):
        end = match.end()
        if match.group() == ".":
            word = re.search(r"([\w.]+)\.$", text[:end])
            previous = word[1].lower() if word else ""
            if ABBREVIATION.fullmatch(previous) or len(previous) == 1:
                continue
        return text[:end].strip()
    return text.strip()


def normalise_tags(raw: object) -> tuple[str, ...]:
    """Tags as short lowercase words: from a list, a comma/space string or #hashtags."""
    if raw is None or raw == "":
        return ()
    items: list[str] = []
    if isinstance(raw, str):
        text = strip_markup(raw[:SCAN_LIMIT]).strip().strip("[]")
        separator = r"[,，、;]" if re.search(r"[,，、;]", text) else r"\s+"
        items = re.split(separator, text)
    elif isinstance(raw, (list, tuple)):
        for item in raw:
            items.extend(re.split(r"[,，、]", str(item)) if item is not None else [])
    tags: list[str] = []
    for item in items:
        tag = INVISIBLE.sub("", " ".join(_strip_quotes(item.strip().strip("*_`")).split()))
        tag = tag.strip(" .;:").lstrip("#").strip(" .;:").lower()  # keep the # of "c#"
        if tag and len(tag) <= MAX_TAG_LENGTH and tag not in tags:
            tags.append(tag)
    return tuple(tags[:MAX_TAGS])
