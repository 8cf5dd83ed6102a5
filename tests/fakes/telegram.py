"""A loopback fake of the Telegram Bot API server (Bot API 10.1), for python-telegram-bot and co.

The bot talks to it over real HTTP: `{api_url}/bot{token}/{method}`. Requests are decoded the way
Telegram decodes them (form fields whose non-string values are JSON, multipart uploads, JSON bodies,
GET query strings), checked against the machine-readable Bot API description (its committed digest,
tests/contracts/telegram-bot-api.digest.json: the methods this fake implements and every type they
reach, with fields, types and required flags), and answered with realistic objects in Telegram's
envelope. Every result the fake returns is validated against the same description; a mismatch
(a bug in the fake, or a malformed update a test enqueued) lands in `self.errors`, as does any
parameter the client sends that the method does not have (Telegram silently ignores those).

Behaviour modelled on the real server (tdlib's parsers and error texts where known):
- text is 1..4096 UTF-16 code units after entity parsing and trimming of surrounding whitespace;
- parse_mode HTML / MarkdownV2 / Markdown with "can't parse entities" errors, plain text and
  UTF-16 entity offsets derived like Telegram does; url/mention/hashtag/bot_command/email
  entities are detected automatically;
- inline keyboards: callback_data 1..64 bytes (BUTTON_DATA_INVALID), "text buttons are unallowed";
- editMessageText without reply_markup removes the inline keyboard; identical edits fail with
  "message is not modified";
- getUpdates long polling with offset confirmation, limit, allowed_updates (which persists), a 409
  while a webhook is set and a 409 for a poll superseded by a newer one.

Add a method by defining `_api_<exactMethodName>(self, params) -> result` (raise `ApiError` for a
Telegram error); parameters arrive decoded and checked against the spec. Also add it to
TELEGRAM_METHODS in tests/contracts/make_digest.py and refresh the digest (README, "Contract
digest"); tests/integration/test_contract_digest.py says so when it is missing.
"""

from __future__ import annotations

import copy
import itertools
import json
import mimetypes
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache
from http import HTTPStatus
from pathlib import Path
from typing import Any, NamedTuple, Self
from urllib.parse import parse_qs, urlsplit

from tests.contracts import TELEGRAM as TELEGRAM_SPEC
from tests.contracts import load_digest
from tests.fakes.base import FakeServer, RecordedRequest, Response

__all__ = [
    "ApiError",
    "BotApiSpec",
    "BotMessage",
    "EntityParseError",
    "FakeTelegram",
    "SentDocument",
    "UploadedFile",
    "format_text",
    "load_spec",
    "utf16_len",
]

MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_DATA_BYTES = 64
MAX_UPLOAD_BYTES = 50 * 1024 * 1024

NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)
WEBHOOK_CONFLICT = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)
POLL_CONFLICT = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)
QUERY_INVALID = "Bad Request: query is too old and response timeout expired or query ID is invalid"

CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
# Update types delivered when allowed_updates is unset or empty.
NOT_DELIVERED_BY_DEFAULT = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
INLINE_BUTTON_ACTIONS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)
DEFAULT_ERROR_DESCRIPTIONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden: bot was blocked by the user",
    404: "Not Found",
    409: POLL_CONFLICT,
    500: "Internal Server Error",
    502: "Bad Gateway",
}


# ------------------------------------------------------------------------------------------------
# The Bot API description
# ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldSpec:
    name: str
    types: tuple[str, ...]
    required: bool


@dataclass(frozen=True)
class MethodSpec:
    name: str
    fields: dict[str, FieldSpec]
    returns: tuple[str, ...]


@dataclass(frozen=True)
class TypeSpec:
    name: str
    fields: dict[str, FieldSpec]
    subtypes: tuple[str, ...]
    # For a subtype of a union: the field that tells which one it is, and its value.
    discriminator: tuple[str, str] | None


@dataclass
class CheckResult:
    problems: list[str] = field(default_factory=list)  # missing required fields, wrong JSON types
    unknown: list[str] = field(default_factory=list)  # fields the type does not have

    def extend(self, other: CheckResult) -> None:
        self.problems.extend(other.problems)
        self.unknown.extend(other.unknown)


class BotApiSpec:
    """The methods and types of the Bot API digest, with a structural validator.

    `raw` is tests/contracts/telegram-bot-api.digest.json (see tests/contracts/make_digest.py):
    `methods` (fields and return types of the methods this fake implements), `unserved_methods`
    (the names of the others: the fake answers them "not implemented", not "Not Found") and
    `types` (fields, subtypes and, for a subtype of a union, the `[field, value]` that selects it).
    """

    def __init__(self, raw: dict[str, Any]) -> None:
        self.version: str = str(raw.get("version", "unknown"))
        self.methods: dict[str, MethodSpec] = {}
        for name in raw.get("unserved_methods", []):
            self.methods[name.lower()] = MethodSpec(name, {}, ())
        for name, method in raw["methods"].items():
            fields = {f["name"]: _field_spec(f) for f in method.get("fields", [])}
            self.methods[name.lower()] = MethodSpec(name, fields, tuple(method.get("returns", [])))
        self.types: dict[str, TypeSpec] = {}
        for name, typ in raw["types"].items():
            fields = {f["name"]: _field_spec(f) for f in typ.get("fields", [])}
            found = typ.get("discriminator")
            discriminator = (str(found[0]), str(found[1])) if found else None
            self.types[name] = TypeSpec(name, fields, tuple(typ.get("subtypes", [])), discriminator)

    def method(self, name: str) -> MethodSpec | None:
        return self.methods.get(name.lower())

    def check(self, value: Any, types: Iterable[str], path: str = "value") -> CheckResult:
        """Check `value` against any of `types`: the first that fits, or the closest miss."""
        best: CheckResult | None = None
        for type_name in types:
            result = self._check_one(value, type_name, path)
            if not result.problems:
                return result
            if best is None or len(result.problems) < len(best.problems):
                best = result
        return best if best is not None else CheckResult()

    def _check_one(self, value: Any, type_name: str, path: str) -> CheckResult:
        result = CheckResult()
        if type_name.startswith("Array of "):
            if not isinstance(value, list):
                result.problems.append(f"{path}: expected {type_name}, got {_json_type(value)}")
                return result
            inner = type_name.removeprefix("Array of ")
            for index, item in enumerate(value):
                result.extend(self.check(item, (inner,), f"{path}[{index}]"))
            return result
        primitive = _PRIMITIVES.get(type_name)
        if primitive is not None:
            if not primitive(value):
                result.problems.append(f"{path}: expected {type_name}, got {_json_type(value)}")
            return result
        spec = self.types.get(type_name)
        if spec is None:  # a type the description does not define: nothing to check against
            return result
        if spec.subtypes:
            if isinstance(value, dict):
                for subtype in spec.subtypes:
                    sub = self.types.get(subtype)
                    if sub and sub.discriminator:
                        key, expected = sub.discriminator
                        if value.get(key) == expected:
                            return self._check_one(value, subtype, path)
            return self.check(value, spec.subtypes, path)
        if not isinstance(value, dict):
            result.problems.append(f"{path}: expected {type_name} object, got {_json_type(value)}")
            return result
        if spec.discriminator:
            key, expected = spec.discriminator
            if value.get(key) != expected:
                result.problems.append(f"{path}.{key}: must be {expected!r} for {type_name}")
        for fspec in spec.fields.values():
            if fspec.required and fspec.name not in value:
                result.problems.append(
                    f"{path}.{fspec.name}: required field of {type_name} missing"
                )
        for key, item in value.items():
            item_spec = spec.fields.get(key)
            if item_spec is None:
                result.unknown.append(f"{path}.{key}: {type_name} has no such field")
            else:
                result.extend(self.check(item, item_spec.types, f"{path}.{key}"))
        return result


