"""Shape handling: find the post in the answer, whatever the model wrapped around it.

Also the line-level helpers the other steps share: fenced code, headings, label lines,
paragraphs and blank lines.
"""

from __future__ import annotations

import re

from bot.core.drafts.cleanup import strip_markup
from bot.core.drafts.patterns import (
    ATX_HEADING,
    BOLD_LINE,
    DESCRIPTION_LABELS,
    DOCUMENT_FENCE_INFO,
    FENCE,
    FRONT_MATTER_END,
    FRONT_MATTER_FENCE,
    HANDOVER,
    INTERJECTION,
    LABEL_LINE,
    LIST_OR_BLOCK,
    OPENER,
    POST_WORDS,
    RULE,
    SETEXT_H1,
    TAG_LABELS,
    THINK_BLOCK,
    THINK_END,
    TITLE_LABELS,
    YAML_KEY_LINE,
)


def drop_reasoning(text: str) -> str:
    # Reasoning models on Workers AI may prepend their thoughts; some gateways drop <think>.
    text = THINK_BLOCK.sub("", text, count=1)
    ends = list(THINK_END.finditer(text))
    return text[ends[-1].end() :] if ends else text


def closes_fence(line: str, fence: str) -> bool:
    """True when `line` ends a code block opened by `fence`: a bare fence of the same
    character, at least as long."""
    match = FENCE.match(line)
    return bool(
        match
        and not match["info"]
        and match["fence"][0] == fence[0]
        and len(match["fence"]) >= len(fence)
    )


def code_mask(lines: list[str]) -> list[bool]:
    """True for each line inside a fenced code block, fence lines included."""
    mask: list[bool] = []
    open_fence: str | None = None
    for line in lines:
        if open_fence is None:
            match = FENCE.match(line)
            if match and "`" not in match["info"]:
                open_fence = match["fence"]
            mask.append(open_fence is not None)
        else:
            mask.append(True)
            if closes_fence(line, open_fence):
                open_fence = None
    return mask


def heading(lines: list[str], i: int) -> tuple[int, str, int] | None:
    """(level, text, lines used) when line i starts a heading."""
    match = ATX_HEADING.match(lines[i])
    if match:
        return len(match["hashes"]), (match["text"] or "").strip(), 1
    if (
        i + 1 < len(lines)
        and lines[i].strip()
        and SETEXT_H1.match(lines[i + 1])
        and not LIST_OR_BLOCK.match(lines[i])
    ):
        return 1, lines[i].strip(), 2
    return None


def is_front_matter_start(lines: list[str], i: int) -> bool:
    if not FRONT_MATTER_FENCE.match(lines[i]):
        return False
    following = [line for line in lines[i + 1 : i + 4] if line.strip()]
    if not following or not YAML_KEY_LINE.match(following[0]):
        return False
    return any(FRONT_MATTER_END.match(line) for line in lines[i + 1 :])


def label(line: str) -> tuple[str, str, str] | None:
    """(kind, value, label) for metadata lines such as `**Tags:** a, b` or `*Description: ...*`."""
    bare = re.sub(r"^[ \t>]*[*_]+|[*_]+[ \t]*$", "", line).strip()
    match = LABEL_LINE.match(bare)
    if not match:
        return None
    name = match["label"].lower()
    if re.fullmatch(TITLE_LABELS, name, re.IGNORECASE):
        kind = "title"
    elif re.fullmatch(DESCRIPTION_LABELS, name, re.IGNORECASE):
        kind = "description"
    elif re.fullmatch(TAG_LABELS, name, re.IGNORECASE):
        kind = "tags"
    else:
        kind = "other"
    return kind, match["value"].strip("*_ \t"), name


def _is_post_start(lines: list[str], i: int) -> bool:
    if is_front_matter_start(lines, i):
        return True
    found = heading(lines, i)
    if found and found[0] == 1:
        return True
    metadata = label(lines[i])
    return bool(metadata and metadata[0] == "title") or bold_title(lines[i]) is not None


