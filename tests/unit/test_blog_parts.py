"""The pieces under bot.core.blog: front matter formats, the TOML writer, value shapes, the
Astro schema reader, CMS templates, file name patterns, and rendering details."""

from __future__ import annotations

import datetime as dt
import json
import tomllib

import frontmatter
import pytest
import yaml

from bot.core.blog import (
    MAX_FILES,
    DateStyle,
    default_profile,
    files_to_read,
    learn_profile,
    render_for_blog,
    style_sample,
)
from bot.core.blog.astro import read_content_config
from bot.core.blog.cms import read_cms
from bot.core.blog.matter import dump_post, load_yaml, split_post
from bot.core.blog.paths import name_pattern, newest_first
from bot.core.blog.toml_out import dumps_toml
from bot.core.blog.values import Native, date_style_of, format_date, pick_terms, role_of
from bot.core.drafts import Draft
from bot.core.posts import render_post

CET = dt.timezone(dt.timedelta(hours=1))
NOW = dt.datetime(2026, 11, 27, 9, 30, 5, 123, tzinfo=CET)
DRAFT = Draft("Hello", "D.", ("a",), "One.\n\nTwo.")
HOSTILE_STRINGS = [
    'quote " and backslash \\ end',
    "tab\there",
    "line\nbreak\r\n",
    "bell\x07 del\x7f nul\x00",
    "日本語 🎉 emoji",
    "'''triple'''",
    '"""',
    "# not a comment",
    "[not] {a: table}",
    "",
    "\u2028\u2029",
]


# --- TOML writer -------------------------------------------------------------------------------


@pytest.mark.parametrize("text", HOSTILE_STRINGS)
def test_toml_strings_round_trip(text: str) -> None:
    assert tomllib.loads(dumps_toml({"title": text, text or "k": [text]})) == {
        "title": text,
        text or "k": [text],
    }


def test_toml_values_and_tables() -> None:
    table = {
        "date": Native("2026-11-27T09:30:00+01:00"),
        "day": Native("2026-11-27"),
        "not_a_date": Native("Nov 27"),  # not TOML's date form: written as a string
        "n": 3,
        "x": 1.5,
        "inf": float("inf"),
        "draft": False,
        "none": None,
        "taxonomies": {"tags": ["a", "b"], "deep": {"k": "v"}},
        "extra": {"inline": [{"a": 1}]},
    }
    parsed = tomllib.loads(dumps_toml(table))
    assert parsed["date"] == dt.datetime(2026, 11, 27, 9, 30, tzinfo=CET)
    assert parsed["day"] == dt.date(2026, 11, 27)
    assert parsed["not_a_date"] == "Nov 27"
    assert (parsed["n"], parsed["x"], parsed["inf"], parsed["draft"]) == (
        3,
        1.5,
        float("inf"),
        False,
    )
    assert "none" not in parsed
    assert parsed["taxonomies"] == {"tags": ["a", "b"], "deep": {"k": "v"}}
    assert parsed["extra"] == {"inline": [{"a": 1}]}


# --- front matter ------------------------------------------------------------------------------


def test_split_every_format() -> None:
    assert split_post("---\ntitle: A\n---\nBody\n").format == "yaml"
    toml = split_post('+++\ntitle = "A"\ndate = 2024-01-01\n+++\n\nBody')
    assert (toml.format, toml.meta["date"], toml.body) == ("toml", dt.date(2024, 1, 1), "Body")
    js = split_post('{\n  "title": "A"\n}\n\nBody')
    assert (js.format, js.meta, js.body) == ("json", {"title": "A"}, "Body")
    pelican = split_post("Title: A\nDate: 2024-01-01 10:00\nTags: a, b\n\nBody")
    assert (pelican.format, pelican.meta["Tags"], pelican.body) == ("pelican", "a, b", "Body")
    plain = split_post("# A\n\nBody")
    assert (plain.format, plain.body) == (None, "# A\n\nBody")
    assert split_post("---\n: [broken\n---\nB").meta == {}


