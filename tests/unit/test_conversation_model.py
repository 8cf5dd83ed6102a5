"""The conversation's plain-data core: history bounding, memory limits, the per-chat job queue."""

from __future__ import annotations

import asyncio

from bot.core.conversation import MAX_POSTS, Conversation, PostThread, Turn, bounded_history
from bot.telegram.chat_queue import LONG_PIECE_CHARS, ChatJobs, Job, Piece


def thread(number: int, updated: str = "2026-11-27T10:00:00+00:00") -> PostThread:
    return PostThread(
        number=number,
        url=f"https://github.com/acme/blog/pull/{number}",
        branch=f"blogbot/post-{number}",
        path=f"content/posts/post-{number}.md",
        file_sha="abc",
        commit_url="",
        date="2026-11-27T10:00:00+00:00",
        title=f"Post {number}: «quotes» and émoji 🚀",
        description="d",
        tags=["a"],
        body="Body\n",
        words=1,
        updated_at=updated,
        history=[Turn("user", "write it"), Turn("assistant", "(Version 1)")],
    )


def test_history_drops_the_oldest_turns_but_never_the_system_prompt_or_the_request() -> None:
    history = [Turn("user", f"turn {i} " + "x" * 100) for i in range(50)]
    final = "CURRENT POST " + "y" * 1000
    messages = bounded_history("SYSTEM", history, final, budget_chars=2000)
    assert messages[0] == {"role": "system", "content": "SYSTEM"}
    assert messages[-1] == {"role": "user", "content": final}
    kept = [m["content"] for m in messages[1:-1]]
    assert kept and kept[-1].startswith("turn 49")  # the newest turns survive
    assert not any(k.startswith("turn 0 ") for k in kept)
    assert sum(len(m["content"]) for m in messages) <= 2000


def test_history_with_a_huge_current_post_still_sends_system_and_request() -> None:
    messages = bounded_history("SYSTEM", [Turn("user", "old")], "z" * 5000, budget_chars=100)
    assert [m["role"] for m in messages] == ["system", "user"]


def test_conversation_round_trips_through_json() -> None:
    conversation = Conversation(chat_id=-100123)
    conversation.remember(thread(1), message_ids=[10, 11])
    conversation.remember(thread(2), message_ids=[20])
    again = Conversation.from_json(conversation.to_json())
    assert again == conversation
    assert again.current == 2
    post = again.post_for_message(11)
    assert post is not None and post.number == 1


def test_only_the_latest_posts_are_remembered() -> None:
    conversation = Conversation(chat_id=1)
    for n in range(1, MAX_POSTS + 3):
        conversation.remember(thread(n, f"2026-11-27T10:{n:02d}:00+00:00"), message_ids=[n * 10])
    assert sorted(conversation.posts) == list(range(3, MAX_POSTS + 3))
    assert conversation.post_for_message(10) is None


async def test_pieces_of_a_long_paste_join_and_short_messages_do_not() -> None:
    ran: list[str] = []

    async def run(job: Job) -> None:
        ran.append(job.text)

    jobs = ChatJobs(run, join_window=0.5)
    long_piece = "a" * LONG_PIECE_CHARS
    first, is_new = jobs.add(1, Piece(long_piece, 1))
    assert is_new
    jobs.start(first)
    assert jobs.add(1, Piece(long_piece, 2)) == (first, False)  # joined
    assert jobs.add(1, Piece("the end", 3)) == (first, False)  # joined, and closes the paste
    second, is_new = jobs.add(1, Piece("another request", 4))
    assert is_new  # a new job: the paste was closed by its short last piece
    jobs.start(second)
    while len(ran) < 2:
        await asyncio.sleep(0.01)
    assert ran == [f"{long_piece}\n{long_piece}\nthe end", "another request"]


async def test_a_file_right_after_a_long_paste_is_a_job_of_its_own() -> None:
    jobs = ChatJobs(lambda job: asyncio.sleep(0), join_window=0.5)
    paste, _ = jobs.add(1, Piece("a" * LONG_PIECE_CHARS, 1))
    voice, is_new = jobs.add(1, Piece("", 2, joins=False))
    assert is_new and voice is not paste and paste.text == "a" * LONG_PIECE_CHARS
    jobs.add(2, Piece("b" * LONG_PIECE_CHARS, 3, joins=False))
    assert jobs.add(2, Piece("more", 4))[1]  # a file's job never waits for more pieces


async def test_the_photos_of_an_album_are_one_job_and_other_messages_are_not() -> None:
    jobs = ChatJobs(lambda job: asyncio.sleep(0), join_window=0.5)
    album, is_new = jobs.add(1, Piece("Our trip", 1, joins=False, group="g1"))
    assert is_new
    assert jobs.add(1, Piece("", 2, joins=False, group="g1")) == (album, False)
    assert jobs.add(1, Piece("Sunset", 3, joins=False, group="g1")) == (album, False)
    assert album.text == "Our trip\nSunset"
    other, is_new = jobs.add(1, Piece("", 4, joins=False, group="g2"))
    assert is_new and other is not album  # another album
    typed, is_new = jobs.add(1, Piece("a" * LONG_PIECE_CHARS, 5))
    assert is_new and typed is not other  # a paste never joins an album


async def test_jobs_run_one_at_a_time_per_chat_and_in_parallel_across_chats() -> None:
    active: dict[int, int] = {}
    overlap_in_chat = False
    peak_chats = 0
    done = asyncio.Event()
    finished: list[str] = []

    async def run(job: Job) -> None:
        nonlocal overlap_in_chat, peak_chats
        active[job.chat_id] = active.get(job.chat_id, 0) + 1
        overlap_in_chat |= active[job.chat_id] > 1
        peak_chats = max(peak_chats, sum(1 for v in active.values() if v))
        await asyncio.sleep(0.05)
        active[job.chat_id] -= 1
        finished.append(job.text)
        if len(finished) == 6:
            done.set()

    jobs = ChatJobs(run, join_window=0.1)
    for chat in (1, 2):
        for i in range(3):
            job, is_new = jobs.add(chat, Piece(f"{chat}-{i}", i))
            assert is_new
            jobs.start(job)
    await asyncio.wait_for(done.wait(), 5)
    assert not overlap_in_chat
    assert peak_chats == 2
    assert [t for t in finished if t.startswith("1-")] == ["1-0", "1-1", "1-2"]


async def test_cancel_stops_a_running_job_but_not_past_the_point_of_no_return() -> None:
    started = asyncio.Event()
    outcome: list[str] = []

    async def run(job: Job) -> None:
        started.set()
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            outcome.append("cancelled")
            raise

    jobs = ChatJobs(run, join_window=0)
    assert jobs.cancel(1) is None
    job, _ = jobs.add(1, Piece("x", 1))
    jobs.start(job)
    await started.wait()
    job.cancellable = False
    assert jobs.cancel(1) is False
    job.cancellable = True
    assert jobs.cancel(1) is True
    while jobs.busy(1):
        await asyncio.sleep(0.01)
    assert outcome == ["cancelled"]
