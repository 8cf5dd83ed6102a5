"""The review loop: what maintainers say on the bot's pull requests reaches their writers.

Every poll (REVIEW_POLL_SECONDS) the watcher

1. learns the chats' posts from their conversations and adds any new pull request to the
   **watch list** (one key in the state store, kept beyond the conversations' TTL);
2. lists the repository's pull requests with the ETag of the last list: GitHub answers 304 when
   nothing changed anywhere, and a 304 costs no rate limit;
3. for a watched pull request that was merged or closed, queues one notice and stops watching
   it; for one whose `updated_at` moved, reads its reviews, review comments and comments and
   queues a notice for each one not seen before (and reads it once more on the next poll:
   GitHub's `updated_at` has whole seconds, so a comment in the same second as the last read
   would otherwise wait for the next change);
4. saves the watch list, seen ids and queued notices in one write, then delivers the notices
   (the Telegram layer forwards them, with Apply and Ignore buttons, or starts the revision at
   once for a comment that mentions the bot), each removed once delivered;
5. answers on GitHub each applied revision whose job has finished: "Applied in <commit>".

Nothing is forwarded twice: an item is marked seen in the same write that queues its notice,
and a notice leaves the queue when delivered. A crash between a delivery and that write can
repeat a delivery; a repeated "apply" is downgraded to a forward with buttons, so a revision is
never started twice without the writer's say.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal, Protocol

from bot.core import prompts
from bot.core.conversation import Conversation, ConversationStore
from bot.core.errors import ExpectedError
from bot.core.jobs import JobRecord, JobStore
from bot.core.ports import Feedback, PullState, PullStatus, PullWatch, StateStore
from bot.core.progress import RevisionCommitted
from bot.core.text import shorten

log = logging.getLogger(__name__)

WATCH_KEY = "reviews:watch"
FORWARDED_PREFIX = "reviews:forwarded:"
REPLY_PREFIX = "reviews:reply:"
# A forwarded item's buttons work this long; a pending "Applied in" reply waits as long as
# the job record it follows (bot.core.jobs).
FORWARDED_TTL_SECONDS = 30 * 24 * 3600
REPLY_TTL_SECONDS = 3 * 24 * 3600
# Seen ids kept per pull request (the oldest are dropped; `since` keeps old ones from coming
# back, and reviews come in order).
MAX_SEEN = 500
# A notice that fails this often (not an outage: a bug, a chat that is gone) is dropped, so it
# never holds up the ones behind it.
MAX_ATTEMPTS = 5
# The longest request a review or comment makes (the model's context is the real bound).
MAX_REQUEST_CHARS = 8000

Action = Literal["skip", "forward", "info", "apply"]


# -- deciding what an item is ----------------------------------------------------------------
def mentions(text: str, names: Iterable[str]) -> bool:
    """Whether `text` @-mentions one of `names` (GitHub logins are case-insensitive)."""
    for name in names:
        handle = name.lstrip("@")
        if handle and re.search(rf"(?<![\w@])@{re.escape(handle)}(?![\w-])", text, re.I):
            return True
    return False


def without_mentions(text: str, names: Iterable[str]) -> str:
    for name in names:
        handle = name.lstrip("@")
        if handle:
            text = re.sub(rf"(?<![\w@])@{re.escape(handle)}(?![\w-])[,:]?\s*", "", text, flags=re.I)
    return text.strip()


def triage(item: Feedback, *, own_logins: Sequence[str], bot_names: Sequence[str]) -> Action:
    """What to do with an item nobody has handled yet.

    skip: the bot's own words, another app's (CI, deploy previews), an empty comment, a review
    without words that only carries inline comments (those come on their own);
    info: a verdict without words (an approval): told, nothing to apply;
    apply: it mentions the bot, so it is a request to act on at once;
    forward: told, with Apply and Ignore.
    """
    own = {login.lower() for login in own_logins}
    if item.author.lower() in own or item.author_is_bot:
        return "skip"
    body = item.body.strip()
    if item.kind == "review":
        if item.review_state not in ("APPROVED", "CHANGES_REQUESTED", "COMMENTED"):
            return "skip"  # PENDING (not submitted) or DISMISSED
        if not body:
            return "skip" if item.review_state == "COMMENTED" else "info"
    elif not body:
        return "skip"
    if mentions(body, bot_names) and without_mentions(body, bot_names):
        return "apply"
    return "forward"


def revision_request(item: Feedback, bot_names: Sequence[str]) -> str:
    """The revision request a review or comment makes (prompts/review.md)."""
    where = ""
    if item.kind == "review_comment" and item.path:
        where = f" on {item.path}" + (f", line {item.line}" if item.line else "")
    elif item.kind == "review" and item.review_state == "CHANGES_REQUESTED":
        where = " (requesting changes)"
    comment = shorten(without_mentions(item.body, bot_names), MAX_REQUEST_CHARS, words=True)
    return prompts.render("review", author=item.author, where=where, comment=comment)


def post_address(site: str | None, path: str, date: str) -> str | None:
    """The merged post's address on the site: SITE_BASE_URL + "/{slug}/", or SITE_BASE_URL
    itself as a template with {slug} {year} {month} {day}. None without a site."""
    if not site:
        return None
    parts = path.rstrip("/").split("/")
    stem = parts[-1].rsplit(".", 1)[0]
    if stem in ("index", "_index") and len(parts) > 1:
        stem = parts[-2]  # a page bundle: the folder is the post
    slug = re.sub(r"^\d{4}-\d{2}-\d{2}-", "", stem)
    year, month, day = (date[:4], date[5:7], date[8:10]) if len(date) >= 10 else ("", "", "")
    if "{slug}" in site:
        return site.format(slug=slug, year=year, month=month, day=day)
    return f"{site.rstrip('/')}/{slug}/"


# -- what is remembered ----------------------------------------------------------------------
@dataclass
class WatchedPull:
    chat_id: int
    number: int
    url: str = ""
    title: str = ""
    path: str = ""
    date: str = ""
    updated_at: str | None = None  # as of the last read of its feedback
    seen: list[str] = field(default_factory=list)  # "review:12", "comment:34"...
    recheck: bool = False  # read once more on the next poll (see the module docstring)
    baseline: bool = False  # its first read marks everything seen, forwarding nothing

    def saw(self, item: Feedback) -> bool:
        return f"{item.kind}:{item.id}" in self.seen

    def see(self, item: Feedback) -> None:
        self.seen.append(f"{item.kind}:{item.id}")
        del self.seen[:-MAX_SEEN]


NoticeKind = Literal["feedback", "merged", "closed"]


@dataclass
class Notice:
    """Something the writer of `chat_id` is told about pull request `number`."""

    chat_id: int
    number: int
    kind: NoticeKind
    pull_url: str
    title: str
    feedback: Feedback | None = None
    action: Action = "forward"
    request: str = ""  # the revision request an Apply starts
    post_url: str | None = None  # merged: the post's address on the site
    attempts: int = 0

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Notice:
        raw = dict(data)
        item = raw.pop("feedback", None)
        return cls(**raw, feedback=Feedback(**item) if item else None)


@dataclass
class WatchList:
    etag: str | None = None
    pulls: dict[int, WatchedPull] = field(default_factory=dict)
    outbox: list[Notice] = field(default_factory=list)
    # Merged or closed and told: never watched again, though a chat still remembers the post.
    finished: list[int] = field(default_factory=list)

    def finish(self, number: int) -> None:
        self.pulls.pop(number, None)
        self.finished.append(number)
        del self.finished[:-MAX_SEEN]

    def to_json(self) -> str:
        return json.dumps(
            {
                "etag": self.etag,
                "pulls": [asdict(pull) for pull in self.pulls.values()],
                "outbox": [notice.to_json() for notice in self.outbox],
                "finished": self.finished,
            },
            ensure_ascii=False,
        )

    @classmethod
    def from_json(cls, text: str) -> WatchList:
        data = json.loads(text)
        pulls = [WatchedPull(**raw) for raw in data.get("pulls", [])]
        return cls(
            etag=data.get("etag"),
            pulls={pull.number: pull for pull in pulls},
            outbox=[Notice.from_json(raw) for raw in data.get("outbox", [])],
            finished=list(data.get("finished", [])),
        )


@dataclass
class Forwarded:
    """A forwarded item under its Telegram message, for its Apply and Ignore buttons."""

    chat_id: int
    message_id: int
    number: int
    author: str
    request: str
    status: Literal["open", "applying", "ignored"] = "open"


@dataclass
class PendingReply:
    """An applied item whose revision job has not yet been answered on GitHub."""

    chat_id: int
    message_id: int  # the job's (bot.core.jobs.job_key)
    number: int
    author: str
    attempted: bool = False


class ReviewRecords:
    """The forwarded items and the pending replies, one key each (the watcher and the
    buttons never write the same key)."""

    def __init__(self, store: StateStore) -> None:
        self._store = store

    async def watched(self, number: int) -> WatchedPull | None:
        raw = await self._store.get(WATCH_KEY)
        return WatchList.from_json(raw).pulls.get(number) if raw else None

    async def forwarded(self, chat_id: int, message_id: int) -> Forwarded | None:
        raw = await self._store.get(f"{FORWARDED_PREFIX}{chat_id}:{message_id}")
        return Forwarded(**json.loads(raw)) if raw else None

    async def keep_forwarded(self, item: Forwarded) -> None:
        key = f"{FORWARDED_PREFIX}{item.chat_id}:{item.message_id}"
        await self._store.put(key, json.dumps(asdict(item)), FORWARDED_TTL_SECONDS)

    async def expect_reply(self, reply: PendingReply) -> None:
        key = f"{REPLY_PREFIX}{reply.chat_id}:{reply.message_id}"
        await self._store.put(key, json.dumps(asdict(reply)), REPLY_TTL_SECONDS)

    async def pending_replies(self) -> list[PendingReply]:
        found = []
        for key in await self._store.keys(REPLY_PREFIX):
            raw = await self._store.get(key)
            if raw:
                found.append(PendingReply(**json.loads(raw)))
        return found

    async def replied(self, reply: PendingReply) -> None:
        await self._store.delete(f"{REPLY_PREFIX}{reply.chat_id}:{reply.message_id}")


class ReviewSink(Protocol):
    """Where notices go (the Telegram layer). Raises when it could not deliver: the notice
    stays queued for the next poll."""

    async def deliver(self, notice: Notice) -> None: ...


def applied_comment(commit_sha: str, commit_url: str, author: str) -> str:
    return f"Applied in [`{commit_sha[:7]}`]({commit_url}) (requested by @{author})."


# -- the watcher -----------------------------------------------------------------------------
class ReviewWatcher:
    def __init__(
        self,
        *,
        github: PullWatch,
        store: StateStore,
        conversations: ConversationStore,
        jobs: JobStore,
        sink: ReviewSink,
        bot_names: Sequence[str] = ("blogbot",),
        site_url: str | None = None,
    ) -> None:
        self._github = github
        self._store = store
        self._conversations = conversations
        self._jobs = jobs
        self._sink = sink
        self._records = ReviewRecords(store)
        self._names = list(bot_names)
        self._site_url = site_url
        self._login: str | None = None

    async def poll(self) -> None:
        """One round: see what changed, queue and deliver the notices, answer applied items."""
        raw = await self._store.get(WATCH_KEY)
        watch = WatchList.from_json(raw) if raw else WatchList()
        chats = await self._chats()
        self._learn_posts(watch, chats, first_run=raw is None)
        if watch.pulls:
            await self._look(watch, chats)
        await self._store.put(WATCH_KEY, watch.to_json(), None)
        await self._deliver(watch)
        await self._answer_applied()

    @property
    def _bot_names(self) -> list[str]:
        return [*self._names, *([self._login] if self._login else [])]

    async def _chats(self) -> dict[int, Conversation]:
        chats = {}
        for key in await self._store.keys("conversation:"):
            try:
                chat_id = int(key.removeprefix("conversation:"))
            except ValueError:
                continue
            chats[chat_id] = await self._conversations.load(chat_id)
        return chats

    def _learn_posts(
        self, watch: WatchList, chats: dict[int, Conversation], *, first_run: bool
    ) -> None:
        """Watch every post the chats remember; on the very first run (an upgrade) what is
        already on their pull requests is not news."""
        for chat_id, conversation in chats.items():
            for number, thread in conversation.posts.items():
                if number in watch.finished:
                    continue
                pull = watch.pulls.get(number)
                if pull is None:
                    pull = watch.pulls[number] = WatchedPull(
                        chat_id=chat_id, number=number, baseline=first_run
                    )
                if pull.chat_id == chat_id:
                    pull.url, pull.title = thread.url, thread.title
                    pull.path, pull.date = thread.path, thread.date

    async def _look(self, watch: WatchList, chats: dict[int, Conversation]) -> None:
        await self._own_login()
        listing = await self._github.pull_statuses(watch.etag)
        watch.etag = listing.etag
        statuses = {status.number: status for status in listing.pulls or []}
        for number, pull in list(watch.pulls.items()):
            status = statuses.get(number)
            if status is not None and status.state != "open":
                watch.finish(number)
                self._closed(watch, pull, status.state, chats.get(pull.chat_id))
                continue
            moved = status is not None and status.updated_at != pull.updated_at
            if not (moved or pull.recheck):
                continue
            since = pull.updated_at
            items = await self._github.feedback(number, since)
            self._take(watch, pull, items)
            if status is not None and moved:
                pull.updated_at, pull.recheck = status.updated_at, True
            else:
                pull.recheck = False

    def _take(self, watch: WatchList, pull: WatchedPull, items: Sequence[Feedback]) -> None:
        for item in items:
            if pull.saw(item):
                continue
            pull.see(item)
            if pull.baseline:
                continue
            action = triage(item, own_logins=[self._login or ""], bot_names=self._bot_names)
            if action == "skip":
                continue
            watch.outbox.append(
                Notice(
                    chat_id=pull.chat_id,
                    number=pull.number,
                    kind="feedback",
                    pull_url=pull.url,
                    title=pull.title,
                    feedback=item,
                    action=action,
                    request=revision_request(item, self._bot_names) if action != "info" else "",
                )
            )
        pull.baseline = False

    def _closed(
        self,
        watch: WatchList,
        pull: WatchedPull,
        state: PullState,
        conversation: Conversation | None,
    ) -> None:
        """Merged: always told. Closed: told, unless the writer closed it (/discard: their
        conversation lives on without the post)."""
        if pull.baseline:
            return  # closed before the first look: old news
        if state == "closed" and conversation is not None and pull.number not in conversation.posts:
            return
        post_url = post_address(self._site_url, pull.path, pull.date) if state == "merged" else None
        kind: NoticeKind = "merged" if state == "merged" else "closed"
        watch.outbox.append(
            Notice(pull.chat_id, pull.number, kind, pull.url, pull.title, post_url=post_url)
        )

    async def _deliver(self, watch: WatchList) -> None:
        while watch.outbox:
            notice = watch.outbox[0]
            if notice.attempts >= MAX_ATTEMPTS:
                log.error("giving up telling chat %s about #%s", notice.chat_id, notice.number)
                watch.outbox.pop(0)
                continue
            if notice.attempts and notice.action == "apply":
                notice.action = "forward"  # it may have started: let the writer decide
            notice.attempts += 1
            await self._store.put(WATCH_KEY, watch.to_json(), None)
            try:
                await self._sink.deliver(notice)
            except Exception:
                log.exception("could not tell chat %s about #%s", notice.chat_id, notice.number)
                return  # in order: the rest waits for the next poll
            watch.outbox.pop(0)
            await self._store.put(WATCH_KEY, watch.to_json(), None)

    async def _answer_applied(self) -> None:
        """Each applied item whose revision is done gets "Applied in <commit>" on its PR."""
        for reply in await self._records.pending_replies():
            record = await self._jobs.get(reply.chat_id, reply.message_id)
            if record is None:
                await self._records.replied(reply)  # expired: nothing to answer with
                continue
            commit = _commit_of(record)
            if commit is None:
                continue  # still running, or failed (a /retry may still publish it)
            sha, url = commit
            if reply.attempted and await self._already_said(reply.number, sha):
                await self._records.replied(reply)
                continue
            reply.attempted = True
            await self._records.expect_reply(reply)
            await self._github.comment(reply.number, applied_comment(sha, url, reply.author))
            await self._records.replied(reply)

    async def _own_login(self) -> str:
        """The bot's GitHub login: asked once, and only when there is something to watch."""
        if self._login is None:
            self._login = await self._github.login()
        return self._login

    async def _already_said(self, number: int, sha: str) -> bool:
        """A reply whose answer was lost (a crash after the POST) is on the PR already."""
        login = await self._own_login()
        for item in await self._github.feedback(number, None):
            if item.kind == "comment" and item.author == login and sha[:7] in item.body:
                return True
        return False