def test_yaml_native_dates_are_plain_and_strings_stay_strings() -> None:
    meta = {
        "a": Native("2026-11-27"),
        "b": Native("2026-11-27 09:30:00 +0100"),  # Jekyll's form: not a YAML timestamp
        "c": "2026-11-27",
        "d": Native("2026-11-27T09:30:00+01:00"),
    }
    text = dump_post("yaml", meta, "x")
    assert "a: 2026-11-27\nb: 2026-11-27 09:30:00 +0100\nc: '2026-11-27'\n" in text
    loaded = frontmatter.loads(text).metadata
    assert loaded["a"] == dt.date(2026, 11, 27) and loaded["c"] == "2026-11-27"
    assert loaded["b"] == "2026-11-27 09:30:00 +0100"
    assert loaded["d"] == dt.datetime(2026, 11, 27, 9, 30, tzinfo=CET)


def test_json_and_pelican_writing() -> None:
    text = dump_post("json", {"title": 'A "b"', "date": Native("2026-11-27")}, "Body")
    meta, end = json.JSONDecoder().raw_decode(text)
    assert meta == {"title": 'A "b"', "date": "2026-11-27"} and text[end:] == "\n\nBody\n"
    assert dump_post("pelican", {"Title": "A", "Tags": ["x", "y"]}, "B") == (
        "Title: A\nTags: x, y\n\nB\n"
    )
    assert dump_post("none", {"title": "ignored"}, "# A\n\nB") == "# A\n\nB\n"


def test_mkdocs_yaml_with_python_tags_loads() -> None:
    text = "a: !!python/name:material.x\nb: !ENV [HOME, x]\nc: 1\n"
    loaded = load_yaml(text)
    assert loaded["b"] == ["HOME", "x"] and loaded["c"] == 1
    assert load_yaml(": [") is None


# --- values ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "raw", "expected"),
    [
        (dt.date(2024, 1, 1), "2024-01-01", DateStyle(time=False, quoted=False)),
        ("2024-01-01", "'2024-01-01'", DateStyle(time=False, quoted=True)),
        (
            "2024-01-01 10:00:00 +0100",
            "2024-01-01 10:00:00 +0100",
            DateStyle(sep=" ", colon=False, offset_space=True, quoted=False),
        ),
        (
            dt.datetime(2024, 1, 1, 10),
            "2024-01-01 10:00:00",
            DateStyle(sep=" ", offset=False, quoted=False),
        ),
        ("2024-01-01T10:00", '"2024-01-01T10:00"', DateStyle(offset=False, seconds=False)),
        (
            {"created": dt.date(2024, 1, 1)},
            None,
            DateStyle(time=False, quoted=False, nested="created"),
        ),
        ("Jul 08 2022", "'Jul 08 2022'", None),
    ],
)
def test_date_styles(value: object, raw: str | None, expected: DateStyle | None) -> None:
    assert date_style_of(value, raw) == expected


def test_dates_are_written_in_the_learned_style() -> None:
    now = NOW.replace(microsecond=0)
    assert format_date(DateStyle(), now, "yaml") == "2026-11-27T09:30:05+01:00"
    jekyll = DateStyle(sep=" ", colon=False, offset_space=True, quoted=False)
    assert format_date(jekyll, now, "yaml") == Native("2026-11-27 09:30:05 +0100")
    assert format_date(jekyll, now, "toml") == "2026-11-27 09:30:05+01:00"  # TOML's own form
    assert format_date(DateStyle(time=False, nested="created"), now, "yaml") == {
        "created": "2026-11-27"
    }
    assert format_date(DateStyle(pattern="%d.%m.%Y"), now, "yaml") == "27.11.2026"
    assert isinstance(format_date(DateStyle(quoted=False), now, "json"), str)


def test_terms_follow_the_vocabulary() -> None:
    vocabulary = ("Machine Learning", "Python", "C#")
    assert pick_terms(["python", "rust"], vocabulary, None) == ["Python"]
    assert pick_terms(["machine-learning"], vocabulary, None) == ["Machine Learning"]
    assert pick_terms(["c++", "rust"], vocabulary, None) == ["c++", "rust"]  # none fits: new
    assert pick_terms(["rust"], vocabulary, ["Python"]) == []  # never outside the allowed list
    assert pick_terms(["a", "A", "b"], (), None, limit=1) == ["a"]


