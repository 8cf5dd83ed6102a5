"""Photos as a writer meets them: the real bot process against the fakes.

An album is one job: the model sees every photo, the post links each with alt text, and the post
and its images land on the pull request's branch as one commit, their metadata (GPS included)
stripped. A photo sent while a post is current goes into that post in one commit. A
decompression bomb gets one clear answer and nothing is written.
"""

from __future__ import annotations

import base64
import io
import struct
import zlib
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from tests.botprocess import WRITER_ID, BotProcess
from tests.fakes.base import Response
from tests.fakes.github import FakeGitHub
from tests.fakes.telegram import BotMessage, FakeTelegram
from tests.fakes.workers_ai import FakeWorkersAI
from tests.helpers_chat import FIRST, model_post, send_and_wait

REPO_PATH = "/repos/acme/blog"

GPS_IFD = 0x8825
CAPACITY = Response.json(
    429,
    {
        "result": None,
        "success": False,
        "errors": [{"code": 3040, "message": "Capacity temporarily exceeded"}],
        "messages": [],
    },
)


def jpeg(colour: tuple[int, int, int], *, gps: bool = False, size: int = 320) -> bytes:
    image = Image.new("RGB", (size, size * 3 // 4), colour)
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    if gps:
        exif[GPS_IFD] = {1: "N", 2: (52.0, 31.0, 12.0), 3: "E", 4: (13.0, 24.0, 36.0)}
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def bomb_png() -> bytes:
    """A tiny PNG that declares 100000 x 100000 pixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", 100_000, 100_000, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00" * 1024)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def send_photo(telegram: FakeTelegram, content: bytes, **fields: Any) -> dict[str, Any]:
    stored = telegram.add_file(content, file_name="photo.jpg", folder="photos")
    size = {
        "file_id": stored["file_id"],
        "file_unique_id": stored["file_unique_id"],
        "width": 320,
        "height": 240,
        "file_size": stored["file_size"],
    }
    sender = {"id": WRITER_ID, "is_bot": False, "first_name": "Writer"}
    return telegram.send_message_update(WRITER_ID, {"photo": [size], "from": sender, **fields})


def answer(telegram: FakeTelegram, marker: str) -> BotMessage:
    return telegram.wait_for_bot_message(
        WRITER_ID, lambda m: marker in m.text or "⚠️" in m.text, timeout=30
    )


def images_shown(request: dict[str, Any]) -> list[bytes]:
    parts = request["messages"][-1]["content"]
    assert isinstance(parts, list)
    urls = [p["image_url"]["url"] for p in parts if p["type"] == "image_url"]
    assert all(url.startswith("data:image/jpeg;base64,") for url in urls)
    return [base64.b64decode(url.split(",", 1)[1]) for url in urls]


ALBUM_POST = model_post(
    "A day at the lake",
    "We went to the lake.\n\n![A red canoe on the shore](image-1)\n\n"
    "Then it rained.\n\n![Green hills under rain clouds](image-2)\n\nThe end.",
)


def test_an_album_becomes_one_pull_request_with_one_commit_of_post_and_images(
    bot: BotProcess, telegram: FakeTelegram, workers_ai: FakeWorkersAI, github: FakeGitHub
) -> None:
    workers_ai.queue_reply(ALBUM_POST)
    photos = [jpeg((200, 30, 30), gps=True), jpeg((30, 200, 30)), jpeg((30, 30, 200))]
    send_photo(telegram, photos[0], media_group_id="album1", caption="Our trip to the lake")
    send_photo(telegram, photos[1], media_group_id="album1")
    send_photo(telegram, photos[2], media_group_id="album1", caption="Blue evening sky")

    done = answer(telegram, "Pull request #")
    assert "✅ Pull request <b>#1</b>" in done.raw_text
    assert len(github.pulls()) == 1
    [drafted] = workers_ai.text_requests()
    assert len(images_shown(drafted)) == 3
    assert "Our trip to the lake" in drafted["messages"][-1]["content"][0]["text"]

    branch = github.pull(1)["head"]
    base = github.commits("main")
    new_commits = github.commits(branch)[: len(github.commits(branch)) - len(base)]
    assert len(new_commits) == 1  # the post and its three images: one commit
    added = new_commits[0]["files"]
    assert len(added) == 4
    files = github.raw_files(branch)
    [post_path] = [p for p in added if p.endswith(".md")]
    post = files[post_path].decode()
    images = [p for p in added if p != post_path]
    for path in images:
        data = files[path]
        assert path.endswith(".jpg")
        opened = Image.open(io.BytesIO(data))
        assert not opened.getexif()  # no camera, no GPS position
        assert b"Exif" not in data and b"PhoneMaker" not in data
    assert "![A red canoe on the shore](" in post
    assert "![Green hills under rain clouds](" in post
    assert "![Blue evening sky](" in post  # forgotten by the model: appended with its caption
    assert "image-1" not in post and "image-2" not in post
    for path in images:
        assert path.rsplit("/", 1)[-1] in post


def test_a_photo_revises_the_current_post_in_one_commit(
    bot: BotProcess, telegram: FakeTelegram, workers_ai: FakeWorkersAI, github: FakeGitHub
) -> None:
    workers_ai.queue_reply(FIRST)
    send_and_wait(telegram, "A post about Postgres 17, 40% faster.", "Pull request #1")
    branch = github.pull(1)["head"]
    before = len(github.commits(branch))
    revised = model_post(
        "Postgres 17 is here",
        "We moved to Postgres 17. It is 40% faster.\n\n"
        "![A latency graph dropping by 40%](image-1)\n\n## Why\n\nPlans.",
    )
    workers_ai.queue_reply(revised)
    send_photo(telegram, jpeg((10, 10, 10)), caption="Add this graph")

    done = answer(telegram, "Revised pull request")
    assert "⚠️" not in done.text
    assert len(github.pulls()) == 1
    commits = github.commits(branch)
    assert len(commits) == before + 1
    changed = commits[0]["files"]
    assert len(changed) == 2
    [image] = [p for p in changed if p.endswith(".jpg")]
    [post_path] = [p for p in changed if p != image]
    post = github.file(branch, post_path) or ""
    assert "![A latency graph dropping by 40%](" in post
    assert image.rsplit("/", 1)[-1] in post
    [_, drafted] = workers_ai.text_requests()
    assert len(images_shown(drafted)) == 1


def test_a_decompression_bomb_gets_a_clear_answer_and_nothing_is_written(
    bot: BotProcess, telegram: FakeTelegram, workers_ai: FakeWorkersAI, github: FakeGitHub
) -> None:
    stored = telegram.add_file(bomb_png(), file_name="huge.png", mime_type="image/png")
    document = {k: stored[k] for k in ("file_id", "file_unique_id", "file_name", "mime_type")}
    sender = {"id": WRITER_ID, "is_bot": False, "first_name": "Writer"}
    telegram.send_message_update(
        WRITER_ID, {"document": document, "from": sender, "caption": "Write about this"}
    )
    refused = answer(telegram, "⚠️")
    assert "pixels" in refused.text
    assert workers_ai.run_requests() == []
    assert github.pulls() == []
    assert set(github.branches()) == {"main"}


def test_sigkill_while_drafting_an_album_then_restart_gives_one_post_with_every_photo(
    bot_env: dict[str, str],
    telegram: FakeTelegram,
    workers_ai: FakeWorkersAI,
    github: FakeGitHub,
    tmp_path: Path,
) -> None:
    first = BotProcess(bot_env, tmp_path, telegram).start()
    workers_ai.fail_next("POST", r"/ai/run/@cf/google/", CAPACITY, delay=10)
    for n, colour in enumerate([(250, 0, 0), (0, 250, 0), (0, 0, 250)]):
        send_photo(telegram, jpeg(colour), media_group_id="album2", caption=f"Photo {n}")
    workers_ai.wait_until(lambda: workers_ai.requests_to("POST", r"/ai/run/@cf/google/"))
    first.kill()
    workers_ai.clear_faults()
    workers_ai.queue_reply(ALBUM_POST)

    second = BotProcess(bot_env, tmp_path, telegram).start()
    try:
        done = answer(telegram, "Pull request #")
    finally:
        second.stop()
    assert "✅ Pull request <b>#1</b>" in done.raw_text
    assert len(github.pulls()) == 1
    branch = github.pull(1)["head"]
    new_commits = len(github.commits(branch)) - len(github.commits("main"))
    assert new_commits == 1
    images = [p for p in github.files(branch) if p.endswith(".jpg")]
    assert len(images) == 3


# The Git data writes of a post with images: GitHub does each, and the bot dies waiting for the
# answer (the branch's creation: it exists already, at the commit; earlier ones: it does not).
IMAGE_COMMIT_WRITES = {
    "blob": ("POST", r"/git/blobs$"),
    "tree": ("POST", r"/git/trees$"),
    "commit": ("POST", r"/git/commits$"),
    "branch creation": ("POST", r"/git/refs$"),
}


@pytest.mark.parametrize("lost", list(IMAGE_COMMIT_WRITES))
def test_sigkill_while_the_images_are_committed_then_restart_gives_one_commit(
    lost: str,
    bot_env: dict[str, str],
    telegram: FakeTelegram,
    workers_ai: FakeWorkersAI,
    github: FakeGitHub,
    tmp_path: Path,
) -> None:
    method, path = IMAGE_COMMIT_WRITES[lost]
    first = BotProcess(bot_env, tmp_path, telegram).start()
    workers_ai.queue_reply(ALBUM_POST)
    github.lose_next_answer(method, path, delay=10)
    for n, colour in enumerate([(250, 0, 0), (0, 250, 0)]):
        send_photo(telegram, jpeg(colour, gps=True), media_group_id="album3", caption=f"Lake {n}")
    github.wait_until(lambda: github.requests_to(method, path), timeout=30)
    first.kill()
    github.clear_faults()

    second = BotProcess(bot_env, tmp_path, telegram).start()
    try:
        done = answer(telegram, "Pull request #")
    finally:
        second.stop()
    assert "✅ Pull request <b>#1</b>" in done.raw_text
    [pull] = github.pulls()
    branch = pull["head"]
    assert len(github.commits(branch)) - len(github.commits("main")) == 1  # one commit
    files = github.raw_files(branch)
    images = sorted(p for p in files if p.endswith(".jpg"))
    assert len(images) == 2  # each image once, under its content-hash name
    assert len({files[p] for p in images}) == 2
    assert len(workers_ai.run_requests()) == 1  # the draft was kept, not asked for again


def test_a_new_post_with_three_images_costs_eight_github_requests(
    bot: BotProcess, telegram: FakeTelegram, workers_ai: FakeWorkersAI, github: FakeGitHub
) -> None:
    """k + 5 for k images, once the blog is learned (the first message of a process reads it)."""
    workers_ai.queue_reply(FIRST)
    send_and_wait(telegram, "A post about Postgres 17, 40% faster.", "Pull request #1")
    send_and_wait(telegram, "/new", "starts a new post")
    start = len(github.requests)
    workers_ai.queue_reply(ALBUM_POST)
    for n, colour in enumerate([(200, 0, 0), (0, 200, 0), (0, 0, 200)]):
        send_photo(telegram, jpeg(colour), media_group_id="album4", caption=f"Lake {n}")

    done = answer(telegram, "Pull request #2")
    assert "✅ Pull request <b>#2</b>" in done.raw_text
    made = [(r.method, r.path.removeprefix(REPO_PATH)) for r in github.requests[start:]]
    assert made == [
        ("GET", "/branches/main"),  # the base head and its tree
        ("POST", "/git/blobs"),
        ("POST", "/git/blobs"),
        ("POST", "/git/blobs"),
        ("POST", "/git/trees"),  # the post inline, over the base's tree
        ("POST", "/git/commits"),
        ("POST", "/git/refs"),  # the branch, born at that commit
        ("POST", "/pulls"),
    ]
    branch = github.pull(2)["head"]
    assert len(github.commits(branch)) - len(github.commits("main")) == 1
    assert len([p for p in github.files(branch) if p.endswith(".jpg")]) == 3
