"""Private details in a draft, found before it is committed to a public repository.

A draft (title, description, tags, body) is scanned for phone numbers (`phonenumbers`, valid
numbers only), e-mail addresses, payment card numbers (Luhn-valid, a card network's prefix),
IBANs (`python-stdnum` checks the checksum) and secrets: API keys, tokens, passwords in code,
private keys (Yelp's `detect-secrets`, its pattern-based plugins, line by line).

Each `Finding` says what was found, where, and how to show it without repeating it (`masked`).
`redact` takes the findings out of the draft: a value becomes a short placeholder such as
"[phone number removed]", a private key block goes whole, a tag holding one is dropped.

Decisions, so that a writer is asked only about what is plausibly private:
- Phone numbers written with a country code (+44 …) are always found; national formats only
  for the region given (PHONE_REGION), since "030 12345678" is a number in Germany and
  nothing in particular elsewhere. Years, prices, versions, ISBNs, dates are not valid numbers.
- E-mail addresses at documentation placeholders (example.com/.org/.net, .test, .invalid,
  .localhost, .local, .example) are nobody's address and are left alone, as are `git@host:path`
  remotes and `user@` inside URLs.
- The high-entropy and IP-address plugins of detect-secrets are not used: on prose they flag
  ordinary words and commit hashes.
"""

from __future__ import annotations

import dataclasses
import re
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from typing import Literal

import phonenumbers

from bot.core.drafts import Draft

Kind = Literal["phone", "email", "card", "iban", "secret"]
Field = Literal["title", "description", "tags", "body"]

# Scanned in this order; where findings overlap, the earlier kind wins (a key that holds
# digits is a key, not a phone number).
KIND_ORDER: tuple[Kind, ...] = ("secret", "card", "iban", "email", "phone")

PLACEHOLDERS: dict[Kind, str] = {
    "phone": "[phone number removed]",
    "email": "[e-mail address removed]",
    "card": "[card number removed]",
    "iban": "[IBAN removed]",
    "secret": "[secret removed]",
}
PRIVATE_KEY_PLACEHOLDER = "[private key removed]"

DOT = "•"


@dataclass(frozen=True)
class Finding:
    """One private detail: what it is, where (`start`:`end` in the field's text; tags are
    scanned one a line), and how to show it (`masked`). The value itself is kept for
    redaction and comparison only: it is never shown or logged."""

    kind: Kind
    field: Field
    start: int
    end: int
    line: int  # 1-based, in the field
    masked: str
    label: str  # e.g. "phone number", "GitHub token"
    value: str = dataclasses.field(repr=False, compare=False)


class HeldForPrivacy(Exception):
    """The draft holds private details and the writer has not chosen what to do yet."""

    def __init__(self, findings: list[Finding]) -> None:
        super().__init__(f"{len(findings)} private detail(s) found")
        self.findings = findings


class PrivacyScanner:
    def __init__(self, *, phone_region: str | None = None) -> None:
        self.phone_region = phone_region

    def scan(self, draft: Draft) -> list[Finding]:
        """Everything private in the draft, in the order of the fields and then of the text."""
        findings: list[Finding] = []
        for name, text in draft_fields(draft).items():
            findings.extend(self.scan_text(text, name))
        return findings

    def scan_text(self, text: str, where: Field = "body") -> list[Finding]:
        found = [
            *_secrets(text, where),
            *_cards(text, where),
            *_ibans(text, where),
            *_emails(text, where),
            *_phones(text, where, self.phone_region),
        ]
        return _without_overlaps(found)

    def scrub(self, text: str) -> str:
        """`text` with every finding replaced by its placeholder: for what the writer did not
        choose about, such as a revision's commit message made of their request."""
        return _redact_text(text, self.scan_text(text))


def draft_fields(draft: Draft) -> dict[Field, str]:
    """The scanned texts of a draft: tags one a line, so that a finding's line is its tag."""
    return {
        "title": draft.title,
        "description": draft.description,
        "tags": "\n".join(draft.tags),
        "body": draft.body,
    }


def new_findings(findings: Iterable[Finding], published: Draft) -> list[Finding]:
    """The findings whose value is not already in the published post (a revision asks only
    about what it adds: the writer chose about the rest before)."""
    text = "\n".join(draft_fields(published).values())
    return [finding for finding in findings if finding.value not in text]


