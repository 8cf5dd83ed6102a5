"""learn_profile + render_for_blog on small in-test repositories, one per kind of blog.

Each repository is a `{path: content}` dict: every key is a path of the tree; the content of
the files `files_to_read` picks is what the adapter would read.
"""

from __future__ import annotations

import datetime as dt
import json
import tomllib
from collections.abc import Mapping
from pathlib import PurePosixPath
from typing import Any

import frontmatter
import pytest

from bot.core.blog import (
    MAX_FILES,
    BlogConfigError,
    BlogProfile,
    Overrides,
    default_profile,
    files_to_read,
    learn_profile,
    render_for_blog,
    style_sample,
)
from bot.core.drafts import Draft
from bot.core.posts import render_post

NOW = dt.datetime(2026, 11, 27, 9, 30, 0, tzinfo=dt.timezone(dt.timedelta(hours=1)))
DRAFT = Draft(
    title="Moving to Postgres 17",
    description="How we moved.",
    tags=("postgres", "python"),
    body="We moved to Postgres 17.\n\nIt took a week.\n\n```sql\nselect 1;\n```\n\nDone.",
)


def learn(repo: Mapping[str, str], **kwargs: Any) -> BlogProfile:
    """Learn as the bot will: read only the files files_to_read names (twice, refined)."""
    paths = list(repo)
    first = {p: repo[p] for p in files_to_read(paths)}
    wanted = files_to_read(paths, first)
    assert len(wanted) <= MAX_FILES
    return learn_profile(paths, {p: repo[p] for p in wanted}, **kwargs)


def parse(content: str, fmt: str = "yaml") -> tuple[dict[str, Any], str]:
    if fmt == "toml":
        assert content.startswith("+++\n")
        head, _, body = content[4:].partition("\n+++\n")
        return tomllib.loads(head), body
    if fmt == "json":
        meta, end = json.JSONDecoder().raw_decode(content)
        return meta, content[end:]
    post = frontmatter.loads(content)
    return dict(post.metadata), post.content


# --- Jekyll ------------------------------------------------------------------------------------

JEKYLL = {
    "Gemfile": 'source "https://rubygems.org"\ngem "jekyll", "~> 4.3"\n',
    "_config.yml": "title: My blog\ntimezone: Europe/Berlin\n",
    "_layouts/post.html": "<article>{{ content }}</article>",
    "about.md": "---\nlayout: page\ntitle: About\n---\nMe.\n",
    "assets/images/cat.png": "",
    "_posts/2024-01-10-hello-world.md": (
        "---\nlayout: post\ntitle: Hello World\ndate: 2024-01-10 10:00:00 +0100\n"
        "categories: [Engineering]\ntags: [Ruby, jekyll]\n---\n"
        "Hello. ![cat](/assets/images/cat.png)\n"
    ),
    "_posts/2024-03-02-second-post.md": (
        "---\nlayout: post\ntitle: Second\ndate: 2024-03-02 08:00:00 +0100\n"
        "categories: [Engineering]\ntags: [Postgres]\n---\nSecond.\n"
    ),
    "_posts/2023-12-01-old.md": (
        "---\nlayout: post\ntitle: Old\ndate: 2023-12-01 08:00:00 +0100\n"
        "categories: [Life]\ntags: [misc]\n---\nOld.\n"
    ),
}


def test_jekyll() -> None:
    profile = learn(JEKYLL)
    assert (profile.generator, profile.posts_dir, profile.filename) == (
        "jekyll",
        "_posts",
        "{date}-{slug}.md",
    )
    assert profile.timezone == "Europe/Berlin"
    assert profile.field("layout") and profile.field("layout").default == "post"  # type: ignore[union-attr]
    assert profile.images_dir == "assets/images"
    assert "Ruby" in profile.tags and profile.categories == ("Engineering", "Life")

    post = render_for_blog(profile, DRAFT, now=NOW)
    assert post.path == "_posts/2026-11-27-moving-to-postgres-17.md"
    meta, _ = parse(post.content)
    assert list(meta) == ["layout", "title", "date", "categories", "tags"]
    assert meta["layout"] == "post"
    # Jekyll's documented form, in the site's zone, never later than now.
    assert "date: 2026-11-27 09:30:00 +0100\n" in post.content
    assert meta["tags"] == ["Postgres"]  # the blog's spelling; nothing new when one fits
    assert meta["categories"] == ["postgres"]  # nothing fits: one new, as many as posts have


