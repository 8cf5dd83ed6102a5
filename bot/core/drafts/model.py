"""What parsing produces, and the limits it keeps to."""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.errors import ExpectedError

MAX_TITLE = 200
MAX_DESCRIPTION = 160
MAX_FALLBACK_TITLE = 80
MAX_TAGS = 8
MAX_TAG_LENGTH = 40
# How much of a title, description or tag line is read at most: the markup regexes are
# quadratic on pathological input.
SCAN_LIMIT = 2000


@dataclass(frozen=True)
class Draft:
    title: str
    description: str
    tags: tuple[str, ...]
    body: str  # Markdown body without the title heading, outer fence or chatter


class DraftFormatError(ExpectedError, ValueError):
    """The model's answer cannot become a post; the message is shown to the writer."""

    @property
    def user_message(self) -> str:
        return f"The model's answer could not be turned into a post: {self} Please try again."
