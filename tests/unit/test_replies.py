"""What the writer reads when something fails, and that every reply is valid Telegram HTML.

The Application sends everything with parse_mode=HTML (Defaults), so a reply that is meant as
plain text must still parse as HTML to exactly itself; the fake Telegram's parser is the judge.
"""

from __future__ import annotations

import pytest

from bot.core import errors
from bot.core.drafts import DraftFormatError
from bot.telegram import replies
from tests.fakes.telegram import format_text

KEPT_LINE = "Your draft is kept: press Retry or send /retry to publish it without redrafting."


def shown(html: str) -> str:
    """The text the writer sees for an HTML message."""
    text, _entities = format_text(html, "HTML")
    return text


# The exact sentences of the version before errors carried their own (replies.failure's ladder).
EXPECTED = [
    (
        errors.DailyQuotaExceeded("quota", status=429, code=3036),
        "⚠️ The Workers AI daily free allocation is used up. It resets at 00:00 UTC; "
        "send your message again after that.",
    ),
    (
        errors.CapacityExceeded("busy", status=429, code=3040),
        "⚠️ Workers AI is over capacity right now. Please send your message again in a minute.",
    ),
    (
        errors.AuthenticationFailed("no", status=401, code=10000),
        "⚠️ Workers AI rejected the bot's credentials. The maintainer needs to check "
        "CLOUDFLARE_API_TOKEN and CLOUDFLARE_ACCOUNT_ID.",
    ),
    (
        errors.AccountNotFound("who", status=404, code=7003),
        "⚠️ Workers AI does not know this account. "
        "The maintainer needs to check CLOUDFLARE_ACCOUNT_ID.",
    ),
    (
        errors.ModelNotAvailable("which", code=5007),
        "⚠️ The configured AI model is not available. The maintainer needs to check AI_MODEL.",
    ),
    (
        errors.RequestRejected("too big", status=413),
        "⚠️ Workers AI refused the request (it may be too long). Try shorter notes.",
    ),
    (
        errors.IncompleteAnswer("the model answered with empty text"),
        "⚠️ The model did not produce a usable draft: the model answered with empty text. "
        "Please try again.",
    ),
    (
        errors.ServiceUnavailable("down", status=503),
        "⚠️ Workers AI is not answering right now. Please try again in a few minutes.",
    ),
    (
        DraftFormatError("The model's answer was empty."),
        "⚠️ The model's answer could not be turned into a post: The model's answer was empty. "
        "Please try again.",
    ),
    (
        errors.ModelError("an unclassified model failure"),
        "⚠️ Something went wrong on my side. The maintainer can find the details in the log.",
    ),
    (
        RuntimeError("a bug, with a <secret> detail"),
        "⚠️ Something went wrong on my side. The maintainer can find the details in the log.",
    ),
    (
        errors.NotesTooLong(60_123, 50_000),
        "⚠️ Your notes are too long (60,123 characters; the limit is 50,000). "
        "Please shorten them and send them again.",
    ),
]


@pytest.mark.parametrize(("exc", "expected"), EXPECTED, ids=lambda v: type(v).__name__)
def test_each_failure_is_explained_in_its_own_words(exc: Exception, expected: str) -> None:
    assert shown(replies.failure(exc)) == expected
    assert shown(replies.failure(exc, draft_kept=False)) == expected  # no Retry promise


def test_a_publish_error_promises_retry_only_when_the_draft_is_kept() -> None:
    exc = errors.PublishError("GitHub says <no> & \"never\"; the branch 'x' is protected.")
    said = "⚠️ GitHub says <no> & \"never\"; the branch 'x' is protected."
    assert shown(replies.failure(exc, draft_kept=True)) == f"{said}\n{KEPT_LINE}"
    assert shown(replies.failure(exc, draft_kept=False)) == said
    assert exc.user_message == "GitHub says <no> & \"never\"; the branch 'x' is protected."


def test_details_from_outside_are_clipped_and_escaped() -> None:
    text = shown(replies.failure(errors.PublishError("<b>" * 500), draft_kept=False))
    assert text.startswith("⚠️ <b><b>") and text.endswith("…")
    assert len(text) == len("⚠️ ") + 400


def test_every_expected_error_carries_a_sentence_for_the_writer() -> None:
    assert isinstance(errors.PublishError("x"), errors.ExpectedError)
    assert isinstance(errors.IncompleteAnswer("x"), errors.ExpectedError)
    for kind in errors.ModelError.__subclasses__():
        assert kind("detail").user_message.endswith("."), kind


def test_every_fixed_reply_is_valid_html_and_reads_as_written() -> None:
    constants = {
        name: value
        for name, value in vars(replies).items()
        if name.isupper() and isinstance(value, str)
    }
    assert len(constants) > 15, sorted(constants)
    for name, value in constants.items():
        text = shown(value)
        if name != "HELP":  # the only one with markup
            assert text == value, name
