"""Every sample blog of tests/blogs, as the repository of the real bot process: one message from
the writer becomes a pull request that adds one post written in that blog's conventions.

The expected post is the hand-written one of tests/build/test_sample_blogs_build.py SAMPLES
(the same file name pattern, front matter format, keys and value shapes), with this module's
title, body and today's date; on top of that the blog's fixed values, its authors and its
closed vocabularies. The model's prompt must quote the blog's own posts (its voice), and the
GitHub requests made to learn the blog before the model is asked are counted and printed
(run with -s to see them).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from bot.core.blog import MAX_FILES
from tests.botprocess import BotProcess
from tests.build.test_sample_blogs_build import SAMPLES
from tests.fakes.github import FakeGitHub
from tests.fakes.telegram import FakeTelegram
from tests.fakes.workers_ai import FakeWorkersAI
from tests.helpers_blogs import (
    FIRST,
    KINDS,
    SAMPLE_BLOGS,
    SECOND,
    SLUG,
    TAGS,
    TITLE,
    PublishedPost,
    publish_one_post,
    sample_blog_github,
)
from tests.unit.test_blog_samples import DIFFERENT_SHAPES, hand_written, shape, split

pytestmark = pytest.mark.skipif(not KINDS, reason="no sample blogs in tests/blogs")

HAND_SLUG = "builds-that-prove-a-post-fits"  # the hand-written post's slug, date 2025-06-14

# Values every post of the blog carries as they are (its own posts, or .blogbot.yml defaults).
FIXED: dict[str, dict[str, object]] = {
    "jekyll": {"layout": "post"},
    "hugo-toml": {"draft": False},
    "decap-hugo": {"draft": False},
    "override": {"type": "note", "draft": False, "author": "Lee Park"},
}
EXCERPT_MARKERS = ("<!-- more -->", "<!-- truncate -->")
# The file listing every post by hand, which a pull request changes (tests/blogs/README.md).
LISTINGS = {"plain": "README.md"}
# The line plain's posts have below the title: `*27 February 2025*`.
PLAIN_DATE_LINE = re.compile(r"^\*\d{1,2} [A-Z][a-z]+ \d{4}\*$", re.MULTILINE)


class KnownProductBug(AssertionError):
    """A check that fails because of a reported product bug (its case is xfail strict)."""


# Reported to the lead; strict: the day it is fixed the case XPASSes and fails, so the mark goes.
KNOWN_BUGS: dict[str, str] = {}  # kind -> a product bug that kind still shows


def _read_yaml(kind: str, path: str) -> Any:
    return yaml.safe_load((SAMPLE_BLOGS / kind / path).read_text(encoding="utf-8"))


def _decap_authors() -> list[str]:
    config = _read_yaml("decap-hugo", "static/admin/config.yml")
    [field] = [f for f in config["collections"][0]["fields"] if f["name"] == "author"]
    return list(field["options"])


def _mkdocs_blog() -> dict[str, Any]:
    plugins = _read_yaml("mkdocs-material", "mkdocs.yml")["plugins"]
    return next(p["blog"] for p in plugins if isinstance(p, dict) and "blog" in p)


# key -> the values the blog allows there (its authors files, CMS selects, categories_allowed).
def _closed_lists(kind: str) -> dict[str, list[str]]:
    if kind == "docusaurus":
        return {
            "authors": list(_read_yaml(kind, "blog/authors.yml")),
            "tags": list(_read_yaml(kind, "blog/tags.yml")),
        }
    if kind == "mkdocs-material":
        return {
            "authors": list(_read_yaml(kind, "docs/blog/.authors.yml")["authors"]),
            "categories": list(_mkdocs_blog()["categories_allowed"]),
        }
    if kind == "decap-hugo":
        return {"author": _decap_authors()}
    return {}


@pytest.fixture(
    params=[
        pytest.param(
            k,
            marks=pytest.mark.xfail(strict=True, raises=KnownProductBug, reason=KNOWN_BUGS[k]),
        )
        if k in KNOWN_BUGS
        else k
        for k in KINDS
    ]
)
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def github(kind: str) -> Iterator[FakeGitHub]:
    """The fake GitHub's main branch holds the sample blog `kind` (overrides conftest's)."""
    with sample_blog_github(kind) as fake:
        yield fake


def path_pattern(kind: str) -> tuple[str, re.Pattern[str]]:
    """The hand-written post's path as a template, and as a pattern for this module's post."""
    hand_path, _ = hand_written(kind)
    template = (
        hand_path.replace(HAND_SLUG, "{slug}")
        .replace("2025-06-14", "{date}")
        .replace("2025/06", "{year}/{month}")
    )
    groups = {
        "{slug}": re.escape(SLUG),
        "{date}": r"(?P<date>\d{4}-\d{2}-\d{2})",
        "{year}": r"(?P<year>\d{4})",
        "{month}": r"(?P<month>\d{2})",
    }
    pieces = re.split(r"(\{slug\}|\{date\}|\{year\}|\{month\})", template)
    regex = "".join(groups.get(piece, re.escape(piece)) for piece in pieces)
    return template, re.compile(regex + r"\Z")


def _shapes(value: object) -> object:
    if isinstance(value, dict):
        return {k: _shapes(v) for k, v in value.items()}
    return shape(value)


def _dates(value: object) -> Iterator[dt.date]:
    if isinstance(value, dict):
        for inner in value.values():
            yield from _dates(inner)
    elif isinstance(value, dt.date):
        yield value


def _is_today(day: dt.date) -> bool:
    """The bot's local day: at most a day from this machine's (time zones)."""
    return abs((day - dt.date.today()).days) <= 1


def convention_problems(kind: str, post: PublishedPost) -> list[str]:
    """What the pull request's post does differently from the blog's own posts."""
    problems: list[str] = []
    if len(post.added) != 1:
        return [f"the pull request adds {len(post.added)} files: {sorted(post.added)}"]
    template, pattern = path_pattern(kind)
    found = pattern.match(post.path)
    if not found:
        problems.append(f"path {post.path!r} does not follow {template!r} (slug {SLUG!r})")
    else:
        parts = found.groupdict()
        if parts.get("date") and not _is_today(dt.date.fromisoformat(parts["date"])):
            problems.append(f"the date in the file name is not today: {parts['date']}")
        if parts.get("year") and parts.get("month"):
            day = dt.date(int(parts["year"]), int(parts["month"]), 1)
            if abs((day - dt.date.today().replace(day=1)).days) > 31:
                problems.append(f"the year/month in the path are not this month's: {post.path}")

    _, expected = hand_written(kind)
    fmt, meta, body = split(post.text)
    want_fmt, want, want_body = split(expected)
    if fmt != want_fmt:
        problems.append(f"front matter is {fmt}, the blog's posts use {want_fmt}")
    if set(meta) != set(want):
        problems.append(f"keys {sorted(meta)}, the blog's posts have {sorted(want)}")
    for key, value in want.items():
        if key in meta and (kind, key) not in DIFFERENT_SHAPES:
            got, wanted = _shapes(meta[key]), _shapes(value)
            if got != wanted:
                problems.append(f"{key}: {meta[key]!r} is {got}, the blog writes {wanted}")
    for key, value in FIXED.get(kind, {}).items():
        if meta.get(key) != value:
            problems.append(f"{key}: {meta.get(key)!r}, the blog's posts all have {value!r}")
    for key, allowed in _closed_lists(kind).items():
        value = meta.get(key)
        values = value if isinstance(value, list) else [value]
        if not values or any(v not in allowed for v in values):
            problems.append(f"{key}: {value!r} is not within the blog's {allowed}")
    if kind == "mkdocs-material" and meta.get("categories"):
        wanted_tags = {t.lower() for t in TAGS}
        if not any(str(c).lower() in wanted_tags for c in meta["categories"]):
            problems.append(f"categories {meta['categories']!r} do not come from the post's tags")
    for day in _dates(meta):
        if not _is_today(day if not isinstance(day, dt.datetime) else day.date()):
            problems.append(f"a date that is not today: {day!r}")

    # The title: a front matter key, or the first `# ` heading, as the blog's posts have it.
    heading = f"# {TITLE}"
    first_line = body.strip().splitlines()[0] if body.strip() else ""
    if "title" in want:
        if meta.get("title") != TITLE:
            problems.append(f"title: {meta.get('title')!r}, want {TITLE!r}")
        if heading in body:
            problems.append("the title is repeated as a heading in the body")
    elif first_line != heading:
        problems.append(f"the body does not open with {heading!r} but {first_line!r}")
    if FIRST not in body or SECOND not in body:
        problems.append("the model's body text is not in the post")
    for marker in EXCERPT_MARKERS:
        if (marker in body) != (marker in want_body):
            state = "missing" if marker in want_body else "not used by the blog"
            problems.append(f"{marker}: {state}")
        elif marker in body and not body.index(FIRST) < body.index(marker) < body.index(SECOND):
            problems.append(f"{marker} is not after the first paragraph")
    return problems


def plain_problems(post: PublishedPost) -> list[str]:
    """What plain's pull request and first answer lack: the date line of its posts, the
    README.md entry, and the note on the layout taken."""
    problems = []
    _, _, body = split(post.text)
    if not PLAIN_DATE_LINE.search(body):
        problems.append(f"no date line below the title like the blog's posts have:\n{post.text}")
    readme = post.changed.get("README.md", "")
    if f"[{TITLE}]({post.path})" not in readme:
        problems.append("README.md's list of posts does not link the new post")
    text = post.reply.text
    if ".blogbot.yml" not in text or "writing/" not in text:
        problems.append(f"the first answer names neither the layout nor .blogbot.yml:\n{text}")
    return problems


def test_a_post_for_each_kind_of_blog_follows_its_conventions(
    kind: str,
    bot: BotProcess,
    telegram: FakeTelegram,
    workers_ai: FakeWorkersAI,
    github: FakeGitHub,
) -> None:
    post = publish_one_post(telegram, workers_ai, github)
    print(f"\n[{kind}] detection: {post.detection_summary()}")

    problems = convention_problems(kind, post)
    for path in set(post.changed) - {LISTINGS.get(kind)}:
        problems.append(f"the pull request changes an existing file: {path}")
    if problems:
        files = "\n".join(f"--- {p}\n{t}" for p, t in {**post.added, **post.changed}.items())
        pytest.fail(f"{kind}: " + "\n  ".join(["", *problems]) + f"\n{files}")
    assert post.path in post.reply.text

    # The model wrote in the blog's voice: the prompt quotes its newest posts.
    prompt = " ".join(post.prompt.split())
    assert "<recent-posts>" in post.prompt, post.prompt
    quoted = [sentence for _, sentence in SAMPLES[kind].existing if sentence in prompt]
    assert quoted, f"no excerpt of the blog's posts in the prompt:\n{post.prompt}"

    # Learning the blog: one recursive tree read and a few file reads, before the model call.
    trees = [r for r in post.detection if "/git/trees/" in r.path]
    contents = [r for r in post.detection if "/contents/" in r.path]
    assert len(trees) == 1 and "recursive" in trees[0].query, post.detection_summary()
    assert 1 <= len(contents) <= MAX_FILES, post.detection_summary()

    if kind == "plain":
        # Nothing but Markdown: the post has the date line the blog's posts have, and the first
        # answer says which layout was taken and how to pin another.
        known = plain_problems(post)
        if known:
            raise KnownProductBug("plain:\n  " + "\n  ".join(known))