# --- Hexo --------------------------------------------------------------------------------------

HEXO = {
    "_config.yml": (
        "title: Hexo\nnew_post_name: :year-:month-:day-:title.md\n"
        "timezone: Asia/Tokyo\npost_asset_folder: true\n"
    ),
    "package.json": json.dumps({"dependencies": {"hexo": "^7.3.0", "hexo-renderer-marked": "^6"}}),
    "scaffolds/post.md": "---\ntitle: {{ title }}\ndate: {{ date }}\ntags:\n---\n",
    "themes/landscape/layout/post.ejs": "",
    "source/about/index.md": "---\ntitle: about\n---\n",
    "source/_posts/hello-hexo.md": (
        "---\ntitle: Hello Hexo\ndate: 2024-02-01 12:00:00\ntags:\n- hexo\n- Node\n"
        "categories:\n- Notes\n---\nWelcome.\n<!-- more -->\nRest.\n"
    ),
    "source/_posts/second.md": (
        "---\ntitle: Second\ndate: 2024-03-01 12:00:00\ntags:\n- python\n"
        "categories:\n- Notes\n---\nAgain.\n<!-- more -->\nRest.\n"
    ),
}


def test_hexo() -> None:
    profile = learn(HEXO)
    assert profile.generator == "hexo"
    assert profile.posts_dir == "source/_posts"
    assert profile.filename == "{date}-{slug}.md"  # new_post_name outranks existing names
    assert profile.evidence["filename"] == "_config.yml + package.json"
    assert profile.images_beside_post and profile.excerpt == "<!-- more -->"

    post = render_for_blog(profile, DRAFT, now=NOW)
    assert post.path == "source/_posts/2026-11-27-moving-to-postgres-17.md"
    meta, body = parse(post.content)
    # Local time of the site's zone, as the posts write it (08:30 UTC is 17:30 in Tokyo).
    assert "date: 2026-11-27 17:30:00\n" in post.content
    assert meta["date"] == dt.datetime(2026, 11, 27, 17, 30)
    assert meta["tags"] == ["python"] and meta["categories"] == ["postgres"]
    assert body.startswith("We moved to Postgres 17.\n\n<!-- more -->\n\nIt took a week.")


# --- Hugo, TOML --------------------------------------------------------------------------------

HUGO_TOML = {
    "hugo.toml": 'baseURL = "https://example.org/"\ntitle = "Notes"\n',
    "archetypes/default.md": "+++\ndate = '{{ .Date }}'\ndraft = true\ntitle = ''\n+++\n",
    "content/_index.md": "+++\ntitle = 'Home'\n+++\n",
    "content/about.md": "+++\ntitle = 'About'\n+++\n",
    "themes/ananke/layouts/single.html": "",
    "content/posts/first-post.md": (
        '+++\ntitle = "First post"\ndate = 2024-03-01T10:00:00+01:00\ndraft = false\n'
        'tags = ["Go", "hugo"]\nsummary = "Short."\n+++\nHello.\n'
    ),
    "content/posts/go-generics.md": (
        '+++\ntitle = "Generics"\ndate = 2024-04-01T10:00:00+02:00\ndraft = false\n'
        'tags = ["go"]\nsummary = "Why."\n+++\nGenerics.\n'
    ),
}


