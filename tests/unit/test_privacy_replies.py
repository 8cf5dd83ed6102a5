"""The question about private details, as Telegram HTML the writer reads."""

from __future__ import annotations

from html.parser import HTMLParser

from bot.core.drafts import Draft
from bot.core.privacy import Finding, PrivacyScanner
from bot.telegram.keyboards import PUBLISH_AS_IS, REMOVE_PRIVATE
from bot.telegram.privacy_replies import MAX_LISTED, private_details


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: object) -> None:
        self.tags.append(tag)

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def shown(html: str) -> tuple[str, set[str]]:
    parser = _Text()
    parser.feed(html)
    return "".join(parser.parts), set(parser.tags)


def test_each_finding_is_listed_masked_with_where_it_is() -> None:
    draft = Draft(
        title="Ring +44 20 7946 0958",
        description="About <b>launch</b>",
        tags=(),
        body="Line one.\nMail jane.doe@acme.io\n",
    )
    text, tags = shown(private_details(PrivacyScanner().scan(draft)))
    assert "• phone number +44 •• •••• •958 (title)" in text
    assert "• e-mail address j•••@acme.io (line 2)" in text
    assert "Nothing is on GitHub yet" in text
    assert tags <= {"b", "code"}  # the parse modes Telegram accepts


def test_a_mask_with_markup_characters_is_escaped() -> None:
    finding = Finding("secret", "body", 0, 5, 1, "<b>…&x", "password or secret in code", "")
    html = private_details([finding])
    assert "&lt;b&gt;…&amp;x" in html and "<b>…" not in html


def test_a_long_list_stays_far_inside_a_telegram_message() -> None:
    body = "\n".join(f"Mail person{i}@acme{i}.io" for i in range(200))
    findings = PrivacyScanner().scan(Draft("T", "D", (), body))
    assert len(findings) == 200
    html = private_details(findings)
    assert len(html) < 2000 and f"…and {200 - MAX_LISTED} more." in html


def test_the_buttons_carry_the_jobs_message_id() -> None:
    assert REMOVE_PRIVATE.pattern.match(REMOVE_PRIVATE.data(345))
    assert PUBLISH_AS_IS.pattern.match(PUBLISH_AS_IS.data(345))
    assert not REMOVE_PRIVATE.pattern.match(PUBLISH_AS_IS.data(345))
