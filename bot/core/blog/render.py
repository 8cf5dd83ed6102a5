"""Write a draft as a post of this blog: `render_for_blog`.

The path is built like bot.core.posts builds it (a checked folder, a name from the date and an
ASCII slug, nothing from the title's text), in the blog's own file name pattern. The front
matter has the blog's keys in the blog's shapes; dates never lie in the future (Jekyll and Hugo
hide such posts) and are written in a form the generator parses.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import replace

from bot.core.blog.matter import dump_post
from bot.core.blog.profile import Author, BlogProfile, DateStyle, Field
from bot.core.blog.values import format_date, pick_terms, zone
from bot.core.drafts import Draft

# Private helpers of bot.core.posts, reused so both renderers check paths and clean text alike.
from bot.core.posts import (
    PostFile,
    check_relative,
    make_slug,
    single_line,
    trim_blank_lines,
    validate_location,
)

__all__ = ["post_moment", "render_for_blog"]

_SKIP = object()  # a field not written for this post
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_EMPTY: dict[str, object] = {"list": [], "bool": False, "number": 0, "map": {}, "csv": ""}


def render_for_blog(
    profile: BlogProfile,
    draft: Draft,
    *,
    now: dt.datetime,
    author: str | None = None,
    suffix: int | None = None,
) -> PostFile:
    """The post file for `draft` in the blog's conventions.

    author: the writer (a Telegram user name or id, or a name), mapped to one of the blog's
        authors; never a new one.
    suffix: n >= 2 when the name is taken: the slug becomes `slug-n` everywhere (file name,
        bundle folder, a `slug` key), so the new post gets its own URL too.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware so the post date carries its offset")
    if suffix is not None and suffix < 1:
        raise ValueError("suffix number must be positive")
    style, moment = _date_setup(profile, now)
    slug = make_slug(draft.title) + (f"-{suffix}" if suffix else "")
    path = _path(profile, slug, moment)
    meta: dict[str, object] = {}
    for spec in profile.fields:
        value = _value(profile, spec, draft, style, moment, slug, author)
        if value is not _SKIP:
            _put(meta, spec.key, value)
    body = _body(profile, draft, meta, moment)
    return PostFile(path=path, content=dump_post(profile.front_matter, meta, body), slug=slug)


def post_moment(profile: BlogProfile, now: dt.datetime) -> dt.datetime:
    """The moment a post written `now` is dated, in the zone its date is written in (for the
    file name's {date} and a listing's entry)."""
    return _date_setup(profile, now)[1]


def _date_setup(profile: BlogProfile, now: dt.datetime) -> tuple[DateStyle, dt.datetime]:
    """The date style to write and the moment in the zone the site reads it in.

    A local time is only written when the site's zone is known; otherwise the offset goes
    along. A date alone is taken in the site's zone, else in UTC, where Jekyll and Hugo read
    it by default: a date that is already today there is never in the future.
    """
    style, site = profile.date_style, zone(profile.timezone)
    if site is not None:
        return style, now.astimezone(site)
    if not style.offset and style.time:
        style = replace(style, offset=True)
    if not style.time and profile.generator != "unknown":
        return style, now.astimezone(dt.UTC)
    return style, now


def _path(profile: BlogProfile, slug: str, moment: dt.datetime) -> str:
    validate_location(profile.posts_dir, profile.filename)
    name = profile.filename.format(
        date=moment.strftime("%Y-%m-%d"),
        slug=slug,
        year=moment.strftime("%Y"),
        month=moment.strftime("%m"),
        day=moment.strftime("%d"),
    )
    folder = profile.posts_dir.strip("/")
    path = f"{folder}/{name}" if folder else name
    check_relative(path, what="post path")  # the slug is safe by construction; stay sure
    return path


def _value(
    profile: BlogProfile,
    spec: Field,
    draft: Draft,
    style: DateStyle,
    moment: dt.datetime,
    slug: str,
    author: str | None,
) -> object:
    role = spec.role
    if spec.default is not None and role in {"layout", "draft", "other", "image", "updated"}:
        return spec.default
    if role == "title":
        return _SKIP if profile.title_in == "heading" else single_line(draft.title)
    if role == "date" or (role == "updated" and spec.required):
        quoted = style.quoted if spec.quoted is None else spec.quoted
        return format_date(replace(style, quoted=quoted), moment, profile.front_matter)
    if role == "description":
        return single_line(draft.description)
    if role in {"tags", "categories"}:
        return _terms(profile, spec, draft)
    if role == "authors":
        chosen = _author(profile, author)
        if chosen is None:
            return spec.example if spec.required and spec.example is not None else _SKIP
        value = chosen.written()
        return [value] if spec.shape == "list" else value
    if role == "draft":
        return spec.key.lower() == "published"  # published: true, draft: false
    if role == "slug":
        return slug
    return _fallback(spec)


def _fallback(spec: Field) -> object:
    """Keys without a role-given value: written only when required (a schema or the CMS)."""
    if not spec.required:
        return _SKIP
    if spec.example is not None:
        return spec.example
    if spec.options:
        return spec.options[0]
    return _EMPTY.get(spec.shape, "")


