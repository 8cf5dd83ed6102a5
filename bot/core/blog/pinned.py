"""`.blogbot.yml`: what the blog's owner pins, overriding everything the bot would learn.

Every key is optional; a key left out is learned as usual. Keys:

    generator: hugo            # hugo zola jekyll hexo astro eleventy docusaurus mkdocs pelican
    posts_dir: content/posts   # folder of the posts, relative to the repository root
    filename: "{date}-{slug}.md"   # below posts_dir: {date} {slug} {year} {month} {day}
    bundle: true               # each post a folder: <name>/index.md (images beside it)
    extension: .md             # .md .mdx .markdown
    front_matter: yaml         # yaml | toml | json | pelican | none (no front matter at all)
    title_in: key              # key (front matter) | heading (first "# " line of the body)
    date_format: date          # date | datetime | a strftime pattern such as "%Y-%m-%d %H:%M"
    quote_dates: false         # dates as strings (true) or native YAML/TOML dates (false)
    timezone: Europe/Berlin    # IANA zone the site builds in: dates are written in it
    keys:                      # role -> the key the blog uses; null: never write that role
      date: pubDate
      description: null
    defaults:                  # written on every post, as is
      layout: post
    author: jane               # author id used when the writer is not mapped
    authors:                   # writer (Telegram user name or id) -> author id
      "@jane_tg": jane
    tags: [python, postgres]   # preferred tag vocabulary
    categories: [Engineering]
    categories_allowed: [Engineering, Product]   # never a category outside this list
    excerpt: "<!-- more -->"   # the read-more marker to insert; "" or false: none
    images_dir: static/images
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.core.blog.facts import Facts
from bot.core.blog.matter import load_yaml
from bot.core.blog.profile import GENERATOR_NAMES, ROLES, BlogConfigError
from bot.core.blog.values import zone
from bot.core.posts import PostPathError, validate_location

__all__ = ["PINNED_FILES", "Pins", "read_pins"]

PINNED_FILES = (".blogbot.yml", ".blogbot.yaml")
_KEYS = {
    "generator", "posts_dir", "filename", "bundle", "extension", "front_matter", "title_in",
    "date_format", "quote_dates", "timezone", "keys", "defaults", "author", "authors", "tags",
    "categories", "categories_allowed", "excerpt", "images_dir",
}  # fmt: skip
_CHOICES = {
    "front_matter": ("yaml", "toml", "json", "pelican", "none"),
    "title_in": ("key", "heading"),
    "generator": tuple(GENERATOR_NAMES),
    "extension": (".md", ".mdx", ".markdown"),
}


@dataclass
class Pins:
    """`.blogbot.yml` as read: plain items in `facts`, the rest applied after merging."""

    facts: Facts
    bundle: bool | None = None
    extension: str | None = None
    date_format: str | None = None
    quote_dates: bool | None = None
    renames: dict[str, str | None] = field(default_factory=dict)
    defaults: dict[str, object] = field(default_factory=dict)


def read_pins(text: str, source: str) -> Pins:
    """Parse `.blogbot.yml`; BlogConfigError names the first unusable key."""
    data = load_yaml(text) if text.strip() else {}
    if not isinstance(data, dict):
        raise BlogConfigError(f"{source}: not a YAML mapping of settings")
    pins = Pins(Facts(source=source, complete_fields=False))
    unknown = sorted(str(key) for key in data if key not in _KEYS)
    if unknown:
        pins.facts.notes.append(f"{source}: unknown keys ignored: {', '.join(unknown)}")
    for key, value in data.items():
        if key in _KEYS and (value is not None or key == "excerpt"):
            _apply(pins, str(key), value, source)
    location = (pins.facts.posts_dir or "posts", pins.facts.filename or "{slug}.md")
    try:
        validate_location(*location)
    except PostPathError as exc:
        raise BlogConfigError(f"{source}: {exc}") from None
    return pins


def _apply(pins: Pins, key: str, value: Any, source: str) -> None:
    facts = pins.facts
    if key in _CHOICES:
        text = _text(key, value, source)
        if key == "extension":
            text = "." + text.lstrip(".")
        if text not in _CHOICES[key]:
            raise BlogConfigError(f"{source}: {key} must be one of {', '.join(_CHOICES[key])}")
        if key == "extension":
            pins.extension = text
        else:
            setattr(facts, key, text)
    elif key in {"posts_dir", "filename", "images_dir"}:
        setattr(facts, key, _text(key, value, source).strip())
    elif key in {"bundle", "quote_dates"}:
        if not isinstance(value, bool):
            raise BlogConfigError(f"{source}: {key} must be true or false")
        setattr(pins, key, value)
    elif key == "date_format":
        pins.date_format = _date_format(value, source)
    elif key == "timezone":
        facts.timezone = _text(key, value, source)
        if zone(facts.timezone) is None:
            raise BlogConfigError(f"{source}: timezone {facts.timezone!r} is not a known zone")
    elif key == "excerpt":
        facts.excerpt = "" if value in (None, False) else _text(key, value, source)
    else:
        _apply_vocabulary(pins, key, value, source)


def _apply_vocabulary(pins: Pins, key: str, value: Any, source: str) -> None:
    facts = pins.facts
    if key == "keys":
        for role, name in _mapping(key, value, source).items():
            if role not in ROLES or role == "other":
                raise BlogConfigError(f"{source}: keys.{role}: not one of {', '.join(ROLES[:-1])}")
            pins.renames[role] = None if name in (None, False, "") else _text(role, name, source)
    elif key == "defaults":
        pins.defaults = {str(k): v for k, v in _mapping(key, value, source).items()}
    elif key == "author":
        facts.frequent_author = _text(key, value, source)
    elif key == "authors":
        facts.author_map = {
            str(k).strip().lstrip("@").lower(): _text(f"authors.{k}", v, source)
            for k, v in _mapping(key, value, source).items()
        }
    elif key in {"tags", "categories", "categories_allowed"}:
        if not isinstance(value, list) or not all(isinstance(v, str | int) for v in value):
            raise BlogConfigError(f"{source}: {key} must be a list of names")
        setattr(facts, key, tuple(str(v) for v in value))


def _date_format(value: Any, source: str) -> str:
    text = _text("date_format", value, source)
    if text not in {"date", "datetime"} and "%" not in text:
        raise BlogConfigError(f"{source}: date_format must be date, datetime or a strftime pattern")
    return text


def _text(key: str, value: Any, source: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise BlogConfigError(f"{source}: {key} must be a non-empty string")
    return value.strip()


def _mapping(key: str, value: Any, source: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise BlogConfigError(f"{source}: {key} must be a mapping")
    return {str(k): v for k, v in value.items()}
