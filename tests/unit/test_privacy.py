"""The privacy scanner on realistic text: what it finds, what it must leave alone, redaction."""

from __future__ import annotations

from pathlib import Path

import frontmatter
import pytest

from bot.core.drafts import Draft
from bot.core.privacy import (
    Finding,
    PrivacyScanner,
    mask_secret,
    new_findings,
    redact,
)

BLOGS = Path(__file__).resolve().parents[1] / "blogs"

# Test keys in the providers' documented shapes; none of them is live.
AWS_KEY = "AKIAIOSFODNN7EXAMPLE"
GITHUB_TOKEN = "ghp_" + "1a2b3c4d5e6f7g8h9i0jKLMNOPQRSTUVWXyz12"
SLACK_TOKEN = "xoxb-" + "1234567890-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx"
OPENAI_KEY = "sk-" + "abcdefghijklmnopqrst" + "T3BlbkFJ" + "abcdefghijklmnopqrst"
PEM = (
    "-----BEGIN RSA PRIVATE KEY-----\n"
    "MIIEpAIBAAKCAQEA3Tz2mr7SZiAMfQyuvBjM9Oi6Z1ZOn9Zx7N2D1sRHvcgqmlgQ\n"
    "o6k5nN2y1qkT4u3ZcUyrE0bnqv0W0xJ0Z0dGTY1yX9m8U0iX4mA9O7qkX2TqVhC0\n"
    "-----END RSA PRIVATE KEY-----"
)


def scan(text: str, region: str | None = None) -> list[Finding]:
    return PrivacyScanner(phone_region=region).scan_text(text)


def kinds(text: str, region: str | None = None) -> list[tuple[str, str]]:
    return [(f.kind, f.value) for f in scan(text, region)]


# -- phone numbers ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "region", "number", "masked"),
    [
        ("Call Jane on +44 20 7946 0958 after six.", None, "+44 20 7946 0958", "+44 •• •••• •958"),
        ("Ring 020 7946 0958 for tickets.", "GB", "020 7946 0958", "+44 •• •••• •958"),
        ("Our office: (415) 555-0132.", "US", "(415) 555-0132", "+1 •••-•••-•132"),
        ("Büro: 030 12345678, Mo–Fr.", "DE", "030 12345678", "+49 •• •••••678"),
        ("Appelez le 06 12 34 56 78 !", "FR", "06 12 34 56 78", "+33 • •• •• •6 78"),
        ("Mi número: +34 612 34 56 78.", "US", "+34 612 34 56 78", "+34 ••• •• •6 78"),
        ("電話 +81 3-1234-5678 まで", None, "+81 3-1234-5678", "+81 •-••••-•678"),
    ],
)
def test_phone_numbers_of_several_countries_are_found_and_masked(
    text: str, region: str | None, number: str, masked: str
) -> None:
    [finding] = scan(text, region)
    assert (finding.kind, finding.value, finding.masked) == ("phone", number, masked)
    assert text[finding.start : finding.end] == number
    assert finding.label == "phone number" and finding.line == 1


def test_a_national_number_needs_the_region_to_be_found() -> None:
    assert scan("Ring 020 7946 0958 for tickets.") == []  # could be anyone's digits


@pytest.mark.parametrize("region", [None, "US", "GB", "DE", "FR"])
def test_figures_that_are_not_phone_numbers_are_left_alone(region: str | None) -> None:
    text = (
        "In 2024 we paid $1,299.99 (€1.199,00) for v1.2.3 of the tool, released 2024-05-12.\n"
        "ISBN 978-3-16-148410-0, ISSN 0317-8471, DOI 10.1000/182, port 8080 on 192.168.1.10.\n"
        "p95 went from 36.0 / 43.0 ms to 12.5 ms; 1,000,000 requests a day, 3.14159265.\n"
        "See PR #12345 and issue 4567, commit 9fceb02, build 20240512.1, UUID "
        "123e4567-e89b-12d3-a456-426614174000.\n"
        "Tweet https://x.com/someone/status/1790000000000000001 and order 100-200-3000.\n"
    )
    assert scan(text, region) == []


