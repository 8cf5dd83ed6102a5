"""The sample blogs in tests/blogs: the bot learns each from its folder (reading only the files
files_to_read names) and writes a post that agrees with the post written by hand in the blog's
conventions (tests/build/test_sample_blogs_build.py SAMPLES): same path, same front matter
format and keys, same value shapes. tests/unit/test_blog_build.py builds them for real.
"""

from __future__ import annotations

import datetime as dt
import json
import tomllib
from pathlib import Path
from typing import Any

import frontmatter
import pytest

from bot.core.blog import (
    MAX_FILES,
    BlogProfile,
    files_to_read,
    learn_profile,
    render_for_blog,
    style_sample,
)
from bot.core.blog.listing import add_to_listing
from bot.core.drafts import Draft
from bot.core.posts import PostFile

SAMPLE_BLOGS = Path(__file__).resolve().parents[1] / "blogs"
KINDS = (
    sorted(p.name for p in SAMPLE_BLOGS.iterdir() if p.is_dir()) if SAMPLE_BLOGS.is_dir() else []
)
# The hand-written posts' title, body and moment (10:00 in Berlin, June 2025).
TITLE = "Builds that prove a post fits"
BODY = "A post only counts as published when the real generator builds it and a listing links it."
SECOND = "This paragraph was written by hand in the blog's own conventions."
NOW = dt.datetime(2025, 6, 14, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=2)))
DRAFT = Draft(
    TITLE,
    "Checking a post with the real generator.",
    ("testing", "pipelines"),
    f"{BODY}\n\n{SECOND}",
)

pytestmark = pytest.mark.skipif(not KINDS, reason="no sample blogs in tests/blogs")


def read_blog(kind: str) -> tuple[list[str], dict[str, str]]:
    """The folder's paths, and the files the bot would read (two rounds, as the adapter)."""
    root = SAMPLE_BLOGS / kind
    paths = [p.relative_to(root).as_posix() for p in sorted(root.rglob("*")) if p.is_file()]
    first = {p: (root / p).read_text(encoding="utf-8") for p in files_to_read(paths)}
    wanted = files_to_read(paths, first)
    assert len(wanted) <= MAX_FILES
    return paths, {p: (root / p).read_text(encoding="utf-8") for p in wanted}


def learn_and_render(kind: str) -> tuple[BlogProfile, PostFile, dict[str, str]]:
    paths, contents = read_blog(kind)
    profile = learn_profile(paths, contents)
    return profile, render_for_blog(profile, DRAFT, now=NOW), contents


def hand_written(kind: str) -> tuple[str, str]:
    from tests.build.test_sample_blogs_build import SAMPLES

    ((path, text),) = SAMPLES[kind].new_files.items()
    return path, text


def split(text: str) -> tuple[str, dict[str, Any], str]:
    if text.startswith("+++\n"):
        head, _, body = text[4:].partition("\n+++\n")
        return "toml", tomllib.loads(head), body
    if text.startswith("---\n"):
        post = frontmatter.loads(text)
        return "yaml", dict(post.metadata), post.content
    return "none", {}, text


def shape(value: object) -> str:
    """The kind of a value, as a generator's parser sees it."""
    if isinstance(value, dt.datetime | dt.date):
        return "datetime" if isinstance(value, dt.datetime) else "date"
    return type(value).__name__


@pytest.mark.parametrize("kind", KINDS)
def test_sample_blog_is_learned(kind: str) -> None:
    profile, post, _ = learn_and_render(kind)
    expected_path, _ = hand_written(kind)
    assert post.path == expected_path, "\n".join(profile.describe())
    assert not profile.assumed
    assert profile.samples, "the newest posts were read"


# Values that legitimately differ: the blog's vocabulary and authors pick among several, and
# Astro's posts write 'Jun 14 2025' where the bot writes an ISO date (z.coerce.date reads both).
DIFFERENT_SHAPES = {("astro", "pubDate")}


@pytest.mark.parametrize("kind", KINDS)
def test_front_matter_agrees_with_the_hand_written_post(kind: str) -> None:
    _, post, _ = learn_and_render(kind)
    _, expected = hand_written(kind)
    fmt, meta, body = split(post.content)
    want_fmt, want, want_body = split(expected)
    assert fmt == want_fmt
    assert set(meta) - {"format"} == set(want), post.content
    for key, value in want.items():
        if (kind, key) not in DIFFERENT_SHAPES:
            assert shape(meta[key]) == shape(value), f"{key}: {meta[key]!r} vs {value!r}"
    assert meta.get("title", TITLE) == TITLE
    assert BODY in body and SECOND in body
    for marker in ("<!-- more -->", "<!-- truncate -->", f"# {TITLE}"):
        assert (marker in body) == (marker in want_body), marker


@pytest.mark.parametrize("kind", KINDS)
def test_dates_are_the_moment_of_writing(kind: str) -> None:
    _, post, _ = learn_and_render(kind)
    _, meta, _ = split(post.content)
    dates = [v for v in meta.values() if isinstance(v, dt.date)]
    for value in dates:
        if isinstance(value, dt.datetime):
            moment = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
            assert moment <= NOW + dt.timedelta(hours=14)  # a local time: at most its offset
        else:
            assert value <= NOW.date()


@pytest.mark.parametrize("kind", KINDS)
def test_style_sample_quotes_the_blog(kind: str) -> None:
    profile, _, contents = learn_and_render(kind)
    sample = style_sample(profile, contents)
    assert 0 < len(sample) <= 1500
    assert "title:" not in sample and "+++" not in sample


@pytest.mark.skipif("plain" not in KINDS, reason="no plain sample blog")
def test_plain_blog_lists_the_new_post_in_its_readme() -> None:
    profile, post, contents = learn_and_render("plain")
    assert profile.listing == "README.md"
    readme = add_to_listing(profile, post, TITLE, contents["README.md"], now=NOW)
    line = f"- [{TITLE}](writing/builds-that-prove-a-post-fits.md) — 2025-06-14"
    assert line in readme.splitlines()
    entries = [ln for ln in readme.splitlines() if ln.startswith("- [")]
    assert entries[-1] == line  # oldest first in this README: the new entry goes last


def test_sample_blogs_match_the_build_kinds() -> None:
    from tests.build.test_sample_blogs_build import SAMPLES

    assert set(KINDS) == set(SAMPLES)
    json.dumps(KINDS)
