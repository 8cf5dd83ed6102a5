"""The Writer holds a draft with private details until the writer chooses (in memory)."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from bot.core.images import prepare_image
from bot.core.photos import Photos
from bot.core.privacy import HeldForPrivacy
from tests.unit.test_writer import BRANCH, PATH, World

PHONE = "+44 20 7946 0958"
EMAIL = "jane.doe@acme.io"
BODY = (
    "Our support line is open on weekdays and we answer quickly. "
    f"Call {PHONE} or mail {EMAIL} if anything breaks after the upgrade."
)


async def held_job(world: World) -> HeldForPrivacy:
    world.model.will_write("Hello, world", BODY)
    record = await world.accept(10, "A post about hello, my number is in it")
    with pytest.raises(HeldForPrivacy) as held:
        await world.writer().handle(record, checkpoint=world.jobs.save)
    return held.value


async def test_a_draft_with_private_details_is_held_and_nothing_is_written() -> None:
    world = World()
    held = await held_job(world)
    assert [(f.kind, f.masked) for f in held.findings] == [
        ("phone", "+44 •• •••• •958"),
        ("email", "j•••@acme.io"),
    ]
    assert world.repo.writes == [] and world.repo.post_branches() == []
    saved = await world.saved(10)
    assert saved.kept_draft() is not None and saved.privacy is None  # kept for the choice


@pytest.mark.parametrize(("choice", "published"), [("remove", False), ("keep", True)])
async def test_the_writers_choice_publishes_the_kept_draft(choice: str, published: bool) -> None:
    world = World()
    await held_job(world)
    record = await world.saved(10)
    record.privacy = choice  # type: ignore[assignment]
    await world.jobs.save(record)
    outcome = await world.retry(world.writer(), 10)

    content = world.repo.new_files(BRANCH)[PATH]
    assert (PHONE in content) is published and (EMAIL in content) is published
    if not published:
        assert "Call [phone number removed] or mail [e-mail address removed] if" in content
        saved = await world.saved(10)
        assert saved.kept_draft() == outcome.thread.draft  # a resume publishes the same
    assert len(world.model.requests) == 1  # the kept draft, never a new one


async def test_a_revision_asks_only_about_details_it_adds() -> None:
    world = World()
    await held_job(world)
    record = await world.saved(10)
    record.privacy = "keep"
    await world.jobs.save(record)
    await world.retry(world.writer(), 10)

    world.model.will_write("Hello, world", BODY + " Now with a summary.")
    revision = await world.accept(20, "add a summary")
    outcome = await world.run(world.writer(), revision)  # the same details: no question
    assert outcome.kind == "revised"

    head = world.repo.commits[world.repo.branches[BRANCH]]
    assert head.message == "Revise post: add a summary"

    world.model.will_write("Hello, world", BODY + " Or ring +1 415-555-0132.")
    again = await world.accept(30, "add my US number")
    with pytest.raises(HeldForPrivacy) as held:
        await world.writer().handle(again, checkpoint=world.jobs.save)
    assert [f.masked for f in held.value.findings] == ["+1 •••-•••-•132"]


async def test_a_revisions_commit_message_never_holds_private_details() -> None:
    world = World()
    world.model.will_write("Hello, world", "No private details are in this short post at all.")
    await world.run(world.writer(), await world.accept(10, "A post about hello"))
    world.model.will_write("Hello, world", "Still no private details in this short post at all.")
    await world.run(world.writer(), await world.accept(20, f"mention {EMAIL} nowhere"))
    head = world.repo.commits[world.repo.branches[BRANCH]]
    assert head.message == "Revise post: mention [e-mail address removed] nowhere"


async def test_a_caption_that_becomes_alt_text_loses_its_private_details() -> None:
    world = World()
    jpeg = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 200, 10)).save(jpeg, "JPEG")
    image = prepare_image(jpeg.getvalue(), max_side=100, max_bytes=10**6)
    photos = Photos((image,), (f"Our stand, call {PHONE}",))
    world.model.will_write("Hello, world", "The post never places the photo.")  # alt: caption
    record = await world.accept(10, "A post about our stand")
    await world.writer().handle(record, checkpoint=world.jobs.save, photos=photos)
    content = world.repo.new_files(BRANCH)[PATH]
    assert "![Our stand, call (phone number removed)](" in content and PHONE not in content