def _terms(profile: BlogProfile, spec: Field, draft: Draft) -> object:
    """The draft's tags in the blog's vocabulary; never outside a closed list (a schema enum,
    a CMS select, MkDocs' categories_allowed)."""
    wanted = [t for t in (single_line(tag) for tag in draft.tags) if t]
    if spec.role == "tags":
        allowed = spec.options or profile.tags_allowed
        terms = pick_terms(wanted, profile.tags, allowed)
        terms = pick_terms([*profile.collection_tags, *terms], (), allowed)
    else:
        allowed = spec.options or profile.categories_allowed
        terms = pick_terms(wanted, profile.categories, allowed, profile.max_categories)
    if not terms and spec.required and spec.shape not in {"list", "csv", "words"}:
        return _fallback(spec)  # a single required value: the newest post's, or the first option
    if not terms and spec.role == "categories" and not spec.required:
        return _SKIP
    if spec.shape == "csv":
        return ", ".join(terms)
    if spec.shape == "words":
        return " ".join(term.replace(" ", "-") for term in terms)
    if spec.shape == "string" and len(terms) <= 1:
        return terms[0] if terms else _SKIP
    return terms


def _author(profile: BlogProfile, writer: str | None) -> Author | None:
    """The writer's author entry, else the blog's most frequent author; never a new one."""
    by_id = {a.id.casefold(): a for a in profile.authors}
    by_name = {a.name.casefold(): a for a in profile.authors if a.name}
    if writer and writer.strip():
        key = writer.strip().lstrip("@").casefold()
        mapped = profile.author_map.get(key)
        hit = by_id.get(mapped.casefold()) if mapped else by_id.get(key) or by_name.get(key)
        if hit is not None:
            return hit
    if profile.frequent_author:
        return by_id.get(profile.frequent_author.casefold())
    return profile.authors[0] if len(profile.authors) == 1 else None


def _put(meta: dict[str, object], key: str, value: object) -> None:
    """Set a dotted key (`taxonomies.tags`) inside its table."""
    *tables, last = key.split(".")
    target = meta
    for table in tables:
        inner = target.setdefault(table, {})
        if not isinstance(inner, dict):
            return  # a plain key of that name already: keep it
        target = inner
    target[last] = value


def _body(
    profile: BlogProfile,
    draft: Draft,
    meta: dict[str, object],
    moment: dt.datetime | None = None,
) -> str:
    body = trim_blank_lines(draft.body)
    escaped = _escape_mdx(body)
    if escaped != body and profile.extension == ".mdx":
        body = escaped  # MDX reads a bare < or { as JSX (Astro, Docusaurus and others alike)
    elif escaped != body and profile.generator == "docusaurus" and profile.mdx != "none":
        if profile.mdx == "escape":
            body = escaped
        else:
            meta["format"] = "md"  # Docusaurus compiles .md as MDX unless told: CommonMark
    if profile.excerpt and profile.excerpt not in body:
        body = _with_excerpt(body, profile.excerpt)
    if profile.date_line and profile.title_in == "heading" and moment is not None:
        line = moment.strftime(profile.date_line.replace("{day}", str(moment.day)))
        body = f"{line}\n\n{body}"
    if profile.title_in == "heading":
        body = f"# {single_line(draft.title)}\n\n{body}".rstrip()
    return body


def _prose_lines(lines: list[str]) -> list[bool]:
    """For each line: True when it is prose, False inside a fenced code block."""
    prose, fence = [], ""
    for line in lines:
        match = _FENCE.match(line)
        if fence:
            prose.append(False)
            if match and match[1][0] == fence[0] and len(match[1]) >= len(fence):
                fence = ""
        elif match:
            fence = match[1]
            prose.append(False)
        else:
            prose.append(True)
    return prose


def _escape_mdx(body: str) -> str:
    """Backslash-escape `<` and `{` in prose (not in code), which MDX would read as JSX."""
    lines = body.split("\n")
    for i, is_prose in enumerate(_prose_lines(lines)):
        if is_prose and ("<" in lines[i] or "{" in lines[i]):
            parts = re.split(r"(`+[^`]*`+)", lines[i])  # inline code spans stay as they are
            lines[i] = "".join(
                part if part.startswith("`") else re.sub(r"(?<!\\)([<{])", r"\\\1", part)
                for part in parts
            )
    return "\n".join(lines)


def _with_excerpt(body: str, marker: str) -> str:
    """The marker after the first paragraph (at the end of a one-paragraph post)."""
    lines = body.split("\n")
    prose = _prose_lines(lines)
    seen_text = False
    for i, line in enumerate(lines):
        if prose[i] and line.strip() and not line.lstrip().startswith("#"):
            seen_text = True
        elif seen_text and prose[i] and not line.strip():
            return "\n".join([*lines[:i], "", marker, *lines[i:]])
    return f"{body}\n\n{marker}" if body else marker
