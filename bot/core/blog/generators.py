"""Each generator's own configuration, and its defaults for a blog that has no posts yet.

`read_generator` returns two layers: what the site's config states (strong: it is the build's
own truth) and what the generator does by default (weak: the blog's posts outrank it).
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Callable, Mapping, Set
from typing import Any

from bot.core.blog.astro import read_content_config, schema_fields
from bot.core.blog.detect import config_files
from bot.core.blog.facts import Facts
from bot.core.blog.matter import load_yaml, split_post
from bot.core.blog.profile import DateStyle, Field

__all__ = ["DEFAULT_FIELDS", "default_facts", "read_generator"]

DEFAULT_FIELDS = (
    Field("title", "title", source="default"),
    Field("date", "date", "date", source="default"),
    Field("description", "description", source="default"),
    Field("tags", "tags", "list", source="default"),
)
_ISO = DateStyle()  # today's default: '2026-11-27T09:30:00+01:00', quoted
_DATE_ONLY = DateStyle(time=False, quoted=False)
Reader = Callable[[Set[str], Mapping[str, str]], tuple[Facts, Facts]]


def _fields(*spec: str) -> list[Field]:
    """Fields from "key:role:shape" strings (role and shape default from the key)."""
    out = []
    for item in spec:
        key, _, rest = item.partition(":")
        role, _, shape = rest.partition(":")
        out.append(Field(key, role or key, shape or "string", source="generator defaults"))
    return out


def default_facts(generator: str, **items: Any) -> Facts:
    """The generator's conventions for a blog with nothing else to go on."""
    name = {"unknown": "default"}.get(generator, f"{generator} defaults")
    facts = Facts(source=name, generator=generator, front_matter="yaml", title_in="key")
    facts.date_style, facts.fields = _ISO, list(DEFAULT_FIELDS)
    for key, value in items.items():
        setattr(facts, key, value)
    return facts


def read_generator(
    generator: str, tree: Set[str], contents: Mapping[str, str]
) -> tuple[Facts, Facts]:
    """(what the site's config says, the generator's defaults)."""
    config = Facts(source="config")
    files = [path for path in config_files(generator, tree) if path in contents]
    if files:
        config.source = " + ".join(files)
    reader = _READERS.get(generator)
    if reader is None:
        return config, default_facts(
            "unknown", posts_dir="content/posts", filename="{date}-{slug}.md"
        )
    stated, defaults = reader(tree, contents)
    stated.source = config.source if stated.source == "config" else stated.source
    return stated, defaults


def _load(path: str, text: str | None) -> dict[str, Any]:
    if text is None:
        return {}
    try:
        if path.endswith(".toml"):
            data: Any = tomllib.loads(text)
        elif path.endswith(".json"):
            data = json.loads(text)
        else:
            data = load_yaml(text)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError):
        return {}
    return {str(k).lower(): v for k, v in data.items()} if isinstance(data, dict) else {}


def _config(tree: Set[str], contents: Mapping[str, str], generator: str) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for path in reversed(config_files(generator, tree)):
        merged.update(_load(path, contents.get(path)))
    return merged


def _hugo(tree: Set[str], contents: Mapping[str, str]) -> tuple[Facts, Facts]:
    conf = _config(tree, contents, "hugo")
    content_dir = str(conf.get("contentdir") or "content").strip("/")
    params = conf["params"] if isinstance(conf.get("params"), dict) else {}
    sections = conf.get("mainsections") or params.get("mainSections") or params.get("mainsections")
    stated = Facts(source="config", roots=(content_dir,), timezone=_str(conf.get("timezone")))
    if isinstance(sections, list) and sections:
        folder = f"{content_dir}/{sections[0]}"
        if any(path.startswith(folder + "/") for path in tree):
            stated.posts_dir = folder
    defaults = default_facts(
        "hugo", posts_dir=f"{content_dir}/posts", filename="{slug}.md", front_matter="toml"
    )
    for archetype in ("archetypes/posts.md", "archetypes/post.md", "archetypes/default.md"):
        if archetype in contents:
            defaults.front_matter = split_post(contents[archetype]).format or "toml"
            defaults.sources["front_matter"] = archetype
            break
    return stated, defaults


def _zola(tree: Set[str], contents: Mapping[str, str]) -> tuple[Facts, Facts]:
    conf = _load("config.toml", contents.get("config.toml"))
    taxonomies = [t.get("name") for t in conf.get("taxonomies") or () if isinstance(t, dict)]
    fields = _fields("title", "date:date:date", "description")
    fields += [
        Field(f"taxonomies.{name}", name, "list", source="config.toml")
        for name in taxonomies
        if name in {"tags", "categories"}
    ]
    defaults = default_facts(
        "zola",
        posts_dir="content/blog",
        filename="{slug}.md",
        front_matter="toml",
        date_style=_DATE_ONLY,
        fields=fields,
    )
    return Facts(source="config", roots=("content",)), defaults


