"""What the writer reads: every user-facing text, as Telegram HTML.

Anything that came from outside (titles, error details) is escaped here, so Telegram never
answers "can't parse entities" and a title can never inject markup.
"""

from __future__ import annotations

from html import escape

from bot import workers_ai as ai
from bot.drafts import DraftFormatError
from bot.github_repo import PublishError

HELP = (
    "<b>I turn your notes into a blog post and open a pull request with it.</b>\n\n"
    "Send me a message such as:\n"
    "<i>A post about our move to Postgres 17, mention the 40% speed-up.</i>\n\n"
    "I draft the post, commit it to a new branch of the blog's repository and reply with the "
    "pull request link. Maintainers review and merge it as usual.\n\n"
    "/help shows this message."
)

WORKING = "✍️ Drafting your post…"

NOT_TEXT = "I can only work with text. Send me your notes for the post as a message."


def not_allowed(user_id: int) -> str:
    return (
        "Sorry, this bot only works for its allowed writers.\n"
        f"Your Telegram user id is <code>{user_id}</code>. To allow it, the bot's maintainer adds "
        "it to <code>ALLOWED_USER_IDS</code> and restarts the bot."
    )


def published(number: int, title: str, url: str, path: str, words: int) -> str:
    return (
        f"✅ Pull request <b>#{number}</b> is open: <b>{escape(title)}</b>\n"
        f'<a href="{escape(url, quote=True)}">{escape(url)}</a>\n'
        f"<code>{escape(path)}</code> · {words} words"
    )


def failure(exc: BaseException) -> str:
    """One or two short sentences: what happened and what to do. No traceback, no token."""
    if isinstance(exc, ai.DailyQuotaExceeded):
        return (
            "⚠️ The Workers AI daily free allocation is used up. It resets at 00:00 UTC; "
            "send your message again after that."
        )
    if isinstance(exc, ai.CapacityExceeded):
        return (
            "⚠️ Workers AI is over capacity right now. Please send your message again in a minute."
        )
    if isinstance(exc, ai.AuthenticationFailed):
        return (
            "⚠️ Workers AI rejected the bot's credentials. The maintainer needs to check "
            "CLOUDFLARE_API_TOKEN and CLOUDFLARE_ACCOUNT_ID."
        )
    if isinstance(exc, ai.AccountNotFound):
        return (
            "⚠️ Workers AI does not know this account. "
            "The maintainer needs to check CLOUDFLARE_ACCOUNT_ID."
        )
    if isinstance(exc, ai.ModelNotAvailable):
        return "⚠️ The configured AI model is not available. The maintainer needs to check AI_MODEL."
    if isinstance(exc, ai.RequestRejected):
        return "⚠️ Workers AI refused the request (it may be too long). Try shorter notes."
    if isinstance(exc, ai.IncompleteAnswer):
        reason = escape(str(exc.args[0]))
        return f"⚠️ The model did not produce a usable draft: {reason}. Please try again."
    if isinstance(exc, ai.ServiceUnavailable):
        return "⚠️ Workers AI is not answering right now. Please try again in a few minutes."
    if isinstance(exc, DraftFormatError):
        reason = escape(str(exc))
        return f"⚠️ The model's answer could not be turned into a post: {reason} Please try again."
    if isinstance(exc, PublishError):
        return f"⚠️ {escape(exc.user_message)}"
    return "⚠️ Something went wrong on my side. The maintainer can find the details in the log."
