"""The pull request's description: what a reviewer needs, rewritten on every revision.

It shows the post as it is now (title, description, tags, word count, file), the writer's notes
(collapsed; PR_INCLUDE_NOTES=false leaves them out), each revision's request with its commit,
and the model and prompt version that wrote it.

Everything in it came from a writer or a model, so every piece is made inert: one-line texts
have each character that could start Markdown or HTML backslash-escaped (CommonMark's escape,
so `<b>`, `[x](y)` or `*stars*` show as typed), and the notes go into a fenced block whose
fence is longer than any run of backticks inside them. GitHub refuses a body over 65,536
characters: the notes are shortened first, then the oldest revisions are left out, to stay
within MAX_BODY_CHARS.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot.core.conversation import Change
from bot.core.text import shorten

# GitHub's limit is 65,536; a margin for what GitHub itself counts differently (line breaks).
MAX_BODY_CHARS = 65_000
# One revision request in the list: enough to say what was asked.
MAX_REQUEST_CHARS = 300
# What could start Markdown or HTML inside a line (or mention someone): backslash-escaped.
_SIGNIFICANT = re.compile(r"([\\`*_{}\[\]<>#!|~&@])")
_BACKTICKS = re.compile(r"`+")


@dataclass(frozen=True)
class PullFacts:
    """What the description says: the post now, where it came from, and how it changed."""

    title: str
    description: str
    tags: Sequence[str]
    words: int
    path: str
    notes: str
    changes: Sequence[Change]
    model: str
    prompt_version: str
    follows: int | None = None  # the merged pull request this one edits further


def inline(text: str, limit: int | None = None) -> str:
    """`text` on one line (shortened to `limit`), what Markdown or HTML would read
    backslash-escaped: shown exactly as written."""
    line = shorten(text, limit, words=True, one_line=True) if limit else " ".join(text.split())
    return _SIGNIFICANT.sub(r"\\\1", line)


def fenced(text: str, info: str = "text") -> str:
    """`text` as a fenced code block that nothing inside it can close."""
    longest = max((len(run) for run in _BACKTICKS.findall(text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{info}\n{text.rstrip()}\n{fence}"


def commit_link(url: str) -> str:
    """A commit's link, named by its short sha."""
    sha = url.rstrip("/").rsplit("/", 1)[-1]
    name = sha[:7] if re.fullmatch(r"[0-9a-f]{7,40}", sha) else "commit"
    return f"[`{name}`]({url})" if url else "(commit link unknown)"


def pull_request_body(facts: PullFacts, *, include_notes: bool = True) -> str:
    """The description, at most MAX_BODY_CHARS long."""
    head = _head(facts)
    tail = _tail(facts)
    changes = list(facts.changes)
    notes = facts.notes.strip() if include_notes else ""
    while True:
        body = _join(head, _changes(changes, len(facts.changes)), "", tail)
        room = MAX_BODY_CHARS - len(body)
        if notes:
            section = _notes(notes, room)
            if section is not None:
                return _join(head, _changes(changes, len(facts.changes)), section, tail)
        elif room >= 0:
            return body
        if not changes:
            # Only head and tail left: they are short by construction (one-line, shortened).
            return body[:MAX_BODY_CHARS]
        changes = changes[1:]  # the oldest revision goes first


def _head(facts: PullFacts) -> list[str]:
    lines = []
    if facts.follows is not None:
        lines += [f"Edits the post merged in #{facts.follows}.", ""]
    lines += [f"**{inline(facts.title, 300)}**", ""]
    if facts.description.strip():
        lines += [inline(facts.description, 1000), ""]
    lines += [f"- File: `{facts.path}`", f"- Words: {facts.words}"]
    if facts.tags:
        lines.append("- Tags: " + ", ".join(inline(t, 100) for t in facts.tags))
    return lines


def _changes(kept: Sequence[Change], total: int) -> list[str]:
    if not total:
        return []
    lines = ["", "### Revisions", ""]
    first = total - len(kept) + 1
    if first > 1:
        lines.append(f"_({first - 1} earlier revisions not shown.)_")
    for number, change in enumerate(kept, start=first):
        request = inline(change.request, MAX_REQUEST_CHARS)
        lines.append(f"{number}. {request} ({commit_link(change.commit_url)})")
    return lines


def _notes(notes: str, room: int) -> str | None:
    """The collapsed notes section within `room` characters (shortened if need be); None when
    not even a shortened section fits."""
    opening = "<details>\n<summary>The writer's notes</summary>\n\n"
    closing = "\n\n</details>"
    section = opening + fenced(notes) + closing
    if len(section) + 2 <= room:
        return section
    # Fence and framing take the same room whatever the cut: shorten the text by the excess.
    fixed = len(section) - len(notes)
    cut_to = room - 2 - fixed - len("\n(shortened)")
    if cut_to < 200:
        return None
    shortened = shorten(notes, cut_to, words=True) + "\n(shortened)"
    section = opening + fenced(shortened) + closing
    return section if len(section) + 2 <= room else None


def _tail(facts: PullFacts) -> list[str]:
    return [
        "",
        f"Drafted with `{facts.model}` (prompts `{facts.prompt_version}`) by blogbot from a "
        "writer's notes. Please review the facts and wording before merging.",
    ]


def _join(head: list[str], changes: list[str], notes: str, tail: list[str]) -> str:
    parts = [*head, *changes]
    if notes:
        parts += ["", notes]
    return "\n".join([*parts, *tail])