def test_hugo_toml() -> None:
    profile = learn(HUGO_TOML)
    assert (profile.generator, profile.posts_dir, profile.filename) == (
        "hugo",
        "content/posts",
        "{slug}.md",
    )
    assert profile.front_matter == "toml" and not profile.date_style.quoted
    assert profile.field("description").key == "summary"  # type: ignore[union-attr]

    post = render_for_blog(profile, DRAFT, now=NOW)
    assert post.path == "content/posts/moving-to-postgres-17.md"
    meta, body = parse(post.content, "toml")
    assert meta == {
        "title": "Moving to Postgres 17",
        "date": NOW,
        "draft": False,
        "tags": ["postgres", "python"],
        "summary": "How we moved.",
    }
    assert "date = 2026-11-27T09:30:00+01:00\n" in post.content  # a TOML date, not a string
    assert body.startswith("\nWe moved to Postgres 17.")


# --- Hugo, page bundles, YAML ------------------------------------------------------------------

HUGO_BUNDLES = {
    "config.yaml": "baseURL: https://trips.example/\nparams:\n  mainSections: [blog]\n",
    "layouts/_default/single.html": "",
    "content/blog/_index.md": "---\ntitle: Blog\n---\n",
    "content/notes/a.md": "---\ntitle: A\n---\n",
    "content/notes/b.md": "---\ntitle: B\n---\n",
    "content/notes/c.md": "---\ntitle: C\n---\n",
    "content/blog/my-first-trip/index.md": (
        '---\ntitle: "My first trip"\ndate: "2024-04-01"\ndescription: Lisbon.\n'
        "tags: [travel]\n---\n![photo](photo.jpg)\n"
    ),
    "content/blog/my-first-trip/photo.jpg": "",
    "content/blog/another-trip/index.md": (
        '---\ntitle: "Another"\ndate: "2024-05-01"\ndescription: Porto.\ntags: [travel]\n---\nx\n'
    ),
}


def test_hugo_page_bundles_yaml() -> None:
    profile = learn(HUGO_BUNDLES)
    assert profile.generator == "hugo"
    assert profile.posts_dir == "content/blog"  # mainSections, not the fuller notes/ folder
    assert profile.filename == "{slug}/index.md" and profile.bundle
    assert profile.images_beside_post
    assert not profile.date_style.time and profile.date_style.quoted

    post = render_for_blog(profile, DRAFT, now=NOW)
    assert post.path == "content/blog/moving-to-postgres-17/index.md"
    meta, _ = parse(post.content)
    assert meta["date"] == "2026-11-27"  # date only, quoted, as the posts have it
    assert meta["tags"] == ["postgres", "python"]


# --- Astro -------------------------------------------------------------------------------------

ASTRO_SCHEMA = """\
import { defineCollection, z } from 'astro:content';
import { glob } from 'astro/loaders';

const blog = defineCollection({
  // Load Markdown and MDX files in the `src/content/blog/` directory.
  loader: glob({ base: './src/content/blog', pattern: '**/*.{md,mdx}' }),
  schema: ({ image }) =>
    z.object({
      title: z.string(),
      description: z.string(),
      // Transform string to Date object
      pubDate: z.coerce.date(),
      updatedDate: z.coerce.date().optional(),
      heroImage: image().optional(),
      tags: z.array(z.string()),
      draft: z.boolean().default(false),
      category: z.enum(['tech', 'life']),
      readingTime: z.number(),
    }),
});

export const collections = { blog };
"""
ASTRO = {
    "astro.config.mjs": "export default defineConfig({ site: 'https://example.com' });",
    "package.json": json.dumps({"dependencies": {"astro": "^5.18.0"}}),
    "src/content.config.ts": ASTRO_SCHEMA,
    "src/assets/blog-placeholder-1.jpg": "",
    "src/content/blog/first-post.md": (
        "---\ntitle: 'First post'\ndescription: 'Lorem'\npubDate: 'Jul 08 2022'\n"
        "heroImage: '../../assets/blog-placeholder-1.jpg'\ntags: ['astro']\ncategory: tech\n"
        "readingTime: 3\n---\nText\n"
    ),
    "src/content/blog/second-post.md": (
        "---\ntitle: 'Second'\ndescription: 'Ipsum'\npubDate: 'Jul 15 2022'\n"
        "tags: ['astro']\ncategory: tech\nreadingTime: 5\n---\nText\n"
    ),
}