def test_roles() -> None:
    assert role_of("pubDate") == "date" and role_of("taxonomies.tags") == "tags"
    assert role_of("published", True) == "draft"
    assert role_of("published", dt.date(2024, 1, 1)) == "date"
    assert role_of("heroImage") == "image" and role_of("colour") == "other"


# --- Astro schema ------------------------------------------------------------------------------


def test_astro4_collection_and_schema_variable() -> None:
    code = """
    // https://docs.astro.build/ -- a comment with a URL
    import { z, defineCollection, reference } from 'astro:content';
    const postSchema = z.object({
      title: z.string().max(80), /* inline */ url: z.string().default('https://x.y//z'),
      'pub-date': z.string().datetime(),
      published: z.date(),
      kind: z.enum(["note", "essay"]).default("note"),
      author: reference('authors'),
      tags: z.string().array(),
      draft: z.boolean().optional(),
    });
    const posts = defineCollection({ type: 'content', schema: postSchema });
    const docs = defineCollection({ type: 'content', schema: z.object({ a: z.string() }) });
    export const collections = { 'writing': posts, docs };
    """
    name, folder, keys = read_content_config(code)  # type: ignore[misc]
    assert (name, folder) == ("writing", "src/content/writing")
    kinds = {k.key: (k.kind, k.required) for k in keys}
    assert kinds == {
        "title": ("string", True),
        "url": ("string", False),
        "pub-date": ("datetime_string", True),
        "published": ("date", True),
        "kind": ("enum", False),
        "author": ("reference", True),
        "tags": ("array", True),
        "draft": ("boolean", False),
    }
    assert next(k for k in keys if k.key == "kind").options == ("note", "essay")
    assert read_content_config("export const x = 1;") is None


# --- CMS ---------------------------------------------------------------------------------------


def test_cms_bundle_path_and_unknown_placeholders() -> None:
    config = """
collections:
  - name: pages
    folder: content/pages
  - name: blog
    folder: content/blog/
    path: "{{slug}}/index"
    slug: "{{year}}-{{slug}}"
    format: toml-frontmatter
    media_folder: ""
    fields: [{name: title}, {name: date, widget: datetime, time_format: false}]
"""
    facts = read_cms(config, "static/admin/config.yml")
    assert facts is not None
    assert (facts.posts_dir, facts.filename, facts.front_matter) == (
        "content/blog",
        "{year}-{slug}/index.md",
        "toml",
    )
    assert facts.images_beside_post and facts.date_style == DateStyle(time=False, quoted=False)
    odd = read_cms("collections: [{name: blog, folder: b, slug: '{{hour}}-{{slug}}'}]", "a.yml")
    assert odd is not None and odd.filename is None and odd.notes
    assert read_cms("backend: {name: git-gateway}", "a.yml") is None


# --- paths -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("relative", "pattern"),
    [
        ("2024-01-31-my-post.md", "{date}-{slug}.md"),
        ("2024-01-31_my-post.markdown", "{date}_{slug}.markdown"),
        ("my-post/index.md", "{slug}/index.md"),
        ("2024-01-31-trip/index.mdx", "{date}-{slug}/index.mdx"),
        ("2024/01/my-post.md", "{year}/{month}/{slug}.md"),
        ("2025/05-sqlite.md", "{year}/05-sqlite.md".replace("05-sqlite", "{slug}")),
        ("travel/my-post.md", None),
    ],
)
def test_name_patterns(relative: str, pattern: str | None) -> None:
    assert name_pattern(relative) == pattern


def test_newest_first() -> None:
    paths = ["b/2023-01-01-x.md", "b/2024-05-01-y.md", "b/undated.md", "b/2024/02/z.md"]
    assert newest_first(paths) == [
        "b/2024-05-01-y.md",
        "b/2024/02/z.md",
        "b/2023-01-01-x.md",
        "b/undated.md",
    ]


def test_files_to_read_stays_bounded_in_a_big_repo() -> None:
    paths = [f"_posts/2020-01-{d:02d}-p{i}.md" for i in range(300) for d in (1, 2)]
    paths += ["_config.yml", "Gemfile", "package.json", ".blogbot.yml", "admin/config.yml"]
    paths += ["_data/authors.yml", "README.md"]
    wanted = files_to_read(paths)
    assert len(wanted) <= MAX_FILES and len(set(wanted)) == len(wanted)
    assert {".blogbot.yml", "admin/config.yml", "_config.yml", "_data/authors.yml"} <= set(wanted)
    broken = files_to_read(paths, {".blogbot.yml": "posts_dir: ../x"})
    assert len(broken) <= MAX_FILES  # a bad .blogbot.yml is reported by learn_profile, not here


