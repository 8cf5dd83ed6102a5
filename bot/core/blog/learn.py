"""Learn a blog's conventions from its repository: `learn_profile`.

Evidence, strongest first: `.blogbot.yml`; POSTS_DIR / POST_FILENAME set by the operator; the
CMS config; the generator's config (and the blog's authors file); the newest posts (their
folder, file names and front matter); the generator's defaults. Each item of the profile comes
from the strongest evidence that states it, and the profile says which that was.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence, Set
from dataclasses import replace
from pathlib import PurePosixPath

from bot.core.blog.authors import read_authors
from bot.core.blog.cms import read_cms
from bot.core.blog.detect import CMS_CONFIGS, detect_generator
from bot.core.blog.facts import ITEMS, Facts, merge_fields
from bot.core.blog.generators import DEFAULT_FIELDS, read_generator
from bot.core.blog.listing import learn_listing
from bot.core.blog.paths import guess_posts_dir, newest_first, posts_in
from bot.core.blog.pinned import PINNED_FILES, Pins, read_pins
from bot.core.blog.profile import Author, BlogProfile, DateStyle, Field, Overrides
from bot.core.blog.samples import learn_from_names, learn_from_posts
from bot.core.blog.values import role_of, shape_of
from bot.core.posts import PostPathError, validate_location

__all__ = ["SAMPLE_POSTS", "default_profile", "eleventy_data_files", "learn_profile"]

SAMPLE_POSTS = 3


def default_profile() -> BlogProfile:
    """Today's layout: content/posts/{date}-{slug}.md with YAML title, date, description, tags."""
    return learn_profile((), {})


def learn_profile(
    paths: Sequence[str] | Set[str],
    contents: Mapping[str, str],
    overrides: Overrides | None = None,
) -> BlogProfile:
    """The blog's conventions, from every path of its tree and the content of some files
    (those `files_to_read` names; files missing from `contents` are simply not evidence).

    Raises BlogConfigError when `.blogbot.yml` pins something unusable.
    """
    tree = frozenset(paths)
    pins = _read_pins(contents)
    layers = _stated_layers(pins, overrides, contents)
    if pins and pins.facts.generator:
        generator, found_by = pins.facts.generator, pins.facts.source
    else:
        generator, found_by = detect_generator(tree, contents)
    config, defaults = read_generator(generator, tree, contents)
    layers.append(config)
    posts_dir, located = _locate_posts(generator, tree, layers, defaults)
    layers.extend(located)
    authors = read_authors(generator, tree, contents, posts_dir)
    layers.extend([authors] if authors else [])
    post_paths = posts_in(tree, posts_dir)
    newest = [p for p in newest_first(post_paths) if p in contents][:SAMPLE_POSTS]
    samples = learn_from_posts(generator, [(p, contents[p]) for p in newest], tree)
    layers += [learn_from_names(post_paths, posts_dir), samples, defaults]
    profile = _adjust(_build(generator, found_by, layers, defaults, samples), pins, tree, contents)
    if generator == "unknown":
        profile = _with_listing(profile, contents, post_paths)
    # Assumed: nothing but the defaults spoke (no pin, setting, CMS, generator or posts).
    assumed = all(layer is defaults or not _states_anything(layer) for layer in layers)
    return _checked(replace(profile, assumed=assumed and generator == "unknown"), defaults)


def _stated_layers(
    pins: Pins | None, overrides: Overrides | None, contents: Mapping[str, str]
) -> list[Facts]:
    """The explicit layers: .blogbot.yml, the operator's settings, the CMS config."""
    layers = [pins.facts] if pins else []
    if overrides and (overrides.posts_dir or overrides.filename):
        env = Facts("POSTS_DIR / POST_FILENAME", posts_dir=overrides.posts_dir)
        env.filename = overrides.filename
        layers.append(env)
    cms = next((read_cms(contents[p], p) for p in CMS_CONFIGS if p in contents), None)
    return [*layers, cms] if cms else layers


def _states_anything(layer: Facts) -> bool:
    return bool(layer.fields) or any(getattr(layer, item) is not None for item in ITEMS)


def _with_listing(
    profile: BlogProfile, contents: Mapping[str, str], post_paths: Sequence[str]
) -> BlogProfile:
    """No generator lists the posts: a README that links them is the listing to extend."""
    listing = learn_listing(contents, post_paths)
    if listing is None:
        return profile
    return replace(
        profile,
        listing=listing.path,
        listing_line=listing.line,
        listing_newest_first=listing.newest_first,
        evidence={**profile.evidence, "listing": listing.path},
    )