def _jekyll(tree: Set[str], contents: Mapping[str, str]) -> tuple[Facts, Facts]:
    conf = _config(tree, contents, "jekyll")
    root = str(conf.get("collections_dir") or "").strip("/")
    stated = Facts(source="config", roots=(root,), timezone=_str(conf.get("timezone")))
    separator = conf.get("excerpt_separator")
    if isinstance(separator, str) and separator.strip().startswith("<!--"):
        stated.excerpt = separator.strip()
    fields = _fields("layout", "title", "date:date:date", "description", "tags:tags:list")
    if _jekyll_default_layout(conf.get("defaults")):
        fields = fields[1:]  # the site's front matter defaults give posts their layout
    else:
        fields[0] = Field("layout", "layout", default="post", source="Jekyll defaults")
    posts = f"{root}/_posts" if root else "_posts"
    jekyll_date = DateStyle(sep=" ", colon=False, offset_space=True, quoted=False)
    defaults = default_facts(
        "jekyll",
        posts_dir=posts,
        filename="{date}-{slug}.md",
        date_style=jekyll_date,
        fields=fields,
        images_dir="assets/images",
    )
    return stated, defaults


def _jekyll_default_layout(defaults: object) -> bool:
    for item in defaults if isinstance(defaults, list) else ():
        scope, values = (
            (item.get("scope"), item.get("values")) if isinstance(item, dict) else ({}, {})
        )
        if (
            isinstance(values, dict)
            and "layout" in values
            and isinstance(scope, dict)
            and scope.get("type") in {"posts", None}
            and scope.get("path", "") in {"", "_posts"}
        ):
            return True
    return False


def _hexo(tree: Set[str], contents: Mapping[str, str]) -> tuple[Facts, Facts]:
    conf = _config(tree, contents, "hexo")
    source = str(conf.get("source_dir") or "source").strip("/")
    stated = Facts(source="config", posts_dir=f"{source}/_posts", roots=(f"{source}/_posts",))
    stated.timezone = _str(conf.get("timezone"))
    name = conf.get("new_post_name")
    if isinstance(name, str):
        stated.filename = _hexo_name(name)
        if stated.filename is None:
            stated.notes.append(f"new_post_name {name!r} has placeholders the bot cannot fill")
    if conf.get("post_asset_folder") is True:
        stated.images_beside_post = True
    hexo_date = DateStyle(sep=" ", offset_space=True, quoted=False)
    defaults = default_facts(
        "hexo",
        posts_dir=f"{source}/_posts",
        filename="{slug}.md",
        date_style=hexo_date,
        images_dir=f"{source}/images",
    )
    return stated, defaults


def _hexo_name(template: str) -> str | None:
    converted = template.replace(":year-:month-:day", "{date}")
    for hexo, ours in (
        (":title", "{slug}"),
        (":year", "{year}"),
        (":month", "{month}"),
        (":day", "{day}"),
    ):
        converted = converted.replace(hexo, ours)
    return None if ":" in converted else converted


def _astro(tree: Set[str], contents: Mapping[str, str]) -> tuple[Facts, Facts]:
    stated = Facts(source="config", roots=("src/content", "src/data", "src"))
    for path in config_files("astro", tree):
        found = read_content_config(contents.get(path, ""))
        if found:
            name, folder, keys = found
            stated.source = f"{path} (collection '{name}')"
            stated.posts_dir = folder
            stated.fields = schema_fields(keys, path)
            break
    fields = _fields("title", "description", "pubDate:date:date")
    defaults = default_facts(
        "astro",
        posts_dir="src/content/blog",
        filename="{slug}.md",
        date_style=_DATE_ONLY,
        fields=fields,
        images_dir="src/assets",
    )
    return stated, defaults


def _eleventy(tree: Set[str], contents: Mapping[str, str]) -> tuple[Facts, Facts]:
    stated = Facts(source="config")
    for path in config_files("eleventy", tree):
        match = re.search(r"input\s*:\s*['\"`]([^'\"`]+)['\"`]", contents.get(path, ""))
        if match:
            stated.roots = (match[1].removeprefix("./").strip("/"),)
    defaults = default_facts(
        "eleventy",
        posts_dir="content/blog",
        filename="{slug}.md",
        date_style=_DATE_ONLY,
        collection_tags=("posts",),
    )
    return stated, defaults


