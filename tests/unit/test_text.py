"""shorten: one truncation helper for titles, descriptions, commit messages and error details."""

from __future__ import annotations

import pytest

from bot.core.text import ELLIPSIS, shorten


@pytest.mark.parametrize("text", ["", "short", "x" * 10])
def test_text_that_fits_is_returned_unchanged(text: str) -> None:
    assert shorten(text, 10) is text
    assert shorten(text, 10, words=True, trim=" ,") is text


def test_hard_cut_keeps_the_limit_including_the_ellipsis() -> None:
    text = "abcdefghijklmnopqrstuvwxyz"
    assert shorten(text, 10) == "abcdefghi…"
    assert len(shorten(text, 10)) == 10
    assert shorten(text, 10, ellipsis="") == "abcdefghij"
    assert shorten(text, 10, ellipsis="...") == "abcdefg..."
    assert shorten(text, 1) == ELLIPSIS
    assert shorten(text, 0, ellipsis="") == ""


def test_hard_cut_keeps_spaces_unless_told_to_trim() -> None:
    text = "one two   three"
    assert shorten(text, 8) == "one two…"
    assert shorten(text, 9) == "one two …"
    assert shorten(text, 9, trim=" ") == "one two…"


def test_word_cut_ends_at_a_word_boundary() -> None:
    text = "The quick brown fox jumps over the lazy dog"
    assert shorten(text, 20, words=True) == "The quick brown fox…"
    assert shorten(text, 18, words=True) == "The quick brown…"
    # The cut falls right before a space: the word is whole already.
    assert shorten(text, 16, words=True) == "The quick brown…"
    assert shorten(text, 15, ellipsis="", words=True) == "The quick brown"


def test_word_cut_falls_back_to_a_hard_cut_without_a_nearby_space() -> None:
    url = "see https://example.com/a/very/long/path/that/goes/on"
    assert shorten(url, 20, words=True) == url[:19] + "…"
    cjk = "先月、データベースを移行しました。"
    assert shorten(cjk, 8, words=True) == cjk[:7] + "…"


def test_trim_strips_the_given_characters_before_the_ellipsis() -> None:
    text = "Moving to Postgres: what - changed, and why"
    assert shorten(text, 21, words=True, trim=" ,;:-–—") == "Moving to Postgres…"
    # The cut ends inside "changed,": back to the last space, then " -" goes too.
    assert shorten(text, 35, words=True, trim=" ,;:-–—") == "Moving to Postgres: what…"
    # The cut ends right before a space: only the comma goes.
    assert shorten(text, 36, words=True, trim=" ,;:-–—") == "Moving to Postgres: what - changed…"
    assert shorten(text, 36, words=True) == "Moving to Postgres: what - changed,…"


def test_one_line_collapses_whitespace_even_when_the_text_fits() -> None:
    assert shorten("  make it\n\tshorter  ", 60, one_line=True) == "make it shorter"
    request = "add a section\non costs and\n\n" + "more " * 20
    result = shorten(request, 30, one_line=True, trim=" ")
    assert result == "add a section on costs and mo…"
    assert len(result) == 30
    assert shorten("a\n" * 40, 10, one_line=True, trim=" ") == "a a a a a…"


def test_a_limit_without_room_for_the_ellipsis_is_refused() -> None:
    with pytest.raises(ValueError, match="no room"):
        shorten("long text", 2, ellipsis="...")