def redact(draft: Draft, findings: Iterable[Finding]) -> Draft:
    """The draft without the findings: each value replaced by a placeholder, a tag that holds
    one dropped."""
    by_field: dict[Field, list[Finding]] = {}
    for finding in findings:
        by_field.setdefault(finding.field, []).append(finding)
    texts = draft_fields(draft)
    tags = list(draft.tags)
    if by_field.get("tags"):
        dropped = {finding.line - 1 for finding in by_field["tags"]}
        tags = [tag for index, tag in enumerate(tags) if index not in dropped]
    return replace(
        draft,
        title=_redact_text(texts["title"], by_field.get("title", [])),
        description=_redact_text(texts["description"], by_field.get("description", [])),
        tags=tuple(tags),
        body=_redact_text(texts["body"], by_field.get("body", [])),
    )


def _redact_text(text: str, findings: list[Finding]) -> str:
    if not findings:
        return text
    for finding in sorted(findings, key=lambda f: f.start, reverse=True):
        start, end = _with_link_prefix(text, finding.start, finding.end)
        placeholder = (
            PRIVATE_KEY_PLACEHOLDER
            if finding.label == "private key"
            else PLACEHOLDERS[finding.kind]
        )
        text = text[:start] + placeholder + text[end:]
    # A link or autolink that held only the value is left as the placeholder alone.
    text = _LINK_TO_PLACEHOLDER.sub(r"\1", text)
    return _AUTOLINK_PLACEHOLDER.sub(r"\1", text)


_REMOVED = r"\[[a-zA-Z -]+ removed\]"
_LINK_TO_PLACEHOLDER = re.compile(rf"\[[^\]\n]*\]\(({_REMOVED})\)")
_AUTOLINK_PLACEHOLDER = re.compile(rf"<({_REMOVED})>")


def _with_link_prefix(text: str, start: int, end: int) -> tuple[int, int]:
    for prefix in ("mailto:", "tel:"):
        if text[max(0, start - len(prefix)) : start].lower() == prefix:
            return start - len(prefix), end
    return start, end


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


# -- phone numbers ---------------------------------------------------------------------------

# Shorter valid numbers exist (German ones, service numbers), but in a post they are far more
# often figures than somebody's phone.
MIN_PHONE_DIGITS = 7


def _phones(text: str, where: Field, region: str | None) -> Iterator[Finding]:
    matcher = phonenumbers.PhoneNumberMatcher(text, region, leniency=phonenumbers.Leniency.VALID)
    for match in matcher:
        if sum(char.isdigit() for char in match.raw_string) < MIN_PHONE_DIGITS:
            continue  # "36.0 / 43.0" is a valid German number, and a table's figures
        formatted = phonenumbers.format_number(
            match.number, phonenumbers.PhoneNumberFormat.INTERNATIONAL
        )
        yield Finding(
            "phone",
            where,
            match.start,
            match.end,
            _line_of(text, match.start),
            mask_phone(formatted, match.number.country_code or 0),
            "phone number",
            match.raw_string,
        )


def is_phone_region(code: str) -> bool:
    return code in phonenumbers.SUPPORTED_REGIONS


def mask_phone(international: str, country_code: int) -> str:
    """ "+44 20 7946 0958" -> "+44 •• •••• •958": the country and the last three digits."""
    prefix = f"+{country_code}"
    rest = international.removeprefix(prefix)
    digits = sum(char.isdigit() for char in rest)
    shown, masked = 0, []
    for char in rest:
        if char.isdigit():
            shown += 1
            masked.append(char if shown > digits - 3 else DOT)
        else:
            masked.append(char)
    return prefix + "".join(masked)


# -- e-mail addresses ------------------------------------------------------------------------

_EMAIL = re.compile(
    r"(?<![\w.%+\-/@])"  # not in the middle of a word or after "//" (a URL's user@host)
    r"(?P<local>[A-Za-z0-9](?:[A-Za-z0-9._%+\-]{0,62}[A-Za-z0-9_%+\-])?)"
    r"@(?P<domain>(?:[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24})"
    r"(?![\w\-@]|:[^\s]|\.[A-Za-z0-9])"  # not `git@github.com:owner/repo`
)
# Reserved for documentation and testing (RFC 2606, RFC 6761): nobody's address.
_PLACEHOLDER_DOMAINS = ("example.com", "example.org", "example.net")
_PLACEHOLDER_SUFFIXES = (".example", ".test", ".invalid", ".localhost", ".local")