def test_astro_schema_required_keys() -> None:
    profile = learn(ASTRO)
    assert (profile.generator, profile.posts_dir) == ("astro", "src/content/blog")
    required = {f.key for f in profile.fields if f.required}
    assert required == {"title", "description", "pubDate", "tags", "category", "readingTime"}
    assert any("'Jul 15 2022' is not ISO 8601" in note for note in profile.notes)
    assert profile.images_dir == "src/assets"  # where heroImage points

    post = render_for_blog(profile, DRAFT, now=NOW)
    assert post.path == "src/content/blog/moving-to-postgres-17.md"
    meta, _ = parse(post.content)
    assert required <= set(meta)
    assert meta["pubDate"] == dt.date(2026, 11, 27)  # a YAML date: z.coerce.date() parses it
    assert meta["tags"] == ["postgres", "python"]
    assert meta["category"] == "tech"  # within the enum, from the newest post
    assert meta["readingTime"] == 5  # required, no value of its own: the newest post's
    assert "heroImage" not in meta and "updatedDate" not in meta


# --- Docusaurus --------------------------------------------------------------------------------

DOCUSAURUS = {
    "docusaurus.config.ts": (
        "const config = { presets: [['classic', { blog: { showReadingTime: true } }]] };"
    ),
    "package.json": json.dumps({"dependencies": {"@docusaurus/core": "3.10.0"}}),
    "docs/intro.md": "# Intro\n",
    "docs/a.md": "# A\n",
    "docs/b.md": "# B\n",
    "docs/c.md": "# C\n",
    "blog/authors.yml": (
        "yangshun:\n  name: Yangshun Tay\n  title: Front End Engineer\n"
        "slorber:\n  name: Sébastien Lorber\n  title: Docusaurus maintainer\n"
    ),
    "blog/2024-01-05-welcome/index.md": (
        "---\nslug: welcome\ntitle: Welcome\nauthors: [slorber, yangshun]\n"
        "tags: [facebook, hello, docusaurus]\n---\nWelcome.\n\n<!-- truncate -->\n\nMore.\n"
    ),
    "blog/2024-01-05-welcome/docusaurus.png": "",
    "blog/2024-02-10-long-post.md": (
        "---\ntitle: Long post\nauthors: yangshun\ntags: [hello, docusaurus]\n---\n"
        "Long.\n\n<!-- truncate -->\n\nMore.\n"
    ),
    "blog/2024-03-01-first-blog-post.md": (
        "---\ntitle: First blog post\nauthors: [yangshun]\ntags: [hola, docusaurus]\n---\n"
        "Lorem.\n\n<!-- truncate -->\n\nMore.\n"
    ),
}


def test_docusaurus_authors_and_mdx() -> None:
    profile = learn(DOCUSAURUS)
    assert (profile.generator, profile.posts_dir) == ("docusaurus", "blog")
    assert profile.filename == "{date}-{slug}.md"  # two of three names
    assert {a.id for a in profile.authors} == {"yangshun", "slorber"}
    assert profile.evidence["authors"] == "blog/authors.yml"
    assert profile.frequent_author == "yangshun"

    risky = Draft("Generics", "Types.", ("docusaurus", "go"), "Use a <T> or {x} here.\n\n`<ok>`")
    post = render_for_blog(profile, risky, now=NOW, author="Sébastien Lorber")
    assert post.path == "blog/2026-11-27-generics.md"
    meta, body = parse(post.content)
    assert meta["authors"] == ["slorber"]  # mapped by name to an id of authors.yml
    assert meta["format"] == "md"  # the bare < and { stay text
    assert meta["tags"] == ["docusaurus"]
    assert "<!-- truncate -->" in body and "Use a <T> or {x} here." in body

    unknown = render_for_blog(profile, DRAFT, now=NOW, author="@somebody_else")
    assert parse(unknown.content)[0]["authors"] == ["yangshun"]  # the most frequent; never new
    assert "format" not in parse(unknown.content)[0]


