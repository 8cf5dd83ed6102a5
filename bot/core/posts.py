"""The post file that lands in the blog repository: its path and its text.

The title comes from a language model, so nothing in it may steer the file path: the file
name is built only from the date and an ASCII slug, below a posts folder that was checked at
start-up. The front matter is written by PyYAML (through python-frontmatter), which quotes
whatever needs quoting, so it parses back to exactly the values that went in (made single-line
first: a line break in a title is never meant).
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import PurePosixPath

import frontmatter
import yaml
from slugify import slugify

from bot.core.drafts import Draft

__all__ = [
    "PostFile",
    "PostPathError",
    "check_relative",
    "make_slug",
    "render_post",
    "single_line",
    "trim_blank_lines",
    "validate_location",
    "with_suffix",
]

PLACEHOLDERS = ("date", "slug", "year", "month", "day")
MAX_SLUG = 60
FALLBACK_SLUG = "post"
_SAMPLE = {"date": "2000-01-01", "slug": "post", "year": "2000", "month": "01", "day": "01"}
_LINE_BREAKS = re.compile(r"[ \t]*(?:[\n\r\v\f\x85\u2028\u2029][ \t]*)+")
_UNLIMITED = 2**31 - 1
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f]")
_PATH_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


@dataclass(frozen=True)
class PostFile:
    path: str  # repo-relative POSIX path under the posts folder
    content: str  # YAML front matter, a blank line, the body, one final newline
    slug: str

    @property
    def stem(self) -> str:
        """The post's own name: the file's, or its folder's for a page bundle (`x/index.md`)."""
        path = PurePosixPath(self.path)
        return path.parent.name if path.stem in {"index", "_index"} else path.stem


class PostPathError(ValueError):
    """The posts folder or the file name template cannot be used (a configuration error)."""


def validate_location(posts_dir: str, filename_template: str) -> None:
    """Raise PostPathError when posts_dir or filename_template is unusable."""
    _normalise_dir(posts_dir)
    _check_template(filename_template)


def render_post(draft: Draft, *, posts_dir: str, filename_template: str, now: datetime) -> PostFile:
    """Build the post file for `draft`, named after its title and `now`."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware so the post date carries its offset")
    folder = _normalise_dir(posts_dir)
    _check_template(filename_template)
    slug = make_slug(draft.title)
    name = filename_template.format(
        date=now.strftime("%Y-%m-%d"),
        slug=slug,
        year=now.strftime("%Y"),
        month=now.strftime("%m"),
        day=now.strftime("%d"),
    )
    path = f"{folder}/{name}" if folder else name
    check_relative(path, what="post path")  # the slug is safe by construction; stay sure
    return PostFile(path=path, content=_render_content(draft, now), slug=slug)


def with_suffix(post: PostFile, n: int) -> PostFile:
    """The same post under `name-{n}.ext`, for when `post.path` is already taken.

    Always pass the original post: suffixes do not stack.
    """
    if n < 1:
        raise ValueError("suffix number must be positive")
    folder, _, name = post.path.rpartition("/")
    pure = PurePosixPath(name)
    renamed = f"{pure.stem}-{n}{pure.suffix}"
    return replace(post, path=f"{folder}/{renamed}" if folder else renamed)


def make_slug(title: str) -> str:
    """ASCII, lowercase, hyphenated, at most MAX_SLUG characters, never empty."""
    slug = slugify(title, max_length=MAX_SLUG, word_boundary=True)
    return slug or FALLBACK_SLUG


def single_line(value: str) -> str:
    return _CONTROL.sub("", _LINE_BREAKS.sub(" ", value)).strip()


def _render_content(draft: Draft, now: datetime) -> str:
    metadata: dict[str, object] = {
        "title": single_line(draft.title),
        # A string, not a YAML timestamp: PyYAML would write a datetime with a space
        # instead of the "T", and readers disagree on timestamps without quotes anyway.
        "date": now.replace(microsecond=0).isoformat(),
        "description": single_line(draft.description),
        "tags": [tag for tag in (single_line(t) for t in draft.tags) if tag],
    }
    # An unlimited width keeps every value on one line: folded scalars are where odd
    # strings start to parse back differently.
    post = frontmatter.Post("")
    post.metadata.update(metadata)
    header = frontmatter.dumps(
        post,
        # The pure-Python dumper: libyaml escapes emoji as \U0001F389 even with allow_unicode.
        Dumper=yaml.SafeDumper,
        sort_keys=False,
        width=_UNLIMITED,
        allow_unicode=True,
    )
    # The body goes in verbatim rather than through Post.content, which gets stripped.
    body = trim_blank_lines(draft.body)
    return f"{header}\n\n{body}\n"


def trim_blank_lines(text: str) -> str:
    text = re.sub(r"\A(?:[ \t]*\r?\n)+", "", text)
    return text.rstrip()


def _normalise_dir(posts_dir: str) -> str:
    value = posts_dir.strip()
    if value.startswith("/"):
        raise PostPathError(f"posts folder {posts_dir!r} must be relative to the repository root")
    if "\\" in value:
        raise PostPathError(f"posts folder {posts_dir!r} must use forward slashes")
    parts = [part for part in value.split("/") if part not in {"", "."}]
    if any(part == ".." for part in parts):
        raise PostPathError(f"posts folder {posts_dir!r} must not contain '..'")
    if parts and re.fullmatch(r"[A-Za-z]:", parts[0]):
        raise PostPathError(f"posts folder {posts_dir!r} must be relative to the repository root")
    if any(part == ".git" for part in parts):
        raise PostPathError(f"posts folder {posts_dir!r} must not be inside .git")
    if _PATH_CONTROL.search(value) or any(part != part.strip() for part in parts):
        raise PostPathError(f"posts folder {posts_dir!r} has invalid characters")
    return "/".join(parts)


def _check_template(template: str) -> None:
    try:
        fields = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise PostPathError(f"file name template {template!r} is malformed: {exc}") from None
    for _, field, spec, conversion in fields:
        if field is None:
            continue
        if field not in PLACEHOLDERS:
            known = ", ".join("{" + name + "}" for name in PLACEHOLDERS)
            raise PostPathError(
                f"file name template {template!r} has an unknown placeholder "
                f"{{{field}}}; use {known}"
            )
        if spec or conversion:
            raise PostPathError(
                f"file name template {template!r}: placeholders take no format spec"
            )
    check_relative(template.format(**_SAMPLE), what=f"file name template {template!r}")


def check_relative(path: str, *, what: str) -> None:
    if not path.strip():
        raise PostPathError(f"{what} is empty")
    if path.startswith("/") or re.match(r"[A-Za-z]:", path):
        raise PostPathError(f"{what} must not be an absolute path")
    if "\\" in path or _PATH_CONTROL.search(path):
        raise PostPathError(f"{what} must not contain backslashes or control characters")
    parts = path.split("/")
    if any(part in {"", ".", ".."} for part in parts):
        raise PostPathError(f"{what} must not contain empty, '.' or '..' path segments")
