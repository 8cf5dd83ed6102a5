"""What the writer reads: every user-facing text, as Telegram HTML.

Anything that came from outside (titles, error details) is escaped here, so Telegram never
answers "can't parse entities" and a title can never inject markup.
"""

from __future__ import annotations

from datetime import datetime
from html import escape

from bot.core.attachments import Attachment
from bot.core.conversation import PostThread
from bot.core.errors import SOMETHING_WENT_WRONG, ExpectedError, PublishError
from bot.core.ports import PullState
from bot.core.recent_posts import PostListing, Staleness
from bot.core.text import shorten
from bot.core.writer import Outcome
from bot.telegram.relative_time import time_ago

HELP = (
    "<b>I turn your notes into a blog post and open a pull request with it.</b>\n\n"
    "Send me a message such as:\n"
    "<i>A post about our move to Postgres 17, mention the 40% speed-up.</i>\n\n"
    "I draft the post, commit it to a new branch of the blog's repository and reply with the "
    "pull request link. Maintainers review and merge it as usual.\n\n"
    "Then just keep talking: <i>shorter</i>, <i>add a section on costs</i>, <i>friendlier "
    "title</i>… each message revises the same post and adds a commit to the same pull request. "
    "Reply to one of my earlier results to revise that post instead.\n\n"
    "Talking is fine too: send a voice note (or an audio file or a round video) and I use "
    "what I hear as your notes. A .md or .txt file works as well.\n\n"
    "/new starts a new post\n"
    "/status shows the current post\n"
    "/preview shows its file\n"
    "/retry publishes a draft that failed to publish\n"
    "/discard closes its pull request and deletes the branch\n"
    "/cancel stops the job in progress\n"
    "/posts lists your recent posts and lets you pick the current one\n"
    "/help shows this message"
)

WORKING = "✍️ Drafting your post…"
REVISING = "✍️ Revising your post…"
PUBLISHING_TO_GITHUB = "📤 Publishing to GitHub…"
QUEUED = "⏳ Queued behind your previous request…"
CANCELLED = "Cancelled. Nothing was written to GitHub."
NO_POST = "There is no current post. Send me your notes to start one."
NOTHING_RUNNING = "Nothing is running right now."
TOO_LATE_TO_CANCEL = "Too late to cancel: the post is being written to GitHub right now."
BUTTON_NOT_YOURS = "Sorry, only the bot's allowed writers can use these buttons."
STALE_BUTTON = "This button is out of date."
BUSY = "Please wait until the current job has finished."
KEPT = "OK, the pull request stays open."
EDITED = (
    "I saw your edit, but edits don't change the post. Send the change you want as a new message."
)
EMPTY = "That message has no text I could write about. Send me your notes for the post."
PUBLISHING = "📤 Publishing your draft…"
NOTHING_TO_RETRY = "There is nothing to retry."

NOT_TEXT = "I can only work with text. Send me your notes for the post as a message."

# What was heard is quoted in full up to this many UTF-16 units (Telegram's unit; 4096 a message).
HEARD_QUOTE_UNITS = 3800


def model_busy(attempt: int, attempts: int) -> str:
    """The status while a busy (or failing) model is tried again."""
    return f"⏳ The model is busy, retrying {attempt}/{attempts}…"


def reading(attachment: Attachment) -> str:
    """The status while the notes' file is fetched and heard or read."""
    if attachment.spoken:
        return f"🎧 Listening to your {attachment.what}…"
    return f"📄 Reading <code>{escape(attachment.name)}</code>…"


def heard(attachment: Attachment, text: str) -> str:
    """What the speech model heard, as an expandable quote (collapsed after a few lines)."""
    quoted = _fit_utf16(text, HEARD_QUOTE_UNITS)
    lines = [f"🎙 From your {attachment.what} I heard:"]
    lines.append(f"<blockquote expandable>{escape(quoted, quote=False)}</blockquote>")
    if quoted != text:
        lines.append("<i>(shortened here; all of it goes into the notes)</i>")
    return "\n".join(lines)


