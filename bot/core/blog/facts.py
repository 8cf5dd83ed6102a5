"""A partial profile: what one piece of evidence says. `learn_profile` stacks these, strongest
first, and every item comes from the strongest layer that states it."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from bot.core.blog.profile import Author, DateStyle, Field

__all__ = ["ITEMS", "Facts", "merge_fields"]

# Items merged one by one; "fields" and "notes" are merged separately.
ITEMS = (
    "generator",
    "date_line",
    "cms",
    "posts_dir",
    "filename",
    "front_matter",
    "title_in",
    "date_style",
    "authors",
    "frequent_author",
    "author_map",
    "tags",
    "categories",
    "tags_allowed",
    "categories_allowed",
    "max_categories",
    "collection_tags",
    "excerpt",
    "mdx",
    "images_dir",
    "images_beside_post",
    "timezone",
    "samples",
)


@dataclass
class Facts:
    source: str  # e.g. "hugo.toml", ".blogbot.yml", "3 newest posts"
    generator: str | None = None
    cms: str | None = None
    posts_dir: str | None = None
    filename: str | None = None
    front_matter: str | None = None
    title_in: str | None = None
    date_style: DateStyle | None = None
    authors: tuple[Author, ...] | None = None
    frequent_author: str | None = None
    author_map: dict[str, str] | None = None
    tags: tuple[str, ...] | None = None
    categories: tuple[str, ...] | None = None
    tags_allowed: tuple[str, ...] | None = None
    categories_allowed: tuple[str, ...] | None = None
    max_categories: int | None = None
    collection_tags: tuple[str, ...] | None = None
    excerpt: str | None = None  # "" says: no marker
    date_line: str | None = None
    mdx: str | None = None
    images_dir: str | None = None
    images_beside_post: bool | None = None
    timezone: str | None = None
    samples: tuple[str, ...] | None = None
    fields: list[Field] = field(default_factory=list)
    # Complete key sets (posts, CMS, schema) replace the generator's default set; a partial
    # one (.blogbot.yml) only adjusts the result.
    complete_fields: bool = True
    drop_roles: set[str] = field(default_factory=set)  # roles never to write
    roots: tuple[str, ...] = ()  # folders the config says posts live under (for path guessing)
    sources: dict[str, str] = field(default_factory=dict)  # item -> source, when not `source`
    notes: list[str] = field(default_factory=list)

    def source_of(self, item: str) -> str:
        return self.sources.get(item, self.source)


def merge_fields(layers: list[list[Field]]) -> list[Field]:
    """Fields of several layers, strongest first, merged per key.

    The strongest layer decides a key's role, shape and default; `required` holds when any
    layer requires it; the example (the newest post's value) comes from wherever it is known.
    One key per role: a weaker layer's key for a role a stronger layer already names is dropped
    (a `.blogbot.yml` rename of `date` to `pubDate` must not leave `date` behind).
    """
    merged: dict[str, Field] = {}
    role_keys: dict[str, str] = {}
    for layer in layers:
        for item in layer:
            current = merged.get(item.key)
            if current is None:
                single = item.role not in {"other", "image"}
                if single and role_keys.get(item.role, item.key) != item.key:
                    continue
                merged[item.key] = item
                if single:
                    role_keys.setdefault(item.role, item.key)
                continue
            merged[item.key] = replace(
                current,
                required=current.required or item.required,
                default=current.default if current.default is not None else item.default,
                example=current.example if current.example is not None else item.example,
                quoted=current.quoted if current.quoted is not None else item.quoted,
                options=current.options or item.options,
            )
    return list(merged.values())
