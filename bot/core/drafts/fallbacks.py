"""Fallbacks: a title and description taken from the body when the answer named none."""

from __future__ import annotations

from collections.abc import Iterable

from bot.core.drafts.cleanup import clean_inline, clean_title, first_sentence, shorten_at_word
from bot.core.drafts.model import MAX_DESCRIPTION, MAX_FALLBACK_TITLE
from bot.core.drafts.patterns import LIST_OR_BLOCK, RULE
from bot.core.drafts.shape import code_mask, heading, label, paragraph_end, paragraph_text


def _prose_paragraphs(lines: list[str]) -> Iterable[str]:
    mask = code_mask(lines)
    i = 0
    while i < len(lines):
        if mask[i] or not lines[i].strip():
            i += 1
            continue
        end = paragraph_end(lines, i)
        while end > i and any(mask[i:end]):
            end -= 1
        paragraph = lines[i:end]
        i = max(end, i + 1)
        first = paragraph[0] if paragraph else ""
        if (
            not paragraph
            or heading(paragraph, 0)
            or LIST_OR_BLOCK.match(first)
            or RULE.match(first)
            or label(first)
        ):
            continue
        text = clean_inline(paragraph_text(paragraph))
        if text:
            yield text


def derive_description(lines: list[str]) -> str:
    for paragraph in _prose_paragraphs(lines):
        return shorten_at_word(first_sentence(paragraph), MAX_DESCRIPTION)
    return ""


def fallback_title(lines: list[str]) -> str:
    mask = code_mask(lines)
    for i in range(len(lines)):
        found = heading(lines, i) if not mask[i] else None
        if found and (title := clean_title(found[1])):
            return title
    for paragraph in _prose_paragraphs(lines):
        sentence = first_sentence(paragraph).rstrip(".!?。！？:：…")
        if title := clean_title(shorten_at_word(sentence, MAX_FALLBACK_TITLE, ellipsis="")):
            return title
    return "Untitled"
