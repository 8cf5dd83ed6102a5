"""A page that links every post by hand: the README.md of a blog with no generator.

With no generator nothing lists a new post, so the README is the listing: learn the shape of
its entry lines (`- [On reading old code](writing/on-reading-old-code.md) — 2025-02-27`) and
add one for each new post, where the others are.
"""

from __future__ import annotations

import datetime as dt
import posixpath
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import unquote

from bot.core.blog.profile import BlogProfile
from bot.core.blog.render import post_moment
from bot.core.posts import PostFile, single_line

__all__ = ["LISTING_FILES", "Listing", "add_to_listing", "learn_listing"]

LISTING_FILES = ("README.md", "index.md", "README.markdown")
_LINK = re.compile(r"\[(?P<text>(?:\\.|[^\]\\])*)\]\((?P<href>[^)\s]+)\)")
_DATE = re.compile(r"(?<!\d)\d{4}-\d{2}-\d{2}(?!\d)")


@dataclass(frozen=True)
class Listing:
    path: str
    line: str  # with {title} {link} {date}
    newest_first: bool


def learn_listing(contents: Mapping[str, str], posts: Sequence[str]) -> Listing | None:
    """The listing page among the read files whose lines link the posts, if any."""
    targets = set(posts)
    for path in LISTING_FILES:
        text = contents.get(path)
        if text is None:
            continue
        entries = [
            (line, match)
            for line in text.splitlines()
            if (match := _LINK.search(line)) and _target(path, match["href"]) in targets
        ]
        if entries:
            line, match = entries[0]
            template = line.replace("{", "{{").replace("}", "}}")
            start, end = match.span()
            template = template[:start] + "[{title}]({link})" + template[end:].replace("{{", "{")
            template = _DATE.sub("{date}", template, count=1)
            dates = [d[0] for line, _ in entries if (d := _DATE.search(line))]
            return Listing(path, template, len(dates) > 1 and dates[0] > dates[-1])
    return None


def _target(listing: str, href: str) -> str:
    folder = posixpath.dirname(listing)
    return posixpath.normpath(posixpath.join(folder, unquote(href.split("#")[0])))


def add_to_listing(
    profile: BlogProfile, post: PostFile, title: str, text: str, *, now: dt.datetime
) -> str:
    """`text` (the listing page) with an entry for `post` written `now`, beside the other
    entries; unchanged when the profile has no listing."""
    if not profile.listing or not profile.listing_line:
        return text
    date = post_moment(profile, now).strftime("%Y-%m-%d")
    link = posixpath.relpath(post.path, posixpath.dirname(profile.listing) or ".")
    label = re.sub(r"([\\\[\]])", r"\\\1", single_line(title))
    entry = profile.listing_line.format(title=label, link=link, date=date)
    lines = text.split("\n")
    at = [
        i
        for i, line in enumerate(lines)
        if (m := _LINK.search(line))
        and _target(profile.listing, m["href"]).startswith(profile.posts_dir + "/")
    ]
    if not at:
        return text.rstrip("\n") + f"\n{entry}\n"
    index = at[0] if profile.listing_newest_first else at[-1] + 1
    return "\n".join([*lines[:index], entry, *lines[index:]])
