"""Job records: the typed publishing progress round-trips, and records saved by the previous
version (flat publishing fields) are upgraded and resume where they were."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pytest

from bot.core.jobs import JobRecord, JobStore
from bot.core.ports import FileCommit, PullRef
from bot.core.progress import (
    BranchClaimed,
    FileClaimed,
    FileCommitted,
    Progress,
    PullOpened,
    RevisionCommitted,
)
from tests.unit.test_writer import BRANCH, CHAT, PATH, World, assert_one_post

DATE = "2026-11-27T09:30:00+01:00"
COMMIT = FileCommit("f" * 40, "c" * 40, "https://github.com/acme/blog/commit/" + "c" * 40)
STEPS = {"branch-claimed", "file-claimed", "file-committed", "pull-opened", "revision-committed"}
DRAFT = {"title": "Hello, world", "description": "A first post.", "tags": ["intro"], "body": "Hi"}

# Exactly what the previous version's JobRecord.to_json wrote: a new post whose file commit
# was claimed (its path recorded) when the bot stopped.
PREVIOUS_VERSION_RECORD = (
    '{"chat_id": 1001, "message_id": 7, "text": "notes", "reply_to": null, '
    '"status_message_id": 8, "state": "failed", "created_at": 1700000000.0, "kind": "new", '
    '"target": null, "note": null, "post_date": "2026-11-27T09:30:00+01:00", '
    '"draft": {"title": "Hello, world", "description": "A first post.", "tags": ["intro"], '
    '"body": "Hi there.\\n"}, "branch": "blogbot/2026-11-27-hello-world", '
    '"branch_created": true, "path": "content/posts/2026-11-27-hello-world.md", '
    '"file_sha": null, "commit_sha": null, "commit_url": null, "number": null, "url": null, '
    '"error": "x", "timings": {"model_ms": 1.0}}'
)


@pytest.mark.parametrize(
    "progress",
    [
        None,
        BranchClaimed(DATE, BRANCH, "a" * 40),
        BranchClaimed(DATE, BRANCH, None),
        FileClaimed(DATE, BRANCH, PATH),
        FileCommitted(DATE, BRANCH, PATH, COMMIT),
        PullOpened(DATE, BRANCH, PATH, COMMIT, PullRef(3, "https://github.com/acme/blog/pull/3")),
        RevisionCommitted(COMMIT),
    ],
)
def test_progress_round_trips_through_json(progress: Progress | None) -> None:
    record = JobRecord(chat_id=CHAT, message_id=7, text="notes", draft=DRAFT, progress=progress)
    record.timings["model_ms"] = 12.5
    again = JobRecord.from_json(record.to_json())
    assert again == record
    saved = json.loads(record.to_json())["progress"]
    if progress is not None:  # a plain JSON object tagged with its step
        assert saved["step"] in STEPS and set(saved) == {"step", *vars(progress)}


def previous_version(**fields: Any) -> str:
    """A record as the previous version saved it, with these publishing fields set."""
    record: dict[str, Any] = json.loads(PREVIOUS_VERSION_RECORD)
    for name in ("post_date", "branch", "path", "file_sha", "commit_sha", "commit_url", "url"):
        record[name] = None
    record["branch_created"] = False
    record.update(fields)
    return json.dumps(record)


LEGACY = {"post_date": DATE, "branch": BRANCH}
LEGACY_FILE = {**LEGACY, "branch_created": True, "path": PATH}
LEGACY_COMMIT = {
    **LEGACY_FILE,
    "file_sha": COMMIT.file_sha,
    "commit_sha": COMMIT.commit_sha,
    "commit_url": COMMIT.commit_url,
}


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({}, None),
        ({"post_date": DATE}, None),  # failed before the first write: nothing to resume
        (LEGACY, BranchClaimed(DATE, BRANCH, None)),
        (LEGACY_FILE, FileClaimed(DATE, BRANCH, PATH)),
        (LEGACY_COMMIT, FileCommitted(DATE, BRANCH, PATH, COMMIT)),
        (
            {**LEGACY_COMMIT, "number": 3, "url": "u", "state": "published"},
            PullOpened(DATE, BRANCH, PATH, COMMIT, PullRef(3, "u")),
        ),
        ({"kind": "revise", "target": 3}, None),
        (
            {"kind": "revise", "target": 3, "state": "published", **LEGACY_COMMIT},
            RevisionCommitted(COMMIT),
        ),
    ],
)
def test_a_record_of_the_previous_version_is_upgraded(
    fields: dict[str, Any], expected: Progress | None
) -> None:
    record = JobRecord.from_json(previous_version(**fields))
    assert record.progress == expected
    assert (record.chat_id, record.message_id, record.status_message_id) == (1001, 7, 8)
    assert record.kept_draft() is not None and record.timings == {"model_ms": 1.0}
    assert "post_date" not in json.loads(record.to_json())  # saved in the new shape


async def test_a_record_of_the_previous_version_resumes_to_one_post() -> None:
    """It stopped after committing the file, before opening the pull request."""
    world = World()
    base = world.repo.branches["main"]
    world.repo.branches[BRANCH] = base
    record = JobRecord.from_json(PREVIOUS_VERSION_RECORD)
    draft = record.kept_draft()
    assert draft is not None
    post = world.writer().posts.render(draft, datetime.fromisoformat(DATE))
    world.repo.push(BRANCH, {PATH: post.content}, "Add post: Hello, world")
    await JobStore(world.state).save(record)

    outcome = await world.retry(world.writer(), 7)
    assert_one_post(world, outcome, drafts=0)  # the kept draft: the model is not asked again
