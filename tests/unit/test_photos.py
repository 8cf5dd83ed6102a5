"""Photos in a post: where the files go and how the post links them."""

from __future__ import annotations

import io
from dataclasses import replace

import pytest
from PIL import Image

from bot.core.blog import default_profile
from bot.core.errors import PublishError
from bot.core.images import prepare_image
from bot.core.photos import (
    Photos,
    image_link,
    images_folder,
    link_images,
    place_images,
)
from bot.core.posts import PostFile
from tests.unit.fakes import FakeBlogRepository
from tests.unit.test_publishing import DRAFT, Saved, publisher


def _jpeg(colour: tuple[int, int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), colour).save(out, "JPEG")
    return out.getvalue()


def test_placeholders_become_links_and_forgotten_images_are_appended() -> None:
    text = "Intro\n\n![A red canoe](image-1)\n\n![](image-2)\n\n![ghost](image-9)\n"
    linked = link_images(text, ["/a.jpg", "/b.jpg", "/c.jpg"], ["", "Hills", "Sky at dusk"])
    assert "![A red canoe](/a.jpg)" in linked
    assert "![Hills](/b.jpg)" in linked  # no alt from the model: the caption
    assert "ghost" not in linked  # a number the writer never sent
    assert linked.rstrip().endswith("![Sky at dusk](/c.jpg)")


def test_an_image_without_caption_or_alt_gets_a_generic_alt() -> None:
    assert link_images("Text", ["/a.jpg"], []) == "Text\n\n![Photo](/a.jpg)\n"


def test_hugo_images_go_under_static_and_are_served_from_the_root() -> None:
    profile = replace(default_profile(), generator="hugo", images_dir=None)
    post = "content/posts/2026-11-27-lake-day.md"
    assert images_folder(profile, post) == "static/images/lake-day"
    assert image_link(profile, post, "static/images/lake-day/x.jpg") == "/images/lake-day/x.jpg"


def test_an_images_dir_from_the_blog_is_used_and_linked_from_the_root() -> None:
    profile = replace(default_profile(), generator="jekyll", images_dir="assets/img")
    post = "_posts/2026-11-27-lake-day.md"
    assert images_folder(profile, post) == "assets/img/lake-day"
    assert image_link(profile, post, "assets/img/lake-day/x.jpg") == "/assets/img/lake-day/x.jpg"


def test_nothing_known_means_assets_images() -> None:
    profile = replace(default_profile(), generator="unknown", images_dir=None)
    assert images_folder(profile, "posts/lake.md") == "assets/images/lake"


def test_page_bundles_keep_images_beside_the_post() -> None:
    profile = replace(default_profile(), filename="{slug}/index.md")
    image = prepare_image(_jpeg((1, 2, 3)), max_side=100, max_bytes=10**6)
    post = PostFile("content/posts/lake/index.md", "---\n---\n\n![Lake](image-1)\n", "lake")
    placed = place_images(profile, post, [image])
    assert f"![Lake]({image.name})" in placed.post.content
    assert set(placed.files) == {post.path, f"content/posts/lake/{image.name}"}
    assert placed.files[f"content/posts/lake/{image.name}"] == image.content


def test_the_thread_body_holds_the_same_links_as_the_committed_post() -> None:
    profile = replace(default_profile(), generator="hugo", images_dir="static/img")
    image = prepare_image(_jpeg((9, 9, 9)), max_side=100, max_bytes=10**6)
    photos = Photos((image,), ("A grey square",))
    body = photos.body(profile, "content/posts/grey.md", "Look:\n\n![Grey](image-1)")
    assert body == f"Look:\n\n![Grey](/img/grey/{image.name})"
    [model_input] = photos.model_inputs()
    assert model_input.url.startswith("data:image/jpeg;base64,")


async def test_a_lost_answer_never_commits_the_post_and_its_photos_twice() -> None:
    repo = FakeBlogRepository()
    image = prepare_image(_jpeg((200, 10, 10)), max_side=100, max_bytes=10**6)
    photos = Photos((image,), ("A red square",))
    draft = replace(DRAFT, body="Look:\n\n![A red square](image-1)\n")
    saved = Saved()
    repo.next_write("create_branch_with_files", "lose")
    with pytest.raises(PublishError):
        await publisher(repo).new_post(draft, "notes", None, saved, photos=photos)
    thread = await publisher(repo).new_post(draft, "notes", saved.last, saved, photos=photos)
    assert repo.writes == ["create_branch_with_files", "create_branch_with_files", "create_pull"]
    assert len(repo.new_commits(thread.branch)) == 1
    [image_path] = repo.binary_files(thread.branch)
    assert image_path.endswith(image.name)
    post = repo.files(thread.branch)[thread.path]
    assert f"![A red square](/{image_path.removeprefix('static/')})" in post
    assert "image-1" not in thread.body and image.name in thread.body


async def test_a_post_without_photos_is_published_as_before() -> None:
    repo = FakeBlogRepository()
    await publisher(repo).new_post(DRAFT, "notes", None, Saved(), photos=None)
    assert repo.writes == ["create_branch", "create_file", "create_pull"]
