"""The quality gate through the real bot process: a degenerate draft is asked for once more,
with the fault named; a second one is refused plainly and nothing reaches GitHub."""

from __future__ import annotations

from pathlib import Path

from tests.botprocess import BotProcess
from tests.fakes.github import FakeGitHub
from tests.fakes.telegram import FakeTelegram
from tests.fakes.workers_ai import FakeWorkersAI
from tests.helpers_chat import FIRST, model_post, post_file, send_and_wait

REQUEST = "A post about our move to Postgres 17, mention the 40% speed-up."
LOOP = model_post(
    "Moving to Postgres 17",
    " ".join(["We moved to Postgres 17 last month and saw a 40% speed-up."] * 6),
)
SYSTEM_PROMPT = (Path(__file__).parents[2] / "prompts" / "system.md").read_text(encoding="utf-8")
GOOD = model_post(
    "Moving to Postgres 17: 40% faster",
    "We moved to Postgres 17 last month and saw a 40% speed-up in our reporting queries.\n\n"
    "## What changed\n\nThe new planner picks better join orders, so we changed no query.",
)
CORRECTIVE = "Your previous answer could not be used as the blog post."


def last_user_message(request: dict[str, object]) -> str:
    messages = request["messages"]
    assert isinstance(messages, list)
    content = messages[-1]["content"]
    return content if isinstance(content, str) else str(content)


def test_a_looping_draft_is_asked_for_again_and_the_second_one_is_published(
    bot: BotProcess, telegram: FakeTelegram, workers_ai: FakeWorkersAI, github: FakeGitHub
) -> None:
    workers_ai.queue_reply(LOOP)
    workers_ai.queue_reply(GOOD)

    reply = send_and_wait(telegram, REQUEST, "Pull request #1")

    assert "Pull request #1" in reply.text and "⚠️" not in reply.text
    [pull] = github.pulls()
    post = post_file(github, pull["number"])
    assert post["title"] == "Moving to Postgres 17: 40% faster"
    assert post.content.count("We moved to Postgres 17") == 1
    # The model was asked twice; the second time it was told what was wrong, with the notes.
    first, second = workers_ai.text_requests()
    assert CORRECTIVE not in last_user_message(first)
    retry = last_user_message(second)
    assert CORRECTIVE in retry and "repeats the same sentence 6 times" in retry
    assert REQUEST in retry
    assert "quality gate rejected draft 1 of 2: repetition" in bot.logs()


def test_two_degenerate_drafts_are_refused_plainly_and_nothing_is_written(
    bot: BotProcess, telegram: FakeTelegram, workers_ai: FakeWorkersAI, github: FakeGitHub
) -> None:
    workers_ai.queue_reply(SYSTEM_PROMPT)  # the model echoes its instructions as the post
    workers_ai.queue_reply(LOOP)

    reply = send_and_wait(telegram, REQUEST, "Pull request")

    assert reply.text.startswith("⚠️")
    assert "neither was fit to publish" in reply.text
    assert "nothing was committed" in reply.text
    assert "repeats the same sentence" in reply.text  # what was wrong, in plain words
    assert "Traceback" not in reply.text
    assert github.write_requests() == []
    assert github.pulls() == []
    assert len(workers_ai.text_requests()) == 2
    logs = bot.logs()
    assert "quality gate rejected draft 1 of 2: template-debris" in logs
    assert "quality gate rejected draft 2 of 2: repetition" in logs
    assert REQUEST not in logs.split("quality gate rejected", 1)[1].split("\n", 1)[0]


def test_a_revision_in_the_wrong_language_twice_leaves_the_pull_request_as_it_was(
    bot: BotProcess, telegram: FakeTelegram, workers_ai: FakeWorkersAI, github: FakeGitHub
) -> None:
    workers_ai.queue_reply(FIRST)
    send_and_wait(telegram, "A post about Postgres 17", "Pull request #1")
    before = post_file(github, 1).content
    commits_before = len(github.write_requests())
    french = model_post(
        "Postgres 17",
        "Nous sommes passés à Postgres 17 le mois dernier. Les requêtes sont 40 % plus "
        "rapides grâce au nouveau planificateur, sans changer une seule requête.",
    )
    workers_ai.queue_reply(french)
    workers_ai.queue_reply(french)

    reply = send_and_wait(
        telegram, "Please add that the new planner is the reason it got faster.", "Revised"
    )

    assert reply.text.startswith("⚠️") and "written in French" in reply.text
    assert post_file(github, 1).content == before
    assert len(github.write_requests()) == commits_before
    assert "quality gate rejected draft 2 of 2: wrong-language" in bot.logs()
