"""The blog's list of authors: `blog/authors.yml` (Docusaurus), `.authors.yml` (MkDocs
Material), `_data/authors.yml` (Jekyll), `data/authors.*` (Hugo themes), an Astro `authors`
collection. A post may only name an author from it: an unknown one fails Docusaurus and MkDocs.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Mapping, Set
from pathlib import PurePosixPath
from typing import Any

from bot.core.blog.facts import Facts
from bot.core.blog.matter import load_yaml
from bot.core.blog.profile import Author

__all__ = ["author_files", "read_authors"]

_DATA = tuple(
    f"{folder}/authors.{ext}"
    for folder in ("_data", "data")
    for ext in ("yml", "yaml", "json", "toml")
)


def author_files(generator: str, tree: Set[str], posts_dir: str) -> list[str]:
    """Authors files present in the tree, the generator's own first."""
    own: list[str] = []
    if generator == "docusaurus":
        own = [f"{posts_dir}/authors.{ext}" for ext in ("yml", "yaml", "json")]
    elif generator == "mkdocs":
        blog = str(PurePosixPath(posts_dir).parent)
        own = [f"{blog}/.authors.yml", f"{blog}/.authors.yaml"]
        own += sorted(p for p in tree if p.endswith("/.authors.yml"))
    return [path for path in dict.fromkeys([*own, *_DATA]) if path in tree][:1]


def read_authors(
    generator: str, tree: Set[str], contents: Mapping[str, str], posts_dir: str
) -> Facts | None:
    for path in author_files(generator, tree, posts_dir):
        if path not in contents:
            continue
        table = _load(path, contents[path])
        if generator == "mkdocs" and isinstance(table.get("authors"), dict):
            table = table["authors"]
        authors = tuple(_author(str(key), value) for key, value in table.items())
        if authors:
            return Facts(source=path, authors=authors)
    if generator == "astro":
        ids = sorted(PurePosixPath(p).stem for p in tree if p.startswith("src/content/authors/"))
        if ids:
            return Facts(source="src/content/authors/", authors=tuple(Author(id=i) for i in ids))
    return None


def _author(key: str, value: object) -> Author:
    name = value.get("name") if isinstance(value, dict) else None
    return Author(id=key, name=name if isinstance(name, str) else "")


def _load(path: str, text: str) -> dict[str, Any]:
    try:
        if path.endswith(".json"):
            data: Any = json.loads(text)
        elif path.endswith(".toml"):
            data = tomllib.loads(text)
        else:
            data = load_yaml(text)
    except (json.JSONDecodeError, tomllib.TOMLDecodeError):
        return {}
    return data if isinstance(data, dict) else {}
