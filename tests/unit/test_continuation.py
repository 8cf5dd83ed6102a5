"""Whole answers: a cut-off answer continued by follow-up calls and joined without a seam."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pytest

from bot.core import prompts
from bot.core.continuation import MAX_CONTINUATIONS, complete_whole, join, resume_point
from bot.core.conversation import PostThread
from bot.core.drafting import Drafter
from bot.core.errors import AnswerCutOff, PostTooLong
from bot.core.ports import ChatMessage, ImageInput, ModelListener
from bot.core.usage import ModelUsage, estimated_neurons, posts_per_day

POST = (
    "---\n"
    'title: "Moving to Postgres 17"\n'
    'description: "What the upgrade changed."\n'
    "tags: [postgres]\n"
    "---\n"
    "\n"
    "We moved our main database to Postgres 17 last month, and the queries that matter got "
    "about forty percent faster.\n"
    "\n"
    "## How we went about it\n"
    "\n"
    "First we copied production into a staging cluster and replayed a day of traffic against it. "
    "Then we compared the slow query logs side by side.\n"
    "\n"
    "## What we learned\n"
    "\n"
    "Upgrades are boring when the rehearsal is thorough. We would do it the same way again.\n"
)


def test_a_continuation_that_picks_up_exactly_is_joined_as_it_is() -> None:
    cut = POST.index("against it.")
    assert join(POST[:cut], POST[cut:]) == POST


def test_repeated_last_words_are_dropped() -> None:
    head = resume_point(POST[: POST.index("a day of traffic")])
    repeat = head.rstrip().rsplit(" ", 3)[-3]  # the model starts three words back
    tail = POST[POST.index(repeat, len(head) - 40) :]
    assert join(head, tail) == POST


def test_a_repeated_sentence_is_dropped() -> None:
    head = POST[: POST.index("Then we compared")]
    tail = POST[POST.index("First we copied") :]
    assert join(head, tail) == POST


def test_a_post_started_again_from_the_front_matter_is_not_duplicated() -> None:
    head = POST[: POST.index("## What we learned")]
    assert join(head, POST) == POST


def test_front_matter_written_again_is_dropped() -> None:
    head = POST[: POST.index("## How we went")]
    front_matter = POST[: POST.index("\n\nWe moved")]
    tail = front_matter + "\n\n" + POST[len(head) :]
    assert join(head, tail) == POST
    assert join(head, tail).count("title:") == 1


def test_a_thematic_break_in_the_continuation_is_kept() -> None:
    head = POST[: POST.index("## What we learned")]
    tail = "---\n\n## What we learned\n\nA rule above, a rule below.\n\n---\n\nThe end.\n"
    assert join(head, tail) == head + tail


def test_a_sentence_said_again_much_later_is_not_a_repeat() -> None:
    head = POST[: POST.index("## What we learned")]
    anchor = head.rstrip()[-60:]
    tail = "## What we learned\n\n" + "Something new. " * 80 + "\n\nQuoting ourselves: " + anchor
    assert join(head, tail) == head + tail


def test_a_word_cut_in_two_is_written_again_whole() -> None:
    partial = POST[: POST.index("staging") + 3]  # "... into a sta"
    head = resume_point(partial)
    assert head.endswith("into a ")
    assert join(head, POST[len(head) :]) == POST
    # A model that answers without the leading space joins the same way.
    assert join(head.rstrip(), " " + POST[len(head) :]) == POST


def test_a_cut_at_a_line_break_keeps_the_paragraph_break() -> None:
    head = POST[: POST.index("## How we went")]  # ends with "\n\n"
    assert join(head, "## How we went" + POST.split("## How we went", 1)[1]) == POST
    assert join(head.rstrip(), "\n\n" + POST[len(head) :]) == POST


def test_a_short_word_said_twice_is_kept() -> None:
    assert join("It was a very ", "very good day.") == "It was a very very good day."


def test_resume_point_keeps_a_text_that_ends_with_whitespace() -> None:
    assert resume_point("One two.\n\n") == "One two.\n\n"
    assert resume_point("One two") == "One "
    assert resume_point("Word") == "Word"


@dataclass
class CuttingModel:
    """Answers with `pieces` in turn; each but the last stops at the limit."""

    pieces: list[str]
    model: str = "@cf/google/gemma-4-26b-a4b-it"
    requests: list[list[ChatMessage]] = field(default_factory=list)
    images: list[list[ImageInput]] = field(default_factory=list)
    never_finishes: bool = False

    async def complete(
        self,
        messages: Sequence[ChatMessage],
        *,
        images: Sequence[ImageInput] = (),
        listener: ModelListener | None = None,
        usage: ModelUsage | None = None,
    ) -> str:
        self.requests.append(list(messages))
        self.images.append(list(images))
        piece = self.pieces[min(len(self.requests), len(self.pieces)) - 1]
        if listener is not None:
            for end in range(1, len(piece) + 1, 7):
                await listener.text(piece[:end])
            await listener.text(piece)
        if usage is not None:
            usage.record(self.model, 1000, 300, None)
        if self.never_finishes or len(self.requests) < len(self.pieces):
            raise AnswerCutOff("the model ran out of tokens before finishing", partial=piece)
        return piece


@dataclass
class Heard:
    texts: list[str] = field(default_factory=list)

    async def text(self, so_far: str) -> None:
        self.texts.append(so_far)

    async def retrying(self, attempt: int, attempts: int) -> None:
        pass


async def test_cut_twice_then_finished_is_one_post_from_three_calls() -> None:
    first = POST[: POST.index("staging") + 3]
    second_starts = len(resume_point(first))
    second = POST[second_starts : POST.index("We would do")]
    third = POST[POST.index("We would do") :]
    model = CuttingModel([first, second, third])
    heard, usage = Heard(), ModelUsage()
    messages: list[ChatMessage] = [
        {"role": "system", "content": "You write posts."},
        {"role": "user", "content": "Notes"},
    ]
    picture = [ImageInput("data:image/png;base64,AAAA")]

    text = await complete_whole(model, messages, images=picture, listener=heard, usage=usage)

    assert text == POST
    assert len(model.requests) == 3
    assert model.images == [picture, [], []]
    for request in model.requests[1:]:
        assert request[:2] == messages
        assert request[2]["role"] == "assistant"
        assert POST.startswith(request[2]["content"])
        assert request[3] == {"role": "user", "content": prompts.render("continue")}
    assert model.requests[2][2]["content"] == resume_point(POST[: POST.index("We would do")])
    # The listener saw the whole text grow: nothing shown after the first cut starts over.
    after_first_cut = heard.texts[heard.texts.index(first) + 1 :]
    assert after_first_cut
    assert all(shown.startswith(resume_point(first)) for shown in after_first_cut)
    assert heard.texts[-1] == POST
    assert (usage.calls, usage.prompt_tokens, usage.completion_tokens) == (3, 3000, 900)


async def test_still_cut_off_after_the_last_continuation_is_a_clear_failure() -> None:
    model = CuttingModel(["word " * 50], never_finishes=True)
    with pytest.raises(PostTooLong) as raised:
        await Drafter(model).write("A long post")
    assert len(model.requests) == 1 + MAX_CONTINUATIONS
    assert "too long" in raised.value.user_message
    assert "shorter" in raised.value.user_message


async def test_the_drafter_continues_a_cut_off_post() -> None:
    first = POST[: POST.index("## What we learned")]
    model = CuttingModel([first, POST[len(first) :]])
    draft = await Drafter(model).write("Notes")
    assert draft.title == "Moving to Postgres 17"
    assert draft.body.rstrip().endswith("We would do it the same way again.")
    assert len(model.requests) == 2


async def test_a_revision_cut_off_is_continued_with_its_usage_counted() -> None:
    first = POST[: POST.index("Then we compared")]
    model = CuttingModel([first, POST[len(first) :]])
    thread = PostThread(
        number=7,
        url="https://github.com/acme/blog/pull/7",
        branch="blogbot/postgres",
        path="content/posts/postgres.md",
        file_sha="abc",
        commit_url="",
        date="2026-11-27T10:00:00+00:00",
        title="Moving to Postgres 17",
        description="What the upgrade changed.",
        tags=["postgres"],
        body="We moved.\n",
        words=2,
    )
    usage = ModelUsage()

    draft = await Drafter(model).revise(thread, "Make it longer", usage=usage)

    assert draft.body.rstrip().endswith("We would do it the same way again.")
    assert model.requests[1][:-2] == model.requests[0]
    assert model.requests[1][-2] == {"role": "assistant", "content": resume_point(first)}
    assert usage.calls == 2


def test_neurons_are_estimated_at_the_published_price() -> None:
    # NOTES.md: 1,500 input and 1,200 output tokens are about 46 neurons.
    assert estimated_neurons("@cf/google/gemma-4-26b-a4b-it", 1500, 1200) == pytest.approx(46.41)
    usage = ModelUsage()
    usage.record("@cf/google/gemma-4-26b-a4b-it", 1500, 1200, None)
    usage.record("@cf/google/gemma-4-26b-a4b-it", 100, 100, 3.5)
    assert usage.neurons == pytest.approx(49.91)
    assert usage.estimated
    assert posts_per_day(46.41) == 215
