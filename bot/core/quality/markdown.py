"""What a draft's Markdown says in words: its prose, and all its text outside code.

The gate reads a draft as a reader would, through a CommonMark parser (markdown-it-py), so a
code sample, a list or a heading is told from a paragraph the same way a blog renders it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from markdown_it import MarkdownIt
from markdown_it.token import Token

from bot.core.drafts.patterns import CJK

# A word, or one CJK character (Japanese and Chinese are written without spaces).
TOKEN = re.compile(rf"[{CJK}]|[^\W_{CJK}]+(?:['’][^\W_{CJK}]+)*")
URL = re.compile(r"https?://\S+|www\.\S+")


@dataclass(frozen=True)
class TextViews:
    """`prose`: the body's paragraphs (quotes included) outside lists, tables and headings,
    without code, images or link-only lines. `segments`: every piece of the body's text outside
    code, in order (headings, list items, table cells, paragraphs, raw HTML). `heading`: the
    title and description (often derived from the body, so not counted as repeating it)."""

    prose: tuple[str, ...]
    segments: tuple[str, ...]
    heading: str = ""
    headings: tuple[str, ...] = ()  # the body's section headings

    @property
    def text(self) -> str:
        """The body's text outside code."""
        return "\n".join(self.segments)

    @property
    def everything(self) -> str:
        """The title, description and body text outside code."""
        return f"{self.heading}\n{self.text}"


@cache
def _parser() -> MarkdownIt:
    return MarkdownIt("commonmark").enable("table").enable("strikethrough")


def tokens(text: str) -> list[str]:
    """The words of `text`, lower-cased, URLs left out; each CJK character is one."""
    return TOKEN.findall(URL.sub(" ", text).lower())


def read(body: str, *, heading: str = "") -> TextViews:
    """The views of a Markdown `body`; `heading` (title, description) is text of the post too."""
    prose: list[str] = []
    segments: list[str] = []
    headings: list[str] = []
    stack: list[str] = []  # the open containers around the current token
    for token in _parser().parse(body):
        if token.nesting == 1:
            stack.append(token.type.removesuffix("_open"))
        elif token.nesting == -1:
            if stack:
                stack.pop()
        elif token.type == "inline":
            words = _inline_text(token.children or [])
            if words.strip():
                segments.append(words)
            if stack and stack[-1] == "heading":
                headings.append(words.strip())
            if _is_prose(stack, token.children or []):
                prose.append(words)
        elif token.type == "html_block":
            segments.append(token.content)
    return TextViews(tuple(prose), tuple(segments), heading, tuple(headings))


def _inline_text(children: list[Token]) -> str:
    parts: list[str] = []
    for child in children:
        if child.type in ("text", "html_inline"):
            parts.append(child.content)
        elif child.type == "softbreak":  # a wrapped line: the sentence goes on
            parts.append(" ")
        elif child.type == "hardbreak":
            parts.append("\n")
        elif child.type == "code_inline":
            parts.append(" ")
    return "".join(parts)


def _is_prose(stack: list[str], children: list[Token]) -> bool:
    if not stack or stack[-1] != "paragraph":
        return False
    if any(kind in ("bullet_list", "ordered_list", "table", "heading") for kind in stack):
        return False
    # A line that is only links, images or code is not prose: some words must stand outside.
    in_link = 0
    for child in children:
        if child.type == "link_open":
            in_link += 1
        elif child.type == "link_close":
            in_link = max(in_link - 1, 0)
        elif child.type == "text" and not in_link and TOKEN.search(child.content):
            return True
    return False
