"""Prompt templates, kept as files in `prompts/` so they can be edited without touching code."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from string import Template

PROMPTS_DIR = Path(__file__).resolve().parent.parent / "prompts"


@cache
def _template(name: str) -> Template:
    return Template((PROMPTS_DIR / f"{name}.md").read_text(encoding="utf-8"))


def render(name: str, **values: str) -> str:
    """The prompt `prompts/{name}.md` with `$placeholders` filled in.

    `substitute` (not `safe_substitute`): a placeholder the code forgot to fill is a bug to
    surface, while `$` inside the writer's own text is never interpreted, only inserted.
    """
    return _template(name).substitute(values).strip()
