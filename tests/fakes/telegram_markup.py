"""Telegram's text formatting, as the fake Telegram applies it to what the bot sends.

`format_text(text, parse_mode, entities)` returns what the user sees: the plain text and its
entities with UTF-16 offsets, derived the way Telegram derives them (tdlib's parsers and error
texts where known):
- parse_mode HTML (Telegram's tag set only, properly nested; a bare `&` is rejected, as the
  documentation demands, although the real server keeps it as text), MarkdownV2 (reserved
  characters must be escaped) and legacy Markdown; markup Telegram rejects raises
  `EntityParseError`, the reason part of "Bad Request: can't parse entities: <reason>";
- explicit `entities` instead of a parse mode;
- surrounding whitespace trimmed, entities clipped with it, nothing formatted inside code;
- url / email / bot_command / mention / hashtag entities detected automatically, as in a user's
  message (`auto_entities`).
Telegram measures length in UTF-16 code units: `utf16_len`.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["EntityParseError", "auto_entities", "format_text", "utf16_len"]


class EntityParseError(ValueError):
    """The reason part of "Bad Request: can't parse entities: <reason>"."""


def utf16_len(text: str) -> int:
    """Telegram measures text in UTF-16 code units (an emoji outside the BMP counts 2)."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _byte_offset(src: str, index: int) -> int:
    return len(src[:index].encode("utf-8", "surrogatepass"))


# Internal entity form: {"type", "start", "end"} in code points + API extras; "_" keys are private.
Ent = dict[str, Any]

