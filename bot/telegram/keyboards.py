"""The inline keyboards under the bot's answers, and the callback data their buttons carry.

Callback data is short and fixed-shape, far inside Telegram's 64-byte limit. Buttons stay under
old messages for good, so these shapes must keep being understood: `new`, `keep`, `preview:12`,
`discard:12`, `discard!:12` and `pick:12` (a pull request number), `retry:345` (the failed job's
message id), `redact:345` and `as-is:345` (a job held for private details: its message id),
`merged-edit:345` and `merged-new:345` (a job asked about after a merge).
Each kind has a `pattern` that routes a press to its handler (bot/telegram/application.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.core.conversation import PostThread
from bot.core.jobs import JobRecord
from bot.core.recent_posts import PostListing
from bot.core.text import shorten


@dataclass(frozen=True)
class Button:
    """A button whose callback data is just its name."""

    name: str

    @property
    def data(self) -> str:
        return self.name

    @property
    def pattern(self) -> re.Pattern[str]:
        return re.compile(rf"{re.escape(self.name)}\Z")


@dataclass(frozen=True)
class NumberedButton:
    """A button about one pull request or job: callback data `<name>:<number>`."""

    name: str

    def data(self, number: int) -> str:
        return f"{self.name}:{number}"

    @property
    def pattern(self) -> re.Pattern[str]:
        """Matches this button's data; group 1 is the number."""
        return re.compile(rf"{re.escape(self.name)}:([0-9]+)\Z")


NEW_POST = Button("new")
KEEP = Button("keep")
PREVIEW = NumberedButton("preview")
DISCARD = NumberedButton("discard")  # asks for confirmation
DISCARD_CONFIRMED = NumberedButton("discard!")
RETRY = NumberedButton("retry")
PICK = NumberedButton("pick")  # /posts: make this post the current one

# A post's title on its /posts button is cut to this many characters (buttons show one line).
PICK_TITLE_CHARS = 40
REMOVE_PRIVATE = NumberedButton("redact")
PUBLISH_AS_IS = NumberedButton("as-is")

# After a merge (bot.core.writer's "ask"): the job's message id; the job is run again as a
# follow-up pull request to the merged post, or as a new post.
EDIT_MERGED = NumberedButton("merged-edit")
NEW_FROM_JOB = NumberedButton("merged-new")


def result_keyboard(thread: PostThread) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(f"Open pull request #{thread.number}", url=thread.url)],
            [
                InlineKeyboardButton("Preview", callback_data=PREVIEW.data(thread.number)),
                InlineKeyboardButton("New post", callback_data=NEW_POST.data),
                InlineKeyboardButton("Discard", callback_data=DISCARD.data(thread.number)),
            ],
        ]
    )


def retry_keyboard(record: JobRecord) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton("Retry", callback_data=RETRY.data(record.message_id))]]
    )


def confirm_discard_keyboard(number: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    f"Yes, close #{number}", callback_data=DISCARD_CONFIRMED.data(number)
                ),
                InlineKeyboardButton("Keep it", callback_data=KEEP.data),
            ]
        ]
    )


def posts_keyboard(listing: PostListing) -> InlineKeyboardMarkup | None:
    """/posts: a button for each listed post that can become the current one."""
    rows = [
        [
            InlineKeyboardButton(
                f"✏️ #{p.thread.number} {shorten(p.thread.title, PICK_TITLE_CHARS, words=True)}",
                callback_data=PICK.data(p.thread.number),
            )
        ]
        for p in listing.posts
        if p.revisable and not p.current
    ]
    return InlineKeyboardMarkup(rows) if rows else None


def without_button(markup: InlineKeyboardMarkup | None, data: str) -> InlineKeyboardMarkup | None:
    """`markup` less the button whose callback data is `data` (and its row, when it empties)."""
    if markup is None:
        return None
    rows = [
        [button for button in row if button.callback_data != data] for row in markup.inline_keyboard
    ]
    kept = [row for row in rows if row]
    return InlineKeyboardMarkup(kept) if kept else None


def privacy_keyboard(record: JobRecord) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    "Remove and publish", callback_data=REMOVE_PRIVATE.data(record.message_id)
                ),
                InlineKeyboardButton(
                    "Publish as is", callback_data=PUBLISH_AS_IS.data(record.message_id)
                ),
            ]
        ]
    )


def after_merge_keyboard(record: JobRecord, *, merged: bool) -> InlineKeyboardMarkup:
    """Edit the merged post in a new pull request (when it is merged), or start a new post."""
    new = InlineKeyboardButton(
        "Start a new post", callback_data=NEW_FROM_JOB.data(record.message_id)
    )
    if not merged:
        return InlineKeyboardMarkup([[new]])
    edit = InlineKeyboardButton(
        "Edit the merged post (new PR)", callback_data=EDIT_MERGED.data(record.message_id)
    )
    return InlineKeyboardMarkup([[edit], [new]])
