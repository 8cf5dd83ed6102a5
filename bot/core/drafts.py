"""Turn a language model's answer into a clean blog post draft.

Models answer in many shapes: plain Markdown with a `# Title`, their own YAML front matter
(often invalid YAML), the whole post wrapped in a ```markdown fence, and chatter before and
after the post. `parse_draft` accepts all of them and returns the same `Draft` for the same
content. The body keeps the model's text as written: only whole lines around it (chatter,
title, metadata lines) are removed, so inner code blocks and formatting survive unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import yaml

__all__ = ["Draft", "DraftFormatError", "parse_draft", "word_count"]

MAX_TITLE = 200
MAX_DESCRIPTION = 160
MAX_FALLBACK_TITLE = 80
MAX_TAGS = 8
MAX_TAG_LENGTH = 40
_SCAN_LIMIT = 2000
ELLIPSIS = "…"


@dataclass(frozen=True)
class Draft:
    title: str
    description: str
    tags: tuple[str, ...]
    body: str  # Markdown body without the title heading, outer fence or chatter


class DraftFormatError(ValueError):
    """The model's answer cannot become a post; the message is shown to the writer."""


# --- line patterns ------------------------------------------------------------------------

_FENCE = re.compile(r"^ {0,3}(?P<fence>`{3,}|~{3,})[ \t]*(?P<info>[^`]*?)[ \t]*$")
# Only these info strings mean "the whole answer is a Markdown document", not a code sample.
_DOCUMENT_FENCE_INFO = {"", "markdown", "md", "mdx", "text", "txt"}
_ATX_HEADING = re.compile(r"^ {0,3}(?P<hashes>#{1,6})(?:[ \t]+(?P<text>.*?))?(?:[ \t]+#+)?[ \t]*$")
_SETEXT_H1 = re.compile(r"^ {0,3}=+[ \t]*$")
_RULE = re.compile(r"^ {0,3}(?:(?:-[ \t]*){3,}|(?:\*[ \t]*){3,}|(?:_[ \t]*){3,})$")
_FRONT_MATTER_FENCE = re.compile(r"^-{3}[ \t]*$")
_FRONT_MATTER_END = re.compile(r"^(?:-{3}|\.{3})[ \t]*$")
_YAML_KEY_LINE = re.compile(r"^(?P<key>[A-Za-z_][\w -]*?)[ \t]*:(?:[ \t]+(?P<value>.*)|[ \t]*)$")
_YAML_ITEM_LINE = re.compile(r"^[ \t]*-[ \t]+(?P<value>.*)$")
_BOLD_LINE = re.compile(r"^ {0,3}(?:\*\*(?P<a>[^*\n]+)\*\*|__(?P<b>[^_\n]+)__)[ \t]*$")
_HASHTAG_LINE = re.compile(r"^[ \t]*(?:#[^\s#]+[ \t,]*)+$")
_LIST_OR_BLOCK = re.compile(r"^ {0,3}(?:[-*+][ \t]|\d+[.)][ \t]|>|\||<|!\[|\[\^)")

_TITLE_LABELS = r"title|titel|titre|título|titolo|タイトル|标题|標題|제목"
_DESCRIPTION_LABELS = (
    r"meta[ -]?description|description|summary|excerpt|subtitle|beschreibung|"
    r"zusammenfassung|untertitel|説明|概要|要約|描述|摘要"
)
_TAG_LABELS = r"tags?|keywords|categories|schlagwörter|schlagworte|stichwörter|タグ|キーワード|标签"
_OTHER_LABELS = r"slug|date|datum|author|autor|reading time|lesezeit|word count|wortanzahl"
_LABEL_LINE = re.compile(
    rf"^(?P<label>{_TITLE_LABELS}|{_DESCRIPTION_LABELS}|{_TAG_LABELS}|{_OTHER_LABELS})"
    r"[*_]*[ \t]*[:：][ \t]*[*_]*[ \t]*(?P<value>.*?)[ \t]*$",
    re.IGNORECASE,
)

