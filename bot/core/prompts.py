"""Prompt templates, kept as files in `prompts/` so they can be edited without touching code."""

from __future__ import annotations

import hashlib
from functools import cache
from importlib.resources import files
from string import Template


@cache
def _template(name: str) -> Template:
    # Read through the installed package, so a non-editable install (Heroku) finds them too.
    return Template(files("prompts").joinpath(f"{name}.md").read_text(encoding="utf-8"))


def render(name: str, **values: str) -> str:
    """The prompt `prompts/{name}.md` with `$placeholders` filled in.

    `substitute` (not `safe_substitute`): a placeholder the code forgot to fill is a bug to
    surface, while `$` inside the writer's own text is never interpreted, only inserted.
    """
    return _template(name).substitute(values).strip()


@cache
def version() -> str:
    """A short hash of every prompt file's name and text: which prompts wrote a post (named in
    its pull request), changing whenever any of them is edited."""
    digest = hashlib.sha256()
    for entry in sorted(files("prompts").iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".md"):
            digest.update(entry.name.encode() + b"\0" + entry.read_bytes() + b"\0")
    return digest.hexdigest()[:10]


def all_templates() -> str:
    """Every prompt template's text, as written (placeholders unfilled): what a draft must not
    repeat back."""
    folder = files("prompts")
    names = sorted(item.name for item in folder.iterdir() if item.name.endswith(".md"))
    return "\n\n".join(folder.joinpath(name).read_text(encoding="utf-8") for name in names)
