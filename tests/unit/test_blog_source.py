"""What the bot knows of the blog is learned once per base head, not once per message."""

from __future__ import annotations

import pytest

from bot.core.blog_source import BlogKnowledge
from bot.core.errors import PublishError
from tests.unit.fakes import FakeBlogRepository

HUGO = {
    "hugo.toml": 'title = "Field notes"\n',
    "content/posts/first-light.md": (
        '+++\ntitle = "First light"\ndate = 2025-02-27T09:00:00+01:00\n+++\n\n'
        "The dome opened at dusk and the first star trails came out sharp.\n"
    ),
}


class CountingRepository(FakeBlogRepository):
    def __post_init__(self) -> None:
        super().__post_init__()
        self.trees = 0

    async def read_tree(self, commit_sha: str) -> list[str]:
        self.trees += 1
        return await super().read_tree(commit_sha)


async def test_the_blog_is_learned_once_while_the_base_head_stays() -> None:
    repo = CountingRepository()
    repo.push(repo.base, HUGO, "A Hugo blog")
    knowledge = BlogKnowledge(repo)

    first = await knowledge.latest()
    again = await knowledge.at(first.head_sha)

    assert repo.trees == 1
    assert again is first
    assert first.profile.generator == "hugo" and first.profile.front_matter == "toml"
    assert "first star trails" in first.style


async def test_a_moved_base_head_is_learned_again() -> None:
    repo = CountingRepository()
    repo.push(repo.base, HUGO, "A Hugo blog")
    knowledge = BlogKnowledge(repo)
    await knowledge.latest()

    moved = repo.push(repo.base, {".blogbot.yml": "posts_dir: content/notes\n"}, "Pin a folder")
    learned = await knowledge.at(moved)

    assert repo.trees == 2
    assert learned.profile.posts_dir == "content/notes"


async def test_an_unusable_blogbot_yml_is_a_clear_publish_error() -> None:
    repo = CountingRepository()
    repo.push(repo.base, {".blogbot.yml": "front_matter: xml\n"}, "Bad pin")
    knowledge = BlogKnowledge(repo)

    with pytest.raises(PublishError) as refused:
        await knowledge.latest()

    assert refused.value.user_message.startswith("The blog's .blogbot.yml cannot be used")
    assert "front_matter" in refused.value.user_message