def _field_spec(raw: dict[str, Any]) -> FieldSpec:
    return FieldSpec(raw["name"], tuple(raw.get("types", [])), bool(raw.get("required")))


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


_PRIMITIVES: dict[str, Callable[[Any], bool]] = {
    "Integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "Float": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "String": lambda v: isinstance(v, str),
    "Boolean": lambda v: isinstance(v, bool),
    "True": lambda v: v is True,
    "InputFile": lambda v: isinstance(v, UploadedFile),
}


@cache
def load_spec() -> BotApiSpec:
    """The Bot API digest committed in tests/contracts/ (cached)."""
    return BotApiSpec(load_digest(TELEGRAM_SPEC))


# ------------------------------------------------------------------------------------------------
# Text, entities and parse modes
# ------------------------------------------------------------------------------------------------


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


def parse_html(src: str, *, strict_ampersand: bool = True) -> tuple[str, list[Ent]]:
    """Telegram's HTML: its tag set only, properly nested; `<` and `&` must start a tag/entity.

    The real server keeps an `&` that starts no entity as a literal; with `strict_ampersand` the
    fake rejects it, as the documentation demands.
    """
    out: list[str] = []
    ents: list[Ent] = []
    stack: list[tuple[str, str, int, int]] = []  # tag, argument, output start, source offset
    n = len(src)
    i = 0

    def fail(message: str) -> EntityParseError:
        return EntityParseError(message)

    while i < n:
        char = src[i]
        if char == "&":
            decoded = _decode_html_entity(src, i)
            if decoded is not None:
                out.append(decoded[0])
                i = decoded[1]
                continue
            if strict_ampersand:
                raise fail(
                    'Character "&" must be escaped as "&amp;" at byte offset '
                    f"{_byte_offset(src, i)}"
                )
            out.append(char)
            i += 1
            continue
        if char != "<":
            out.append(char)
            i += 1
            continue
        begin = i
        i += 1
        if i >= n:
            raise fail(f"Unclosed start tag at byte offset {_byte_offset(src, begin)}")
        if src[i] != "/":
            while i < n and src[i] not in _HTML_SPACE and src[i] != ">":
                i += 1
            if i >= n:
                raise fail(f"Unclosed start tag at byte offset {_byte_offset(src, begin)}")
            tag = src[begin + 1 : i].lower()
            if tag not in _HTML_TAGS:
                raise fail(
                    f'Unsupported start tag "{tag}" at byte offset {_byte_offset(src, begin)}'
                )
            argument = ""
            while True:
                while i < n and src[i] in _HTML_SPACE:
                    i += 1
                if i >= n:
                    raise fail(f"Unclosed start tag at byte offset {_byte_offset(src, begin)}")
                if src[i] == ">":
                    break
                attr_begin = i
                while i < n and src[i] not in _HTML_SPACE and src[i] not in "=>":
                    i += 1
                attribute = src[attr_begin:i].lower()
                if not attribute:
                    raise fail(
                        f'Empty attribute name in the tag "{tag}" at byte offset '
                        f"{_byte_offset(src, begin)}"
                    )
                while i < n and src[i] in _HTML_SPACE:
                    i += 1
                if i >= n:
                    raise fail(f"Unclosed start tag at byte offset {_byte_offset(src, begin)}")
                if src[i] != "=":
                    if tag == "blockquote" and attribute == "expandable":
                        argument = "expandable"
                        continue
                    raise fail(
                        "Expected equal sign in declaration of an attribute of the tag "
                        f'"{tag}" at byte offset {_byte_offset(src, begin)}'
                    )
                i += 1
                while i < n and src[i] in _HTML_SPACE:
                    i += 1
                if i >= n:
                    raise fail(
                        f'Unclosed start tag "{tag}" at byte offset {_byte_offset(src, begin)}'
                    )
                if src[i] not in "\"'":
                    token_begin = i
                    while i < n and ((src[i].isascii() and src[i].isalnum()) or src[i] in ".-"):
                        i += 1
                    value = src[token_begin:i].lower()
                    if i < n and src[i] not in _HTML_SPACE and src[i] != ">":
                        raise fail(
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
                    raise fail(f"Unclosed start tag at byte offset {_byte_offset(src, begin)}")
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
                raise fail(
                    f'Tag "span" must have class "tg-spoiler" at byte offset '
                    f"{_byte_offset(src, begin)}"
                )
            stack.append((tag, argument, len(out), begin))
            i += 1  # the '>'
            continue
        # an end tag
        if not stack:
            raise fail(f"Unexpected end tag at byte offset {_byte_offset(src, begin)}")
        i += 1  # the '/'
        name_begin = i
        while i < n and src[i] not in _HTML_SPACE and src[i] != ">":
            i += 1
        end_name = src[name_begin:i].lower()
        while i < n and src[i] in _HTML_SPACE:
            i += 1
        if i >= n or src[i] != ">":
            raise fail(f"Unclosed end tag at byte offset {_byte_offset(src, begin)}")
        tag, argument, start, _ = stack[-1]
        if end_name and end_name != tag:
            raise fail(
                f"Unmatched end tag at byte offset {_byte_offset(src, begin)}, "
                f'expected "</{tag}>", found "</{end_name}>"'
            )
        stack.pop()
        i += 1
        _close_html_entity(ents, tag, argument, start, len(out), "".join(out[start:]))
    if stack:
        raise fail(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
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


def _auto_entities(text: str) -> list[dict[str, Any]]:
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
    *,
    strict_html: bool = True,
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
            plain, ents = parse_html(text, strict_ampersand=strict_html)
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


# ------------------------------------------------------------------------------------------------
# What the fake keeps
# ------------------------------------------------------------------------------------------------


class ApiError(Exception):
    """A Telegram error answer: `{"ok": false, "error_code": code, "description": ...}`."""

    def __init__(self, code: int, description: str, *, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after

    def response(self) -> Response:
        return Response.json(self.code, _error_body(self.code, self.description, self.retry_after))


def _error_body(code: int, description: str, retry_after: int | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if code == 429:
        body["parameters"] = {"retry_after": retry_after if retry_after is not None else 1}
    return body


@dataclass
class UploadedFile:
    """A multipart file part (a parameter value when a file was uploaded)."""

    filename: str
    content: bytes
    content_type: str = "application/octet-stream"


class SentDocument(NamedTuple):
    filename: str
    content: bytes


@dataclass
class BotMessage:
    """A message the bot sent, as the user sees it now."""

    message_id: int
    chat_id: int
    text: str  # the plain text (or caption) after parse-mode parsing and all edits
    raw_text: str  # what the bot sent, markup included
    parse_mode: str | None
    entities: list[dict[str, Any]]
    reply_markup: dict[str, Any] | None
    edits: list[str] = field(default_factory=list)  # the previous texts, oldest first
    reply_to_message_id: int | None = None
    deleted: bool = False
    document: SentDocument | None = None
    date: int = 0
    edit_date: int | None = None

    @property
    def buttons(self) -> list[dict[str, Any]]:
        """The inline keyboard buttons, row by row, flattened."""
        rows = (self.reply_markup or {}).get("inline_keyboard") or []
        return [button for row in rows for button in row]


@dataclass
class _Stored:
    data: dict[str, Any]  # the Message object as Telegram would return it now
    bot: BotMessage | None = None
    deleted: bool = False


@dataclass
class _File:
    file_id: str
    file_unique_id: str
    content: bytes
    file_name: str
    mime_type: str
    file_path: str


@dataclass
class _Described:
    """A result with the `description` some methods add (setWebhook: "Webhook was set")."""

    result: Any
    description: str


_BOT_PATH = re.compile(r"^/bot([^/]*)/([^/]+)/?$")
_FILE_PATH = re.compile(r"^/file/bot([^/]*)/(.+)$")
_COMMAND_RE = re.compile(r"[a-z0-9_]{1,32}")
_SECRET_TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{1,256}")
_MISSING_DESCRIPTIONS = {
    ("sendmessage", "text"): "Bad Request: message text is empty",
    ("senddocument", "document"): "Bad Request: there is no document in the request",
    ("answercallbackquery", "callback_query_id"): QUERY_INVALID,
    ("deletemessage", "message_id"): "Bad Request: message identifier is not specified",
    ("sendchataction", "action"): "Bad Request: wrong parameter action in request",
}
_PARAM_PARSE_DESCRIPTIONS = {
    "chat_id": "Bad Request: chat not found",
    "message_id": "Bad Request: message identifier is not specified",
    "entities": "Bad Request: can't parse entities JSON object",
    "caption_entities": "Bad Request: can't parse entities JSON object",
    "reply_parameters": "Bad Request: can't parse reply parameters JSON object",
    "link_preview_options": "Bad Request: can't parse link preview options JSON object",
    "commands": "Bad Request: can't parse commands JSON object",
    "scope": "Bad Request: can't parse BotCommandScope JSON object",
    "allowed_updates": "Bad Request: can't parse allowed updates JSON object",
}


# ------------------------------------------------------------------------------------------------
# The fake server
# ------------------------------------------------------------------------------------------------


class FakeTelegram(FakeServer):
    """Telegram's Bot API on 127.0.0.1; see the module docstring. Test-side API below."""

    def __init__(
        self, token: str = "123456:TEST-token", bot_username: str = "blogbot_test_bot"
    ) -> None:
        super().__init__()
        self.spec = load_spec()
        self.token = token
        self.bot_username = bot_username
        bot_id = token.split(":", 1)[0]
        self.bot_id = int(bot_id) if bot_id.isdigit() else 123456
        self.bot_user: dict[str, Any] = {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": "Blogbot",
            "username": bot_username,
        }
        # Reject a bare "&" in HTML (the real server keeps it as text; the docs forbid it).
        self.strict_html_ampersand = True
        # Simulate a webhook left set by another deployment: getUpdates answers 409 while set.
        self.webhook_url = ""
        self.webhook: dict[str, Any] = {}
        self.commands: list[dict[str, Any]] = []
        self.callback_answers: dict[str, dict[str, Any]] = {}
        self._commands_by_scope: dict[str, list[dict[str, Any]]] = {}
        self._users: dict[int, dict[str, Any]] = {}
        self._chats: dict[int, dict[str, Any]] = {}
        self._blocked: set[int] = set()
        self._messages: dict[int, dict[int, _Stored]] = {}
        self._bot_messages: dict[int, list[BotMessage]] = {}
        self._next_message_id: dict[int, int] = {}
        self._chat_actions: dict[int, list[str]] = {}
        self._callback_queries: dict[str, dict[str, Any]] = {}
        self._files: dict[str, _File] = {}
        self._file_counter = itertools.count(1)
        self._query_counter = itertools.count(1)
        self._updates: list[dict[str, Any]] = []
        self._next_update_id = 100_000_001
        self._allowed_updates: list[str] | None = None
        self._poll_generation = 0
        self._stopping = False
        self._decoded: dict[int, tuple[str, dict[str, Any]]] = {}

    # -- lifecycle ----------------------------------------------------------------------------
    def start(self) -> Self:
        self._stopping = False
        super().start()
        return self

    def stop(self) -> None:
        with self._changed:
            self._stopping = True  # a pending long poll returns at once
            self._changed.notify_all()
        super().stop()

    def __enter__(self) -> Self:
        return self.start()

    @property
    def api_url(self) -> str:
        """The server root: the bot uses base_url=f"{api_url}/bot", files f"{api_url}/file/bot"."""
        return self.url

    # -- test-side API: what users do -----------------------------------------------------------
    def send_text(
        self,
        user_id: int,
        text: str,
        *,
        chat_id: int | None = None,
        chat_type: str = "private",
        first_name: str = "Writer",
        reply_to_message_id: int | None = None,
        **message_fields: Any,
    ) -> dict[str, Any]:
        """A user sends `text`; returns the Message. Commands get their bot_command entity.

        For a group/supergroup without `chat_id`, the chat id is -user_id.
        """
        with self._changed:
            user = self._ensure_user(user_id, first_name)
            chat = self._ensure_chat(user_id, chat_id, chat_type, first_name)
            message: dict[str, Any] = {
                "message_id": self._new_message_id(chat["id"]),
                "from": dict(user),
                "chat": dict(chat),
                "date": int(time.time()),
                "text": text,
            }
            entities = _auto_entities(text)
            if entities:
                message["entities"] = entities
            if reply_to_message_id is not None:
                message["reply_to_message"] = self._embedded(chat["id"], reply_to_message_id)
            message.update(message_fields)
            self._store_user_message(message)
            self._enqueue({"message": message})
            return copy.deepcopy(message)

    def send_message_update(
        self,
        user_id: int,
        message_fields: dict[str, Any],
        *,
        chat_id: int | None = None,
        chat_type: str = "private",
        edited: bool = False,
    ) -> dict[str, Any]:
        """A user sends any message (sticker, photo, location, caption...); returns the Message.

        With edited=True, `message_fields["message_id"]` names an earlier message of the user; it
        is updated with the fields and delivered as an `edited_message` update with edit_date.
        """
        with self._changed:
            first_name = self._users.get(user_id, {}).get("first_name", "Writer")
            user = self._ensure_user(user_id, first_name)
            chat = self._ensure_chat(user_id, chat_id, chat_type, first_name)
            if edited:
                message_id = message_fields.get("message_id")
                stored = self._messages.get(chat["id"], {}).get(message_id or 0)
                if stored is None or stored.bot is not None:
                    raise ValueError(f"no message {message_id} from a user in chat {chat['id']}")
                message = copy.deepcopy(stored.data)
                message.update(message_fields)
                message["edit_date"] = int(time.time())
                if "text" in message_fields and "entities" not in message_fields:
                    message.pop("entities", None)
                    detected = _to_api_entities(
                        message["text"], _detect_entities(message["text"], [])
                    )
                    if detected:
                        message["entities"] = detected
                stored.data = message
                self._enqueue({"edited_message": message})
                return copy.deepcopy(message)
            message = {
                "message_id": self._new_message_id(chat["id"]),
                "from": dict(user),
                "chat": dict(chat),
                "date": int(time.time()),
            }
            message.update(message_fields)
            if isinstance(message.get("text"), str) and "entities" not in message:
                detected = _auto_entities(message["text"])
                if detected:
                    message["entities"] = detected
            self._store_user_message(message)
            self._enqueue({"message": message})
            return copy.deepcopy(message)

    def press_button(
        self,
        user_id: int,
        message_id: int,
        callback_data: str,
        *,
        chat_id: int | None = None,
        allow_missing_button: bool = False,
    ) -> str:
        """The user presses an inline button of a bot message; returns the callback query id."""
        with self._changed:
            chat_id = user_id if chat_id is None else chat_id
            stored = self._messages.get(chat_id, {}).get(message_id)
            if stored is None or stored.deleted or stored.bot is None:
                raise ValueError(f"no bot message {message_id} in chat {chat_id} to press")
            data = [b.get("callback_data") for b in stored.bot.buttons]
            if callback_data not in data and not allow_missing_button:
                raise ValueError(
                    f"message {message_id} has no button with callback_data {callback_data!r}: "
                    f"{data}"
                )
            user = self._users.get(user_id) or self._ensure_user(user_id, "Writer")
            query_id = str(4_200_000_000_000_000_000 + next(self._query_counter))
            query = {
                "id": query_id,
                "from": dict(user),
                "message": copy.deepcopy(stored.data),
                "chat_instance": str(abs(chat_id) * 7919 % 10**18 + 10**17),
                "data": callback_data,
            }
            self._callback_queries[query_id] = query
            self._enqueue({"callback_query": query})
            return query_id

    def block_user(self, user_id: int, blocked: bool = True) -> None:
        """Sending to this private chat answers 403 "Forbidden: bot was blocked by the user"."""
        with self._changed:
            if blocked:
                self._blocked.add(user_id)
            else:
                self._blocked.discard(user_id)

    def add_file(
        self, content: bytes, *, file_name: str = "file.bin", mime_type: str | None = None
    ) -> dict[str, Any]:
        """Store a file users can send (getFile and the file download serve it).

        Returns {file_id, file_unique_id, file_size, file_name, mime_type} for message fields.
        """
        with self._changed:
            stored = self._store_file(content, file_name, mime_type, "documents")
            return {
                "file_id": stored.file_id,
                "file_unique_id": stored.file_unique_id,
                "file_size": len(content),
                "file_name": stored.file_name,
                "mime_type": stored.mime_type,
            }

    # -- test-side API: what the bot did ----------------------------------------------------------
    def bot_messages(self, chat_id: int) -> list[BotMessage]:
        """Snapshots of the messages the bot sent in that chat, in order (deleted ones flagged)."""
        with self._lock:
            return copy.deepcopy(self._bot_messages.get(chat_id, []))

    def last_bot_message(self, chat_id: int) -> BotMessage | None:
        current = [m for m in self.bot_messages(chat_id) if not m.deleted]
        return current[-1] if current else None

    def wait_for_bot_message(
        self,
        chat_id: int,
        predicate: Callable[[BotMessage], bool] | None = None,
        *,
        contains: str | None = None,
        timeout: float = 10.0,
    ) -> BotMessage:
        """Wait until a current (not deleted) bot message in the chat matches; the newest wins."""

        def find() -> BotMessage | None:
            for message in reversed(self._bot_messages.get(chat_id, [])):
                if message.deleted:
                    continue
                if contains is not None and contains not in message.text:
                    continue
                if predicate is not None and not predicate(message):
                    continue
                return copy.deepcopy(message)
            return None

        try:
            found: BotMessage = self.wait_until(find, timeout)
        except TimeoutError:
            texts = [m.text for m in self.bot_messages(chat_id) if not m.deleted]
            raise TimeoutError(
                f"no bot message in chat {chat_id} matched within {timeout}s "
                f"(contains={contains!r}); current messages: {texts}"
            ) from None
        return found

    def calls(self, method: str) -> list[dict[str, Any]]:
        """Decoded parameters of every request to `method` (any case), failed ones included."""
        wanted = method.lower()
        with self._lock:
            requests = list(self.requests)
        calls = []
        for request in requests:
            decoded = self._decoded_call(request)
            if decoded is not None and decoded[0] == wanted:
                calls.append(copy.deepcopy(decoded[1]))
        return calls

    def fail_method(
        self,
        method: str,
        *,
        error_code: int = 429,
        description: str | None = None,
        retry_after: int | None = None,
        times: int = 1,
    ) -> None:
        """The next `times` calls of `method` get this Telegram error (429: flood control)."""
        if error_code == 429:
            retry_after = 1 if retry_after is None else retry_after
            description = description or f"Too Many Requests: retry after {retry_after}"
        elif description is None:
            try:
                phrase = HTTPStatus(error_code).phrase
            except ValueError:
                phrase = "Error"
            description = DEFAULT_ERROR_DESCRIPTIONS.get(error_code, phrase)
        body = _error_body(error_code, description, retry_after)
        pattern = rf"^/bot[^/]*/(?i:{re.escape(method)})/?$"
        self.fail_next("*", pattern, Response.json(error_code, body), times=times)

    def chat_actions(self, chat_id: int) -> list[str]:
        with self._lock:
            return list(self._chat_actions.get(chat_id, []))

    def pending_updates(self) -> int:
        """Updates not yet confirmed by a getUpdates offset (delivered or not)."""
        with self._lock:
            return len(self._updates)

    # -- HTTP ---------------------------------------------------------------------------------
    def handle(self, request: RecordedRequest) -> Response:
        match = _BOT_PATH.match(request.path)
        if match is None:
            file_match = _FILE_PATH.match(request.path)
            if file_match is not None:
                return self._serve_file(file_match.group(1), file_match.group(2))
            return ApiError(404, "Not Found").response()
        token, method_name = match.groups()
        if token != self.token:
            return ApiError(401, "Unauthorized").response()
        spec = self.spec.method(method_name)
        if spec is None:
            return ApiError(404, "Not Found").response()
        try:
            params = self._decode_params(request, spec)
        except ApiError as exc:
            return exc.response()
        handler: Callable[[dict[str, Any]], Any] | None = getattr(self, f"_api_{spec.name}", None)
        if handler is None:
            self._error(f"{spec.name}: FakeTelegram does not implement this method yet")
            return ApiError(
                400, f"Bad Request: method {spec.name} is not implemented by FakeTelegram"
            ).response()
        for name in [k for k in params if k not in spec.fields]:
            self._error(
                f"{spec.name}: parameter {name!r} is not in {self.spec.version} "
                "(Telegram ignores it)"
            )
        try:
            self._check_params(spec, params)
            known = {k: v for k, v in params.items() if k in spec.fields}
            if spec.name == "sendMessage" and "reply_to_message_id" in params:
                # Deprecated but still honoured by Telegram (reported above as not in the spec).
                known.setdefault(
                    "reply_parameters",
                    {
                        "message_id": params["reply_to_message_id"],
                        "allow_sending_without_reply": bool(
                            params.get("allow_sending_without_reply")
                        ),
                    },
                )
            with self._changed:
                result = handler(known)
                self._changed.notify_all()
        except ApiError as exc:
            return exc.response()
        body: dict[str, Any] = {"ok": True}
        if isinstance(result, _Described):
            body["result"] = result.result
            body["description"] = result.description
            result = result.result
        else:
            body["result"] = result
        checked = self.spec.check(result, spec.returns, "result")
        for problem in checked.problems + checked.unknown:
            self._error(f"{spec.name}: result does not match the Bot API: {problem}")
        return Response.json(200, body)

    def _error(self, message: str) -> None:
        with self._lock:
            self.errors.append(message)

    def _decoded_call(self, request: RecordedRequest) -> tuple[str, dict[str, Any]] | None:
        key = id(request)
        with self._lock:
            cached = self._decoded.get(key)
        if cached is not None:
            return cached
        match = _BOT_PATH.match(request.path)
        if match is None:
            return None
        spec = self.spec.method(match.group(2))
        try:
            params = self._decode_params(request, spec)
        except ApiError:
            params = {"_undecodable_body": request.body}
        decoded = (match.group(2).lower(), params)
        with self._lock:
            self._decoded[key] = decoded
        return decoded

    def _decode_params(self, request: RecordedRequest, spec: MethodSpec | None) -> dict[str, Any]:
        raw: dict[str, Any] = {k: v[-1] for k, v in request.query.items() if v}
        from_json: set[str] = set()
        uploads: dict[str, UploadedFile] = {}
        content_type = request.headers.get("content-type", "")
        mime = content_type.split(";", 1)[0].strip().lower()
        if request.body:
            if mime == "application/json":
                try:
                    payload = json.loads(request.body)
                except ValueError:
                    raise ApiError(400, "Bad Request: can't parse JSON object") from None
                if not isinstance(payload, dict):
                    raise ApiError(400, "Bad Request: JSON object expected")
                raw.update(payload)
                from_json.update(payload)
            elif mime == "multipart/form-data":
                for name, filename, part_type, data in _parse_multipart(request.body, content_type):
                    if filename is None:
                        raw[name] = data.decode("utf-8", "replace")
                    else:
                        uploads[name] = UploadedFile(
                            filename, data, part_type or "application/octet-stream"
                        )
            else:
                text = request.body.decode("utf-8", "replace")
                for key, values in parse_qs(text, keep_blank_values=True).items():
                    raw[key] = values[-1]
        params: dict[str, Any] = {}
        for key, value in raw.items():
            if value is None:
                continue  # Telegram treats a null like an absent parameter
            fspec = spec.fields.get(key) if spec else None
            params[key] = self._coerce(value, fspec.types if fspec else None, key in from_json)
        for key, value in list(params.items()):
            if isinstance(value, str) and value.startswith("attach://"):
                attached = uploads.pop(value.removeprefix("attach://"), None)
                if attached is not None:
                    params[key] = attached
        params.update(uploads)
        return params

    def _coerce(self, value: Any, types: tuple[str, ...] | None, from_json: bool) -> Any:
        decoded: Any = value
        if isinstance(value, str) and not (from_json and types is None):
            try:
                decoded = json.loads(value)
            except ValueError:
                decoded = value
        if types is None:
            return value if from_json else decoded
        if isinstance(value, str) and "Boolean" in types and value.lower() in ("true", "false"):
            return value.lower() == "true"
        candidates = [value, decoded] if from_json else [decoded, value]
        for candidate in candidates:
            if not self.spec.check(candidate, types).problems:
                return candidate
        return candidates[0]

    def _check_params(self, spec: MethodSpec, params: dict[str, Any]) -> None:
        for fspec in spec.fields.values():
            if fspec.required and fspec.name not in params:
                if spec.name == "setWebhook" and fspec.name == "url":
                    continue  # no url removes the webhook
                description = _MISSING_DESCRIPTIONS.get(
                    (spec.name.lower(), fspec.name), f"Bad Request: {fspec.name} is empty"
                )
                raise ApiError(400, description)
        for key, value in params.items():
            param_spec = spec.fields.get(key)
            if param_spec is None or key == "reply_markup":  # reply_markup: checked by the method
                continue
            checked = self.spec.check(value, param_spec.types, key)
            if checked.problems:
                description = _PARAM_PARSE_DESCRIPTIONS.get(
                    key, f"Bad Request: wrong parameter {key} in request"
                )
                raise ApiError(400, description)
            for unknown in checked.unknown:
                self._error(f"{spec.name}: parameter {unknown} (Telegram ignores it)")

    def _serve_file(self, token: str, file_path: str) -> Response:
        if token != self.token:
            return ApiError(401, "Unauthorized").response()
        with self._lock:
            stored = next((f for f in self._files.values() if f.file_path == file_path), None)
        if stored is None:
            return ApiError(404, "Not Found").response()
        return Response(200, stored.content, {"Content-Type": "application/octet-stream"})

    # -- state helpers (call with the lock held) -------------------------------------------------
    def _ensure_user(self, user_id: int, first_name: str) -> dict[str, Any]:
        user = self._users.setdefault(user_id, {"id": user_id, "is_bot": False})
        user["first_name"] = first_name
        return user

    def _ensure_chat(
        self, user_id: int, chat_id: int | None, chat_type: str, first_name: str
    ) -> dict[str, Any]:
        if chat_type == "private":
            chat_id = user_id if chat_id is None else chat_id
            chat = {"id": chat_id, "type": "private", "first_name": first_name}
        else:
            chat_id = -abs(user_id) if chat_id is None else chat_id
            title = self._chats.get(chat_id, {}).get("title", "Test group")
            chat = {"id": chat_id, "type": chat_type, "title": title}
        self._chats[chat_id] = chat
        return chat

    def _new_message_id(self, chat_id: int) -> int:
        message_id = self._next_message_id.get(chat_id, 1)
        self._next_message_id[chat_id] = message_id + 1
        return message_id

    def _store_user_message(self, message: dict[str, Any]) -> None:
        chat_id = message["chat"]["id"]
        message_id = message["message_id"]
        self._next_message_id[chat_id] = max(self._next_message_id.get(chat_id, 1), message_id + 1)
        self._messages.setdefault(chat_id, {})[message_id] = _Stored(copy.deepcopy(message))

    def _embedded(self, chat_id: int, message_id: int) -> dict[str, Any]:
        stored = self._messages.get(chat_id, {}).get(message_id)
        if stored is None or stored.deleted:
            raise ValueError(f"no message {message_id} in chat {chat_id} to reply to")
        embedded = copy.deepcopy(stored.data)
        embedded.pop("reply_to_message", None)  # Telegram does not nest replies further
        return embedded

    def _enqueue(self, payload: dict[str, Any]) -> None:
        update = {"update_id": self._next_update_id, **copy.deepcopy(payload)}
        self._next_update_id += 1
        self._updates.append(update)
        self._changed.notify_all()

    def _store_file(
        self, content: bytes, file_name: str, mime_type: str | None, folder: str
    ) -> _File:
        number = next(self._file_counter)
        extension = Path(file_name).suffix
        stored = _File(
            file_id=f"BQACAgIAAxkBAAI{number:08d}FakeTelegramFile",
            file_unique_id=f"AgAD{number:06d}",
            content=content,
            file_name=file_name,
            mime_type=mime_type or mimetypes.guess_type(file_name)[0] or "application/octet-stream",
            file_path=f"{folder}/file_{number}{extension}",
        )
        self._files[stored.file_id] = stored
        return stored

    def _resolve_chat(self, chat_id: Any, *, sending: bool = False) -> dict[str, Any]:
        if isinstance(chat_id, str):
            stripped = chat_id.strip()
            if re.fullmatch(r"-?\d+", stripped):
                chat_id = int(stripped)
            else:
                username = stripped.removeprefix("@").lower()
                found = next(
                    (c for c in self._chats.values() if c.get("username", "").lower() == username),
                    None,
                )
                if found is None:
                    raise ApiError(400, "Bad Request: chat not found")
                chat_id = found["id"]
        chat = self._chats.get(chat_id) if isinstance(chat_id, int) else None
        if chat is None:
            raise ApiError(400, "Bad Request: chat not found")
        if sending and chat_id in self._blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        return chat

    def _text_and_entities(
        self,
        text: str,
        parse_mode: str | None,
        entities: list[dict[str, Any]] | None,
        *,
        limit: int,
        too_long: str,
        allow_empty: bool = False,
    ) -> tuple[str, list[dict[str, Any]]]:
        try:
            plain, api_entities = format_text(
                text, parse_mode, entities, strict_html=self.strict_html_ampersand
            )
        except EntityParseError as exc:
            raise ApiError(400, f"Bad Request: can't parse entities: {exc}") from None
        except ValueError:
            raise ApiError(400, "Bad Request: unsupported parse_mode") from None
        if not plain and not allow_empty:
            raise ApiError(400, "Bad Request: message text is empty")
        if utf16_len(plain) > limit:
            raise ApiError(400, too_long)
        return plain, api_entities

    def _reply_markup(
        self, value: Any, *, inline_only: bool
    ) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
        """(what Message.reply_markup echoes, what the bot sent), both normalised."""
        if value is None:
            return None, None
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                raise ApiError(
                    400, "Bad Request: can't parse reply keyboard markup JSON object"
                ) from None
        if not isinstance(value, dict):
            raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
        if "inline_keyboard" in value:
            markup = self._inline_keyboard(value)
            return markup, markup
        if inline_only:
            raise ApiError(400, "Bad Request: inline keyboard expected")
        if "keyboard" in value:
            keyboard = value["keyboard"]
            if not isinstance(keyboard, list) or not all(isinstance(r, list) for r in keyboard):
                raise ApiError(
                    400,
                    'Bad Request: field "keyboard" of the ReplyKeyboardMarkup should be an '
                    "Array of Arrays",
                )
            for row in keyboard:
                for button in row:
                    text = button.get("text") if isinstance(button, dict) else button
                    if not isinstance(text, str):
                        raise ApiError(
                            400,
                            'Bad Request: can\'t parse keyboard button: Field "text" must be of '
                            "type String",
                        )
            kind = "ReplyKeyboardMarkup"
        elif "remove_keyboard" in value:
            kind = "ReplyKeyboardRemove"
        elif "force_reply" in value:
            kind = "ForceReply"
        else:
            raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
        checked = self.spec.check(value, (kind,), "reply_markup")
        for problem in checked.unknown:
            self._error(f"reply_markup: {problem} (Telegram ignores it)")
        return None, copy.deepcopy(value)

    def _inline_keyboard(self, value: dict[str, Any]) -> dict[str, Any] | None:
        keyboard = value["inline_keyboard"]
        if not isinstance(keyboard, list) or not all(isinstance(r, list) for r in keyboard):
            raise ApiError(
                400,
                'Bad Request: field "inline_keyboard" of the InlineKeyboardMarkup should be an '
                "Array of Arrays",
            )
        button_fields = self.spec.types["InlineKeyboardButton"].fields
        rows = []
        for row in keyboard:
            buttons = []
            for button in row:
                if not isinstance(button, dict):
                    raise ApiError(
                        400,
                        "Bad Request: can't parse inline keyboard button: "
                        "InlineKeyboardButton must be an Object",
                    )
                if not isinstance(button.get("text"), str):
                    raise ApiError(
                        400,
                        "Bad Request: can't parse inline keyboard button: "
                        'Field "text" must be of type String',
                    )
                actions = [k for k in INLINE_BUTTON_ACTIONS if button.get(k) not in (None, False)]
                if not actions:
                    raise ApiError(
                        400,
                        "Bad Request: can't parse inline keyboard button: "
                        "Text buttons are unallowed in the inline keyboard",
                    )
                if "callback_data" in button:
                    data = button["callback_data"]
                    if not isinstance(data, str) or not (
                        1 <= len(data.encode("utf-8")) <= MAX_CALLBACK_DATA_BYTES
                    ):
                        raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
                if "url" in button:
                    url = button["url"]
                    if not isinstance(url, str) or not re.match(
                        r"^(?:(?:https?|tg)://\S+|[\w-]+(?:\.[\w-]+)+\S*)$", url, re.IGNORECASE
                    ):
                        raise ApiError(400, "Bad Request: BUTTON_URL_INVALID")
                for key in button:
                    if key not in button_fields:
                        self._error(
                            f"reply_markup: InlineKeyboardButton has no field {key!r} "
                            "(Telegram ignores it)"
                        )
                buttons.append(
                    {k: copy.deepcopy(v) for k, v in button.items() if k in button_fields}
                )
            if buttons:
                rows.append(buttons)
        return {"inline_keyboard": rows} if rows else None

    def _reply_target(self, chat_id: int, reply_parameters: Any) -> int | None:
        if not isinstance(reply_parameters, dict):
            return None
        target_chat = reply_parameters.get("chat_id", chat_id)
        if target_chat != chat_id:
            target_chat = self._resolve_chat(target_chat)["id"]
        message_id = reply_parameters.get("message_id")
        stored = self._messages.get(target_chat, {}).get(message_id)  # type: ignore[arg-type]
        if stored is None or stored.deleted:
            if reply_parameters.get("allow_sending_without_reply"):
                return None
            raise ApiError(400, "Bad Request: message to be replied not found")
        return int(message_id)  # type: ignore[arg-type]

    def _new_bot_message(
        self,
        chat: dict[str, Any],
        params: dict[str, Any],
        *,
        body: dict[str, Any],
        text: str,
        raw_text: str,
        entities: list[dict[str, Any]],
        markups: tuple[dict[str, Any] | None, dict[str, Any] | None],
        document: SentDocument | None = None,
    ) -> dict[str, Any]:
        chat_id = chat["id"]
        reply_to = self._reply_target(chat_id, params.get("reply_parameters"))
        message: dict[str, Any] = {
            "message_id": self._new_message_id(chat_id),
            "from": dict(self.bot_user),
            "chat": dict(chat),
            "date": int(time.time()),
        }
        if reply_to is not None:
            message["reply_to_message"] = self._embedded(chat_id, reply_to)
        message.update(body)
        if markups[0] is not None:
            message["reply_markup"] = copy.deepcopy(markups[0])
        bot_message = BotMessage(
            message_id=message["message_id"],
            chat_id=chat_id,
            text=text,
            raw_text=raw_text,
            parse_mode=params.get("parse_mode"),
            entities=entities,
            reply_markup=copy.deepcopy(markups[1]),
            reply_to_message_id=reply_to,
            document=document,
            date=message["date"],
        )
        self._messages.setdefault(chat_id, {})[message["message_id"]] = _Stored(
            copy.deepcopy(message), bot_message
        )
        self._bot_messages.setdefault(chat_id, []).append(bot_message)
        return message

    def _edit_target(self, params: dict[str, Any]) -> _Stored:
        if "inline_message_id" in params:
            raise ApiError(400, "Bad Request: MESSAGE_ID_INVALID")
        if "chat_id" not in params:
            raise ApiError(400, "Bad Request: chat_id is empty")
        if "message_id" not in params:
            raise ApiError(400, "Bad Request: message identifier is not specified")
        chat = self._resolve_chat(params["chat_id"])
        stored = self._messages.get(chat["id"], {}).get(params["message_id"])
        if stored is None or stored.deleted:
            raise ApiError(400, "Bad Request: message to edit not found")
        if stored.bot is None:
            raise ApiError(400, "Bad Request: message can't be edited")
        return stored

    def _deliverable(self, limit: int) -> list[dict[str, Any]]:
        allowed = set(self._allowed_updates or [])
        kept = []
        for update in self._updates:
            kind = next(k for k in update if k != "update_id")
            if allowed and kind not in allowed:
                continue  # never delivered, as Telegram does not create it
            if not allowed and kind in NOT_DELIVERED_BY_DEFAULT:
                continue
            kept.append(update)
        self._updates = kept
        return copy.deepcopy(kept[:limit])

    # -- Bot API methods ------------------------------------------------------------------------
    def _api_getMe(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    def _api_logOut(self, params: dict[str, Any]) -> bool:
        return True

    def _api_close(self, params: dict[str, Any]) -> bool:
        return True

    def _api_getUpdates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        # Runs with self._changed held; waiting releases it.
        if self.webhook_url:
            raise ApiError(409, WEBHOOK_CONFLICT)
        offset = params.get("offset")
        limit = min(max(int(params.get("limit", 100)), 1), 100)
        timeout = max(float(params.get("timeout", 0)), 0.0)
        if "allowed_updates" in params:
            self._allowed_updates = list(params["allowed_updates"])
        self._poll_generation += 1
        generation = self._poll_generation
        self._changed.notify_all()  # an older poll still waiting is terminated
        if offset is not None:
            offset = int(offset)
            if offset < 0:
                self._updates = self._updates[offset:]
            elif offset > 0:
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
        deadline = time.monotonic() + timeout
        while True:
            if self._stopping:
                return []
            if generation != self._poll_generation:
                raise ApiError(409, POLL_CONFLICT)
            if self.webhook_url:
                raise ApiError(409, WEBHOOK_CONFLICT)
            batch = self._deliverable(limit)
            if batch:
                return batch
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return []
            self._changed.wait(min(remaining, 0.1))

    def _api_setWebhook(self, params: dict[str, Any]) -> _Described:
        url = params.get("url", "")
        if not url:
            return self._api_deleteWebhook(params)
        parts = urlsplit(url)
        if parts.scheme.lower() != "https" or not parts.hostname:
            raise ApiError(
                400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook"
            )
        if (parts.port or 443) not in (80, 88, 443, 8443):
            raise ApiError(
                400,
                "Bad Request: bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443",
            )
        secret = params.get("secret_token")
        if secret is not None and not _SECRET_TOKEN_RE.fullmatch(secret):
            raise ApiError(400, "Bad Request: secret token contains unallowed characters")
        if params.get("drop_pending_updates"):
            self._updates.clear()
        if "allowed_updates" in params:
            self._allowed_updates = list(params["allowed_updates"])
        already = self.webhook_url == url
        self.webhook_url = url
        self.webhook = {k: v for k, v in params.items() if not isinstance(v, UploadedFile)}
        return _Described(True, "Webhook is already set" if already else "Webhook was set")

    def _api_deleteWebhook(self, params: dict[str, Any]) -> _Described:
        if params.get("drop_pending_updates"):
            self._updates.clear()
        was_set = bool(self.webhook_url)
        self.webhook_url = ""
        self.webhook = {}
        return _Described(True, "Webhook was deleted" if was_set else "Webhook is already deleted")

    def _api_getWebhookInfo(self, params: dict[str, Any]) -> dict[str, Any]:
        info: dict[str, Any] = {
            "url": self.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        if self.webhook_url:
            info["max_connections"] = int(self.webhook.get("max_connections", 40))
            if self._allowed_updates:
                info["allowed_updates"] = list(self._allowed_updates)
        return info

    @staticmethod
    def _scope_key(params: dict[str, Any]) -> str:
        scope = params.get("scope") or {"type": "default"}
        return json.dumps([scope, params.get("language_code", "")], sort_keys=True)

    def _api_setMyCommands(self, params: dict[str, Any]) -> bool:
        commands = params["commands"]
        if len(commands) > 100:
            raise ApiError(400, "Bad Request: too many commands")
        for command in commands:
            if not _COMMAND_RE.fullmatch(command["command"]):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(command["description"].strip()) <= 256:
                raise ApiError(400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
        stored = [{"command": c["command"], "description": c["description"]} for c in commands]
        self._commands_by_scope[self._scope_key(params)] = stored
        self.commands = copy.deepcopy(stored)
        return True

    def _api_getMyCommands(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        return copy.deepcopy(self._commands_by_scope.get(self._scope_key(params), []))

    def _api_deleteMyCommands(self, params: dict[str, Any]) -> bool:
        if self._commands_by_scope.pop(self._scope_key(params), None) == self.commands:
            self.commands = []
        return True

    def _api_getChat(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self._resolve_chat(params["chat_id"])
        return {
            **copy.deepcopy(chat),
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        }

    def _api_sendMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self._resolve_chat(params["chat_id"], sending=True)
        raw_text = params["text"]
        text, entities = self._text_and_entities(
            raw_text,
            params.get("parse_mode"),
            params.get("entities"),
            limit=MAX_TEXT_LENGTH,
            too_long="Bad Request: message is too long",
        )
        markups = self._reply_markup(params.get("reply_markup"), inline_only=False)
        body: dict[str, Any] = {"text": text}
        if entities:
            body["entities"] = entities
        return self._new_bot_message(
            chat,
            params,
            body=body,
            text=text,
            raw_text=raw_text,
            entities=entities,
            markups=markups,
        )

    def _api_sendDocument(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self._resolve_chat(params["chat_id"], sending=True)
        document = params["document"]
        if isinstance(document, UploadedFile):
            if not document.content:
                raise ApiError(400, "Bad Request: file must be non-empty")
            if len(document.content) > MAX_UPLOAD_BYTES:
                raise ApiError(413, "Request Entity Too Large")
            content_type = (
                None
                if document.content_type == "application/octet-stream"
                else document.content_type
            )
            stored = self._store_file(
                document.content, document.filename or "document", content_type, "documents"
            )
        elif isinstance(document, str) and document in self._files:
            stored = self._files[document]
        else:
            raise ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")
        raw_caption = params.get("caption", "")
        caption, entities = self._text_and_entities(
            raw_caption,
            params.get("parse_mode"),
            params.get("caption_entities"),
            limit=MAX_CAPTION_LENGTH,
            too_long="Bad Request: message caption is too long",
            allow_empty=True,
        )
        markups = self._reply_markup(params.get("reply_markup"), inline_only=False)
        body: dict[str, Any] = {
            "document": {
                "file_id": stored.file_id,
                "file_unique_id": stored.file_unique_id,
                "file_name": stored.file_name,
                "mime_type": stored.mime_type,
                "file_size": len(stored.content),
            }
        }
        if caption:
            body["caption"] = caption
        if entities:
            body["caption_entities"] = entities
        return self._new_bot_message(
            chat,
            params,
            body=body,
            text=caption,
            raw_text=raw_caption,
            entities=entities,
            markups=markups,
            document=SentDocument(stored.file_name, stored.content),
        )

    def _api_getFile(self, params: dict[str, Any]) -> dict[str, Any]:
        stored = self._files.get(params["file_id"])
        if stored is None:
            raise ApiError(400, "Bad Request: invalid file_id")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.content),
            "file_path": stored.file_path,
        }

    def _api_editMessageText(self, params: dict[str, Any]) -> dict[str, Any]:
        stored = self._edit_target(params)
        bot = stored.bot
        assert bot is not None
        if bot.document is not None:
            raise ApiError(400, "Bad Request: there is no text in the message to edit")
        if "text" not in params:
            raise ApiError(400, "Bad Request: message text is empty")
        raw_text = params["text"]
        text, entities = self._text_and_entities(
            raw_text,
            params.get("parse_mode"),
            params.get("entities"),
            limit=MAX_TEXT_LENGTH,
            too_long="Bad Request: MESSAGE_TOO_LONG",
        )
        # Without reply_markup, an edit removes the inline keyboard.
        markup, _ = self._reply_markup(params.get("reply_markup"), inline_only=True)
        current = stored.data
        if (
            text == current.get("text")
            and entities == current.get("entities", [])
            and markup == current.get("reply_markup")
        ):
            raise ApiError(400, NOT_MODIFIED)
        bot.edits.append(bot.text)
        bot.text, bot.raw_text, bot.entities = text, raw_text, entities
        bot.parse_mode = params.get("parse_mode")
        bot.reply_markup = copy.deepcopy(markup)
        bot.edit_date = int(time.time())
        current["text"] = text
        current.pop("entities", None)
        if entities:
            current["entities"] = entities
        current.pop("reply_markup", None)
        if markup is not None:
            current["reply_markup"] = copy.deepcopy(markup)
        current["edit_date"] = bot.edit_date
        return copy.deepcopy(current)

    def _api_editMessageReplyMarkup(self, params: dict[str, Any]) -> dict[str, Any]:
        stored = self._edit_target(params)
        bot = stored.bot
        assert bot is not None
        markup, _ = self._reply_markup(params.get("reply_markup"), inline_only=True)
        current = stored.data
        if markup == current.get("reply_markup"):
            raise ApiError(400, NOT_MODIFIED)
        bot.reply_markup = copy.deepcopy(markup)
        bot.edit_date = int(time.time())
        current.pop("reply_markup", None)
        if markup is not None:
            current["reply_markup"] = copy.deepcopy(markup)
        current["edit_date"] = bot.edit_date
        return copy.deepcopy(current)

    def _api_deleteMessage(self, params: dict[str, Any]) -> bool:
        chat = self._resolve_chat(params["chat_id"])
        stored = self._messages.get(chat["id"], {}).get(params["message_id"])
        if stored is None or stored.deleted:
            raise ApiError(400, "Bad Request: message to delete not found")
        stored.deleted = True
        if stored.bot is not None:
            stored.bot.deleted = True
        return True

    def _api_sendChatAction(self, params: dict[str, Any]) -> bool:
        chat = self._resolve_chat(params["chat_id"], sending=True)
        action = params["action"]
        if action not in CHAT_ACTIONS:
            raise ApiError(400, "Bad Request: wrong parameter action in request")
        self._chat_actions.setdefault(chat["id"], []).append(action)
        return True

    def _api_answerCallbackQuery(self, params: dict[str, Any]) -> bool:
        query_id = params["callback_query_id"]
        if query_id not in self._callback_queries or query_id in self.callback_answers:
            raise ApiError(400, QUERY_INVALID)
        if len(params.get("text", "")) > 200:
            raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        self.callback_answers[query_id] = copy.deepcopy(params)
        return True


def _parse_multipart(
    body: bytes, content_type: str
) -> list[tuple[str, str | None, str | None, bytes]]:
    """(name, filename or None, part content type, data) for each part of a multipart body."""
    match = re.search(r'boundary="?([^";]+)"?', content_type)
    if match is None:
        raise ApiError(400, "Bad Request: can't parse multipart/form-data: no boundary")
    delimiter = b"--" + match.group(1).encode("latin-1")
    parts = []
    for chunk in body.split(delimiter)[1:]:
        if chunk.startswith(b"--"):
            break
        chunk = chunk.removeprefix(b"\r\n")
        head, separator, data = chunk.partition(b"\r\n\r\n")
        if not separator:
            continue
        headers: dict[str, str] = {}
        for line in head.decode("utf-8", "replace").split("\r\n"):
            key, _, value = line.partition(":")
            headers[key.strip().lower()] = value.strip()
        disposition = headers.get("content-disposition", "")
        name = _header_param(disposition, "name")
        if name is None:
            continue
        filename = _header_param(disposition, "filename")
        parts.append((name, filename, headers.get("content-type"), data.removesuffix(b"\r\n")))
    return parts


def _header_param(header: str, key: str) -> str | None:
    match = re.search(rf'(?:^|;)\s*{key}="((?:[^"\\]|\\.)*)"', header) or re.search(
        rf"(?:^|;)\s*{key}=([^;\s]+)", header
    )
    if match is None:
        return None
    return re.sub(r"\\(.)", r"\1", match.group(1))