def test_garbage_configs_do_not_crash() -> None:
    contents = {
        "hugo.toml": "this is = = not toml",
        "mkdocs.yml": ": [",
        "package.json": "{",
        "src/content.config.ts": "defineCollection({ schema: z.object({ broken: ",
        "content/posts/a.md": "---\n: [\n---\n",
    }
    for name in ("hugo.toml", "mkdocs.yml", "package.json", "src/content.config.ts"):
        paths = [name, "content/posts/a.md"]
        profile = learn_profile(paths, {p: contents[p] for p in paths})
        render_for_blog(profile, DRAFT, now=NOW)


# --- rendering details -------------------------------------------------------------------------


def test_suffixes_rename_the_bundle_folder_and_the_slug_key() -> None:
    flat = default_profile()
    post = render_for_blog(flat, DRAFT, now=NOW, suffix=2)
    assert (post.path, post.slug) == ("content/posts/2026-11-27-hello-2.md", "hello-2")
    assert post.content == render_for_blog(flat, DRAFT, now=NOW).content
    pins = "bundle: true\ndefaults: {slug: x}\nkeys: {slug: slug}\n"
    bundled = learn_profile([".blogbot.yml"], {".blogbot.yml": pins})
    post = render_for_blog(bundled, DRAFT, now=NOW)
    assert post.path == "content/posts/2026-11-27-hello/index.md"
    again = render_for_blog(bundled, DRAFT, now=NOW, suffix=3)
    assert again.path == "content/posts/2026-11-27-hello-3/index.md"
    assert frontmatter.loads(again.content)["slug"] == "hello-3"
    with pytest.raises(ValueError):
        render_for_blog(flat, DRAFT, now=NOW, suffix=0)


def test_a_date_only_post_is_never_in_the_future() -> None:
    # 01:00 on the 28th in Kiritimati is still the 27th in UTC, where Hugo reads "2026-11-28".
    early = dt.datetime(2026, 11, 28, 1, 0, tzinfo=dt.timezone(dt.timedelta(hours=14)))
    profile = learn_profile(
        ["hugo.toml", "content/posts/a.md"],
        {
            "hugo.toml": "baseURL = 'x'",
            "content/posts/a.md": "---\ntitle: A\ndate: 2024-01-01\n---\n",
        },
    )
    post = render_for_blog(profile, DRAFT, now=early)
    assert frontmatter.loads(post.content)["date"] == dt.date(2026, 11, 27)
    assert post.path == "content/posts/hello.md"


def test_a_site_time_zone_is_used_for_local_times() -> None:
    repo = {
        "_config.yml": "timezone: America/New_York\n",
        "_posts/2024-01-01-a.md": "---\ntitle: A\ndate: 2024-01-01 10:00:00\nlayout: post\n---\n",
    }
    profile = learn_profile(list(repo), repo)
    post = render_for_blog(profile, DRAFT, now=NOW)  # 08:30 UTC is 03:30 in New York
    assert "date: 2026-11-27 03:30:05\n" in post.content
    unzoned = learn_profile(list(repo), {"_posts/2024-01-01-a.md": repo["_posts/2024-01-01-a.md"]})
    # No zone known: the offset goes along, so the time means the same everywhere.
    assert "date: 2026-11-27 09:30:05+01:00\n" in render_for_blog(unzoned, DRAFT, now=NOW).content


