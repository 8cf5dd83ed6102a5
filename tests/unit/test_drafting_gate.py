"""The Drafter puts every answer through the quality gate: one corrective retry, then a plain
refusal."""

from __future__ import annotations

import logging

import pytest

from bot.core.conversation import PostThread
from bot.core.drafting import Drafter
from bot.core.errors import DraftRejected
from tests.unit.fakes import FakeModel

NOTES = "A post about our move to Postgres 17, mention the 40% speed-up."
GOOD_BODY = "We moved to Postgres 17 last month and saw a 40% speed-up in our reporting queries."
LOOP_BODY = " ".join(["We moved to Postgres 17 and it was fast."] * 5)
GERMAN_BODY = (
    "Wir sind letzten Monat auf Postgres 17 umgestiegen, und unsere Berichtsabfragen sind um "
    "40 % schneller geworden. Der neue Planer wählt bessere Reihenfolgen für die Joins."
)


async def test_a_good_first_draft_is_taken_as_it_is() -> None:
    model = FakeModel()
    model.will_write("Postgres 17", GOOD_BODY)
    draft = await Drafter(model).write(NOTES)
    assert draft.body == GOOD_BODY
    assert len(model.requests) == 1


async def test_a_rejected_draft_is_asked_for_again_with_the_fault_named(
    caplog: pytest.LogCaptureFixture,
) -> None:
    model = FakeModel()
    model.will_write("Postgres 17", LOOP_BODY)
    model.will_write("Postgres 17", GOOD_BODY)
    with caplog.at_level(logging.INFO, logger="bot.core.drafting"):
        draft = await Drafter(model).write(NOTES)
    assert draft.body == GOOD_BODY
    first, second = model.requests
    assert second[:-1] == first[:-1]  # the same system prompt
    assert second[-1]["content"].startswith(first[-1]["content"])  # the same notes, and then
    assert "repeats the same sentence 5 times" in second[-1]["content"]  # what was wrong
    [rejected] = [r for r in caplog.records if "rejected" in r.getMessage()]
    assert "draft 1 of 2: repetition" in rejected.getMessage()
    assert NOTES not in caplog.text


async def test_two_rejected_drafts_raise_a_plain_refusal() -> None:
    model = FakeModel()
    model.will_write("Postgres 17", "<start_of_turn>model\n" + GOOD_BODY)
    model.will_write("Postgres 17", LOOP_BODY)
    with pytest.raises(DraftRejected) as caught:
        await Drafter(model).write(NOTES)
    assert caught.value.rules == ("repetition",)
    message = caught.value.user_message
    assert "nothing was committed" in message and "repeats the same sentence" in message
    assert len(model.requests) == 2


async def test_a_revision_keeps_the_posts_language_when_asked_in_another() -> None:
    thread = PostThread(
        number=1,
        url="https://github.com/acme/blog/pull/1",
        branch="blogbot/postgres-17",
        path="content/posts/postgres-17.md",
        file_sha="abc",
        commit_url="https://github.com/acme/blog/commit/abc",
        date="2026-11-27T09:30:00+01:00",
        title="Postgres 17",
        description="Unser Umzug auf Postgres 17.",
        tags=["postgres"],
        body=GERMAN_BODY,
        words=30,
    )
    model = FakeModel()
    model.will_write("Postgres 17", GERMAN_BODY + " Das hat uns sehr gefreut.")
    request = "Please end the post with a sentence that says how happy we were about it."
    draft = await Drafter(model).revise(thread, request)
    assert draft.body.endswith("Das hat uns sehr gefreut.")
    assert len(model.requests) == 1
