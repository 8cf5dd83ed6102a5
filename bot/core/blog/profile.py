"""What the bot knows about a blog's conventions, and where each piece of knowledge came from.

A `BlogProfile` is plain data: `learn_profile` fills it from the repository, `render_for_blog`
writes a post from it, and `describe()` tells a person what was learned and from which file,
so a wrong guess can be spotted and pinned in `.blogbot.yml`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import PurePosixPath

__all__ = [
    "ROLES",
    "Author",
    "BlogConfigError",
    "BlogProfile",
    "DateStyle",
    "Field",
    "Overrides",
]

# What a front matter key is for. "other" keys are written only with a value the blog gives.
ROLES = (
    "title",
    "date",
    "updated",
    "description",
    "tags",
    "categories",
    "authors",
    "draft",
    "layout",
    "slug",
    "image",
    "other",
)
SHAPES = ("string", "date", "list", "csv", "words", "bool", "number", "map")

GENERATOR_NAMES = {
    "hugo": "Hugo",
    "zola": "Zola",
    "jekyll": "Jekyll",
    "hexo": "Hexo",
    "astro": "Astro",
    "eleventy": "Eleventy",
    "docusaurus": "Docusaurus",
    "mkdocs": "MkDocs Material",
    "pelican": "Pelican",
    "unknown": "no recognised generator",
}


class BlogConfigError(ValueError):
    """`.blogbot.yml` pins something unusable; the message says which key and why."""


@dataclass(frozen=True)
class DateStyle:
    """How the post date is written: the shape the blog's own posts use."""

    time: bool = True  # a date-time; False: the date only
    offset: bool = True  # with the UTC offset; False: local time of the site's time zone
    sep: str = "T"  # between date and time: "T" or " "
    colon: bool = True  # "+01:00"; False: "+0100" (Jekyll's documented form)
    offset_space: bool = False  # "09:30:00 +0100" (Jekyll's documented form)
    seconds: bool = True
    quoted: bool = True  # a string; False: the front matter format's native date (YAML/TOML)
    nested: str | None = None  # MkDocs Material's `date: {created: ...}`: the inner key
    pattern: str | None = None  # a strftime pattern pinned in .blogbot.yml; wins over the rest

    def describe(self) -> str:
        if self.pattern:
            shape = f"pattern {self.pattern!r}"
        elif not self.time:
            shape = "date only"
        else:
            shape = "date-time " + ("with offset" if self.offset else "in the site's time zone")
        shape += ", quoted" if self.quoted else ", unquoted"
        return f"{shape}, under '{self.nested}'" if self.nested else shape


@dataclass(frozen=True)
class Field:
    """One front matter key of the blog's posts."""

    key: str  # dotted for a key inside a table: "taxonomies.tags" (Zola)
    role: str  # one of ROLES
    shape: str = "string"  # one of SHAPES: how the value is written
    required: bool = False  # a schema or CMS demands it
    default: object = None  # written as is when set (layout: post, comments: true)
    example: object = None  # the newest post's value: the last resort for a required key
    quoted: bool | None = None  # dates: a schema forces a string (True) or a native date
    options: tuple[str, ...] = ()  # the values a schema enum or CMS select allows
    source: str = ""

    def describe(self) -> str:
        text = self.key
        if self.default is not None:
            return f"{text}={self.default!r}"
        if self.shape not in {"string", "date"}:
            text += f" ({self.shape})"
        return text + (" [required]" if self.required else "")


@dataclass(frozen=True)
class Author:
    """An author the blog knows: an id from its authors file, or a name its posts use."""

    id: str
    name: str = ""
    value: object = None  # what the front matter holds for them; None: the id

    def written(self) -> object:
        return self.id if self.value is None else self.value


@dataclass(frozen=True)
class Overrides:
    """POSTS_DIR / POST_FILENAME, only when the operator set them explicitly."""

    posts_dir: str | None = None
    filename: str | None = None


