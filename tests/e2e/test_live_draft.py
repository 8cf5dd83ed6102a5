"""The writer watches the post being written (the real bot process, streaming from the fake
Workers AI): a growing message draft in a private chat, throttled edits of the status message in
a group, the phase in the status message (drafting or revising, retrying a busy model,
publishing), the typing action kept alive, and the final answer as before."""

from __future__ import annotations

import itertools

from tests.botprocess import WRITER_ID, BotProcess
from tests.fakes.telegram import BotMessage, FakeTelegram
from tests.fakes.workers_ai import FakeWorkersAI
from tests.helpers_chat import FIRST, model_post

# Markup-looking text and characters outside the BMP: nothing may break the preview. Every
# sentence differs (the quality gate refuses a looping draft).
_TOPICS = [
    "index",
    "vacuum",
    "planner",
    "replica",
    "cache",
    "query",
    "bloat",
    "checkpoint",
    "partition",
    "extension",
]
_CHANGES = (
    "ran faster",
    "needed less memory",
    "got simpler",
    "stopped stalling",
    "read fewer pages",
    "wrote less",
    "woke us less often",
)
BODY = " ".join(
    f"Note {i}: the {_TOPICS[i % 10]} {_CHANGES[i % 7]} with <b>Postgres 17</b> & "
    f"{i + 31}% > {i}% 🚀."
    for i in range(40)
)
POST = model_post("Postgres 17 is here", BODY)
DRAFTING = "✍️ Drafting your post…"
REVISING = "✍️ Revising your post…"
PUBLISHING = "📤 Publishing to GitHub…"


def answer(telegram: FakeTelegram, chat_id: int, marker: str = "Pull request #1") -> BotMessage:
    return telegram.wait_for_bot_message(
        chat_id, lambda m: marker in m.text or "⚠️" in m.text, timeout=30
    )


def test_a_private_chat_sees_the_draft_grow_then_the_answer(
    bot: BotProcess, telegram: FakeTelegram, workers_ai: FakeWorkersAI
) -> None:
    workers_ai.model_latency = 4.5  # long enough for the typing action to need renewing
    workers_ai.stream_seconds, workers_ai.stream_chunks = 2.5, 25
    workers_ai.queue_reply(POST)
    telegram.send_text(WRITER_ID, "A post about our move to Postgres 17")

    reply = answer(telegram, WRITER_ID)

    drafts = telegram.drafts(WRITER_ID)
    texts = [d.text for d in drafts]
    assert len(drafts) >= 4, texts
    assert len({d.draft_id for d in drafts}) == 1 and drafts[0].draft_id != 0
    # Each update shows more of the model's answer, as it wrote it (plain text: no markup lost).
    assert all(POST.startswith(text) for text in texts), texts
    assert [len(t) for t in texts] == sorted(len(t) for t in texts) and len(set(texts)) == len(
        texts
    )
    assert len(texts[-1]) > len(POST) / 2  # the end may be overtaken by the answer
    gaps = [b.at - a.at for a, b in itertools.pairwise(drafts)]
    assert min(gaps) >= 0.35, gaps  # throttled
    # The status message said what was going on, then became the answer (as before).
    assert reply.edits[0] == DRAFTING
    assert reply.edits[1:] in ([], [PUBLISHING])  # unless the answer overtook it
    assert "Postgres 17 is here" in reply.text
    assert telegram.chat_actions(WRITER_ID).count("typing") >= 2  # renewed while waiting
    edit_times = [r.at for r in telegram.requests if r.path.endswith("/editMessageText")]
    assert drafts[-1].at < edit_times[-1]  # the answer comes after the last draft update


def test_a_group_sees_throttled_edits_of_the_status_message(
    bot: BotProcess, telegram: FakeTelegram, workers_ai: FakeWorkersAI
) -> None:
    group = -5005
    workers_ai.stream_seconds, workers_ai.stream_chunks = 4.0, 40
    workers_ai.queue_reply(POST)
    telegram.send_text(
        WRITER_ID,
        f"@{telegram.bot_username} A post about Postgres 17",
        chat_id=group,
        chat_type="group",
    )

    reply = answer(telegram, group)

    assert telegram.drafts(group) == []  # no drafts outside private chats
    streamed = [e for e in reply.edits if e.startswith(DRAFTING + "\n\n")]
    assert len(streamed) >= 3, reply.edits
    shown = [e.removeprefix(DRAFTING + "\n\n") for e in streamed]
    assert all(POST.startswith(text) for text in shown), shown  # escaped, shown as written
    assert [len(t) for t in shown] == sorted(len(t) for t in shown)
    # Publishing to GitHub is shown when its turn comes before the answer's (1 s after the
    # last edit); here GitHub is quicker than that.
    assert reply.edits[0] == DRAFTING  # the status message as it was sent
    assert set(reply.edits[1:]) - set(streamed) <= {PUBLISHING}, reply.edits
    edits = [
        r.at
        for r in telegram.requests
        if r.path.endswith("/editMessageText")
        and telegram.decode_call(r) is not None
        and "Pull request" not in str(telegram.decode_call(r).params.get("text"))  # type: ignore[union-attr]
    ]
    [status_sent] = [r.at for r in telegram.requests if r.path.endswith("/sendMessage")]
    gaps = [b - a for a, b in itertools.pairwise([status_sent, *edits])]
    assert len(gaps) >= 3 and min(gaps) >= 0.95, gaps  # at most one message or edit a second
    assert "Postgres 17 is here" in reply.text


def test_a_revision_says_it_is_revising(
    bot: BotProcess, telegram: FakeTelegram, workers_ai: FakeWorkersAI
) -> None:
    workers_ai.queue_reply(FIRST)
    telegram.send_text(WRITER_ID, "A post about our move to Postgres 17")
    first = answer(telegram, WRITER_ID)
    assert first.edits[0] == DRAFTING

    workers_ai.queue_reply(model_post("Postgres 17 is here", "Shorter now."))
    telegram.send_text(WRITER_ID, "Make it shorter")
    revised = answer(telegram, WRITER_ID, "Revised pull request #1")

    assert revised.edits[0] == REVISING  # from the start
    assert revised.edits[1:] in ([], [PUBLISHING])  # unless the answer overtook it
    assert all(DRAFTING not in text for text in [*revised.edits, revised.text])


def test_a_busy_model_shows_the_retry(
    bot: BotProcess, telegram: FakeTelegram, workers_ai: FakeWorkersAI
) -> None:
    workers_ai.queue_error(429, 3040, "Capacity temporarily exceeded", retry_after=1)
    workers_ai.queue_reply(POST)
    telegram.send_text(WRITER_ID, "A post about our move to Postgres 17")

    reply = answer(telegram, WRITER_ID)

    busy = "⏳ The model is busy, retrying 2/4…"
    assert reply.edits[:3] == [DRAFTING, busy, DRAFTING]  # back to drafting once it answers
    assert reply.edits[3:] in ([], [PUBLISHING])  # unless the answer overtook it (edits 1/s)
    assert "Postgres 17 is here" in reply.text
    assert POST.startswith(telegram.drafts(WRITER_ID)[-1].text)