def _emails(text: str, where: Field) -> Iterator[Finding]:
    for match in _EMAIL.finditer(text):
        domain = match["domain"].lower()
        if _is_placeholder_domain(domain):
            continue
        yield Finding(
            "email",
            where,
            match.start(),
            match.end(),
            _line_of(text, match.start()),
            f"{match['local'][0]}{DOT * 3}@{match['domain']}",
            "e-mail address",
            match.group(),
        )


def _is_placeholder_domain(domain: str) -> bool:
    if domain in ("localhost", *_PLACEHOLDER_DOMAINS):
        return True
    return domain.endswith(_PLACEHOLDER_SUFFIXES) or any(
        domain.endswith("." + placeholder) for placeholder in _PLACEHOLDER_DOMAINS
    )


# -- payment cards ---------------------------------------------------------------------------

# 13 to 19 digits, in groups split by single spaces or dashes, not inside a longer token
# (an id in a URL, a version, a decimal).
_CARD = re.compile(r"(?<![\w/.#=\-:])\d(?:[ \-]?\d){12,18}(?![\w/]|[.,]\d)")
# The card networks' prefixes and lengths (Visa; Mastercard; Amex; Diners; JCB; Discover,
# UnionPay; Maestro): a Luhn-valid number that fits none is an id, not a card.
_CARD_NETWORKS = (
    (re.compile(r"4"), frozenset({13, 16, 19})),
    (re.compile(r"5[1-5]|2[2-7]"), frozenset({16})),
    (re.compile(r"3[47]"), frozenset({15})),
    (re.compile(r"3[0689]"), frozenset({14, 16})),
    (re.compile(r"35|6"), frozenset(range(16, 20))),
    (re.compile(r"50|5[6-8]"), frozenset(range(13, 20))),
)


def is_card_number(digits: str) -> bool:
    from stdnum import luhn  # ~10 MB with the IBAN registry: loaded when a draft needs it

    fits = any(
        prefix.match(digits) and len(digits) in lengths for prefix, lengths in _CARD_NETWORKS
    )
    return fits and len(set(digits)) > 1 and luhn.is_valid(digits)


def _cards(text: str, where: Field) -> Iterator[Finding]:
    for match in _CARD.finditer(text):
        digits = re.sub(r"\D", "", match.group())
        if not is_card_number(digits):
            continue
        yield Finding(
            "card",
            where,
            match.start(),
            match.end(),
            _line_of(text, match.start()),
            f"{DOT * 4} {digits[-4:]}",
            "card number",
            match.group(),
        )


# -- IBANs -----------------------------------------------------------------------------------

_IBAN = re.compile(r"(?<![A-Za-z0-9])[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]){11,30}")


def _ibans(text: str, where: Field) -> Iterator[Finding]:
    for match in _IBAN.finditer(text):
        candidate = _longest_valid_iban(match.group())
        if candidate is None:
            continue
        compact = re.sub(r"\s", "", candidate)
        start = match.start()
        yield Finding(
            "iban",
            where,
            start,
            start + len(candidate),
            _line_of(text, start),
            f"{compact[:4]} {DOT * 4} {compact[-4:]}",
            "IBAN",
            candidate,
        )


def _longest_valid_iban(candidate: str) -> str | None:
    """The match may run on into the next word ("… 3000 BIC"): the longest valid start of it
    that ends at a word's end."""
    from stdnum import iban  # the registry of every country's format: loaded when needed

    for end in range(len(candidate), 14, -1):
        if end < len(candidate) and candidate[end] != " ":
            continue
        if iban.is_valid(candidate[:end]):
            return candidate[:end]
    return None


# -- secrets ---------------------------------------------------------------------------------

# detect-secrets' plugins that look for a known shape (a provider's key format, a PEM header,
# `password = "…"`); its entropy and IP-address plugins flag ordinary prose.
SECRET_PLUGINS = (
    "ArtifactoryDetector",
    "AWSKeyDetector",
    "AzureStorageKeyDetector",
    "BasicAuthDetector",
    "CloudantDetector",
    "DiscordBotTokenDetector",
    "GitHubTokenDetector",
    "GitLabTokenDetector",
    "IbmCloudIamDetector",
    "IbmCosHmacDetector",
    "JwtTokenDetector",
    "KeywordDetector",
    "MailchimpDetector",
    "NpmDetector",
    "OpenAIDetector",
    "PrivateKeyDetector",
    "PypiTokenDetector",
    "SendGridDetector",
    "SlackDetector",
    "SoftlayerDetector",
    "SquareOAuthDetector",
    "StripeDetector",
    "TelegramBotTokenDetector",
    "TwilioKeyDetector",
)
# detect-secrets keeps its settings in a global: one scan at a time.
_SECRETS_LOCK = threading.Lock()
# Characters of a token: a plugin may report only a token's prefix ("ghp"); the finding is
# the whole token around it (and its base64 padding, but not the `NAME=` before it).
_TOKEN_CHAR = re.compile(r"[A-Za-z0-9_\-+/.~]")
_PEM_END = re.compile(r"-----END [A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----")


