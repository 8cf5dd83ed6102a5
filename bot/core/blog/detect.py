"""Which static site generator builds the blog, and which of its files say how.

Recognition follows GENERATORS.md: marker files first, then the npm dependencies that tell
look-alikes apart (`_config.yml` is both Jekyll's and Hexo's; `config.toml` both Hugo's and
Zola's).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Set

__all__ = ["CMS_CONFIGS", "config_files", "detect_generator", "npm_dependencies"]

CMS_CONFIGS = tuple(
    f"{root}admin/config.{ext}"
    for root in ("static/", "public/", "", "source/")
    for ext in ("yml", "yaml")
)
_HUGO_NAMES = tuple(f"hugo.{ext}" for ext in ("toml", "yaml", "yml", "json"))
_HUGO_OLD = tuple(f"config.{ext}" for ext in ("toml", "yaml", "yml", "json"))
_HUGO_DIR = tuple(f"config/_default/{n}" for n in (*_HUGO_NAMES, *_HUGO_OLD)) + tuple(
    f"config/_default/params.{ext}" for ext in ("toml", "yaml", "yml", "json")
)
_JS = ("js", "mjs", "cjs", "ts", "mts", "cts")
_ASTRO = tuple(f"astro.config.{ext}" for ext in _JS)
_ASTRO_SCHEMA = tuple(f"src/content.config.{ext}" for ext in _JS) + tuple(
    f"src/content/config.{ext}" for ext in _JS
)
_DOCUSAURUS = tuple(f"docusaurus.config.{ext}" for ext in _JS)
_ELEVENTY = (".eleventy.js", *(f"eleventy.config.{ext}" for ext in _JS))
_NPM_MARKERS = (
    ("astro", "astro"),
    ("@docusaurus/core", "docusaurus"),
    ("@11ty/eleventy", "eleventy"),
    ("hexo", "hexo"),
)

_CONFIGS: dict[str, tuple[str, ...]] = {
    "hugo": (*_HUGO_NAMES, *_HUGO_OLD, *_HUGO_DIR),
    "zola": ("config.toml",),
    "jekyll": ("_config.yml", "_config.yaml"),
    "hexo": ("_config.yml", "_config.yaml", "package.json"),
    "astro": _ASTRO_SCHEMA,
    "eleventy": _ELEVENTY,
    "docusaurus": _DOCUSAURUS,
    "mkdocs": ("mkdocs.yml", "mkdocs.yaml"),
    "pelican": ("pelicanconf.py",),
}


def config_files(generator: str, tree: Set[str]) -> list[str]:
    """The generator's own files worth reading, most telling first (at most three)."""
    found = [path for path in _CONFIGS.get(generator, ()) if path in tree]
    if generator == "hugo":
        # The main config, then a params file (mainSections lives there in split configs).
        main = [p for p in found if "params." not in p][:1]
        return main + [p for p in found if "params." in p][:1]
    return found[:3]


def npm_dependencies(package_json: str | None) -> set[str]:
    try:
        data = json.loads(package_json or "")
    except json.JSONDecodeError:
        return set()
    if not isinstance(data, dict):
        return set()
    names: set[str] = set()
    for section in ("dependencies", "devDependencies"):
        value = data.get(section)
        if isinstance(value, dict):
            names.update(str(name) for name in value)
    return names


def detect_generator(tree: Set[str], contents: Mapping[str, str]) -> tuple[str, str]:
    """The generator's key (see profile.GENERATOR_NAMES) and the file that gave it away."""
    for names, generator in (
        (_HUGO_NAMES, "hugo"),
        (_ASTRO, "astro"),
        (_DOCUSAURUS, "docusaurus"),
        (("mkdocs.yml", "mkdocs.yaml"), "mkdocs"),
        (_ELEVENTY, "eleventy"),
    ):
        hit = next((name for name in names if name in tree), None)
        if hit:
            return generator, hit
    if any(path.startswith("config/_default/") for path in tree):
        return "hugo", "config/_default/"
    deps = npm_dependencies(contents.get("package.json"))
    for config in ("_config.yml", "_config.yaml"):
        if config in tree:
            return _jekyll_or_hexo(tree, deps, config)
    if "config.toml" in tree:
        return _hugo_or_zola(tree, contents.get("config.toml"))
    hit = next((name for name in _HUGO_OLD if name in tree), None)
    if hit:
        return "hugo", hit
    if "pelicanconf.py" in tree:
        return "pelican", "pelicanconf.py"
    for dependency, generator in _NPM_MARKERS:
        if dependency in deps:
            return generator, f"package.json ({dependency})"
    return "unknown", "no generator's files found"


def _jekyll_or_hexo(tree: Set[str], deps: set[str], config: str) -> tuple[str, str]:
    if "hexo" in deps:
        return "hexo", f"{config} + hexo in package.json"
    if "scaffolds/post.md" in tree or any(p.startswith("source/_posts/") for p in tree):
        return "hexo", f"{config} + source/_posts"
    return "jekyll", config + (" + Gemfile" if "Gemfile" in tree else "")


def _hugo_or_zola(tree: Set[str], config: str | None) -> tuple[str, str]:
    if config is not None:
        if "base_url" in config:
            return "zola", "config.toml (base_url)"
        if "baseurl" in config.lower():
            return "hugo", "config.toml (baseURL)"
    zola_like = any(p.startswith("templates/") for p in tree) and not any(
        p.startswith(("layouts/", "archetypes/", "themes/")) for p in tree
    )
    if zola_like:
        return "zola", "config.toml + templates/"
    return "hugo", "config.toml"
