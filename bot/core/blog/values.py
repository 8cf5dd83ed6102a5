"""Small pure helpers about front matter values: what a key is for, what shape its value has,
how a date is written in a given style, and how a draft's tags meet a blog's vocabulary."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from collections.abc import Iterable, Sequence

from bot.core.blog.profile import DateStyle

__all__ = [
    "Native",
    "date_style_of",
    "format_date",
    "pick_terms",
    "role_of",
    "shape_of",
    "term_key",
    "zone",
]


class Native(str):
    """A date written as the front matter format's own date type: unquoted in YAML and TOML."""

    __slots__ = ()


# Key names per role; a key not listed is "other".
_ROLE_WORDS = {
    "title": "title",
    "date": "date pubdate pub_date publishdate publish_date pubdatetime publishedat "
    "published_at created created_at createdat posted",
    "updated": "lastmod updated updateddate updated_at updatedat updatedate moddate "
    "moddatetime modified last_modified_at",
    "description": "description summary excerpt subtitle abstract desc teaser lede blurb",
    "tags": "tags tag",
    "categories": "categories category",
    "authors": "authors author",
    "draft": "draft",
    "layout": "layout template",
    "slug": "slug",
    "image": "image cover heroimage hero featured_image featuredimage thumbnail banner "
    "cover_image coverimage ogimage og_image img",
}
_ROLE_NAMES = {name: role for role, words in _ROLE_WORDS.items() for name in words.split()}

_DATE_TEXT = re.compile(
    r"^(?P<date>\d{4}-\d{2}-\d{2})"
    r"(?:(?P<sep>[T ])(?P<hm>\d{2}:\d{2})(?P<sec>:\d{2}(?:\.\d+)?)?"
    r"(?P<space> ?)(?P<tz>Z|[+-]\d{2}:?\d{2})?)?$"
)


def role_of(key: str, value: object = None) -> str:
    """What a key is for, from its name (the last part of a dotted key) and, if ambiguous, value."""
    name = key.rsplit(".", 1)[-1].lower().replace("-", "_")
    if name == "published":  # a date in some Astro themes, a flag in Jekyll
        return (
            "date" if isinstance(value, dt.date | str) and not isinstance(value, bool) else "draft"
        )
    return _ROLE_NAMES.get(name, "other")


def shape_of(value: object, role: str, generator: str = "") -> str:
    """How a value is written: one of profile.SHAPES."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, dt.date):
        return "date"
    if isinstance(value, list | tuple):
        return "list"
    if isinstance(value, dict):
        return "date" if role in {"date", "updated"} and _nested_date_key(value) else "map"
    if isinstance(value, str):
        if role in {"date", "updated"} and _DATE_TEXT.match(value.strip()):
            return "date"
        if role in {"tags", "categories"}:
            if "," in value:
                return "csv"
            # Jekyll splits a tag string on spaces; elsewhere a space belongs to the tag.
            if generator == "jekyll" and " " in value.strip():
                return "words"
    return "string"


def _nested_date_key(value: dict[object, object]) -> str | None:
    return next((k for k in ("created", "date") if isinstance(value.get(k), dt.date | str)), None)


def date_style_of(value: object, raw: str | None) -> DateStyle | None:
    """The style of a date value as a post wrote it; `raw` is its source text, when known."""
    if isinstance(value, dict):
        inner = _nested_date_key(value)
        style = date_style_of(value[inner], None) if inner else None
        return DateStyle(**{**style.__dict__, "nested": inner}) if style and inner else None
    quoted = raw is not None and raw.strip()[:1] in {"'", '"'}
    text = raw.strip().strip("'\"") if raw else None
    if isinstance(value, dt.datetime):
        text = text or value.isoformat()
    elif isinstance(value, dt.date):
        return DateStyle(time=False, quoted=quoted)
    elif isinstance(value, str):
        text = value.strip()
    match = _DATE_TEXT.match(text or "")
    if not match:
        return None
    if not match["hm"]:
        return DateStyle(time=False, quoted=quoted)
    tz = match["tz"] or ""
    return DateStyle(
        time=True,
        offset=bool(tz),
        sep=match["sep"],
        colon=":" in tz or tz == "Z" or not tz,
        offset_space=bool(match["space"]),
        seconds=bool(match["sec"]),
        quoted=quoted,
    )


def format_date(style: DateStyle, moment: dt.datetime, fmt: str) -> object:
    """The date value to write: a plain string when quoted, else a `Native` date."""
    if style.pattern:
        return moment.strftime(style.pattern)
    text = moment.strftime("%Y-%m-%d")
    if style.time:
        # TOML has neither a space before the offset nor an offset without its colon.
        sep = "T" if fmt == "toml" and style.sep not in {"T", " "} else style.sep
        text += sep + moment.strftime("%H:%M:%S" if style.seconds else "%H:%M")
        if style.offset and moment.utcoffset() is not None:
            offset = moment.strftime("%z")
            if style.colon or fmt == "toml":
                offset = f"{offset[:3]}:{offset[3:5]}"
            text += (" " if style.offset_space and fmt != "toml" else "") + offset
    value: object = text if style.quoted or fmt in {"json", "pelican"} else Native(text)
    return {style.nested: value} if style.nested else value


def zone(name: str | None) -> dt.tzinfo | None:
    """The time zone an IANA name stands for, or None when unknown here."""
    if not name:
        return None
    try:
        return zoneinfo.ZoneInfo(name.strip())
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None


def term_key(term: str) -> str:
    """Tags match case-insensitively, and spaces, hyphens and underscores alike:
    "Machine Learning" is "machine-learning" (but "C#" is not "C++")."""
    return re.sub(r"[\s_-]+", "-", term.strip().casefold())


def pick_terms(
    candidates: Iterable[str],
    vocabulary: Sequence[str],
    allowed: Sequence[str] | None,
    limit: int | None = None,
) -> list[str]:
    """The draft's terms in the blog's spelling; new terms only when none is known.

    With an `allowed` list nothing outside it is ever returned.
    """
    known: dict[str, str] = {}
    for term in allowed if allowed is not None else vocabulary:
        known.setdefault(term_key(term), term)
    wanted = [c for c in candidates if c.strip()]
    picked = _unique(known[k] for c in wanted if (k := term_key(c)) in known)
    if not picked and allowed is None:
        picked = _unique(wanted)
    return picked[:limit] if limit is not None else picked


def _unique(items: Iterable[str]) -> list[str]:
    seen: dict[str, str] = {}
    for item in items:
        seen.setdefault(term_key(item), item)
    return list(seen.values())
