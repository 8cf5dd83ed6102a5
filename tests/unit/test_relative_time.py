"""Times in the writer's words (bot/telegram/relative_time.py), for /status and /posts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from bot.telegram.relative_time import ago, time_ago

BERLIN_WINTER = timezone(timedelta(hours=1))
NOW = datetime(2026, 12, 1, 19, 30, tzinfo=BERLIN_WINTER)


@pytest.mark.parametrize(
    ("before", "said"),
    [
        (timedelta(seconds=0), "just now"),
        (timedelta(seconds=-3), "just now"),  # a clock a little ahead
        (timedelta(seconds=40), "40 seconds ago"),
        (timedelta(minutes=3), "3 minutes ago"),
        (timedelta(minutes=3, seconds=20), "3 minutes ago"),
        (timedelta(hours=1), "an hour ago"),
        (timedelta(hours=5), "5 hours ago"),
        (timedelta(hours=19), "19 hours ago"),  # 00:30 today: still today
        (timedelta(hours=20), "yesterday"),  # 23:30 yesterday
        (timedelta(hours=40), "yesterday"),  # 03:30 yesterday
        (timedelta(hours=44), "2 days ago"),  # 23:30 the day before yesterday
        (timedelta(days=6), "6 days ago"),
        (timedelta(days=45), "a month ago"),
    ],
)
def test_a_time_before_now_in_words(before: timedelta, said: str) -> None:
    assert ago(NOW - before, NOW) == said


def test_just_after_midnight_the_last_hours_are_hours_not_yesterday() -> None:
    now = datetime(2026, 12, 1, 1, 0, tzinfo=BERLIN_WINTER)
    assert ago(now - timedelta(hours=2), now) == "2 hours ago"  # 23:00 yesterday
    assert ago(now - timedelta(hours=8), now) == "yesterday"  # 17:00 yesterday


def test_a_stored_stamp_is_read_in_the_time_zone_of_now() -> None:
    # The bot stores its local time with its offset; a UTC `now` must give the same answer.
    assert time_ago("2026-12-01T19:27:00+01:00", NOW) == "3 minutes ago"
    assert time_ago("2026-12-01T19:27:00+01:00", NOW.astimezone(UTC)) == "3 minutes ago"
    # Yesterday is the day before in now's zone: 23:50 UTC is already today at UTC+1.
    assert time_ago("2026-11-30T23:50:00+00:00", NOW) == "19 hours ago"  # 18 h 40 min


def test_a_stamp_without_a_zone_is_taken_as_now_s_and_a_broken_one_is_none() -> None:
    assert time_ago("2026-12-01T19:20:00", NOW) == "10 minutes ago"
    assert time_ago("2026-12-01T19:20:00", NOW.replace(tzinfo=None)) == "10 minutes ago"
    assert time_ago("", NOW) is None
    assert time_ago("yesterday-ish", NOW) is None