# Chatter is recognised by how assistants talk, never by position alone, so a post's own
# closing paragraph ("If you try it, ...") is not mistaken for it.
_OPENER = re.compile(
    r"^(?:sure|certainly|absolutely|of course|okay|ok|alright|great|here(?:'s|’s| is| are)?|"
    r"below|i(?:'ve|’ve| have)|as requested|gerne|klar|natürlich|hier|voici|bien sûr|claro|"
    r"aquí|はい|了解|承知|以下|かしこまりました|好的)\b",
    re.IGNORECASE,
)
_INTERJECTION = re.compile(
    r"^(?:sure|certainly|absolutely|of course|okay|ok|alright|great|gerne|klar|natürlich|"
    r"はい|了解です|承知しました|かしこまりました)[\s!.。！]*$",
    re.IGNORECASE,
)
_POST_WORDS = re.compile(
    r"\b(?:drafts?|posts?|blog|articles?|version|entwurf|beitrag|blogbeitrag|artikel)\b"
    r"|記事|下書き|草稿",
    re.IGNORECASE,
)
_HANDOVER = re.compile(
    r"\bhere (?:you go|it is|you are)\b|\bvoilà\b|\bbitte schön\b|\bhier bitte\b", re.IGNORECASE
)
_CLOSER = re.compile(
    r"^(?:let me know|i hope (?:this|that|you)|hope this helps|feel free to|would you like|"
    r"do you want me|want me to|shall i|is there anything|"
    r"if you(?:'d|’d| would) like (?:me|any|to (?:adjust|change|modify|tweak|expand|shorten|add))|"
    r"i can (?:also )?(?:adjust|expand|shorten|tweak|modify|revise|rewrite|change|add|make|"
    r"help|provide|write|create)|(?:happy|glad) to (?:help|adjust|make|revise|tweak)|"
    r"ich hoffe|lass mich wissen|lassen sie mich wissen|sag mir|sag bescheid|gib mir bescheid|"
    r"möchtest du|möchten sie|soll ich|falls du (?:änderungen|anpassungen)|"
    r"wenn du (?:änderungen|anpassungen))"
    r"|ご要望|ご希望|修正が必要|いかがでしょうか|お気軽に|他に何か",
    re.IGNORECASE,
)
# Control characters and zero-width marks; the zero-width joiner stays for emoji sequences.
_INVISIBLE = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f\u200b\u2060\ufeff]")
_THINK_END = re.compile(r"</think>", re.IGNORECASE)
_THINK_BLOCK = re.compile(r"\A\s*<think>.*?</think>", re.IGNORECASE | re.DOTALL)

# Kana and ideographs; Hangul is left out because Korean separates words with spaces.
_CJK = "\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f"
_WORD = re.compile(rf"[{_CJK}]|[^\W_{_CJK}]+(?:[_'’.\-][^\W_{_CJK}]+)*")
_QUOTE_PAIRS = {'"': '"', "'": "'", "“": "”", "„": "“", "‘": "’", "«": "»", "「": "」", "『": "』"}
_ABBREVIATION = re.compile(r"e\.g|i\.e|z\.b|d\.h|u\.a|dr|mr|mrs|ms|vs|bzw|ca|usw|nr|st|prof|vgl")
_SENTENCE_END = re.compile(r"[.!?…](?=[\"'”’)\]]*(?:\s|$))|[。！？]")


# --- public API ---------------------------------------------------------------------------