def _read_pins(contents: Mapping[str, str]) -> Pins | None:
    path = next((p for p in PINNED_FILES if p in contents), None)
    return read_pins(contents[path], path) if path else None


def _locate_posts(
    generator: str, tree: Set[str], layers: list[Facts], defaults: Facts
) -> tuple[str, list[Facts]]:
    """The posts folder: as stated by strong evidence, else where most posts are."""
    stated = next((layer.posts_dir for layer in layers if layer.posts_dir), None)
    if stated:
        return _clean_dir(stated), []
    roots = next((layer.roots for layer in layers if layer.roots), ("",))
    guess = guess_posts_dir(
        tree,
        roots,
        folder_name="_posts" if generator == "jekyll" else None,
        favoured_only=generator == "unknown",  # a repo's docs/ folder is no blog
    )
    if guess is None:
        return _clean_dir(defaults.posts_dir or "content/posts"), []
    folder, count = guess
    return folder, [Facts(f"{count} posts found there", posts_dir=folder)]


def _clean_dir(folder: str) -> str:
    return "/".join(part for part in folder.strip().split("/") if part not in {"", "."})


def _build(
    generator: str, found_by: str, layers: list[Facts], defaults: Facts, samples: Facts
) -> BlogProfile:
    values: dict[str, object] = {}
    evidence = {"generator": found_by}
    for item in ITEMS[1:]:
        layer = next((la for la in layers if getattr(la, item) is not None), None)
        if layer is not None:
            values[item] = getattr(layer, item)
            evidence[item] = layer.source_of(item)
    complete = [la for la in layers if la.complete_fields and la.fields and la is not defaults]
    fields = merge_fields([la.fields for la in complete]) if complete else list(defaults.fields)
    evidence["keys"] = " + ".join(la.source for la in complete) or defaults.source
    order = {f.key: i for i, f in enumerate(samples.fields)}
    fields.sort(key=lambda f: order.get(f.key, len(order)))
    evidence["front_matter"] = evidence.get("front_matter", defaults.source)
    if values.get("images_beside_post") or "images_dir" in values:
        evidence["images"] = evidence.get("images_beside_post", evidence.get("images_dir", ""))
    drop = set().union(*(la.drop_roles for la in layers))
    excerpt = values.pop("excerpt", None)
    return BlogProfile(
        generator=generator,
        fields=tuple(f for f in fields if f.role not in drop),
        evidence=evidence,
        notes=tuple(dict.fromkeys(note for la in layers for note in la.notes)),
        excerpt=excerpt or None if isinstance(excerpt, str) else None,
        **values,  # type: ignore[arg-type]
    )


def _adjust(
    profile: BlogProfile, pins: Pins | None, tree: Set[str], contents: Mapping[str, str]
) -> BlogProfile:
    """What applies after merging: pinned renames, defaults and shapes; title placement."""
    if pins:
        profile = _apply_pins(profile, pins)
    fields = list(profile.fields)
    if profile.front_matter == "none":
        fields = []  # plain Markdown: the title is the heading, nothing else is written
        profile = replace(profile, title_in="heading")
    elif profile.title_in == "heading":
        fields = [f for f in fields if f.role != "title"]
    elif not any(f.role == "title" for f in fields):
        fields.insert(0, DEFAULT_FIELDS[0])
    copied = [
        f"{f.key!r} is required and the bot has no value for it: new posts repeat {f.example!r}"
        for f in fields
        if f.required and f.role in {"other", "image"} and f.default is None and f.example
    ]
    profile = replace(profile, fields=tuple(fields), notes=(*profile.notes, *copied))
    if profile.generator == "eleventy":
        profile = _eleventy_collection(profile, tree, contents)
    if profile.generator == "jekyll" and not _dated_name(profile.filename):
        # Jekyll ignores a post whose file name lacks the date.
        note = f"file name {profile.filename!r} has no date: Jekyll needs one; added"
        profile = replace(
            profile, filename="{date}-" + profile.filename, notes=(*profile.notes, note)
        )
    return profile


def _apply_pins(profile: BlogProfile, pins: Pins) -> BlogProfile:
    source = pins.facts.source
    evidence = dict(profile.evidence)
    if pins.renames or pins.defaults or pins.facts.frequent_author:
        evidence["keys"] = f"{evidence.get('keys', 'default')} + {source}"
    if pins.facts.frequent_author or pins.facts.author_map:
        evidence.setdefault("authors", source)
    if pins.date_format or pins.quote_dates is not None:
        evidence["date_style"] = source
    known = {a.id for a in profile.authors}
    pinned = [*(pins.facts.author_map or {}).values(), pins.facts.frequent_author]
    extra = tuple(Author(id=i) for i in dict.fromkeys(pinned) if i and i not in known)
    return replace(
        profile,
        fields=tuple(_pinned_fields(list(profile.fields), pins)),
        evidence=evidence,
        date_style=_pinned_date(profile.date_style, pins),
        filename=_pinned_name(profile.filename, pins),
        authors=profile.authors + extra,
    )


