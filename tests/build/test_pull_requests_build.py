"""Build tier: the pull request the real bot process opens on each sample blog is published by
the blog's REAL generator. The branch's whole tree, as the fake GitHub holds it, is built; the
new post's page must exist with its title and text, and the blog's listings must link it.

Excluded from the default run, like the rest of tests/build:

    bash tests/build/install_generators.sh
    .venv/bin/pytest -m build tests/build/test_pull_requests_build.py -q

A kind whose generator is not installed skips with the reason, before any bot is started.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.botprocess import BotProcess
from tests.build.generators import build, check_post_published, missing_generator
from tests.fakes.github import FakeGitHub
from tests.fakes.telegram import FakeTelegram
from tests.fakes.workers_ai import FakeWorkersAI
from tests.helpers_blogs import FIRST, KINDS, SECOND, TITLE, publish_one_post, sample_blog_github

pytestmark = [
    pytest.mark.build,
    pytest.mark.skipif(not KINDS, reason="no sample blogs in tests/blogs"),
]

# Reported to the lead; strict: the day it is fixed the case XPASSes and fails, so the mark goes.
KNOWN_BUGS: dict[str, str] = {}  # kind -> a product bug that kind still shows


class ListingMissing(AssertionError):
    """The post was built but a listing does not link it (a reported product bug)."""


@pytest.fixture(
    params=[
        pytest.param(
            k, marks=pytest.mark.xfail(strict=True, raises=ListingMissing, reason=KNOWN_BUGS[k])
        )
        if k in KNOWN_BUGS
        else k
        for k in KINDS
    ]
)
def kind(request: pytest.FixtureRequest) -> str:
    name = str(request.param)
    reason = missing_generator(name)
    if reason:
        pytest.skip(reason)
    return name


@pytest.fixture
def github(kind: str) -> Iterator[FakeGitHub]:
    """The fake GitHub's main branch holds the sample blog `kind` (overrides conftest's)."""
    with sample_blog_github(kind) as fake:
        yield fake


def test_the_bots_pull_request_builds_and_lists_the_post(
    kind: str,
    bot: BotProcess,
    telegram: FakeTelegram,
    workers_ai: FakeWorkersAI,
    github: FakeGitHub,
    tmp_path: Path,
) -> None:
    post = publish_one_post(telegram, workers_ai, github)
    tree = {path: text.encode() for path, text in github.files(post.branch).items()}

    (tmp_path / "build").mkdir()
    result = build(kind, tree, workdir=tmp_path / "build")
    assert result.ok, f"{kind} build failed:\n{result.output[-4000:]}\n--- {post.path}\n{post.text}"
    problems = list(
        dict.fromkeys(
            check_post_published(kind, result.site_dir, TITLE, FIRST)
            + check_post_published(kind, result.site_dir, TITLE, SECOND)
        )
    )
    page_missing = any(p.startswith("no built page") for p in problems)
    message = f"{kind}: {problems}\n--- {post.path}\n{post.text}"
    if problems and not page_missing and all("listing" in p for p in problems):
        raise ListingMissing(message)
    assert not problems, message