def parse_draft(text: str) -> Draft:
    """Extract title, description, tags and body from a model's answer."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    text = _drop_reasoning(text)
    if not text.strip():
        raise DraftFormatError("The model's answer was empty.")

    lines = _unwrap_fence(text.split("\n"))
    lines = _drop_leading_chatter(lines)
    meta, lines = _split_front_matter(lines)

    raw_title = meta.get("title")
    title = _clean_title(raw_title) if isinstance(raw_title, str) else ""
    raw_description = meta.get("description")
    description = _clean_inline(raw_description) if isinstance(raw_description, str) else ""
    tags = _normalise_tags(meta.get("tags"))

    lines, heading_title = _take_title(lines, have_title=bool(title))
    title = title or heading_title
    lines, header = _take_header_labels(lines, allow_subtitle=bool(heading_title))
    lines, trailer = _drop_trailing_chatter(lines)

    description = description or header.get("description") or trailer.get("description", "")
    tags = tags or _normalise_tags(header.get("tags")) or _normalise_tags(trailer.get("tags"))
    if not title and header.get("title"):
        title = _clean_title(header["title"])

    body = _join_body(lines)
    if not body.strip():
        raise DraftFormatError("The model's answer has no post text.")
    body_lines = body.split("\n")
    title = title or _fallback_title(body_lines)
    description = description or _derive_description(body_lines)
    return Draft(title=title, description=description, tags=tags, body=body)


def word_count(markdown: str) -> int:
    """Count words as a reader would: link text not URLs, no markup, one per CJK character."""
    text = markdown.replace("\r\n", "\n")
    closed = text.rfind("-->") + 3  # unterminated comments would make the search quadratic
    text = re.sub(r"<!--.*?-->", " ", text[:closed], flags=re.DOTALL) + text[closed:]
    kept = [line for line in text.split("\n") if not _FENCE.match(line)]
    text = "\n".join(kept)
    # Bounded repeats keep this linear on long lines full of unclosed brackets.
    text = re.sub(r"!\[[^\]\n]{0,500}\]\([^)\n]{0,2000}\)", " ", text)
    text = re.sub(r"\[([^\]\n]{0,500})\]\([^)\n]{0,2000}\)", r"\1", text)
    text = re.sub(r"\[([^\]\n]{0,500})\]\[[^\]\n]{0,500}\]", r"\1", text)
    text = re.sub(r"https?://\S+", " url ", text)
    text = re.sub(r"</?[A-Za-z][^>\n]{0,500}>", " ", text)
    text = re.sub(r"(?m)^[ \t]*(?:[-*+]|\d+[.)])[ \t]+", " ", text)
    return len(_WORD.findall(text))


# --- shape handling -----------------------------------------------------------------------


def _drop_reasoning(text: str) -> str:
    # Reasoning models on Workers AI may prepend their thoughts; some gateways drop <think>.
    text = _THINK_BLOCK.sub("", text, count=1)
    ends = list(_THINK_END.finditer(text))
    return text[ends[-1].end() :] if ends else text


def _code_mask(lines: list[str]) -> list[bool]:
    """True for each line inside a fenced code block, fence lines included."""
    mask: list[bool] = []
    open_fence: str | None = None
    for line in lines:
        match = _FENCE.match(line)
        if open_fence is None:
            if match and "`" not in match["info"]:
                open_fence = match["fence"]
            mask.append(open_fence is not None)
        else:
            mask.append(True)
            if (
                match
                and not match["info"]
                and match["fence"][0] == open_fence[0]
                and len(match["fence"]) >= len(open_fence)
            ):
                open_fence = None
    return mask


def _heading(lines: list[str], i: int) -> tuple[int, str, int] | None:
    """(level, text, lines used) when line i starts a heading."""
    match = _ATX_HEADING.match(lines[i])
    if match:
        return len(match["hashes"]), (match["text"] or "").strip(), 1
    if (
        i + 1 < len(lines)
        and lines[i].strip()
        and _SETEXT_H1.match(lines[i + 1])
        and not _LIST_OR_BLOCK.match(lines[i])
    ):
        return 1, lines[i].strip(), 2
    return None


def _is_front_matter_start(lines: list[str], i: int) -> bool:
    if not _FRONT_MATTER_FENCE.match(lines[i]):
        return False
    following = [line for line in lines[i + 1 : i + 4] if line.strip()]
    if not following or not _YAML_KEY_LINE.match(following[0]):
        return False
    return any(_FRONT_MATTER_END.match(line) for line in lines[i + 1 :])


def _label(line: str) -> tuple[str, str, str] | None:
    """(kind, value, label) for metadata lines such as `**Tags:** a, b` or `*Description: ...*`."""
    bare = re.sub(r"^[ \t>]*[*_]+|[*_]+[ \t]*$", "", line).strip()
    match = _LABEL_LINE.match(bare)
    if not match:
        return None
    label = match["label"].lower()
    if re.fullmatch(_TITLE_LABELS, label, re.IGNORECASE):
        kind = "title"
    elif re.fullmatch(_DESCRIPTION_LABELS, label, re.IGNORECASE):
        kind = "description"
    elif re.fullmatch(_TAG_LABELS, label, re.IGNORECASE):
        kind = "tags"
    else:
        kind = "other"
    return kind, match["value"].strip("*_ \t"), label


def _is_post_start(lines: list[str], i: int) -> bool:
    if _is_front_matter_start(lines, i):
        return True
    heading = _heading(lines, i)
    if heading and heading[0] == 1:
        return True
    label = _label(lines[i])
    return bool(label and label[0] == "title") or _bold_title(lines[i]) is not None


def _bold_title(line: str) -> str | None:
    """The text of a line that is bold as a whole, unless it is the model talking."""
    match = _BOLD_LINE.match(line)
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
        _heading(lines, i) or _FENCE.match(line) or _FRONT_MATTER_FENCE.match(line)
        for i, line in enumerate(lines)
        if line.strip() and not _RULE.match(line)
    )


def _unwrap_fence(lines: list[str]) -> list[str]:
    """Return the inside of a fence that wraps the whole post, or the lines unchanged."""
    opening = next((i for i, line in enumerate(lines) if _FENCE.match(line)), None)
    if opening is None:
        return lines
    match = _FENCE.match(lines[opening])
    assert match is not None
    fence, info = match["fence"], match["info"].lower()
    if info not in _DOCUMENT_FENCE_INFO or not _looks_like_preamble(lines[:opening]):
        return lines
    closing = None
    for i in range(len(lines) - 1, opening, -1):
        close = _FENCE.match(lines[i])
        if (
            close
            and not close["info"]
            and close["fence"][0] == fence[0]
            and len(close["fence"]) >= len(fence)
        ):
            closing = i
            break
    inner = lines[opening + 1 : closing] if closing is not None else lines[opening + 1 :]
    # Inner code blocks come in pairs of fence lines; an odd count means the "closing" fence
    # ends the post's own last code block and the model never closed the outer fence.
    if closing is not None and sum(1 for line in inner if _FENCE.match(line)) % 2:
        inner = lines[opening + 1 :]
    if info in {"", "text", "txt"}:
        # A bare fence is usually a code sample; only take it as the wrapper when it holds a
        # post and is announced as one or spans the whole answer.
        holds_post = any(_is_post_start(inner, i) for i in range(min(len(inner), 6)))
        preamble = _paragraph_text(lines[:opening])
        whole = opening == 0 and (closing is None or not _trim_blank(lines[closing + 1 :]))
        if not holds_post or not (whole or _is_opener(preamble)):
            return lines
    return inner


def _paragraph_text(lines: list[str]) -> str:
    return " ".join(line.strip() for line in lines if line.strip())


def _is_opener(paragraph: str) -> bool:
    if len(paragraph) > 600:
        return False
    text = _strip_markup(paragraph).strip()
    if len(text) > 300:
        return False
    if _INTERJECTION.match(text):
        return True
    # "Here are three reasons:" may open a post; an opener must be about the post itself.
    about_post = bool(_POST_WORDS.search(text) or _HANDOVER.search(text))
    return about_post and (bool(_OPENER.match(text)) or text.endswith((":", "：")))


def _drop_leading_chatter(lines: list[str]) -> list[str]:
    lines = _trim_blank(lines)
    mask = _code_mask(lines)
    start = next(
        (i for i in range(min(len(lines), 12)) if not mask[i] and _is_post_start(lines, i)),
        None,
    )
    if start == 0:
        return lines
    if start and _looks_like_preamble(lines[:start]):
        return _trim_blank(lines[start:])
    while lines:
        end = _paragraph_end(lines, 0)
        first = lines[:end]
        if mask[0] or any(_heading(first, i) for i in range(len(first))):
            break
        if not (_is_opener(_paragraph_text(first)) or all(_RULE.match(x) for x in first)):
            break
        lines, mask = lines[end:], mask[end:]
        blank = len(lines) - len(_trim_blank(lines, end=False))
        lines, mask = lines[blank:], mask[blank:]
    return lines


def _paragraph_end(lines: list[str], start: int) -> int:
    end = start
    while end < len(lines) and lines[end].strip():
        end += 1
    return end


def _trim_blank(lines: list[str], *, end: bool = True) -> list[str]:
    first = 0
    while first < len(lines) and not lines[first].strip():
        first += 1
    last = len(lines)
    while end and last > first and not lines[last - 1].strip():
        last -= 1
    return lines[first:last]


# --- front matter -------------------------------------------------------------------------


def _split_front_matter(lines: list[str]) -> tuple[dict[str, object], list[str]]:
    if not lines or not _is_front_matter_start(lines, 0):
        return {}, lines
    end = next(i for i in range(1, len(lines)) if _FRONT_MATTER_END.match(lines[i]))
    block = "\n".join(lines[1:end])
    lenient, plain = _read_lenient(lines[1:end])
    try:
        loaded = yaml.safe_load(block)
    except yaml.YAMLError:
        loaded = None
    strict = {str(k).lower(): v for k, v in loaded.items()} if isinstance(loaded, dict) else {}
    meta: dict[str, object] = {}
    for key, aliases in (
        ("title", ("title",)),
        ("description", ("description", "summary", "excerpt", "subtitle")),
        ("tags", ("tags", "keywords", "categories")),
    ):
        for alias in aliases:
            # A plain scalar means what it says: YAML would turn `title: yes` into a bool and
            # cut `Why #1 matters` at the "comment". Quoted and list values need real YAML.
            value = strict.get(alias)
            if alias in plain or not _is_text_value(value):
                value = lenient.get(alias)
            if value:
                meta[key] = value
                break
    return meta, _trim_blank(lines[end + 1 :])


def _is_text_value(value: object) -> bool:
    if isinstance(value, str):
        return True
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _read_lenient(lines: list[str]) -> tuple[dict[str, object], set[str]]:
    """Read `key: value` lines the way the model meant them, where YAML would refuse.

    Also returns the keys whose value is a plain (unquoted, single-line) scalar.
    """
    meta: dict[str, object] = {}
    plain: set[str] = set()
    key: str | None = None
    for line in lines:
        item = _YAML_ITEM_LINE.match(line)
        pair = _YAML_KEY_LINE.match(line) if not line[:1].isspace() else None
        if pair:
            key = pair["key"].strip().lower()
            value = (pair["value"] or "").strip()
            if value in {"|", ">", "|-", ">-", "|+", ">+"}:
                value = ""
            meta[key] = _unquote(value) if value else ""
            if value and value[0] not in "\"'[{|>&*!":
                plain.add(key)
            else:
                plain.discard(key)
        elif key is not None and item:
            previous = meta.get(key)
            items = previous if isinstance(previous, list) else []
            items.append(_unquote(item["value"].strip()))
            meta[key] = items
        elif key is not None and line.strip() and isinstance(meta.get(key), str):
            meta[key] = f"{meta[key]} {line.strip()}".strip()  # block scalar continuation
            plain.discard(key)
    for name, value in meta.items():
        if isinstance(value, str) and value.startswith("[") and value.endswith("]"):
            meta[name] = [_unquote(v.strip()) for v in value[1:-1].split(",") if v.strip()]
    return meta, plain


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        inner = value[1:-1]
        return inner.replace("''", "'") if value[0] == "'" else inner.replace('\\"', '"')
    return value


# --- title, header and trailer ------------------------------------------------------------


def _take_title(lines: list[str], *, have_title: bool) -> tuple[list[str], str]:
    """Remove the title line at the top of the body; return it when none is known yet."""
    lines = _trim_blank(lines)
    if not lines:
        return lines, ""
    heading = _heading(lines, 0)
    mask = _code_mask(lines)
    has_h1 = any(
        not mask[i] and (h := _heading(lines, i)) is not None and h[0] == 1
        for i in range(len(lines))
    )
    found: str | None = None
    used = 0
    label = _label(lines[0])
    bold = _bold_title(lines[0])
    if heading and heading[0] == 1:
        found, used = heading[1], heading[2]
    elif label and label[0] == "title":
        found, used = label[1], 1
    elif bold and not have_title and (len(lines) == 1 or not lines[1].strip()):
        found, used = bold, 1
    elif heading and heading[0] == 2 and not has_h1 and not have_title:
        found, used = heading[1], heading[2]
    if found is None:
        return lines, ""
    return _trim_blank(lines[used:]), "" if have_title else _clean_title(found)


def _take_header_labels(
    lines: list[str], *, allow_subtitle: bool
) -> tuple[list[str], dict[str, str]]:
    """Remove metadata lines (description, tags, date...) right below the title."""
    found: dict[str, str] = {}
    i = 0
    while i < len(lines):
        line = lines[i]
        if not line.strip() or (_RULE.match(line) and found):
            i += 1
            continue
        label = _label(line)
        if label:
            found.setdefault(label[0], label[1])
        elif _HASHTAG_LINE.match(line) and not _ATX_HEADING.match(line):
            found.setdefault("tags", line)
        elif allow_subtitle and not found and _is_emphasis_line(line):
            found["description"] = line
        else:
            break
        i += 1
    if not found:
        return lines, {}
    if "description" in found:
        found["description"] = _clean_inline(found["description"])
    return _trim_blank(lines[i:]), found


def _is_emphasis_line(line: str) -> bool:
    text = line.strip()
    return bool(re.fullmatch(r"(\*{1,2}|_{1,2})(?!\s)[^*_\n]+(?<!\s)\1", text))


def _drop_trailing_chatter(lines: list[str]) -> tuple[list[str], dict[str, str]]:
    """Remove chatter, rules and metadata lines from the end; return the metadata found."""
    lines = _trim_blank(lines)
    mask = _code_mask(lines)
    found: dict[str, str] = {}
    while lines and not any(mask[len(lines) - 1 :]):
        start = len(lines)
        while start > 0 and lines[start - 1].strip():
            start -= 1
        paragraph = lines[start:]
        if any(mask[start:]):
            break
        single = paragraph[0] if len(paragraph) == 1 else None
        label = _label(single) if single else None
        if single and _RULE.match(single):
            pass
        elif label and label[0] == "tags":
            found.setdefault("tags", label[1])
        elif label and label[0] == "description":
            # "Summary: ..." can close a post; only an explicit description is metadata.
            if not re.match(r"meta|description$", label[2]):
                break
            found.setdefault("description", _clean_inline(label[1]))
        elif label and label[0] in {"title", "other"}:
            pass
        elif single and _HASHTAG_LINE.match(single):
            found.setdefault("tags", single)
        elif not _is_closer(paragraph):
            break
        lines = _trim_blank(lines[:start])
        mask = mask[: len(lines)]
    return lines, found


def _is_closer(paragraph: list[str]) -> bool:
    first = _strip_markup(paragraph[0][:300]).strip(" \t*_>-–—")
    first = re.sub(r"^[^\w]+", "", first)  # a leading emoji or bullet
    return len(_paragraph_text(paragraph)) <= 600 and bool(_CLOSER.match(first))


def _join_body(lines: list[str]) -> str:
    lines = _trim_blank(lines)
    while lines and _RULE.match(lines[0]):
        lines = _trim_blank(lines[1:])
    return "\n".join(lines).rstrip()


# --- text cleanup -------------------------------------------------------------------------


def _strip_markup(text: str) -> str:
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


def _clean_inline(text: str) -> str:
    # Markup regexes are quadratic on pathological input; titles and descriptions need a
    # prefix only.
    text = " ".join(text[: 2 * _SCAN_LIMIT].split())
    if len(text) > _SCAN_LIMIT:
        text = _shorten(text, _SCAN_LIMIT, ellipsis="")
    return " ".join(_INVISIBLE.sub("", _strip_markup(text)).split())


def _strip_quotes(text: str) -> str:
    while len(text) >= 2 and _QUOTE_PAIRS.get(text[0]) == text[-1]:
        inner = text[1:-1]
        if text[-1] in inner:
            break  # `"A" and "B"` is quoted inside, not wrapped
        text = inner.strip()
    return text


def _clean_title(raw: str) -> str:
    text = _clean_inline(raw)
    text = re.sub(r"^#+\s+|\s+#+$", "", text)
    label = _LABEL_LINE.match(text)
    if label and re.fullmatch(_TITLE_LABELS, label["label"], re.IGNORECASE):
        text = label["value"]
    text = _strip_quotes(text.strip("*_ \t"))
    return _shorten(text, MAX_TITLE, ellipsis="")


def _shorten(text: str, limit: int, *, ellipsis: str = ELLIPSIS) -> str:
    if len(text) <= limit:
        return text
    room = limit - len(ellipsis)
    cut = text[:room]
    # Cut on a word boundary unless the text has no spaces nearby (CJK, URLs).
    if not text[room].isspace():
        space = cut.rfind(" ")
        if space > room // 2:
            cut = cut[:space]
    return cut.rstrip(" ,;:-–—") + ellipsis


def _first_sentence(text: str) -> str:
    for match in _SENTENCE_END.finditer(text):
        end = match.end()
        if match.group() == ".":
            word = re.search(r"([\w.]+)\.$", text[:end])
            previous = word[1].lower() if word else ""
            if _ABBREVIATION.fullmatch(previous) or len(previous) == 1:
                continue
        return text[:end].strip()
    return text.strip()


def _prose_paragraphs(lines: list[str]) -> Iterable[str]:
    mask = _code_mask(lines)
    i = 0
    while i < len(lines):
        if mask[i] or not lines[i].strip():
            i += 1
            continue
        end = _paragraph_end(lines, i)
        while end > i and any(mask[i:end]):
            end -= 1
        paragraph = lines[i:end]
        i = max(end, i + 1)
        first = paragraph[0] if paragraph else ""
        if (
            not paragraph
            or _heading(paragraph, 0)
            or _LIST_OR_BLOCK.match(first)
            or _RULE.match(first)
            or _label(first)
        ):
            continue
        text = _clean_inline(_paragraph_text(paragraph))
        if text:
            yield text


def _derive_description(lines: list[str]) -> str:
    for paragraph in _prose_paragraphs(lines):
        return _shorten(_first_sentence(paragraph), MAX_DESCRIPTION)
    return ""


def _fallback_title(lines: list[str]) -> str:
    mask = _code_mask(lines)
    for i in range(len(lines)):
        heading = _heading(lines, i) if not mask[i] else None
        if heading and (title := _clean_title(heading[1])):
            return title
    for paragraph in _prose_paragraphs(lines):
        sentence = _first_sentence(paragraph).rstrip(".!?。！？:：…")
        if title := _clean_title(_shorten(sentence, MAX_FALLBACK_TITLE, ellipsis="")):
            return title
    return "Untitled"


def _normalise_tags(raw: object) -> tuple[str, ...]:
    """Tags as short lowercase words: from a list, a comma/space string or #hashtags."""
    if raw is None or raw == "":
        return ()
    items: list[str] = []
    if isinstance(raw, str):
        text = _strip_markup(raw[:_SCAN_LIMIT]).strip().strip("[]")
        separator = r"[,，、;]" if re.search(r"[,，、;]", text) else r"\s+"
        items = re.split(separator, text)
    elif isinstance(raw, (list, tuple)):
        for item in raw:
            items.extend(re.split(r"[,，、]", str(item)) if item is not None else [])
    tags: list[str] = []
    for item in items:
        tag = _INVISIBLE.sub("", " ".join(_strip_quotes(item.strip().strip("*_`")).split()))
        tag = tag.strip(" .;:").lstrip("#").strip(" .;:").lower()  # keep the # of "c#"
        if tag and len(tag) <= MAX_TAG_LENGTH and tag not in tags:
            tags.append(tag)
    return tuple(tags[:MAX_TAGS])