# -- e-mail addresses ------------------------------------------------------------------------


def test_e_mail_addresses_are_found_and_masked() -> None:
    text = "Mail jane.doe@acme.io or <bob@mail.corp.de>, or [write to Ann](mailto:ann@corp.de)."
    found = scan(text)
    assert [(f.kind, f.value, f.masked) for f in found] == [
        ("email", "jane.doe@acme.io", "j•••@acme.io"),
        ("email", "bob@mail.corp.de", "b•••@mail.corp.de"),
        ("email", "ann@corp.de", "a•••@corp.de"),
    ]


def test_placeholder_addresses_remotes_and_urls_are_not_e_mail_addresses() -> None:
    text = (
        "Use user@example.com or admin@mail.example.org in the config, ci@build.test, "
        "me@localhost.\nClone git@github.com:owner/repo.git; open https://token@host.io/path; "
        "install pkg@1.2.3 and @types/node; pull image@sha256:abc."
    )
    assert scan(text) == []


# -- payment cards and IBANs -----------------------------------------------------------------


def test_card_numbers_are_found_when_luhn_valid_with_a_network_prefix() -> None:
    text = (
        "Visa 4111 1111 1111 1111, Mastercard 5500-0000-0000-0004, Amex 378282246310005.\n"
        "Not cards: 4111 1111 1111 1112 (checksum), 1234 5678 9012 3452 (no network), "
        "version 4.111111111111111, id /4111111111111111/."
    )
    found = scan(text)
    assert [(f.kind, f.masked, f.line) for f in found] == [
        ("card", "•••• 1111", 1),
        ("card", "•••• 0004", 1),
        ("card", "•••• 0005", 1),
    ]


def test_ibans_are_found_by_their_checksum() -> None:
    text = (
        "Pay to DE89 3704 0044 0532 0130 00 BIC COBADEFFXXX, or GB82WEST12345698765432.\n"
        "Not one: DE89 3704 0044 0532 0130 01, nor the ISO code DE12 in a sentence."
    )
    found = scan(text)
    assert [(f.kind, f.value, f.masked) for f in found] == [
        ("iban", "DE89 3704 0044 0532 0130 00", "DE89 •••• 3000"),
        ("iban", "GB82WEST12345698765432", "GB82 •••• 5432"),
    ]


# -- secrets ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "value", "label", "masked"),
    [
        (f"export AWS_ACCESS_KEY_ID={AWS_KEY}", AWS_KEY, "AWS access key", "AKIA…MPLE"),
        (f"The token {GITHUB_TOKEN} worked.", GITHUB_TOKEN, "GitHub token", "ghp_…yz12"),
        (f"SLACK={SLACK_TOKEN}", SLACK_TOKEN, "Slack token", "xoxb-…UvWx"),
        (f"My key is {OPENAI_KEY}.", OPENAI_KEY, "OpenAI token", "sk-…qrst"),
        ('password = "hunter2isgreat"', "hunter2isgreat", "password or secret in code", "••••••"),
    ],
)
def test_api_keys_and_tokens_are_found_whole(
    line: str, value: str, label: str, masked: str
) -> None:
    [finding] = scan(line)
    assert (finding.kind, finding.value, finding.label, finding.masked) == (
        "secret",
        value,
        label,
        masked,
    )
    assert line[finding.start : finding.end] == value


def test_a_private_key_is_found_as_the_whole_block() -> None:
    text = f"Here is the deploy key:\n\n```\n{PEM}\n```\n\nKeep it safe."
    [finding] = scan(text)
    assert finding.label == "private key" and finding.line == 4
    assert text[finding.start : finding.end] == PEM
    assert finding.masked == "-----BEGIN RSA PRIVATE KEY----- •••"
    assert PEM not in redact(Draft("T", "D", (), text), [finding]).body