_HTML_SPACE = frozenset(" \t\r\n\f\v")
_HTML_TAGS = {
    "a": "text_link",
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "span": "spoiler",
    "tg-spoiler": "spoiler",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
_HTML_ENTITY_RE = re.compile(r"&(?:#([0-9]{1,8})|#[xX]([0-9a-fA-F]{1,8})|(lt|gt|amp|quot));")
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


def _decode_html_entity(src: str, index: int) -> tuple[str, int] | None:
    match = _HTML_ENTITY_RE.match(src, index)
    if match is None:
        return None
    if match.group(3):
        return _NAMED_ENTITIES[match.group(3)], match.end()
    code = int(match.group(1), 10) if match.group(1) else int(match.group(2), 16)
    if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return None
    return chr(code), match.end()


def parse_html(src: str) -> tuple[str, list[Ent]]:
    """Telegram's HTML: its tag set only, properly nested; `<` and `&` must start a tag/entity.

    The real server keeps an `&` that starts no entity as a literal; the fake rejects it, as the
    documentation demands.
    """
    out: list[str] = []
    ents: list[Ent] = []
    stack: list[tuple[str, str, int, int]] = []  # tag, argument, output start, source offset
    n = len(src)
    i = 0

    while i < n:
        char = src[i]
        if char == "&":
            decoded = _decode_html_entity(src, i)
            if decoded is not None:
                out.append(decoded[0])
                i = decoded[1]
                continue
            raise EntityParseError(
                f'Character "&" must be escaped as "&amp;" at byte offset {_byte_offset(src, i)}'
            )
        if char != "<":
            out.append(char)
            i += 1
            continue
        begin = i
        i += 1
        if i >= n:
            raise EntityParseError(f"Unclosed start tag at byte offset {_byte_offset(src, begin)}")
        if src[i] != "/":
            while i < n and src[i] not in _HTML_SPACE and src[i] != ">":
                i += 1
            if i >= n:
                raise EntityParseError(
                    f"Unclosed start tag at byte offset {_byte_offset(src, begin)}"
                )
            tag = src[begin + 1 : i].lower()
            if tag not in _HTML_TAGS:
                raise EntityParseError(
                    f'Unsupported start tag "{tag}" at byte offset {_byte_offset(src, begin)}'
                )
            argument = ""
            while True:
                while i < n and src[i] in _HTML_SPACE:
                    i += 1
                if i >= n:
                    raise EntityParseError(
                        f"Unclosed start tag at byte offset {_byte_offset(src, begin)}"
                    )
                if src[i] == ">":
                    break
                attr_begin = i
                while i < n and src[i] not in _HTML_SPACE and src[i] not in "=>":
                    i += 1
                attribute = src[attr_begin:i].lower()
                if not attribute:
                    raise EntityParseError(
                        f'Empty attribute name in the tag "{tag}" at byte offset '
                        f"{_byte_offset(src, begin)}"
                    )
                while i < n and src[i] in _HTML_SPACE:
                    i += 1
                if i >= n:
                    raise EntityParseError(
                        f"Unclosed start tag at byte offset {_byte_offset(src, begin)}"
                    )
                if src[i] != "=":
                    if tag == "blockquote" and attribute == "expandable":
                        argument = "expandable"
                        continue
                    raise EntityParseError(
                        "Expected equal sign in declaration of an attribute of the tag "
                        f'"{tag}" at byte offset {_byte_offset(src, begin)}'
                    )
                i += 1
                while i < n and src[i] in _HTML_SPACE:
                    i += 1
                if i >= n:
                    raise EntityParseError(
                        f'Unclosed start tag "{tag}" at byte offset {_byte_offset(src, begin)}'
                    )
                if src[i] not in "\"'":
                    token_begin = i
                    while i < n and ((src[i].isascii() and src[i].isalnum()) or src[i] in ".-"):
                        i += 1
                    value = src[token_begin:i].lower()
                    if i < n and src[i] not in _HTML_SPACE and src[i] != ">":
                        raise EntityParseError(
                            f"Unexpected end of name token at byte offset "
                            f"{_byte_offset(src, token_begin)}"
                        )
                else:
                    quote = src[i]
                    i += 1
                    chars: list[str] = []
                    while i < n and src[i] != quote:
                        if src[i] == "&":
                            decoded = _decode_html_entity(src, i)
                            if decoded is not None:
                                chars.append(decoded[0])
                                i = decoded[1]
                                continue
                        chars.append(src[i])
                        i += 1
                    if i < n:
                        i += 1
                    value = "".join(chars)
                if i >= n:
                    raise EntityParseError(
                        f"Unclosed start tag at byte offset {_byte_offset(src, begin)}"
                    )
                if (tag == "a" and attribute == "href") or (
                    tag == "tg-emoji" and attribute == "emoji-id"
                ):
                    argument = value
                elif tag == "blockquote" and attribute == "expandable":
                    argument = "expandable"
                elif tag == "code" and attribute == "class" and value.startswith("language-"):
                    argument = value.removeprefix("language-")
                elif tag == "span" and attribute == "class" and value.startswith("tg-"):
                    argument = value.removeprefix("tg-")
            if tag == "span" and argument != "spoiler":
                raise EntityParseError(
                    f'Tag "span" must have class "tg-spoiler" at byte offset '
                    f"{_byte_offset(src, begin)}"
                )
            stack.append((tag, argument, len(out), begin))
            i += 1  # the '>'
            continue
        # an end tag
        if not stack:
            raise EntityParseError(f"Unexpected end tag at byte offset {_byte_offset(src, begin)}")
        i += 1  # the '/'
        name_begin = i
        while i < n and src[i] not in _HTML_SPACE and src[i] != ">":
            i += 1
        end_name = src[name_begin:i].lower()
        while i < n and src[i] in _HTML_SPACE:
            i += 1
        if i >= n or src[i] != ">":
            raise EntityParseError(f"Unclosed end tag at byte offset {_byte_offset(src, begin)}")
        tag, argument, start, _ = stack[-1]
        if end_name and end_name != tag:
            raise EntityParseError(
                f"Unmatched end tag at byte offset {_byte_offset(src, begin)}, "
                f'expected "</{tag}>", found "</{end_name}>"'
            )
        stack.pop()
        i += 1
        _close_html_entity(ents, tag, argument, start, len(out), "".join(out[start:]))
    if stack:
        raise EntityParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    return "".join(out), ents


def _close_html_entity(
    ents: list[Ent], tag: str, argument: str, start: int, end: int, inner: str
) -> None:
    kind = _HTML_TAGS[tag]
    if kind == "custom_emoji" and not argument.isdigit():
        raise EntityParseError("Invalid custom emoji identifier specified")
    if end <= start:
        return
    entity: Ent = {"type": kind, "start": start, "end": end}
    if kind == "pre":
        last = ents[-1] if ents else None
        if (
            last is not None
            and last["type"] == "code"
            and (last["start"], last["end"])
            == (
                start,
                end,
            )
        ):
            ents.pop()  # <pre><code class="language-x">: one pre entity with a language
            if last.get("_language"):
                entity["language"] = last["_language"]
    elif kind == "code" and argument:
        entity["_language"] = argument
    elif kind == "text_link":
        url = argument or inner
        if not url.strip():
            return
        entity["url"] = url
    elif kind == "blockquote" and argument:
        entity["type"] = "expandable_blockquote"
    elif kind == "custom_emoji":
        entity["custom_emoji_id"] = argument
    ents.append(entity)


_MDV2_RESERVED = frozenset("_*[]()~`>#+-=|{}.!")
_MDV2_NAMES = {
    "bold": "Bold",
    "italic": "Italic",
    "underline": "Underline",
    "strikethrough": "Strikethrough",
    "spoiler": "Spoiler",
    "code": "Code",
    "pre": "Pre",
    "text_link": "TextUrl",
    "custom_emoji": "CustomEmoji",
}
_EMOJI_URL_RE = re.compile(r"tg://emoji\?id=(\d+)")


def parse_markdown_v2(src: str) -> tuple[str, list[Ent]]:
    """MarkdownV2: reserved characters must be escaped outside code; entities must nest."""
    out: list[str] = []
    ents: list[Ent] = []
    stack: list[tuple[str, int, int, str]] = []  # type, output start, source offset, language
    quote: tuple[int, bool] | None = None  # output start, expandable
    n = len(src)
    i = 0
    line_start = True

    def close_quote(end: int) -> None:
        nonlocal quote
        if quote is not None and end > quote[0]:
            kind = "expandable_blockquote" if quote[1] else "blockquote"
            ents.append({"type": kind, "start": quote[0], "end": end})
        quote = None

    def close_top(extra: dict[str, Any] | None = None) -> None:
        kind, start, _, language = stack.pop()
        if len(out) > start:
            entity: Ent = {"type": kind, "start": start, "end": len(out)}
            if kind == "pre" and language:
                entity["language"] = language
            entity.update(extra or {})
            ents.append(entity)

    while i < n:
        char = src[i]
        top = stack[-1][0] if stack else None
        at_line_start, line_start = line_start, False
        if at_line_start and top not in ("code", "pre"):
            if char == ">":
                if quote is None:
                    quote = (len(out), False)
                i += 1
                continue
            if src.startswith("**>", i):
                if quote is None:
                    quote = (len(out), True)
                i += 3
                continue
            if quote is not None:
                close_quote(len(out) - 1 if out and out[-1] == "\n" else len(out))
        if char == "\\" and i + 1 < n and 0 < ord(src[i + 1]) <= 126:
            out.append(src[i + 1])
            line_start = src[i + 1] == "\n"
            i += 2
            continue
        if top == "code":
            if char == "`":
                close_top()
            else:
                out.append(char)
            i += 1
            continue
        if top == "pre":
            if src.startswith("```", i):
                close_top()
                i += 3
            else:
                out.append(char)
                line_start = char == "\n"
                i += 1
            continue
        if char == "\n":
            out.append(char)
            line_start = True
            i += 1
            continue
        if (
            quote is not None
            and quote[1]
            and top != "spoiler"
            and src.startswith("||", i)
            and (i + 2 == n or src[i + 2] == "\n")
        ):
            close_quote(len(out))
            i += 2
            continue
        if char not in _MDV2_RESERVED:
            out.append(char)
            i += 1
            continue
        # Does this reserved character end the innermost entity?
        if top in ("text_link", "custom_emoji") and char == "]":
            i += 1
            url = ""
            if i < n and src[i] == "(":
                j = i + 1
                chars: list[str] = []
                while j < n and src[j] != ")":
                    if src[j] == "\\" and j + 1 < n:
                        chars.append(src[j + 1])
                        j += 2
                        continue
                    chars.append(src[j])
                    j += 1
                if j >= n:
                    raise EntityParseError(
                        f"Can't find end of a URL at byte offset {_byte_offset(src, i + 1)}"
                    )
                url = "".join(chars)
                i = j + 1
            if top == "custom_emoji":
                match = _EMOJI_URL_RE.fullmatch(url)
                if match is None:
                    raise EntityParseError("Invalid custom emoji identifier specified")
                close_top({"custom_emoji_id": match.group(1)})
            elif url:
                close_top({"url": url})
            else:
                stack.pop()
            continue
        width = 0
        if (top, char) in (("bold", "*"), ("italic", "_"), ("strikethrough", "~")):
            width = 1
        elif (top == "underline" and src.startswith("__", i)) or (
            top == "spoiler" and src.startswith("||", i)
        ):
            width = 2
        if width:
            close_top()
            i += width
            continue
        # Does it start an entity?
        begin = i
        language = ""
        if char == "*":
            kind, i = "bold", i + 1
        elif src.startswith("__", i):
            kind, i = "underline", i + 2
        elif char == "_":
            kind, i = "italic", i + 1
        elif char == "~":
            kind, i = "strikethrough", i + 1
        elif src.startswith("||", i):
            kind, i = "spoiler", i + 2
        elif char == "[":
            kind, i = "text_link", i + 1
        elif src.startswith("![", i):
            kind, i = "custom_emoji", i + 2
        elif src.startswith("```", i):
            kind, i = "pre", i + 3
            newline = src.find("\n", i)
            if newline != -1 and "```" not in src[i:newline]:
                first_line = src[i:newline]
                if not first_line or not any(c.isspace() for c in first_line):
                    language = first_line
                    i = newline + 1
        elif char == "`":
            kind, i = "code", i + 1
        else:
            raise EntityParseError(
                f"Character '{char}' is reserved and must be escaped with the preceding '\\'"
            )
        stack.append((kind, len(out), begin, language))
    if stack:
        kind, _, begin, language = stack[-1]
        name = "PreCode" if kind == "pre" and language else _MDV2_NAMES[kind]
        raise EntityParseError(
            f"Can't find end of {name} entity at byte offset {_byte_offset(src, begin)}"
        )
    close_quote(len(out))
    return "".join(out), ents


def parse_markdown(src: str) -> tuple[str, list[Ent]]:
    """Legacy Markdown: *bold*, _italic_, `code`, ```pre```, [text](url); no nesting."""
    out: list[str] = []
    ents: list[Ent] = []
    n = len(src)
    i = 0

    def missing_end(begin: int) -> EntityParseError:
        return EntityParseError(
            f"Can't find end of the entity starting at byte offset {_byte_offset(src, begin)}"
        )

    while i < n:
        char = src[i]
        if char == "\\" and i + 1 < n and src[i + 1] in "_*`[":
            out.append(src[i + 1])
            i += 2
            continue
        if char not in "_*`[":
            out.append(char)
            i += 1
            continue
        begin = i
        start = len(out)
        if char == "[":
            close = src.find("]", i + 1)
            if close == -1:
                raise missing_end(begin)
            out.extend(src[i + 1 : close])
            i = close + 1
            if i < n and src[i] == "(":
                end = src.find(")", i + 1)
                if end == -1:
                    raise missing_end(begin)
                url = src[i + 1 : end]
                i = end + 1
                if url and len(out) > start:
                    ents.append({"type": "text_link", "start": start, "end": len(out), "url": url})
            continue
        if src.startswith("```", i):
            end = src.find("```", i + 3)
            if end == -1:
                raise missing_end(begin)
            body = src[i + 3 : end]
            language = ""
            first, newline, rest = body.partition("\n")
            if newline and first and not any(c.isspace() for c in first):
                language, body = first, rest
            out.extend(body)
            if len(out) > start:
                entity: Ent = {"type": "pre", "start": start, "end": len(out)}
                if language:
                    entity["language"] = language
                ents.append(entity)
            i = end + 3
            continue
        end = src.find(char, i + 1)
        if end == -1:
            raise missing_end(begin)
        out.extend(src[i + 1 : end])
        if len(out) > start:
            kind = {"*": "bold", "_": "italic", "`": "code"}[char]
            ents.append({"type": kind, "start": start, "end": len(out)})
        i = end + 1
    return "".join(out), ents


_EMPTY_CHARS = frozenset(" \t\r\n\v\f\u00a0\u200b\u200c\u200d\u200e\u200f\u2060\ufeff")


def _trim(text: str, ents: list[Ent]) -> tuple[str, list[Ent]]:
    """Telegram strips leading and trailing whitespace; entities are clipped with the text."""
    start, end = 0, len(text)
    while start < end and (text[start] in _EMPTY_CHARS or text[start].isspace()):
        start += 1
    while end > start and (text[end - 1] in _EMPTY_CHARS or text[end - 1].isspace()):
        end -= 1
    clipped = []
    for ent in ents:
        new_start, new_end = max(ent["start"], start) - start, min(ent["end"], end) - start
        if new_end > new_start:
            clipped.append({**ent, "start": new_start, "end": new_end})
    return text[start:end], clipped


_AUTO_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("url", re.compile(r"(?<![\w@.])(?:https?|ftp)://[^\s<>\"'`]+", re.IGNORECASE)),
    (
        "email",
        re.compile(
            r"(?<![\w.+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
        ),
    ),
    ("bot_command", re.compile(r"(?<![\w/@])/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?(?![\w/])")),
    ("mention", re.compile(r"(?<![\w@])@[A-Za-z0-9_]{3,32}(?![\w@])")),
    ("hashtag", re.compile(r"(?<![\w#&])#(?=\w*[^\W\d_])\w{1,256}")),
)
_BLOCKS_AUTO = frozenset(
    {"code", "pre", "text_link", "text_mention", "custom_emoji"}
    | {name for name, _ in _AUTO_PATTERNS}
)