def test_pelican_and_json_front_matter() -> None:
    repo = {
        "pelicanconf.py": "PATH = 'content'\nTIMEZONE = 'Europe/Paris'\n",
        "content/first.md": (
            "Title: First\nDate: 2024-01-01 10:00\nTags: a, b\nSlug: first\n\nBody.\n"
        ),
    }
    profile = learn_profile(list(repo), repo)
    assert (profile.generator, profile.front_matter, profile.posts_dir) == (
        "pelican",
        "pelican",
        "content",
    )
    text = render_for_blog(profile, Draft("Hi", "D", ("b", "c"), "Text"), now=NOW).content
    assert text == "Title: Hi\nDate: 2026-11-27 09:30\nTags: b\nSlug: hi\n\nText\n"
    pinned = learn_profile([".blogbot.yml"], {".blogbot.yml": "front_matter: json\n"})
    meta, _ = json.JSONDecoder().raw_decode(render_for_blog(pinned, DRAFT, now=NOW).content)
    assert meta["title"] == "Hello" and meta["date"] == "2026-11-27T09:30:05+01:00"


def test_excerpt_marker_goes_after_the_first_paragraph_once() -> None:
    profile = learn_profile([".blogbot.yml"], {".blogbot.yml": "excerpt: '<!-- more -->'\n"})
    body = "```\ncode\n\nmore code\n```\n\nFirst para\nstill.\n\nSecond."
    text = render_for_blog(profile, Draft("T", "D", (), body), now=NOW).content
    assert "still.\n\n<!-- more -->\n\nSecond." in text and text.count("<!-- more -->") == 1
    already = render_for_blog(profile, Draft("T", "D", (), "A\n\n<!-- more -->\n\nB"), now=NOW)
    assert already.content.count("<!-- more -->") == 1
    single = render_for_blog(profile, Draft("T", "D", (), "Only one."), now=NOW)
    assert single.content.endswith("Only one.\n\n<!-- more -->\n")


def test_style_sample_cuts_at_paragraphs() -> None:
    long_post = "---\ntitle: A\n---\n" + "\n\n".join(
        f"Paragraph {i} " + "word " * 60 for i in range(10)
    )
    repo = {"content/posts/2024-01-01-a.md": long_post, "content/posts/2024-02-01-b.md": long_post}
    profile = learn_profile(list(repo), repo)
    sample = style_sample(profile, repo)
    assert len(sample) <= 1500 and sample.count("[content/posts/") == 2
    assert "title: A" not in sample and "Paragraph 0" in sample
    assert all(part.rstrip().endswith("word") for part in sample.split("\n\n[")[:1])
    assert style_sample(default_profile(), {}) == ""


def test_yaml_output_survives_safe_load() -> None:
    post = render_for_blog(default_profile(), Draft("yes", "no", ("null", "1.0"), "b"), now=NOW)
    meta = yaml.safe_load(post.content.split("---")[1])
    assert meta["title"] == "yes" and meta["tags"] == ["null", "1.0"]


def test_default_profile_renders_exactly_like_render_post() -> None:
    from tests.unit.test_posts import HOSTILE

    profile = default_profile()
    for title, _ in HOSTILE.values():
        # Distinct tags, as parse_draft gives them (render_for_blog also drops repeats).
        tags = tuple(dict.fromkeys([title, "no", "1.0", "#x"]))
        draft = Draft(title, title, tags, f"Body of {title}\n")
        today = render_post(
            draft, posts_dir="content/posts", filename_template="{date}-{slug}.md", now=NOW
        )
        assert render_for_blog(profile, draft, now=NOW) == today, title


def test_astro_string_dates_and_mdx_posts() -> None:
    schema = (
        "const blog = defineCollection({ loader: glob({ base: 'src/posts', pattern: '*.mdx' }),"
        " schema: z.object({ title: z.string(), date: z.string() }) });"
    )
    repo = {
        "astro.config.mjs": "",
        "src/content.config.ts": schema,
        "src/posts/a.mdx": "---\r\ntitle: A\r\ndate: 2024-01-01\r\n---\r\nBody\r\n",
        "src/posts/b.mdx": "---\r\ntitle: B\r\ndate: 2024-02-01\r\n---\r\nBody\r\n",
    }
    profile = learn_profile(list(repo), repo)
    assert (profile.posts_dir, profile.filename, profile.front_matter) == (
        "src/posts",
        "{slug}.mdx",
        "yaml",  # read through the CRLF line ends
    )
    post = render_for_blog(profile, Draft("T", "D", (), "x < y and {z}"), now=NOW)
    meta = frontmatter.loads(post.content)
    assert meta["date"] == "2026-11-27"  # z.string(): a string, not a YAML date
    assert r"x \< y and \{z}" in post.content