def test_docusaurus_mdx_posts_are_escaped() -> None:
    repo = {k: v for k, v in DOCUSAURUS.items() if not k.endswith(".md") or k.startswith("docs")}
    repo["blog/2024-02-10-a.mdx"] = "---\ntitle: A\nauthors: [slorber]\n---\nA\n"
    repo["blog/2024-03-10-b.mdx"] = "---\ntitle: B\nauthors: [slorber]\n---\nB\n"
    profile = learn(repo)
    assert profile.filename == "{date}-{slug}.mdx"
    post = render_for_blog(profile, Draft("X", "Y", (), "a <T> {x} `<ok>`"), now=NOW)
    assert r"a \<T> \{x} `<ok>`" in post.content and "format" not in parse(post.content)[0]


# --- MkDocs Material ---------------------------------------------------------------------------

MKDOCS = {
    "mkdocs.yml": (
        "site_name: My Docs\ntheme:\n  name: material\nmarkdown_extensions:\n"
        "  - pymdownx.emoji:\n      emoji_index: !!python/name:material.extensions.emoji.twemoji\n"
        "plugins:\n  - search\n  - blog:\n      categories_allowed:\n        - General\n"
        "        - Python\n      post_date_format: short\n"
    ),
    "docs/index.md": "# Home\n",
    "docs/blog/index.md": "# Blog\n",
    "docs/blog/.authors.yml": (
        "authors:\n  squidfunk:\n    name: Martin Donath\n    description: Creator\n"
        "    avatar: https://github.com/squidfunk.png\n"
    ),
    "docs/blog/posts/hello.md": (
        "---\ndate: 2024-01-31\nauthors:\n  - squidfunk\ncategories:\n  - General\n---\n\n"
        "# Hello world\n\nIntro.\n\n<!-- more -->\n\nRest.\n"
    ),
    "docs/blog/posts/second.md": (
        "---\ndate: 2024-02-10\nauthors:\n  - squidfunk\ncategories:\n  - General\n---\n\n"
        "# Second\n\nIntro.\n\n<!-- more -->\n\nRest.\n"
    ),
}


def test_mkdocs_material() -> None:
    profile = learn(MKDOCS)
    assert (profile.generator, profile.posts_dir) == ("mkdocs", "docs/blog/posts")
    assert profile.title_in == "heading"
    assert profile.categories_allowed == ("General", "Python")
    assert profile.evidence["authors"] == "docs/blog/.authors.yml"

    post = render_for_blog(profile, DRAFT, now=NOW, author="nobody")
    assert post.path == "docs/blog/posts/moving-to-postgres-17.md"
    meta, body = parse(post.content)
    assert "date: 2026-11-27\n" in post.content  # an unquoted YAML date
    assert meta == {
        "date": dt.date(2026, 11, 27),
        "authors": ["squidfunk"],
        "categories": ["Python"],  # within categories_allowed only
    }
    assert body.startswith("# Moving to Postgres 17\n\nWe moved to Postgres 17.\n\n<!-- more -->")

    other = render_for_blog(profile, Draft("T", "D", ("rust",), "x"), now=NOW)
    assert "categories" not in parse(other.content)[0]  # nothing allowed fits: none


# --- Eleventy ----------------------------------------------------------------------------------

