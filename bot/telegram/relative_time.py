"""Times in the writer's words: "3 minutes ago", "yesterday", "5 days ago".

The wording comes from humanize; this only decides which of its phrasings fits. Telegram does
not tell a bot the writer's time zone, so "yesterday" is the calendar day before `now` in the
time zone of `now` (the bot's clock).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import humanize

# Within this, a time is counted in hours even across midnight ("3 hours ago", not "yesterday").
HOURS_BEFORE_DAYS = timedelta(hours=6)


def time_ago(stamp: str, now: datetime) -> str | None:
    """How long before `now` the ISO 8601 `stamp` was, in words; None when `stamp` is not a time
    (an empty one from an older version of the bot, say). A stamp without a time zone is taken
    to be in `now`'s."""
    try:
        when = datetime.fromisoformat(stamp)
    except ValueError:
        return None
    if when.tzinfo is None:
        return ago(when.replace(tzinfo=now.tzinfo), now)
    now = now if now.tzinfo is not None else now.astimezone()  # a naive `now` is local time
    return ago(when.astimezone(now.tzinfo), now)


def ago(when: datetime, now: datetime) -> str:
    """`when` (not after `now`, give or take a clock's skew) in words, relative to `now`."""
    elapsed = now - when
    if elapsed < timedelta(seconds=10):  # including a little clock skew into the future
        return "just now"
    days = (now.date() - when.date()).days
    if elapsed < HOURS_BEFORE_DAYS or days == 0:
        return humanize.naturaltime(elapsed)
    if days == 1:
        return "yesterday"
    return humanize.naturaltime(timedelta(days=days))  # calendar days: "2 days ago"
