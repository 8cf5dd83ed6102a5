"""Durable records of the work in flight, so a crash or a deploy loses nothing.

Two kinds of record live in the state store:

- the **inbox**: every update fetched from Telegram is written here before the next getUpdates
  call confirms it to Telegram, and removed once its handler has run. On start-up whatever is
  left is handled again.
- **job records**: one per writer's request, written when the request is accepted and after
  each step (drafted, then each publishing step of bot.core.progress, answered). A job that
  did not finish resumes from its last saved step; each step finds what an interrupted run
  already did (its branch, file or pull request) instead of doing it twice.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from typing import Any, Literal

from bot.core.attachments import Attachment
from bot.core.drafts import Draft
from bot.core.ports import StateStore
from bot.core.progress import Progress, legacy_progress, progress_from_json, progress_to_json
from bot.core.usage import ModelUsage

# Long enough for /retry after a night's sleep; short enough that nothing piles up.
JOB_TTL_SECONDS = 3 * 24 * 3600
INBOX_TTL_SECONDS = 3 * 24 * 3600

# "held": the draft holds private details and waits for the writer's choice (bot.core.privacy).
# "paused": waiting for the writer's choice (a close existing post was found); only a button
# press runs it again.
JobState = Literal["accepted", "drafted", "held", "paused", "published", "answered", "failed"]


@dataclass
class JobRecord:
    chat_id: int
    message_id: int  # the writer's (first) message: the job's identity
    text: str
    reply_to: int | None = None
    # The writer's Telegram user name (else id): .blogbot.yml `authors:` maps it to an author.
    writer: str | None = None
    status_message_id: int | None = None
    # Notes sent as a file (a voice note, a .md document): `text` holds the caption until the
    # file is read; then `heard` keeps what was read and `text` the notes made of it, so a
    # resumed or retried job never fetches or transcribes the file again.
    attachment: Attachment | None = None
    heard: str | None = None
    heard_message_id: int | None = None  # the message that shows the writer what was heard
    # Photos (or images sent as files) that go into the post; `text` holds their captions.
    # Fetched and prepared again on a resume: the same photo gives the same file.
    images: list[Attachment] = field(default_factory=list)
    state: JobState = "accepted"
    created_at: float = field(default_factory=time.time)
    # Decided once, before the model is asked: a new post, a revision of PR `target`, a
    # follow-up pull request to the merged PR `target`, or "ask": the writer is asked which
    # (after a merge; bot.core.writer).
    kind: Literal["new", "revise", "followup", "ask"] | None = None
    target: int | None = None
    # Someone else's commits on the target's branch (bot.core.publishing.BranchEdits as JSON):
    # the revision starts from the file as it is there.
    edits: dict[str, Any] | None = None
    note: str | None = None
    # The model's answer, kept so that a retry or a resume never asks the model again.
    draft: dict[str, Any] | None = None
    # The writer's answer when the draft held private details: take them out, or publish as is.
    privacy: Literal["remove", "keep"] | None = None
    # How far publishing got (bot.core.progress): what a resumed job starts from.
    progress: Progress | None = None
    number: int | None = None  # the pull request a new post opened
    # The failure shown to the writer, when state is "failed".
    error: str | None = None
    # An existing post very close to the draft (bot.core.similar_posts.SimilarPost as JSON),
    # the writer's choice about it ("go": publish anyway, "update": update that post), and
    # the revised text of that post once the model has written it.
    similar: dict[str, Any] | None = None
    similar_choice: Literal["go", "update"] | None = None
    update_draft: dict[str, Any] | None = None
    # Milliseconds spent per step (model_ms, github_ms), for the job's log line.
    timings: dict[str, float] = field(default_factory=dict)
    # What the model calls cost (tokens_in, tokens_out, neurons, calls), for the same line.
    usage: dict[str, float] = field(default_factory=dict)
    # The answer (text and buttons, as the chat layer wrote them) from when the job ended until
    # the writer has it: a restart in between delivers it instead of losing it.
    undelivered: dict[str, Any] | None = None

    @contextmanager
    def timed(self, step: str) -> Iterator[None]:
        started = time.monotonic()
        try:
            yield
        finally:
            elapsed = (time.monotonic() - started) * 1000
            self.timings[step] = self.timings.get(step, 0.0) + elapsed

    def add_usage(self, usage: ModelUsage) -> None:
        for name, amount in usage.as_dict().items():
            self.usage[name] = round(self.usage.get(name, 0) + amount, 2)

    @property
    def key(self) -> str:
        return job_key(self.chat_id, self.message_id)

    @property
    def unread(self) -> bool:
        """Its notes are in a file that has not been read yet."""
        return self.attachment is not None and self.heard is None

    @property
    def finished(self) -> bool:
        return self.state in ("answered", "failed", "paused")

    @property
    def held(self) -> bool:
        """Waiting for the writer's choice about private details: not resumed on a restart,
        the choice's button resumes it."""
        return self.state == "held"

    def keep_draft(self, draft: Draft) -> None:
        self.draft = {
            "title": draft.title,
            "description": draft.description,
            "tags": list(draft.tags),
            "body": draft.body,
        }
        self.state = "drafted"

    def kept_draft(self) -> Draft | None:
        if self.draft is None:
            return None
        return Draft(
            title=self.draft["title"],
            description=self.draft["description"],
            tags=tuple(self.draft["tags"]),
            body=self.draft["body"],
        )

    def to_json(self) -> str:
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data["progress"] = progress_to_json(self.progress) if self.progress else None
        data["attachment"] = self.attachment.to_json() if self.attachment else None
        data["images"] = [image.to_json() for image in self.images]
        return json.dumps(data, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> JobRecord:
        """A saved record; one written by a version with flat publishing fields is upgraded."""
        data = json.loads(text)
        legacy = {name: data.pop(name) for name in LEGACY_FIELDS if name in data}
        saved = data.pop("progress", None)
        attachment = data.pop("attachment", None)
        images = data.pop("images", None) or []
        record = cls(**data)
        record.images = [Attachment.from_json(image) for image in images]
        if attachment is not None:
            record.attachment = Attachment.from_json(attachment)
        if saved is not None:
            record.progress = progress_from_json(saved)
        elif legacy:
            record.progress = legacy_progress({**legacy, "number": record.number}, record.kind)
        return record


# The publishing fields of records saved before bot.core.progress existed.
LEGACY_FIELDS = (
    "post_date",
    "branch",
    "branch_created",
    "path",
    "file_sha",
    "commit_sha",
    "commit_url",
    "url",
)


def job_key(chat_id: int, message_id: int) -> str:
    return f"job:{chat_id}:{message_id}"


class JobStore:
    def __init__(self, store: StateStore) -> None:
        self._store = store

    async def save(self, record: JobRecord) -> None:
        await self._store.put(record.key, record.to_json(), JOB_TTL_SECONDS)

    async def get(self, chat_id: int, message_id: int) -> JobRecord | None:
        raw = await self._store.get(job_key(chat_id, message_id))
        return JobRecord.from_json(raw) if raw else None

    async def all(self) -> list[JobRecord]:
        records = []
        for key in await self._store.keys("job:"):
            raw = await self._store.get(key)
            if raw:
                records.append(JobRecord.from_json(raw))
        return sorted(records, key=lambda r: (r.created_at, r.message_id))

    async def unfinished(self) -> list[JobRecord]:
        """Jobs to resume: not done (and not waiting on the writer's choice), or done with
        the answer not yet delivered."""
        return [
            r
            for r in await self.all()
            if (not r.finished and not r.held) or r.undelivered is not None
        ]

    async def last_failed(self, chat_id: int) -> JobRecord | None:
        failed = [r for r in await self.all() if r.chat_id == chat_id and r.state == "failed"]
        return failed[-1] if failed else None


class Inbox:
    """Raw Telegram updates between their arrival and the end of their handling."""

    def __init__(self, store: StateStore) -> None:
        self._store = store

    @staticmethod
    def _key(update_id: int) -> str:
        return f"inbox:{update_id:015d}"  # zero-padded: key order is arrival order

    async def keep(self, update_id: int, update: dict[str, Any]) -> None:
        await self._store.put(self._key(update_id), json.dumps(update), INBOX_TTL_SECONDS)

    async def done(self, update_id: int) -> None:
        await self._store.delete(self._key(update_id))

    async def pending(self) -> list[dict[str, Any]]:
        updates = []
        for key in await self._store.keys("inbox:"):
            raw = await self._store.get(key)
            if raw:
                updates.append(json.loads(raw))
        return updates