ELEVENTY = {
    "eleventy.config.js": (
        "export default async function (eleventyConfig) {}\n"
        'export const config = { dir: { input: "content", includes: "../_includes" } };\n'
    ),
    "package.json": json.dumps({"devDependencies": {"@11ty/eleventy": "^3.1.0"}}),
    "_includes/layouts/post.njk": "",
    "content/index.njk": "",
    "content/about/index.md": "---\ntitle: About\n---\n",
    "content/blog/blog.11tydata.js": (
        'export default { tags: ["posts"], layout: "layouts/post.njk" };\n'
    ),
    "content/blog/firstpost.md": (
        "---\ntitle: This is my first post.\ndescription: Agile.\ndate: 2018-05-01\n"
        "tags:\n  - another tag\n---\nText.\n"
    ),
    "content/blog/secondpost.md": (
        "---\ntitle: This is my second post.\ndescription: More.\ndate: 2018-07-04\n"
        "tags:\n  - number 2\n---\nText.\n"
    ),
}


def test_eleventy_with_directory_data() -> None:
    profile = learn(ELEVENTY)
    assert (profile.generator, profile.posts_dir) == ("eleventy", "content/blog")
    assert profile.collection_tags == ()  # blog.11tydata.js gives `tags: posts`
    post = render_for_blog(profile, DRAFT, now=NOW)
    assert post.path == "content/blog/moving-to-postgres-17.md"
    meta, _ = parse(post.content)
    assert meta["date"] == dt.date(2026, 11, 27) and meta["tags"] == ["postgres", "python"]


def test_eleventy_without_directory_data_adds_the_collection_tag() -> None:
    repo = {k: v for k, v in ELEVENTY.items() if "11tydata" not in k}
    repo["content/blog/firstpost.md"] = "---\ntitle: One\ndate: 2018-05-01\ntags: [posts, a]\n---\n"
    repo["content/blog/secondpost.md"] = "---\ntitle: Two\ndate: 2018-06-01\ntags: [posts]\n---\n"
    profile = learn(repo)
    assert profile.collection_tags == ("posts",)
    meta, _ = parse(render_for_blog(profile, DRAFT, now=NOW).content)
    assert meta["tags"] == ["posts", "postgres", "python"]


# --- Decap CMS over Hugo -----------------------------------------------------------------------

DECAP = {
    "hugo.toml": 'baseURL = "https://example.org/"\n',
    "static/admin/index.html": "",
    "static/admin/config.yml": """\
backend:
  name: git-gateway
media_folder: static/images/uploads
public_folder: /images/uploads
collections:
  - name: "articles"
    label: "Articles"
    folder: "content/articles"
    create: true
    slug: "{{year}}-{{month}}-{{day}}-{{slug}}"
    fields:
      - {label: "Title", name: "title", widget: "string"}
      - {label: "Publish Date", name: "date", widget: "datetime"}
      - {label: "Summary", name: "summary", widget: "text", required: false}
      - {label: "Categories", name: "categories", widget: "select", multiple: true,
         options: ["News", "Guides"]}
      - {label: "Featured Image", name: "thumbnail", widget: "image", required: false}
      - {label: "Body", name: "body", widget: "markdown"}
      - {label: "Type", name: "type", widget: "hidden", default: "article"}
""",
    "content/posts/a.md": "+++\ntitle = 'A'\n+++\n",
    "content/posts/b.md": "+++\ntitle = 'B'\n+++\n",
    "content/posts/c.md": "+++\ntitle = 'C'\n+++\n",
    "content/articles/2024-05-01-cms-post.md": (
        "---\ntitle: CMS post\ndate: 2024-05-01T10:00:00.000Z\nsummary: Hi.\n"
        "categories:\n  - Guides\ntype: article\n---\nBody.\n"
    ),
}


def test_decap_cms_over_hugo() -> None:
    profile = learn(DECAP)
    assert (profile.generator, profile.cms) == ("hugo", "Decap CMS")
    assert profile.posts_dir == "content/articles"
    assert profile.evidence["posts_dir"] == "static/admin/config.yml"
    assert profile.filename == "{date}-{slug}.md"
    assert profile.categories_allowed == ("News", "Guides")
    assert profile.images_dir == "static/images/uploads"

    post = render_for_blog(profile, Draft("Guide", "D", ("guides", "x"), "b"), now=NOW)
    assert post.path == "content/articles/2026-11-27-guide.md"
    meta, _ = parse(post.content)
    assert meta == {
        "title": "Guide",
        "date": dt.datetime(2026, 11, 27, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=1))),
        "summary": "D",
        "categories": ["Guides"],
        "type": "article",
    }


