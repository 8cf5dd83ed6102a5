"""The blog's post closest to a new draft: what is embedded, when, and what counts as close."""

from __future__ import annotations

import logging

import pytest

from bot.core.blog import learn_profile
from bot.core.blog_source import BlogKnowledge
from bot.core.drafts import Draft
from bot.core.errors import ServiceUnavailable
from bot.core.similar_posts import (
    SimilarPost,
    SimilarPosts,
    cosine,
    first_paragraph,
    post_summary,
)
from tests.helpers_blogs import blog_files
from tests.unit.fakes import FakeBlogRepository, FakeEmbedder, MemoryStateStore

RESTORES = "_posts/2025-04-18-a-checklist-for-restores.md"
THRESHOLD = 0.8

# A second post on the topic of RESTORES, as a writer who forgot it would get.
SAME_TOPIC = Draft(
    title="A checklist for practising restores",
    description="Backups are only as good as the last restore you practised.",
    tags=("backups",),
    body="Backups are only as good as the last restore you practised. Restore into a scratch "
    "machine.\n\n## Steps\n\nMore.",
)
# Another topic on the same blog (it shares words such as "we", "build", "log").
OTHER_TOPIC = Draft(
    title="Moving our builds to ARM runners",
    description="Cheaper runners, one surprise in the cache.",
    tags=("builds",),
    body="We moved the CI builds to ARM runners last month and halved the bill.",
)


class Blog:
    def __init__(self, kind: str = "jekyll") -> None:
        self.repo = FakeBlogRepository()
        self.repo.push("main", blog_files(kind), "The blog")
        self.store = MemoryStateStore()
        self.embedder = FakeEmbedder()

    def similar(self, threshold: float = THRESHOLD) -> SimilarPosts:
        """The check of a freshly started process (nothing in memory; the store stays)."""
        return SimilarPosts(
            repository=self.repo,
            blobs=self.repo,
            embedder=self.embedder,
            store=self.store,
            knowledge=BlogKnowledge(self.repo),
            threshold=threshold,
            link=lambda branch, path: f"https://github.com/acme/blog/blob/{branch}/{path}",
        )


async def test_a_draft_on_a_topic_the_blog_has_finds_that_post() -> None:
    blog = Blog()
    found = await blog.similar().closest(SAME_TOPIC)
    assert found is not None
    assert found.path == RESTORES
    assert found.title == "A checklist for restores"
    assert found.url == f"https://github.com/acme/blog/blob/main/{RESTORES}"
    assert found.score >= THRESHOLD
    assert found.blob_sha == (await blog.repo.blob_shas(blog.repo.branches["main"]))[RESTORES]


async def test_a_draft_on_another_topic_finds_nothing() -> None:
    assert await Blog().similar().closest(OTHER_TOPIC) is None


@pytest.mark.parametrize("kind", ["jekyll", "hugo-toml", "mkdocs-material", "plain", "astro"])
async def test_the_blogs_own_posts_are_not_close_to_each_other(kind: str) -> None:
    """The threshold against real posts of one blog: different topics never reach it."""
    files = blog_files(kind)
    profile = learn_profile(list(files), files)
    blog = Blog(kind)
    posts = [p for p in files if p.startswith(profile.posts_dir + "/") and p.endswith(".md")]
    summaries = [post_summary(files[p], profile)[1] for p in posts]
    vectors = await blog.embedder.embed(summaries)
    for i in range(len(vectors)):
        for j in range(i + 1, len(vectors)):
            assert cosine(vectors[i], vectors[j]) < THRESHOLD, (posts[i], posts[j])


async def test_posts_are_embedded_once_across_restarts_and_again_when_changed() -> None:
    blog = Blog()
    await blog.similar().closest(OTHER_TOPIC)
    [first] = blog.embedder.calls
    assert len(first) == 1 + 3  # the draft and the blog's three posts, in one call

    await blog.similar().closest(OTHER_TOPIC)  # a restart: vectors come from the store
    assert blog.embedder.calls[1] == [first[0]]  # the draft only

    edited = blog_files("jekyll")[RESTORES].replace("practised", "rehearsed")
    blog.repo.push("main", {RESTORES: edited})
    checker = blog.similar()
    await checker.closest(OTHER_TOPIC)
    assert len(blog.embedder.calls[2]) == 2  # the draft and the edited post
    assert "rehearsed" in blog.embedder.calls[2][1]
    reads, trees = len(blog.repo.reads), blog.repo.tree_reads
    await checker.closest(OTHER_TOPIC)  # same process, same head: nothing read again
    assert (len(blog.repo.reads), blog.repo.tree_reads) == (reads, trees)


async def test_an_embedding_failure_never_blocks_the_post(caplog: pytest.LogCaptureFixture) -> None:
    blog = Blog()
    blog.embedder.failure = ServiceUnavailable("Workers AI did not answer in time")
    with caplog.at_level(logging.WARNING, logger="bot.core.similar_posts"):
        assert await blog.similar().closest(SAME_TOPIC) is None
    assert "could not compare the draft" in caplog.text


async def test_a_blog_without_posts_is_not_embedded() -> None:
    blog = Blog()
    blog.repo = FakeBlogRepository()  # a README only
    assert await blog.similar().closest(SAME_TOPIC) is None
    assert blog.embedder.calls == []


def test_what_is_embedded_of_a_post() -> None:
    files = blog_files("hugo-toml")
    profile = learn_profile(list(files), files)
    title, text = post_summary(files["content/posts/esp32-deep-sleep.md"], profile)
    assert title == "ESP32 deep sleep, measured"
    assert text.splitlines() == [
        "ESP32 deep sleep, measured",
        "What the datasheet promises and what the multimeter shows.",
        "The datasheet says microamps. The development board says milliamps, because of its "
        "USB-to-serial chip and the power LED. On a bare module the numbers agree.",
    ]


def test_the_first_paragraph_skips_headings_images_and_date_lines() -> None:
    body = (
        "# Title\n\n*27 February 2025*\n\n![a photo](x.jpg)\n\n## Intro\nThe first words.\n\nMore."
    )
    assert first_paragraph(body) == "The first words."


def test_a_heading_titled_post() -> None:
    files = blog_files("plain")
    profile = learn_profile(list(files), files)
    path = next(p for p in files if p.startswith(profile.posts_dir + "/"))
    title, text = post_summary(files[path], profile)
    assert title and text.startswith(title)
    assert not title.startswith("#")


def test_a_finding_round_trips_through_the_job_record() -> None:
    found = SimilarPost("a/b.md", "B", "https://x/b", 0.91, "abc")
    assert SimilarPost.from_json(found.to_json()) == found
