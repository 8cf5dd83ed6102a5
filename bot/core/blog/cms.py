"""Decap CMS / Sveltia CMS `admin/config.yml`: the editor's view of the blog.

The posts collection names the folder, the file name (`slug` and `path` templates), the front
matter format and every field with its widget and whether it is required (Decap's default:
required). A blog edited through the CMS is shaped by it, so this outranks the generator.
"""

from __future__ import annotations

import re
from typing import Any

from bot.core.blog.facts import Facts
from bot.core.blog.matter import load_yaml
from bot.core.blog.profile import DateStyle, Field
from bot.core.blog.values import role_of

__all__ = ["read_cms"]

_FAVOURED = ("blog", "posts", "post", "articles", "news")
_FORMATS = {
    "yaml-frontmatter": "yaml",
    "frontmatter": "yaml",
    "yml-frontmatter": "yaml",
    "toml-frontmatter": "toml",
    "json-frontmatter": "json",
}
_PLACEHOLDERS = {
    "slug": "{slug}",
    "title": "{slug}",
    "fields.slug": "{slug}",
    "fields.title": "{slug}",
    "year": "{year}",
    "month": "{month}",
    "day": "{day}",
}
_WIDGET_SHAPES = {
    "boolean": "bool",
    "number": "number",
    "list": "list",
    "object": "map",
    "datetime": "date",
    "date": "date",
}


def read_cms(text: str, path: str) -> Facts | None:
    """What the CMS config says about the posts collection, or None without one."""
    data = load_yaml(text)
    if not isinstance(data, dict):
        return None
    collection = _posts_collection(data.get("collections"))
    if collection is None:
        return None
    facts = Facts(source=path, cms="Decap CMS")
    facts.posts_dir = str(collection["folder"]).strip().strip("/")
    extension = str(collection.get("extension") or "md").lstrip(".")
    facts.front_matter = _FORMATS.get(str(collection.get("format") or "frontmatter"))
    facts.filename = _filename(collection, extension, facts)
    facts.fields = [f for raw in collection.get("fields") or () if (f := _field(raw, path, facts))]
    _media(data, collection, facts)
    return facts


def _posts_collection(collections: object) -> dict[str, Any] | None:
    folders = (
        [c for c in collections or () if isinstance(c, dict) and isinstance(c.get("folder"), str)]
        if isinstance(collections, list)
        else []
    )
    for collection in folders:
        label = f"{collection.get('name', '')} {collection.get('label', '')}".lower()
        if any(word in label.split() for word in _FAVOURED):
            return collection
    return next((c for c in folders if c.get("create")), folders[0] if folders else None)


def _filename(collection: dict[str, Any], extension: str, facts: Facts) -> str | None:
    slug = _template(str(collection.get("slug") or "{{slug}}"))
    path = collection.get("path")
    if slug is None:
        facts.notes.append(f"{facts.source}: the slug template uses fields the bot cannot fill")
        return None
    if not path:
        return f"{slug}.{extension}"
    converted = _template(str(path).replace("{{slug}}", "\0"))
    if converted is None:
        facts.notes.append(f"{facts.source}: the path template uses fields the bot cannot fill")
        return None
    return converted.replace("\0", slug) + f".{extension}"


def _template(text: str) -> str | None:
    """Decap's `{{year}}-{{slug}}` as the bot's `{year}-{slug}`; None for other placeholders."""
    unknown = False

    def swap(match: re.Match[str]) -> str:
        nonlocal unknown
        name = match[1].strip()
        if name not in _PLACEHOLDERS:
            unknown = True
        return _PLACEHOLDERS.get(name, "")

    converted = re.sub(r"\{\{([^}]*)\}\}", swap, text)
    converted = converted.replace("{year}-{month}-{day}", "{date}")
    return None if unknown else converted


def _field(raw: object, source: str, facts: Facts) -> Field | None:
    if not isinstance(raw, dict) or not isinstance(raw.get("name"), str):
        return None
    name, widget = raw["name"], str(raw.get("widget") or "string")
    if widget == "markdown" and name == "body":
        return None
    role = role_of(name, raw.get("default"))
    if role == "other" and "author" in name.lower() and widget == "relation":
        role = "authors"
    multiple = bool(raw.get("multiple"))
    shape = "list" if multiple else _WIDGET_SHAPES.get(widget, "string")
    if widget in {"datetime", "date"}:
        role = "date" if role == "other" else role
        facts.date_style = facts.date_style or _date_style(raw, widget)
    options = _options(raw.get("options"))
    if options and role == "categories":
        facts.categories_allowed = options
    elif options and role == "tags":
        facts.tags_allowed = options
    hidden = widget == "hidden" or role == "layout"
    default = raw.get("default")
    return Field(
        key=name,
        role=role,
        shape=shape,
        required=raw.get("required", True) is not False,
        default=default if hidden and role != "draft" else None,
        example=None if hidden else default,
        options=options,
        source=source,
    )


def _date_style(raw: dict[str, Any], widget: str) -> DateStyle | None:
    fmt = raw.get("format") or raw.get("date_format")
    if widget == "date" or raw.get("time_format") is False:
        return DateStyle(time=False, quoted=False)
    if isinstance(fmt, str):
        # A moment.js format; Decap's YAML writer leaves such a string unquoted.
        return DateStyle(time=bool(re.search("[Hh]", fmt)), quoted=False)
    return None


def _options(raw: object) -> tuple[str, ...]:
    if not isinstance(raw, list):
        return ()
    values = (item.get("value") if isinstance(item, dict) else item for item in raw)
    return tuple(str(value) for value in values if value is not None)


def _media(data: dict[str, Any], collection: dict[str, Any], facts: Facts) -> None:
    media = collection.get("media_folder", data.get("media_folder"))
    if not isinstance(media, str):
        return
    if "media_folder" in collection and not media.startswith("/"):
        facts.images_beside_post = True  # relative to the entry: beside the post
        return
    facts.images_dir = media.strip().strip("/")
    facts.sources["images_dir"] = facts.source