@dataclass(frozen=True)
class BlogProfile:
    generator: str  # a key of GENERATOR_NAMES
    posts_dir: str  # repo-relative folder; posts never leave it
    filename: str  # template below posts_dir: {date} {slug} {year} {month} {day}
    front_matter: str  # yaml | toml | json | pelican (`Key: value` lines) | none
    title_in: str  # key | heading (the first `# ` line of the body)
    date_style: DateStyle
    fields: tuple[Field, ...]  # in the order they are written
    authors: tuple[Author, ...] = ()
    frequent_author: str | None = None  # id of the author the newest posts name most
    author_map: Mapping[str, str] = field(default_factory=dict)  # writer -> author id
    tags: tuple[str, ...] = ()  # the blog's tag vocabulary
    categories: tuple[str, ...] = ()
    tags_allowed: tuple[str, ...] | None = None  # a closed list (CMS select)
    categories_allowed: tuple[str, ...] | None = None  # MkDocs categories_allowed, CMS select
    max_categories: int = 1
    collection_tags: tuple[str, ...] = ()  # Eleventy: tags that put a post in the collection
    excerpt: str | None = None  # the "read more" marker the posts use
    # No front matter: the date as a line under the title, e.g. "*{day} %B %Y*" ({day}: no pad).
    date_line: str | None = None
    mdx: str | None = None  # Docusaurus MDX: "format-md" or "escape" bare < and {
    images_dir: str | None = None
    images_beside_post: bool = False
    timezone: str | None = None  # IANA name from the site config: dates are local to it
    listing: str | None = None  # a page linking every post by hand (README.md of a plain repo)
    listing_line: str | None = None  # its entry template: {title} {link} {date}
    listing_newest_first: bool = False
    cms: str | None = None
    samples: tuple[str, ...] = ()  # posts read, newest first
    evidence: Mapping[str, str] = field(default_factory=dict)  # item -> where it came from
    notes: tuple[str, ...] = ()
    assumed: bool = False  # nothing recognised: today's default layout

    @property
    def bundle(self) -> bool:
        """Each post is a folder (`<slug>/index.md`) that can hold its images."""
        return "/" in self.filename and PurePosixPath(self.filename).stem == "index"

    @property
    def extension(self) -> str:
        return PurePosixPath(self.filename).suffix

    def field(self, role: str) -> Field | None:
        return next((f for f in self.fields if f.role == role), None)

    def describe(self) -> list[str]:
        """A few lines for a person: what was learned, and from where."""
        ev = self.evidence
        cms = f" + {self.cms}" if self.cms else ""
        lines = [
            f"Generator: {GENERATOR_NAMES.get(self.generator, self.generator)}{cms}"
            f" ({ev.get('generator', 'default')})",
            f"Posts: {self.posts_dir}/{self.filename}"
            + (" (page bundle)" if self.bundle else "")
            + f" (folder: {ev.get('posts_dir', 'default')}; name: {ev.get('filename', 'default')})",
            f"Front matter: {self.front_matter}, title as {self.title_in}"
            f" ({ev.get('front_matter', 'default')})",
            "Keys: "
            + (", ".join(f.describe() for f in self.fields) or "none")
            + f" ({ev.get('keys', 'default')})",
        ]
        date = self.field("date")
        if date is not None:
            lines.append(
                f"Date: {date.key}, {self.date_style.describe()}"
                f" ({ev.get('date_style', 'default')})"
                + (f", time zone {self.timezone}" if self.timezone else "")
            )
        lines.extend(self._describe_vocabulary())
        if self.listing:
            lines.append(f"Listing: {self.listing} gets a line {self.listing_line!r}")
        if self.assumed:
            lines.append(
                "Nothing recognised: assumed the default layout above. Pin another in "
                ".blogbot.yml (posts_dir, filename, front_matter, keys, defaults)."
            )
        lines.extend(f"Note: {note}" for note in self.notes)
        return lines

    def _describe_vocabulary(self) -> list[str]:
        ev = self.evidence
        lines: list[str] = []
        if self.authors:
            names = ", ".join(a.id for a in self.authors[:8])
            lines.append(f"Authors: {names} ({ev.get('authors', 'posts')})")
        if self.tags or self.categories:
            lines.append(f"Known tags: {len(self.tags)}, categories: {len(self.categories)}")
        if self.categories_allowed is not None:
            lines.append(f"Categories allowed: {', '.join(self.categories_allowed)}")
        if self.collection_tags:
            tags = ", ".join(self.collection_tags)
            lines.append(f"Collection tags on every post: {tags} ({ev.get('collection_tags')})")
        if self.excerpt:
            lines.append(f"Excerpt marker: {self.excerpt} ({ev.get('excerpt', 'posts')})")
        if self.images_beside_post:
            lines.append("Images: beside the post")
        elif self.images_dir:
            lines.append(f"Images: {self.images_dir} ({ev.get('images', 'posts')})")
        return lines