# --- Zola --------------------------------------------------------------------------------------

ZOLA = {
    "config.toml": (
        'base_url = "https://example.com"\ncompile_sass = true\n'
        'taxonomies = [\n  {name = "tags", feed = true},\n]\n'
    ),
    "content/_index.md": "+++\ntitle = 'Home'\n+++\n",
    "content/blog/_index.md": '+++\ntitle = "Blog"\nsort_by = "date"\n+++\n',
    "templates/base.html": "",
    "content/blog/first.md": (
        '+++\ntitle = "First"\ndate = 2024-01-01\ndescription = "x"\n\n'
        '[taxonomies]\ntags = ["rust", "zola"]\n+++\nHi.\n'
    ),
    "content/blog/second.md": (
        '+++\ntitle = "Second"\ndate = 2024-02-01\ndescription = "y"\n\n'
        '[taxonomies]\ntags = ["Python"]\n+++\nHi.\n'
    ),
}


def test_zola() -> None:
    profile = learn(ZOLA)
    assert (profile.generator, profile.posts_dir, profile.front_matter) == (
        "zola",
        "content/blog",
        "toml",
    )
    assert profile.field("tags").key == "taxonomies.tags"  # type: ignore[union-attr]

    post = render_for_blog(profile, DRAFT, now=NOW)
    assert post.path == "content/blog/moving-to-postgres-17.md"
    meta, _ = parse(post.content, "toml")
    assert meta == {
        "title": "Moving to Postgres 17",
        "date": dt.date(2026, 11, 27),
        "description": "How we moved.",
        "taxonomies": {"tags": ["Python"]},
    }


# --- nothing recognisable ----------------------------------------------------------------------

PLAIN = {"README.md": "# Tool\n", "src/main.py": "", "docs/guide.md": "# Guide\n"}


def test_no_generator_assumes_todays_layout() -> None:
    profile = learn(PLAIN)
    assert profile.assumed and profile.generator == "unknown"
    assert (profile.posts_dir, profile.filename) == ("content/posts", "{date}-{slug}.md")
    assert any(".blogbot.yml" in line for line in profile.describe())
    post = render_for_blog(profile, DRAFT, now=NOW)
    today = render_post(
        DRAFT, posts_dir="content/posts", filename_template="{date}-{slug}.md", now=NOW
    )
    assert post == today
    assert render_for_blog(default_profile(), DRAFT, now=NOW) == today


def test_environment_overrides_apply_when_nothing_is_pinned() -> None:
    profile = learn(PLAIN, overrides=Overrides(posts_dir="blog/", filename="{slug}.md"))
    assert not profile.assumed
    assert render_for_blog(profile, DRAFT, now=NOW).path == "blog/moving-to-postgres-17.md"
    hugo = learn(HUGO_TOML, overrides=Overrides(posts_dir="content/news"))
    assert hugo.posts_dir == "content/news" and hugo.front_matter == "toml"


# --- .blogbot.yml ------------------------------------------------------------------------------

PINNED = {
    **HUGO_TOML,
    ".blogbot.yml": """\
posts_dir: content/news
filename: "{year}/{slug}.md"
bundle: true
front_matter: yaml
date_format: date
quote_dates: false
keys:
  date: publishDate
  description: null
defaults:
  layout: news
author: jane
authors:
  "@jane_tg": jane
excerpt: "<!--more-->"
""",
}


