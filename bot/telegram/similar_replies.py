""" "You wrote about this before": the question the writer sees and its two buttons.

A new draft very close to an existing post pauses its job (bot.core.writer raises
SimilarPostFound; the job record, state "paused", keeps the draft and the post found). The
status message becomes this question, with "Go ahead" (`similar-go:<job>`) and "Update that post
instead" (`similar-update:<job>`), the job being the writer's message id. The presses are
handled in bot/telegram/similar_posts.py.
"""

from __future__ import annotations

from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.core.jobs import JobRecord
from bot.core.similar_posts import SimilarPost
from bot.telegram.keyboards import NumberedButton

GO_AHEAD = NumberedButton("similar-go")
UPDATE_EXISTING = NumberedButton("similar-update")


def question(found: SimilarPost) -> str:
    link = f'<a href="{escape(found.url, quote=True)}">{escape(found.title)}</a>'
    return (
        f"🔁 You wrote about this before: {link}\n"
        f"<code>{escape(found.path)}</code>\n\n"
        "Publish the new post anyway, or update that post with these notes instead? "
        "Nothing is written to GitHub until you choose."
    )


def keyboard(record: JobRecord) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton("Go ahead", callback_data=GO_AHEAD.data(record.message_id)),
                InlineKeyboardButton(
                    "Update that post instead",
                    callback_data=UPDATE_EXISTING.data(record.message_id),
                ),
            ]
        ]
    )
