"""A maintainer's commits on a post's branch and merges, met by the Writer (in memory): their
edits are what the model revises and what the commit goes on top of; a merge or a close
during a revision never commits to the old branch."""

from __future__ import annotations

import io
import json

import pytest
from PIL import Image

from bot.core.conversation import Conversation
from bot.core.errors import NothingToChange, PublishError
from bot.core.images import prepare_image
from bot.core.photos import Photos
from tests.unit.fakes import FakeBlogRepository
from tests.unit.test_writer import BRANCH, CHAT, PATH, World, revision_world


def maintainer_fix(
    repo: FakeBlogRepository, old: str = "Hi there.", new: str = "Hi, there!"
) -> str:
    text = repo.files(BRANCH)[PATH].replace(old, new)
    return repo.push(BRANCH, {PATH: text}, "Fix a typo")


def last_prompt(world: World) -> str:
    return world.model.requests[-1][-1]["content"]


async def test_the_revision_starts_from_the_maintainers_text_and_goes_on_top() -> None:
    world = await revision_world()
    theirs = maintainer_fix(world.repo)
    outcome = await world.run(world.writer(), await world.accept(20, "Make it shorter"))
    assert "Hi, there!" in last_prompt(world)
    assert outcome.note == "Kept the maintainer's edits (1 commit by Someone Else)."
    head = world.repo.branches[BRANCH]
    assert world.repo.commits[head].parent == theirs  # a fast-forward on top of theirs
    assert "Shorter now." in world.repo.files(BRANCH)[PATH]
    assert outcome.thread.head_sha == head


async def test_with_photos_the_one_commit_goes_on_top_of_theirs_too() -> None:
    world = await revision_world()
    theirs = maintainer_fix(world.repo)
    image = prepare_image(_jpeg(), max_side=100, max_bytes=10**6)
    record = await world.accept(20, "Add this photo")
    outcome = await world.writer().handle(
        record, checkpoint=world.jobs.save, photos=Photos((image,), ("A red square",))
    )
    assert outcome.kind == "revised" and "Kept the maintainer's edits" in (outcome.note or "")
    assert "Hi, there!" in last_prompt(world)
    head = world.repo.branches[BRANCH]
    assert world.repo.commits[head].parent == theirs
    assert any(path.endswith(image.name) for path in world.repo.binary_files(BRANCH))


async def test_a_commit_while_the_model_drafts_is_read_and_the_revision_redrafted_once() -> None:
    world = await revision_world()
    theirs: list[str] = []
    world.model.meanwhile.append(lambda: theirs.append(maintainer_fix(world.repo)))
    world.model.will_write("Hello again", "Shorter now, with every fact kept.")  # the redraft
    outcome = await world.run(world.writer(), await world.accept(20, "Make it shorter"))
    assert len(world.model.requests) == 3  # the post, the revision, its redraft
    assert "Hi, there!" in last_prompt(world)
    assert world.repo.commits[world.repo.branches[BRANCH]].parent == theirs[0]
    assert outcome.note == "Kept the maintainer's edits (1 commit by Someone Else)."


async def test_commits_during_every_draft_end_in_a_clear_answer_not_a_loop() -> None:
    world = await revision_world()
    world.model.meanwhile += [
        lambda: maintainer_fix(world.repo, "Hi there.", "Hey there."),
        lambda: maintainer_fix(world.repo, "Hey there.", "Hey there!"),
    ]
    world.model.will_write("Hello again", "Shorter now, with every fact kept.")
    with pytest.raises(PublishError) as failed:
        await world.run(world.writer(), await world.accept(20, "Make it shorter"))
    assert "keeps committing" in failed.value.user_message
    assert not any("Revise" in c.message for c in world.repo.commits.values())
    # Later, with the branch quiet, /retry reads it again and succeeds.
    world.model.will_write("Hello again", "Shorter now, with every fact kept.")
    outcome = await world.retry(world.writer(), 20)
    assert outcome.kind == "revised" and "Hey there!" in last_prompt(world)


async def test_a_merge_while_the_model_drafts_becomes_a_follow_up_pull_request() -> None:
    world = await revision_world()
    merged_head = world.repo.branches[BRANCH]

    def merge() -> None:
        world.repo.pulls[1].state = "merged"
        world.repo.push("main", world.repo.files(BRANCH), "Merge pull request #1")

    world.model.meanwhile.append(merge)
    outcome = await world.run(world.writer(), await world.accept(20, "Make it shorter"))
    assert outcome.kind == "followup" and outcome.thread.number == 2
    assert outcome.note and "was merged while I was revising it" in outcome.note
    assert world.repo.branches[BRANCH] == merged_head  # nothing pushed to the merged branch
    follow_up = world.repo.pulls[2]
    assert follow_up.branch == BRANCH + "-edit"
    assert "Shorter now." in world.repo.files(follow_up.branch)[PATH]
    assert list(world.repo.new_files(follow_up.branch)) == [PATH]
    assert "Edits the post merged in #1." in follow_up.body
    conversation = await world.conversations.load(CHAT)
    assert conversation.current == 2 and conversation.posts[2].follows == 1


async def test_a_close_while_the_model_drafts_commits_nothing_and_says_so() -> None:
    world = await revision_world()
    head = world.repo.branches[BRANCH]
    world.model.meanwhile.append(lambda: setattr(world.repo.pulls[1], "state", "closed"))
    outcome = await world.run(world.writer(), await world.accept(20, "Make it shorter"))
    assert outcome.kind == "closed" and outcome.thread.number == 1
    assert world.repo.branches[BRANCH] == head and len(world.repo.pulls) == 1
    assert (await world.saved(20)).kind == "ask"


async def test_a_thread_saved_before_these_fields_loads_and_knows_its_head() -> None:
    world = World()
    await world.run(world.writer(), await world.accept(10, "A post about hello"))
    raw = json.loads((await world.conversations.load(CHAT)).to_json())
    for name in ("notes", "head_sha", "changes", "follows"):
        del raw["posts"]["1"][name]
    old = Conversation.from_json(json.dumps(raw)).posts[1]
    assert old.own_head == world.repo.branches[BRANCH]  # read from its commit link
    assert old.writer_notes == "A post about hello"  # the first turn
    assert old.changes == [] and old.follows is None


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 10, 10)).save(out, "JPEG")
    return out.getvalue()


async def test_a_follow_up_that_changes_nothing_opens_nothing() -> None:
    world = World()
    await world.run(world.writer(), await world.accept(10, "A post about hello"))
    world.repo.pulls[1].state = "merged"
    world.repo.push("main", world.repo.files(BRANCH), "Merge pull request #1")
    record = await world.accept(20, "Keep it as it is")
    asked = await world.run(world.writer(), record)
    assert asked.kind == "ask"
    record = await world.saved(20)
    record.kind = "followup"
    world.model.will_write("Hello, world")  # exactly the merged post
    with pytest.raises(NothingToChange) as refused:
        await world.writer().handle(record, checkpoint=world.jobs.save)
    assert "already reads exactly like this" in refused.value.user_message
    assert world.repo.post_branches() == [BRANCH] and len(world.repo.pulls) == 1