def _detect_entities(text: str, existing: list[Ent]) -> list[Ent]:
    """The entities Telegram finds by itself in any text (a sent message or a user's)."""
    taken = [(e["start"], e["end"]) for e in existing if e["type"] in _BLOCKS_AUTO]
    found: list[Ent] = []
    for kind, pattern in _AUTO_PATTERNS:
        for match in pattern.finditer(text):
            start, end = match.span()
            if kind == "url":
                while end > start and text[end - 1] in ".,;:!?)]}'\"":
                    end -= 1
            if end <= start or any(s < end and start < e for s, e in taken):
                continue
            taken.append((start, end))
            found.append({"type": kind, "start": start, "end": end})
    return found


def _drop_nested_in_code(ents: list[Ent]) -> list[Ent]:
    """Nothing can be formatted inside code or pre: Telegram drops such entities."""
    code = [e for e in ents if e["type"] in ("code", "pre")]
    return [
        e
        for e in ents
        if e["type"] in ("code", "pre", "blockquote", "expandable_blockquote")
        or not any(c["start"] <= e["start"] and e["end"] <= c["end"] for c in code)
    ]


def auto_entities(text: str) -> list[dict[str, Any]]:
    """Entities Telegram detects in a user's plain text (bot commands, links, mentions...)."""
    return _to_api_entities(text, _detect_entities(text, []))


