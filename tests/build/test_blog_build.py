"""Build tier: the post the bot writes for each sample blog is published by the REAL generator
(built, and linked from the blog's listings), next to the blog's existing posts.

Excluded from the default run, like tests/build:

    bash tests/build/install_generators.sh
    .venv/bin/pytest -m build tests/unit/test_blog_build.py -q
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.blog import learn_profile, render_for_blog
from bot.core.blog.listing import add_to_listing
from tests.unit.test_blog_samples import BODY, DRAFT, KINDS, NOW, SECOND, TITLE, read_blog

pytestmark = pytest.mark.build


@pytest.mark.parametrize("kind", KINDS)
def test_bots_post_is_published_by_the_real_generator(kind: str, tmp_path: Path) -> None:
    from tests.build.generators import (
        SAMPLE_BLOGS,
        build,
        check_post_published,
        load_tree,
        missing_generator,
    )

    reason = missing_generator(kind)
    if reason:
        pytest.skip(reason)
    paths, contents = read_blog(kind)
    profile = learn_profile(paths, contents)
    post = render_for_blog(profile, DRAFT, now=NOW)
    tree = load_tree(SAMPLE_BLOGS / kind)
    tree[post.path] = post.content.encode()
    if profile.listing:
        listing = tree[profile.listing].decode()
        tree[profile.listing] = add_to_listing(profile, post, TITLE, listing, now=NOW).encode()
    result = build(kind, tree, workdir=tmp_path)
    assert result.ok, f"{kind} build failed:\n{result.output[-4000:]}\n{post.content}"
    assert not check_post_published(kind, result.site_dir, TITLE, BODY), post.content
    assert not check_post_published(kind, result.site_dir, TITLE, SECOND), post.content
