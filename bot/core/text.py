"""Small text helpers shared by the layers."""

from __future__ import annotations

__all__ = ["ELLIPSIS", "shorten"]

ELLIPSIS = "…"


def shorten(
    text: str,
    limit: int,
    *,
    ellipsis: str = ELLIPSIS,
    words: bool = False,
    trim: str = "",
    one_line: bool = False,
) -> str:
    """`text` if it has at most `limit` characters, else a cut of it that ends in `ellipsis`,
    `limit` characters at most in all.

    words: cut at the last space when the cut falls inside a word and that space is in the
        second half of the room, so "a long sentence" becomes "a long…", not "a long sent…";
        text without spaces near the cut (CJK, URLs) is cut where it falls.
    trim: characters to strip from the end of the cut before the ellipsis goes on.
    one_line: first collapse every run of whitespace, line breaks included, into one space and
        strip both ends; the result is one line even when it fits.
    """
    if limit < len(ellipsis):
        raise ValueError(f"limit {limit} leaves no room for the ellipsis {ellipsis!r}")
    if one_line:
        text = " ".join(text.split())
    if len(text) <= limit:
        return text
    room = limit - len(ellipsis)
    cut = text[:room]
    if words and not text[room].isspace():
        space = cut.rfind(" ")
        if space > room // 2:
            cut = cut[:space]
    if trim:
        cut = cut.rstrip(trim)
    return cut + ellipsis
