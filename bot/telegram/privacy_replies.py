"""What the writer reads when a draft holds private details (bot/core/privacy.py).

Only masked values are shown, escaped for Telegram's HTML: the chat is private, but a message
that quoted a key in full would be one more place it leaks from.
"""

from __future__ import annotations

from html import escape

from bot.core.privacy import Finding

# Far inside Telegram's 4096 characters a message, whatever the masks hold.
MAX_LISTED = 15

WHERE = {"title": "title", "description": "description", "tags": "tags", "body": "text"}

REMOVING = "🧹 Taking them out and publishing…"
PUBLISHING_AS_IS = "📤 Publishing your draft as it is…"


def private_details(findings: list[Finding]) -> str:
    lines = ["🔒 <b>Before I publish:</b> your draft contains what looks private."]
    for finding in findings[:MAX_LISTED]:
        lines.append(
            f"• {escape(finding.label)} <code>{escape(finding.masked)}</code> ({_where(finding)})"
        )
    if len(findings) > MAX_LISTED:
        lines.append(f"…and {len(findings) - MAX_LISTED} more.")
    lines.append(
        "Nothing is on GitHub yet. <b>Remove and publish</b> takes them out of the post; "
        "<b>Publish as is</b> keeps them. The repository may be public."
    )
    return "\n".join(lines)


def _where(finding: Finding) -> str:
    if finding.field == "body":
        return f"line {finding.line}"
    return WHERE[finding.field]