def _commit_of(record: JobRecord) -> tuple[str, str] | None:
    """The revision commit (sha, address) of a job that has been answered."""
    if record.state != "answered" or not isinstance(record.progress, RevisionCommitted):
        return None
    commit = record.progress.commit
    return commit.commit_sha, commit.commit_url


async def keep_watching(
    watcher: ReviewWatcher, interval_seconds: float, stop: asyncio.Event | None = None
) -> None:
    """Poll every `interval_seconds` until `stop` is set (a round in progress is finished, so
    a notice sent is also recorded as sent) or until cancelled; a failed poll is logged and
    retried at the next interval (GitHub down, a rate limit, Telegram unreachable)."""
    stop = stop or asyncio.Event()
    while not stop.is_set():
        try:
            await watcher.poll()
        except ExpectedError as exc:
            log.warning("watching pull requests: %s; trying again in %.3g s", exc, interval_seconds)
        except Exception:
            log.exception("watching pull requests failed; trying again in %.3g s", interval_seconds)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), interval_seconds)


__all__ = [
    "Forwarded",
    "Notice",
    "PendingReply",
    "PullStatus",
    "ReviewRecords",
    "ReviewSink",
    "ReviewWatcher",
    "WatchList",
    "WatchedPull",
    "applied_comment",
    "keep_watching",
    "mentions",
    "post_address",
    "revision_request",
    "triage",
]