def _pinned_fields(fields: list[Field], pins: Pins) -> list[Field]:
    """Renames keep the learned shape and place; pinned defaults set or add a key."""
    source = pins.facts.source
    for role, key in pins.renames.items():
        at = next((i for i, f in enumerate(fields) if f.role == role), None)
        same = next((i for i, f in enumerate(fields) if f.key == key), None)
        if same is not None:  # the posts have the key already (`topics`): give it the role
            fields[same] = replace(fields[same], role=role, source=source)
            fields = [f for i, f in enumerate(fields) if i == same or f.role != role]
        elif at is not None and key is not None:
            fields[at] = replace(fields[at], key=key, source=source)
        elif key is not None:
            fields.append(Field(key, role, DEFAULT_SHAPES.get(role, "string"), source=source))
        else:
            fields = [f for f in fields if f.role != role]
    pinned_author = pins.facts.frequent_author or pins.facts.author_map
    if pinned_author and not any(f.role == "authors" for f in fields):
        fields.append(Field("author", "authors", source=source))
    for key, value in pins.defaults.items():
        at = next((i for i, f in enumerate(fields) if f.key == key), None)
        if at is not None:
            fields[at] = replace(fields[at], default=value, source=source)
        else:
            role = role_of(key, value)
            fields.append(Field(key, role, shape_of(value, role), default=value, source=source))
    return fields


DEFAULT_SHAPES = {"date": "date", "updated": "date", "tags": "list", "categories": "list",
                  "authors": "list", "draft": "bool"}  # fmt: skip


def _pinned_date(style: DateStyle, pins: Pins) -> DateStyle:
    if pins.date_format == "date":
        style = replace(style, time=False, pattern=None)
    elif pins.date_format == "datetime":
        style = replace(style, time=True, offset=True, pattern=None)
    elif pins.date_format:
        style = replace(style, pattern=pins.date_format)
    if pins.quote_dates is not None:
        style = replace(style, quoted=pins.quote_dates)
    return style


def _pinned_name(filename: str, pins: Pins) -> str:
    pure = PurePosixPath(filename)
    bundled = "/" in filename and pure.stem == "index"
    stem = str(pure.parent) if bundled else filename.removesuffix(pure.suffix)
    bundle = bundled if pins.bundle is None else pins.bundle
    extension = pins.extension or pure.suffix or ".md"
    return f"{stem}/index{extension}" if bundle else f"{stem}{extension}"


def _dated_name(filename: str) -> bool:
    return "{date}" in filename or all(f"{{{p}}}" in filename for p in ("year", "month", "day"))


def eleventy_data_files(tree: Set[str], posts_dir: str) -> list[str]:
    """Eleventy's directory data files for the posts folder (`blog/blog.11tydata.js`...)."""
    name = PurePosixPath(posts_dir).name
    candidates = [f"{posts_dir}/{name}.11tydata.{ext}" for ext in ("js", "cjs", "mjs", "json")]
    return [p for p in [*candidates, f"{posts_dir}/{name}.json"] if p in tree]


def _eleventy_collection(
    profile: BlogProfile, tree: Set[str], contents: Mapping[str, str]
) -> BlogProfile:
    """A directory data file that sets `tags` puts every post in the collection already."""
    for path in eleventy_data_files(tree, profile.posts_dir):
        text = contents.get(path)
        if text is None or re.search(r"""["']?\btags["']?\s*:""", text):
            evidence = {**profile.evidence, "collection_tags": path}
            return replace(profile, collection_tags=(), evidence=evidence)
    return profile


def _checked(profile: BlogProfile, defaults: Facts) -> BlogProfile:
    """A learned folder or name the path checks refuse falls back to the generator's default."""
    try:
        validate_location(profile.posts_dir, profile.filename)
    except PostPathError as exc:
        note = f"learned location unusable ({exc}); using {defaults.posts_dir}/{defaults.filename}"
        return replace(
            profile,
            posts_dir=defaults.posts_dir or "content/posts",
            filename=defaults.filename or "{slug}.md",
            notes=(*profile.notes, note),
        )
    return replace(profile, posts_dir=_clean_dir(profile.posts_dir))
