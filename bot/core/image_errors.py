"""Why an image was refused (bot/core/images.py), in sentences the writer reads.

Each is an ExpectedError (bot/core/errors.py): the Telegram layer only escapes and frames its
`user_message`.
"""

from __future__ import annotations

from bot.core.errors import ExpectedError


def _megabytes(size: int) -> str:
    """25.3 MB, 20 MB."""
    return f"{size / 1_000_000:.1f}".removesuffix(".0") + " MB"


class ImageRefused(ExpectedError):
    """An image the bot will not publish."""

    explanation = "I cannot use that image. Please send another one."


class NotAnImage(ImageRefused):
    """The file is not in a format the bot reads (JPEG, PNG, WebP, GIF), or not an image."""

    explanation = (
        "That file is not an image I can use. Please send a photo, or a JPEG, PNG, WebP or "
        "GIF file."
    )


class UnreadableImage(ImageRefused):
    """The file starts like an image but cannot be decoded (truncated or damaged)."""

    explanation = (
        "That image looks damaged or incomplete, so I cannot read it. Please send it again."
    )


class ImageFileTooLarge(ImageRefused):
    """More bytes than the bot accepts; refused before anything is decoded."""

    def __init__(self, size: int, limit: int) -> None:
        self.explanation = (
            f"That image is too large ({_megabytes(size)}; the limit is {_megabytes(limit)}). "
            "Please send a smaller one."
        )
        super().__init__(self.explanation)
        self.size = size
        self.limit = limit


class ImageTooManyPixels(ImageRefused):
    """More pixels than the bot decodes (a decompression bomb declares billions in a few KB).
    `width` and `height` are 0 when the decoder refused before saying them."""

    def __init__(self, width: int, height: int, limit: int) -> None:
        size = f"{width:,} × {height:,} pixels; " if width and height else ""
        self.explanation = (
            f"That image has too many pixels to process ({size}the limit is "
            f"{limit / 1_000_000:g} megapixels). Please send a smaller one."
        )
        super().__init__(self.explanation)
        self.width = width
        self.height = height
        self.limit = limit