def test_blogbot_yml_overrides_what_the_files_suggest() -> None:
    profile = learn(PINNED, overrides=Overrides(posts_dir="ignored"))
    assert profile.generator == "hugo"
    assert (profile.posts_dir, profile.filename) == ("content/news", "{year}/{slug}/index.md")
    assert profile.evidence["posts_dir"] == ".blogbot.yml"
    post = render_for_blog(profile, DRAFT, now=NOW, author="@JANE_TG")
    assert post.path == "content/news/2026/moving-to-postgres-17/index.md"
    meta, body = parse(post.content)
    assert meta["publishDate"] == dt.date(2026, 11, 27)
    assert "date" not in meta and "summary" not in meta and "description" not in meta
    assert meta["layout"] == "news" and meta["author"] == "jane"
    assert "<!--more-->" in body


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("posts_dir: ../outside\n", "'..'"),
        ("front_matter: xml\n", "front_matter must be one of"),
        ('filename: "{title}.md"\n', "unknown placeholder"),
        ("timezone: Mars/Olympus\n", "not a known zone"),
        ("keys: {colour: tint}\n", "keys.colour"),
        ("- a list\n", "mapping"),
    ],
)
def test_blogbot_yml_mistakes_are_named(text: str, message: str) -> None:
    with pytest.raises(BlogConfigError, match=message):
        learn_profile([".blogbot.yml"], {".blogbot.yml": text})


# --- across every kind -------------------------------------------------------------------------

REPOS = {
    "jekyll": JEKYLL,
    "hexo": HEXO,
    "hugo-toml": HUGO_TOML,
    "hugo-bundles": HUGO_BUNDLES,
    "astro": ASTRO,
    "docusaurus": DOCUSAURUS,
    "mkdocs": MKDOCS,
    "eleventy": ELEVENTY,
    "decap": DECAP,
    "zola": ZOLA,
    "plain": PLAIN,
    "pinned": PINNED,
}
HOSTILE = Draft('../../.github/x: "yes" # {<no>}', "a\nb: c", ("../x", "[y]", "yes"), "Body {<x>}")


@pytest.mark.parametrize("name", REPOS)
def test_hostile_drafts_stay_in_the_posts_folder(name: str) -> None:
    profile = learn(REPOS[name])
    post = render_for_blog(profile, HOSTILE, now=NOW)
    assert post.path.startswith(profile.posts_dir + "/")
    assert ".." not in PurePosixPath(post.path).parts
    assert post.slug == "github-x-yes-no"
    meta, _ = parse(post.content, "toml" if profile.front_matter == "toml" else "yaml")
    assert meta.get("title") in {HOSTILE.title, None}  # None: the title is the heading
    description = meta.get("description", meta.get("summary"))
    assert description in {"a b: c", None}  # one line, parsed back exactly


@pytest.mark.parametrize("name", REPOS)
def test_describe_names_the_evidence(name: str) -> None:
    lines = learn(REPOS[name]).describe()
    assert lines[0].startswith("Generator: ") and lines[1].startswith("Posts: ")
    assert len(lines) < 15 and all(len(line) < 300 for line in lines)


@pytest.mark.parametrize("name", REPOS)
def test_style_sample_is_bounded(name: str) -> None:
    repo = REPOS[name]
    profile = learn(repo)
    sample = style_sample(profile, repo)
    assert len(sample) <= 1500
    assert bool(sample) == bool(profile.samples)
    assert "---" not in sample.split("\n", 1)[0]


def test_files_to_read_is_bounded_and_telling() -> None:
    paths = [f"content/posts/2024-01-{d:02d}-post.md" for d in range(1, 29)]
    paths += ["hugo.toml", ".blogbot.yml", "static/admin/config.yml", "package.json"]
    wanted = files_to_read(paths)
    assert len(wanted) <= MAX_FILES
    assert wanted[:3] == [".blogbot.yml", "static/admin/config.yml", "hugo.toml"]
    assert wanted[-3:] == [
        "content/posts/2024-01-28-post.md",
        "content/posts/2024-01-27-post.md",
        "content/posts/2024-01-26-post.md",
    ]