def _fit_utf16(text: str, units: int) -> str:
    """`text`, cut (at a word, with an ellipsis) to at most `units` UTF-16 code units."""
    if len(text.encode("utf-16-le")) // 2 <= units:
        return text
    limit = units
    while True:
        cut = shorten(text, limit, words=True)
        if len(cut.encode("utf-16-le")) // 2 <= units:
            return cut
        limit -= max(1, (len(cut.encode("utf-16-le")) // 2 - units))


def not_allowed(user_id: int) -> str:
    return (
        "Sorry, this bot only works for its allowed writers.\n"
        f"Your Telegram user id is <code>{user_id}</code>. To allow it, the bot's maintainer adds "
        "it to <code>ALLOWED_USER_IDS</code> and restarts the bot."
    )


def preview(thread: PostThread, content: str) -> str:
    return f"📄 <code>{escape(thread.path)}</code>\n<pre>{escape(content)}</pre>"


def preview_caption(thread: PostThread) -> str:
    return f"📄 <code>{escape(thread.path)}</code> · {thread.words} words"


def _link(url: str, text: str | None = None) -> str:
    return f'<a href="{escape(url, quote=True)}">{escape(text or url)}</a>'


def outcome(result: Outcome) -> str:
    thread = result.thread
    if result.kind in ("followup", "ask", "closed"):
        return after_merge(result)
    if result.kind == "created":
        lines = [f"ℹ️ {escape(result.note)}"] if result.note else []
        lines += [
            f"✅ Pull request <b>#{thread.number}</b> is open: <b>{escape(thread.title)}</b>",
            _link(thread.url),
            f"<code>{escape(thread.path)}</code> · {thread.words} words",
            "Send more messages to revise it, or /new for another post.",
        ]
        return "\n".join(lines)
    before = result.previous
    lines = [f"✏️ Revised pull request <b>#{thread.number}</b>: <b>{escape(thread.title)}</b>"]
    if result.note:
        lines.append(f"ℹ️ {escape(result.note)}")
    if before is not None and before.title != thread.title:
        lines.append(f"Title: {escape(before.title)} → {escape(thread.title)}")
    if before is not None:
        lines.append(f"Words: {before.words} → {thread.words}")
    link = _link(thread.commit_url, "See the new commit") if thread.commit_url else ""
    lines.append(
        " · ".join(filter(None, [link, _link(thread.url, f"Pull request #{thread.number}")]))
    )
    return "\n".join(lines)


def after_merge(result: Outcome) -> str:
    """A follow-up pull request to a merged post; the question after a merge; a pull request
    closed while it was being revised."""
    thread = result.thread
    title = f"<b>{escape(thread.title)}</b>"
    if result.kind == "ask":
        return (
            f"Pull request #{thread.number} ({title}) is already merged. Should I edit the "
            "merged post in a new pull request, or start a new post from this message?"
        )
    if result.kind == "closed":
        return (
            f"⚠️ Pull request #{thread.number} ({title}) was closed without merging while I was "
            "revising it, so nothing was committed. Start a new post from this message?"
        )
    lines = [f"ℹ️ {escape(result.note)}"] if result.note else []
    merged = result.previous.number if result.previous else thread.follows
    lines += [
        f"✅ Pull request <b>#{thread.number}</b> edits the merged post (#{merged}): {title}",
        _link(thread.url),
        f"<code>{escape(thread.path)}</code> · {thread.words} words",
        "Send more messages to revise it, or /new for another post.",
    ]
    return "\n".join(lines)


def started_over(previous: PostThread | None) -> str:
    text = "🆕 OK, your next message starts a new post."
    if previous is not None:
        text += f" Pull request #{previous.number} stays as it is."
    return text


def status(thread: PostThread, state: PullState, now: datetime | None = None) -> str:
    """The current post; its last update in words, relative to `now` (default: the clock)."""
    updated = time_ago(thread.updated_at, now or datetime.now().astimezone())
    return "\n".join(
        [
            f"📝 <b>{escape(thread.title)}</b>",
            f"Pull request {_link(thread.url, f'#{thread.number}')} is <b>{state}</b>",
            f"<code>{escape(thread.path)}</code> · {thread.words} words · "
            f"{thread.revisions} revision{'s' if thread.revisions != 1 else ''}",
            f"Last update: {escape(updated or thread.updated_at or 'unknown')}",
        ]
    )


NO_POSTS = "You have no posts yet. Send me your notes to start one."
# A title in the /posts list is cut to this many characters, so that ten posts fit one message.
LISTED_TITLE_CHARS = 120


def post_listing(listing: PostListing, now: datetime | None = None) -> str:
    """/posts: each post with its pull request's state, title, link and last update."""
    now = now or datetime.now().astimezone()
    lines = ["📚 <b>Your recent posts</b>, newest first:"]
    for listed in listing.posts:
        thread = listed.thread
        state = listed.state or "state unknown"
        updated = time_ago(thread.updated_at, now)
        title = shorten(thread.title, LISTED_TITLE_CHARS, words=True)
        facts = [f"{_link(thread.url, f'#{thread.number}')} {state}"]
        if updated:
            facts.append(f"updated {updated}")
        if listed.current:
            facts.append("<i>current</i>")
        lines.append(
            f"\n{_STATE_MARKS.get(state, '•')} <b>{escape(title)}</b>\n" + " · ".join(facts)
        )
    if listing.older:
        lines.append(f"\n…and {listing.older} older.")
    if any(p.revisable and not p.current for p in listing.posts):
        lines.append("\nTap a post below to make it the current one: your next message revises it.")
    return "\n".join(lines)


_STATE_MARKS = {"open": "🟢", "merged": "🟣", "closed": "⚪️"}


def now_current(thread: PostThread) -> str:
    return (
        f"✏️ <b>#{thread.number}</b> ({escape(thread.title)}) is now the current post: your next "
        "message revises it."
    )


def out_of_date(number: int, why: Staleness) -> str:
    """A button's answer (at most 200 characters) when its pull request has moved on."""
    if why == "forgotten":
        return f"This button is out of date: pull request #{number} is no longer current."
    return f"This button is out of date: pull request #{number} was {why}."


def confirm_discard(thread: PostThread) -> str:
    return (
        f"Close pull request <b>#{thread.number}</b> ({escape(thread.title)}) and delete its "
        "branch? The post will not be published."
    )


def discarded(thread: PostThread) -> str:
    return (
        f"🗑 Closed pull request #{thread.number} and deleted the branch "
        f"<code>{escape(thread.branch)}</code>."
    )


def failure(exc: BaseException, *, draft_kept: bool = True) -> str:
    """One or two short sentences: what happened and what to do. No traceback, no token.

    The sentence is the error's own `user_message` (bot/core/errors.py); anything unexpected
    gets the generic one. `draft_kept` is False when the failure came before the model wrote
    anything (a revision's pull request check) or outside a job (/status, Discard): then a
    failed publish promises no Retry."""
    # Error details come from outside; keep every message far inside Telegram's 4096.
    text = f"⚠️ {escape(shorten(_explanation(exc), 400), quote=False)}"
    if isinstance(exc, PublishError) and draft_kept:
        text += "\nYour draft is kept: press Retry or send /retry to publish it without redrafting."
    return text


def _explanation(exc: BaseException) -> str:
    if isinstance(exc, ExpectedError):
        return exc.user_message
    return SOMETHING_WENT_WRONG