def bold_title(line: str) -> str | None:
    """The text of a line that is bold as a whole, unless it is the model talking."""
    match = BOLD_LINE.match(line)
    if not match:
        return None
    text = match["a"] or match["b"] or ""
    return None if _is_opener(text) or text.rstrip().endswith((":", "：")) else text


def _looks_like_preamble(lines: list[str]) -> bool:
    """A few short lines with no structure: what a model says before handing over a post."""
    text = [line for line in lines if line.strip()]
    if len(text) > 3 or sum(len(line) for line in text) > 300:
        return False
    return not any(
        heading(lines, i) or FENCE.match(line) or FRONT_MATTER_FENCE.match(line)
        for i, line in enumerate(lines)
        if line.strip() and not RULE.match(line)
    )


def unwrap_fence(lines: list[str]) -> list[str]:
    """Return the inside of a fence that wraps the whole post, or the lines unchanged."""
    opening = next((i for i, line in enumerate(lines) if FENCE.match(line)), None)
    if opening is None:
        return lines
    match = FENCE.match(lines[opening])
    assert match is not None
    fence, info = match["fence"], match["info"].lower()
    if info not in DOCUMENT_FENCE_INFO or not _looks_like_preamble(lines[:opening]):
        return lines
    closing = next(
        (i for i in range(len(lines) - 1, opening, -1) if closes_fence(lines[i], fence)), None
    )
    inner = lines[opening + 1 : closing] if closing is not None else lines[opening + 1 :]
    # Inner code blocks come in pairs of fence lines; an odd count means the "closing" fence
    # ends the post's own last code block and the model never closed the outer fence.
    if closing is not None and sum(1 for line in inner if FENCE.match(line)) % 2:
        inner = lines[opening + 1 :]
    if info in {"", "text", "txt"}:
        # A bare fence is usually a code sample; only take it as the wrapper when it holds a
        # post and is announced as one or spans the whole answer.
        holds_post = any(_is_post_start(inner, i) for i in range(min(len(inner), 6)))
        preamble = paragraph_text(lines[:opening])
        whole = opening == 0 and (closing is None or not trim_blank(lines[closing + 1 :]))
        if not holds_post or not (whole or _is_opener(preamble)):
            return lines
    return inner


def paragraph_text(lines: list[str]) -> str:
    return " ".join(line.strip() for line in lines if line.strip())


def _is_opener(paragraph: str) -> bool:
    if len(paragraph) > 600:
        return False
    text = strip_markup(paragraph).strip()
    if len(text) > 300:
        return False
    if INTERJECTION.match(text):
        return True
    # "Here are three reasons:" may open a post; an opener must be about the post itself.
    about_post = bool(POST_WORDS.search(text) or HANDOVER.search(text))
    return about_post and (bool(OPENER.match(text)) or text.endswith((":", "：")))


def drop_leading_chatter(lines: list[str]) -> list[str]:
    lines = trim_blank(lines)
    mask = code_mask(lines)
    start = next(
        (i for i in range(min(len(lines), 12)) if not mask[i] and _is_post_start(lines, i)),
        None,
    )
    if start == 0:
        return lines
    if start and _looks_like_preamble(lines[:start]):
        return trim_blank(lines[start:])
    while lines:
        end = paragraph_end(lines, 0)
        first = lines[:end]
        if mask[0] or any(heading(first, i) for i in range(len(first))):
            break
        if not (_is_opener(paragraph_text(first)) or all(RULE.match(x) for x in first)):
            break
        lines, mask = lines[end:], mask[end:]
        blank = len(lines) - len(trim_blank(lines, end=False))
        lines, mask = lines[blank:], mask[blank:]
    return lines


def paragraph_end(lines: list[str], start: int) -> int:
    end = start
    while end < len(lines) and lines[end].strip():
        end += 1
    return end


def trim_blank(lines: list[str], *, end: bool = True) -> list[str]:
    first = 0
    while first < len(lines) and not lines[first].strip():
        first += 1
    last = len(lines)
    while end and last > first and not lines[last - 1].strip():
        last -= 1
    return lines[first:last]