def _secrets(text: str, where: Field) -> Iterator[Finding]:
    # Imported here: detect-secrets takes about 0.4 s to import (it pulls in requests), which
    # neither start-up nor a test that never scans should pay.
    from detect_secrets.core.scan import scan_line
    from detect_secrets.settings import transient_settings

    plugins = {"plugins_used": [{"name": name} for name in SECRET_PLUGINS]}
    offset = 0
    with _SECRETS_LOCK, transient_settings(plugins):
        for number, line in enumerate(text.split("\n"), start=1):
            for secret in scan_line(line):
                value = secret.secret_value or ""
                label = _secret_label(secret.type)
                for start, end in _occurrences(line, value):
                    if label == "private key":
                        start, end = _pem_block(text, offset + start)
                        yield Finding(
                            "secret", where, start, end, number, _mask_pem(text[start:end]), label,
                            text[start:end],
                        )  # fmt: skip
                        continue
                    start, end = _token_around(line, start, end)
                    token = line[start:end]
                    yield Finding(
                        "secret", where, offset + start, offset + end, number,
                        mask_secret(token), label, token,
                    )  # fmt: skip
            offset += len(line) + 1


def _occurrences(line: str, value: str) -> Iterator[tuple[int, int]]:
    if not value:
        return
    start = line.find(value)
    while start >= 0:
        yield start, start + len(value)
        start = line.find(value, start + len(value))


def _token_around(line: str, start: int, end: int) -> tuple[int, int]:
    while start > 0 and _TOKEN_CHAR.match(line[start - 1]):
        start -= 1
    while end < len(line) and _TOKEN_CHAR.match(line[end]):
        end += 1
    while end > start + 1 and line[end - 1] == ".":
        end -= 1  # a sentence's full stop
    while end < len(line) and line[end] == "=":
        end += 1
    return start, end


def _pem_block(text: str, at: int) -> tuple[int, int]:
    """A private key from its `-----BEGIN` line to its `-----END` line (or, cut short, to the
    next blank line)."""
    start = text.rfind("\n", 0, at) + 1
    end_marker = _PEM_END.search(text, at)
    if end_marker is not None:
        return start, end_marker.end()
    blank = text.find("\n\n", at)
    return start, len(text) if blank < 0 else blank


def _mask_pem(block: str) -> str:
    first = block.split("\n", 1)[0].strip()
    return f"{first} {DOT * 3}"


def mask_secret(token: str) -> str:
    """ "sk-proj-abcd…wxyz" -> "sk-…wxyz": its kind (a prefix up to the first - or _) and its
    last four characters; a short one (a password) shows nothing of itself."""
    separator = re.search(r"[-_]", token[:9])
    prefix = token[: separator.end()] if separator else token[:4]
    if len(token) < 16:
        return DOT * 6
    return f"{prefix}…{token[-4:]}"


SECRET_LABELS = {"Private Key": "private key", "Secret Keyword": "password or secret in code"}


def _secret_label(secret_type: str) -> str:
    """detect-secrets' type name as the writer reads it ("GitHub Token" -> "GitHub token")."""
    if secret_type in SECRET_LABELS:
        return SECRET_LABELS[secret_type]
    first, *rest = secret_type.split() or ["secret"]
    return " ".join([first, *(word if word.isupper() else word.lower() for word in rest)])


def _without_overlaps(findings: list[Finding]) -> list[Finding]:
    """One finding per stretch of text (the first kind of KIND_ORDER wins), in text order."""
    kept: list[Finding] = []
    for finding in sorted(findings, key=lambda f: (KIND_ORDER.index(f.kind), f.start)):
        if all(finding.end <= other.start or finding.start >= other.end for other in kept):
            kept.append(finding)
    return sorted(kept, key=lambda f: f.start)