def _docusaurus(tree: Set[str], contents: Mapping[str, str]) -> tuple[Facts, Facts]:
    text = next((contents[p] for p in config_files("docusaurus", tree) if p in contents), "")
    blog = re.search(r"blog\s*:\s*\{[^{}]*?\bpath\s*:\s*['\"]([^'\"]+)['\"]", text)
    folder = blog[1].removeprefix("./").strip("/") if blog else "blog"
    stated = Facts(source="config", roots=(folder,))
    if blog:
        stated.posts_dir = folder
    if re.search(r"onUntruncatedBlogPosts\s*:\s*['\"]throw['\"]", text):
        stated.excerpt = "<!-- truncate -->"
    markdown = re.search(r"markdown\s*:\s*\{[^{}]*?format\s*:\s*['\"](\w+)['\"]", text)
    stated.mdx = "none" if markdown and markdown[1] in {"md", "detect"} else None
    tags = load_yaml(contents.get(f"{folder}/tags.yml", ""))
    if isinstance(tags, dict) and tags:
        stated.tags = tuple(str(key) for key in tags)
        stated.sources["tags"] = f"{folder}/tags.yml"
        if re.search(r"onInlineTags\s*:\s*['\"]throw['\"]", text):
            stated.tags_allowed = stated.tags  # a tag outside tags.yml fails the build
    fields = _fields("title", "description", "authors:authors:list", "tags:tags:list")
    defaults = default_facts(
        "docusaurus",
        posts_dir=folder,
        filename="{date}-{slug}.md",
        fields=fields,
        excerpt="<!-- truncate -->",
        mdx="format-md",
    )
    return stated, defaults


def _mkdocs(tree: Set[str], contents: Mapping[str, str]) -> tuple[Facts, Facts]:
    conf = _config(tree, contents, "mkdocs")
    docs = str(conf.get("docs_dir") or "docs").strip("/")
    plugin = _mkdocs_blog(conf.get("plugins"))
    blog = str(plugin.get("blog_dir") or "blog").strip("/")
    posts = str(plugin.get("post_dir") or "{blog}/posts").replace("{blog}", blog).strip("/")
    stated = Facts(source="config", posts_dir=f"{docs}/{posts}", roots=(f"{docs}/{posts}",))
    if not plugin:
        stated.notes.append("mkdocs.yml has no blog plugin: posts are not listed anywhere")
    allowed = plugin.get("categories_allowed")
    if isinstance(allowed, list):
        stated.categories_allowed = tuple(str(item) for item in allowed)
    if plugin.get("post_excerpt") == "required":
        stated.excerpt = "<!-- more -->"
    fields = _fields(
        "date:date:date", "description", "authors:authors:list", "categories:categories:list"
    )
    defaults = default_facts(
        "mkdocs",
        posts_dir=f"{docs}/{posts}",
        filename="{slug}.md",
        title_in="heading",
        date_style=_DATE_ONLY,
        fields=fields,
    )
    return stated, defaults


def _mkdocs_blog(plugins: object) -> dict[str, Any]:
    for item in plugins if isinstance(plugins, list) else [plugins]:
        if isinstance(item, str) and item in {"blog", "material/blog"}:
            return {"enabled": True}
        if isinstance(item, dict):
            for name in ("blog", "material/blog"):
                if name in item:
                    return item[name] if isinstance(item[name], dict) else {"enabled": True}
    return {}


def _pelican(tree: Set[str], contents: Mapping[str, str]) -> tuple[Facts, Facts]:
    text = contents.get("pelicanconf.py", "")
    path = re.search(r"^PATH\s*=\s*['\"]([^'\"]*)['\"]", text, re.M)
    root = (path[1] if path else "content").removeprefix("./").strip("/") or "content"
    articles = re.search(r"^ARTICLE_PATHS\s*=\s*\[\s*['\"]([^'\"]+)['\"]", text, re.M)
    stated = Facts(source="config", roots=(root,))
    if articles:
        stated.posts_dir = f"{root}/{articles[1].strip('/')}"
    zone = re.search(r"^TIMEZONE\s*=\s*['\"]([^'\"]+)['\"]", text, re.M)
    stated.timezone = zone[1] if zone else None
    fields = _fields(
        "Title:title", "Date:date:date", "Tags:tags:csv", "Slug:slug", "Summary:description"
    )
    defaults = default_facts(
        "pelican",
        posts_dir=root,
        filename="{slug}.md",
        front_matter="pelican",
        fields=fields,
        images_dir=f"{root}/images",
    )
    return stated, defaults


def _str(value: object) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


_READERS: dict[str, Reader] = {
    "hugo": _hugo,
    "zola": _zola,
    "jekyll": _jekyll,
    "hexo": _hexo,
    "astro": _astro,
    "eleventy": _eleventy,
    "docusaurus": _docusaurus,
    "mkdocs": _mkdocs,
    "pelican": _pelican,
}