def _to_api_entities(text: str, ents: list[Ent]) -> list[dict[str, Any]]:
    prefix = [0]
    for char in text:
        prefix.append(prefix[-1] + (2 if ord(char) > 0xFFFF else 1))
    api = []
    for ent in sorted(ents, key=lambda e: (e["start"], -e["end"])):
        entity = {
            "type": ent["type"],
            "offset": prefix[ent["start"]],
            "length": prefix[ent["end"]] - prefix[ent["start"]],
        }
        entity.update(
            {k: v for k, v in ent.items() if k not in ("type", "start", "end") and k[0] != "_"}
        )
        api.append(entity)
    return api


def _from_api_entities(text: str, entities: list[dict[str, Any]]) -> list[Ent]:
    index_of: dict[int, int] = {}
    offset = 0
    for index, char in enumerate(text):
        index_of[offset] = index
        offset += 2 if ord(char) > 0xFFFF else 1
    index_of[offset] = len(text)
    ents = []
    for entity in entities:
        if not isinstance(entity, dict):
            raise EntityParseError("MessageEntity must be an Object")
        kind, start, length = entity.get("type"), entity.get("offset"), entity.get("length")
        if not isinstance(kind, str) or not isinstance(start, int) or not isinstance(length, int):
            raise EntityParseError('Field "type", "offset" or "length" of MessageEntity is wrong')
        if start < 0 or length <= 0:
            continue
        end = min(start + length, offset)
        if start >= offset:
            continue
        if start not in index_of or end not in index_of:
            raise EntityParseError(f"Entity offset {start} splits a UTF-16 surrogate pair")
        extras = {k: v for k, v in entity.items() if k not in ("type", "offset", "length")}
        ents.append({"type": kind, "start": index_of[start], "end": index_of[end], **extras})
    return ents


def format_text(
    text: str,
    parse_mode: str | None = None,
    entities: list[dict[str, Any]] | None = None,
) -> tuple[str, list[dict[str, Any]]]:
    """What the user sees: plain text and entities (UTF-16 offsets), as Telegram derives them.

    Raises EntityParseError for markup Telegram rejects and ValueError for an unknown parse_mode.
    """
    if entities is not None:
        plain, ents = text, _from_api_entities(text, entities)
    elif not parse_mode:
        plain, ents = text, []
    else:
        mode = parse_mode.lower()
        if mode == "html":
            plain, ents = parse_html(text)
        elif mode == "markdownv2":
            plain, ents = parse_markdown_v2(text)
        elif mode == "markdown":
            plain, ents = parse_markdown(text)
        else:
            raise ValueError(f"unsupported parse_mode {parse_mode!r}")
    plain, ents = _trim(plain, ents)
    ents = _drop_nested_in_code(ents)
    ents = ents + _detect_entities(plain, ents)
    return plain, _to_api_entities(plain, ents)