def test_masks_never_repeat_a_secret() -> None:
    for secret in (AWS_KEY, GITHUB_TOKEN, SLACK_TOKEN, OPENAI_KEY):
        masked = mask_secret(secret)
        assert len(masked) < 12 and masked[:-4].rstrip("…") in secret[:5]


def test_prose_about_keys_is_not_a_key() -> None:
    text = (
        "Rotate your API key every 90 days and keep the token in a secret manager.\n"
        "The private key lives in ~/.ssh/id_ed25519; set password via the PASSWORD env var.\n"
        "We compared SHA a94a8fe5ccb19ba61c4c0873d391e987982fbbd3 against the release tag.\n"
    )
    assert scan(text) == []


# -- whole drafts, redaction -----------------------------------------------------------------

DRAFT = Draft(
    title="Call me at +44 20 7946 0958",
    description="Questions to jane.doe@acme.io",
    tags=("launch", "jane.doe@acme.io"),
    body=(
        "We launched!\n\nMail [Jane](mailto:jane.doe@acme.io) or <bob@corp.de>, call "
        f"+44 20 7946 0958.\n\n```sh\nexport OPENAI_API_KEY={OPENAI_KEY}\n```\n\n"
        "Donations: DE89 3704 0044 0532 0130 00. Thanks!"
    ),
)


def test_every_part_of_the_draft_is_scanned_with_its_position() -> None:
    found = PrivacyScanner().scan(DRAFT)
    assert [(f.field, f.kind, f.line) for f in found] == [
        ("title", "phone", 1),
        ("description", "email", 1),
        ("tags", "email", 2),
        ("body", "email", 3),
        ("body", "email", 3),
        ("body", "phone", 3),
        ("body", "secret", 6),
        ("body", "iban", 9),
    ]


def test_redaction_leaves_no_finding_and_reads_sensibly() -> None:
    scanner = PrivacyScanner()
    redacted = redact(DRAFT, scanner.scan(DRAFT))
    assert scanner.scan(redacted) == []
    assert redacted.title == "Call me at [phone number removed]"
    assert redacted.description == "Questions to [e-mail address removed]"
    assert redacted.tags == ("launch",)
    assert redacted.body == (
        "We launched!\n\nMail [e-mail address removed] or [e-mail address removed], call "
        "[phone number removed].\n\n```sh\nexport OPENAI_API_KEY=[secret removed]\n```\n\n"
        "Donations: [IBAN removed]. Thanks!"
    )


def test_a_revision_is_asked_only_about_what_it_adds() -> None:
    published = Draft("T", "D", (), "Call +44 20 7946 0958.")
    revised = Draft("T", "D", (), "Call +44 20 7946 0958 or mail jane.doe@acme.io.")
    found = new_findings(PrivacyScanner().scan(revised), published)
    assert [f.value for f in found] == ["jane.doe@acme.io"]


def test_a_finding_never_shows_its_value_in_repr() -> None:
    [finding] = scan(f"key {GITHUB_TOKEN}")
    assert GITHUB_TOKEN not in repr(finding)


def _blog_posts() -> list[Path]:
    suffixes = {".md", ".mdx", ".markdown"}
    return sorted(
        path for path in BLOGS.rglob("*") if path.suffix in suffixes and path.name != "README.md"
    )


@pytest.mark.parametrize("region", [None, "US", "GB", "DE"])
def test_the_sample_blogs_existing_posts_have_no_findings(region: str | None) -> None:
    posts = _blog_posts()
    assert len(posts) >= 12  # every sample blog has posts
    scanner = PrivacyScanner(phone_region=region)
    for path in posts:
        text = path.read_text(encoding="utf-8")
        try:
            post = frontmatter.loads(text)
        except Exception:  # front matter a generator reads but PyYAML does not: all of it
            assert scanner.scan_text(text) == [], path
            continue
        tags = post.get("tags") or []
        draft = Draft(
            title=str(post.get("title", "")),
            description=str(post.get("description", "")),
            tags=tuple(str(tag) for tag in (tags if isinstance(tags, list) else [tags])),
            body=post.content,
        )
        assert scanner.scan(draft) == [], path
