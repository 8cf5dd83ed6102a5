"""render_post: a safe path under the posts folder and front matter that parses back exactly."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from pathlib import PurePosixPath

import frontmatter
import pytest

from bot.core.drafts import Draft, parse_draft
from bot.core.posts import PostFile, PostPathError, render_post, validate_location, with_suffix

NOW = datetime(2026, 11, 27, 9, 30, 0, tzinfo=timezone(timedelta(hours=1)))
DIR = "content/posts"
TEMPLATE = "{date}-{slug}.md"
SAFE_NAME = re.compile(r"^[a-z0-9-]+\.md$")
BODY = "We moved to Postgres 17.\n\n```python\n# keep me\nprint('x')\n```\n\nDone."


def render(draft: Draft, **overrides: object) -> PostFile:
    options: dict[str, object] = {"posts_dir": DIR, "filename_template": TEMPLATE, "now": NOW}
    options.update(overrides)
    return render_post(draft, **options)  # type: ignore[arg-type]


def draft(title: str = "Moving to Postgres 17", **fields: object) -> Draft:
    values: dict[str, object] = {
        "title": title,
        "description": "How we moved.",
        "tags": ("postgres", "databases"),
        "body": BODY,
    }
    values.update(fields)
    return Draft(**values)  # type: ignore[arg-type]


# --- hostile titles ----------------------------------------------------------------------------

HOSTILE = {
    "path traversal": ("../../.github/workflows/x", "2026-11-27-github-workflows-x.md"),
    "absolute path": ("/etc/passwd", "2026-11-27-etc-passwd.md"),
    "dot dot": ("..", "2026-11-27-post.md"),
    "quotes and colon": ('He said "hi": it\'s done', "2026-11-27-he-said-hi-it-s-done.md"),
    "yaml comment": ("# not a comment", "2026-11-27-not-a-comment.md"),
    "leading dash": ("- a list?", "2026-11-27-a-list.md"),
    "leading star": ("* alias?", "2026-11-27-alias.md"),
    "leading ampersand": ("&anchor", "2026-11-27-anchor.md"),
    "leading bang": ("!tag value", "2026-11-27-tag-value.md"),
    "leading percent": ("%YAML 1.2", "2026-11-27-yaml-1-2.md"),
    "leading at": ("@handle", "2026-11-27-handle.md"),
    "yes": ("yes", "2026-11-27-yes.md"),
    "no": ("no", "2026-11-27-no.md"),
    "null": ("null", "2026-11-27-null.md"),
    "tilde": ("~", "2026-11-27-post.md"),
    "float": ("1.0", "2026-11-27-1-0.md"),
    "date lookalike": ("2026-11-27", "2026-11-27-2026-11-27.md"),
    "document markers": ("---", "2026-11-27-post.md"),
    "flow sequence": ("[draft]", "2026-11-27-draft.md"),
    "flow mapping": ("{x: 1}", "2026-11-27-x-1.md"),
    "emoji": ("🚀 Launch day 🎉", "2026-11-27-launch-day.md"),
    "only emoji": ("🎉🎉🎉", "2026-11-27-post.md"),
    "only punctuation": ("?!…/\\:*", "2026-11-27-post.md"),
    "japanese": ("日本語のブログ記事", None),
    "german": ("Größere Übersicht für Ärzte", "2026-11-27-grossere-ubersicht-fur-arzte.md"),
    "backslashes": ("..\\..\\windows\\system32", "2026-11-27-windows-system32.md"),
    "byte order mark": ("\ufeffBOM", "2026-11-27-bom.md"),
    "tab": ("tab\there", "2026-11-27-tab-here.md"),
    "inline comment": ("key: value # c", "2026-11-27-key-value-c.md"),
    "both quotes": ("'single' and \"double\"", "2026-11-27-single-and-double.md"),
    "block scalar indicator": ("|", "2026-11-27-post.md"),
    "folded indicator": (">", "2026-11-27-post.md"),
    "complex key": ("? q", "2026-11-27-q.md"),
    "merge key": ("<<", "2026-11-27-post.md"),
    "value key": ("=", "2026-11-27-post.md"),
    "yaml 1.1 bool": ("ON", "2026-11-27-on.md"),
    "hex": ("0x1F", "2026-11-27-0x1f.md"),
    "backticks": ("`code` title", "2026-11-27-code-title.md"),
    "very long": ("word " * 100, None),
    "unbroken long": ("x" * 500, None),
}


@pytest.mark.parametrize(("title", "name"), HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_titles_stay_in_the_posts_folder(title: str, name: str | None) -> None:
    hostile = draft(title, description=title, tags=(title, "yes", "1.0", "#x"))
    post = render(hostile)

    path = PurePosixPath(post.path)
    assert str(path.parent) == DIR
    assert SAFE_NAME.match(path.name)
    if name is not None:
        assert path.name == name
    assert len(post.slug) <= 60 and post.slug == post.stem.removeprefix("2026-11-27-")

    parsed = frontmatter.loads(post.content)
    assert parsed["title"] == title.strip()
    assert parsed["description"] == title.strip()
    assert parsed["tags"] == [title.strip(), "yes", "1.0", "#x"]


def test_long_slug_is_cut_on_a_word_boundary() -> None:
    post = render(
        draft("A fairly long title that keeps on going well past the sixty character limit")
    )
    assert post.slug == "a-fairly-long-title-that-keeps-on-going-well-past-the-sixty"


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Line one\nline two", "Line one line two"),
        ("Windows\r\nline  \r\n  break", "Windows line break"),
        ("Unicode\u2028separator", "Unicode separator"),
        ("Bell\x07 character", "Bell character"),
    ],
)
def test_line_breaks_collapse_to_spaces(title: str, expected: str) -> None:
    parsed = frontmatter.loads(render(draft(title, description=title)).content)
    assert (parsed["title"], parsed["description"]) == (expected, expected)


def test_front_matter_is_readable_yaml() -> None:
    post = render(draft("Postgres 17: 40% faster — 日本語 🎉", tags=("データベース",)))
    assert post.content.splitlines()[:9] == [
        "---",
        "title: 'Postgres 17: 40% faster — 日本語 🎉'",
        "date: '2026-11-27T09:30:00+01:00'",
        "description: How we moved.",
        "tags:",
        "- データベース",
        "---",
        "",
        "We moved to Postgres 17.",
    ]


# --- layout ------------------------------------------------------------------------------------


def test_keys_come_in_order_and_the_body_follows_a_blank_line() -> None:
    post = render(draft())
    parsed = frontmatter.loads(post.content)
    assert list(parsed.metadata) == ["title", "date", "description", "tags"]
    header, _, rest = post.content.partition("\n---\n")
    assert header.startswith("---\n")
    assert rest == f"\n{BODY}\n"


@pytest.mark.parametrize(
    "body",
    [
        BODY,
        "Hard break  \nnext line\twith a tab.\n\n    indented code\n\n---\n\nAfter a rule.",
        "---\nnot: front matter\n---\n\nBody that starts with a rule.",
        "Ünïcödé, 日本語 und Emoji 🎉 — „Anführungszeichen“.",
    ],
)
def test_body_is_kept_byte_for_byte(body: str) -> None:
    post = render(draft(body=body))
    assert post.content.endswith(f"\n---\n\n{body}\n")
    assert frontmatter.loads(post.content).content == body


def test_body_ends_with_a_single_newline() -> None:
    post = render(draft(body="\n\nText.\n\n\n"))
    assert post.content.endswith("\n---\n\nText.\n")


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (NOW, "2026-11-27T09:30:00+01:00"),
        (datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC), "2026-01-02T03:04:05+00:00"),
        (
            datetime(2026, 6, 30, 23, 59, 59, tzinfo=timezone(timedelta(hours=-4, minutes=-30))),
            "2026-06-30T23:59:59-04:30",
        ),
    ],
)
def test_date_is_iso_8601_with_offset(now: datetime, expected: str) -> None:
    post = render(draft(), now=now)
    assert frontmatter.loads(post.content)["date"] == expected
    assert post.stem.startswith(expected[:10])


def test_naive_datetimes_are_rejected() -> None:
    with pytest.raises(ValueError, match="timezone"):
        render(draft(), now=datetime(2026, 11, 27, 9, 30))


def test_a_parsed_model_answer_renders() -> None:
    answer = "Sure!\n\n```markdown\n# Moving to Postgres 17: 40% faster\n\nIt went well.\n```"
    post = render(parse_draft(answer))
    assert post.path == "content/posts/2026-11-27-moving-to-postgres-17-40-faster.md"
    assert frontmatter.loads(post.content)["title"] == "Moving to Postgres 17: 40% faster"


# --- with_suffix --------------------------------------------------------------------------------


def test_with_suffix_renames_only_the_file() -> None:
    post = render(draft())
    second = with_suffix(post, 2)
    assert second.path == "content/posts/2026-11-27-moving-to-postgres-17-2.md"
    assert second.stem == "2026-11-27-moving-to-postgres-17-2"
    assert (second.content, second.slug) == (post.content, post.slug)
    assert with_suffix(post, 3).path.endswith("-17-3.md")


def test_with_suffix_in_nested_and_root_folders() -> None:
    nested = render(draft(), filename_template="{year}/{month}/{slug}.md")
    assert with_suffix(nested, 2).path == "content/posts/2026/11/moving-to-postgres-17-2.md"
    root = render(draft(), posts_dir="")
    assert with_suffix(root, 4).path == "2026-11-27-moving-to-postgres-17-4.md"


def test_with_suffix_needs_a_positive_number() -> None:
    with pytest.raises(ValueError):
        with_suffix(render(draft()), 0)


# --- locations -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("posts_dir", "template", "path"),
    [
        ("content/posts", "{date}-{slug}.md", "content/posts/2026-11-27-hello.md"),
        ("content/posts", "{year}/{month}/{day}/{slug}.md", "content/posts/2026/11/27/hello.md"),
        ("_posts", "{year}-{month}-{day}-{slug}.markdown", "_posts/2026-11-27-hello.markdown"),
        ("content/posts", "{slug}/index.md", "content/posts/hello/index.md"),
        ("", "{date}-{slug}.md", "2026-11-27-hello.md"),
        ("./content//posts/", "{date}.md", "content/posts/2026-11-27.md"),
        ("  blog/  ", "{slug}.md", "blog/hello.md"),
    ],
)
def test_template_placeholders(posts_dir: str, template: str, path: str) -> None:
    validate_location(posts_dir, template)
    assert render(draft("Hello"), posts_dir=posts_dir, filename_template=template).path == path


@pytest.mark.parametrize(
    "template",
    [
        "{date}-{nonsense}.md",
        "{}.md",
        "{0}.md",
        "{slug!r}.md",
        "{slug:>10}.md",
        "{slug.upper}.md",
        "{slug[0]}.md",
        "{slug",
        "slug}.md",
        "../{slug}.md",
        "drafts/../../{slug}.md",
        "/{slug}.md",
        "/etc/{slug}.md",
        "C:/{slug}.md",
        "posts\\{slug}.md",
        "a//{slug}.md",
        "./{slug}.md",
        "{slug}.md/",
        "",
        "   ",
        "{slug}\n.md",
        "{slug}\t.md",
    ],
)
def test_bad_templates_are_rejected(template: str) -> None:
    with pytest.raises(PostPathError):
        validate_location("content/posts", template)
    with pytest.raises(PostPathError):
        render(draft(), filename_template=template)


@pytest.mark.parametrize(
    "posts_dir",
    [
        "/content/posts",
        "../content",
        "content/../..",
        "content/..",
        "content\\posts",
        "C:/posts",
        ".git/hooks",
        "a/\x00b",
    ],
)
def test_bad_posts_dirs_are_rejected(posts_dir: str) -> None:
    with pytest.raises(PostPathError):
        validate_location(posts_dir, TEMPLATE)
    with pytest.raises(PostPathError):
        render(draft(), posts_dir=posts_dir)


def test_errors_name_the_problem() -> None:
    with pytest.raises(PostPathError, match=r"\{nonsense\}"):
        validate_location(DIR, "{date}-{nonsense}.md")
    with pytest.raises(PostPathError, match=r"'\.\.'"):
        validate_location("../x", TEMPLATE)
