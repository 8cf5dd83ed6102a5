"""The blob shas of the blog (what the similar-post check caches by) and links to its files,
from the GitHub adapter against the fake GitHub."""

from __future__ import annotations

import hashlib

import pytest

from bot.adapters.github_repo import web_url
from tests.fakes.github import FakeGitHub
from tests.integration.test_github_repo import make_repository


def git_blob_sha(text: str) -> str:
    data = text.encode()
    return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()


async def test_every_files_blob_sha_at_a_commit() -> None:
    post = "---\ntitle: Restores\n---\n\nPractise them.\n"
    with FakeGitHub(files={"_posts/2025-01-01-restores.md": post, "README.md": "# Blog\n"}) as fake:
        repository = make_repository(fake)
        try:
            _, head = await repository.base_head()
            shas = await repository.blob_shas(head)
            fake.commit("main", {"_posts/2025-01-01-restores.md": post + "More.\n"})
            _, moved = await repository.base_head()
            after = await repository.blob_shas(moved)
        finally:
            repository.close()
        assert not fake.errors
    assert shas == {
        "_posts/2025-01-01-restores.md": git_blob_sha(post),
        "README.md": git_blob_sha("# Blog\n"),
    }
    assert after["_posts/2025-01-01-restores.md"] == git_blob_sha(post + "More.\n")
    assert after["README.md"] == shas["README.md"]  # unchanged file, same sha


def test_links_to_a_file(github: FakeGitHub) -> None:
    repository = make_repository(github)
    try:
        link = repository.file_link("main", "content/posts/a b.md")
    finally:
        repository.close()
    assert link == f"{github.html_root}/blob/main/content/posts/a%20b.md"


@pytest.mark.parametrize(
    ("api_url", "page"),
    [
        ("https://api.github.com", "https://github.com/acme/blog"),
        ("https://api.github.com/", "https://github.com/acme/blog"),
        ("https://git.example.com/api/v3", "https://git.example.com/acme/blog"),
    ],
)
def test_the_repositorys_pages(api_url: str, page: str) -> None:
    assert web_url(api_url, "acme/blog") == page
