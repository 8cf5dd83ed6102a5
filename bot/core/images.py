"""Images safe to publish: a writer's photo, made fit for a public repository.

`prepare_image` takes the bytes a writer sent and returns a new file that keeps only the
pixels: no EXIF (camera, time, GPS position), no XMP, no comments, no ICC profile (the colours
are converted to sRGB first, so they look the same). It

1. refuses, before decoding anything, a file over `max_bytes`, a file that is not a JPEG, PNG,
   WebP or GIF, and one that declares more than `max_pixels` (a decompression bomb declares
   billions of pixels in a few kilobytes; Pillow's own guard, `Image.MAX_IMAGE_PIXELS`, stops
   the worst of them even earlier). A big JPEG is decoded at 1/2, 1/4 or 1/8 of its size when
   that is still larger than needed (libjpeg's draft mode), so a 108-megapixel phone photo
   costs a few megabytes of memory; an image that would still decode to more than
   `max_decoded_pixels` is refused;
2. turns the photo upright as its EXIF orientation says (before the EXIF goes), and shrinks
   it to at most `max_side` pixels on its longer side, keeping the aspect ratio;
3. encodes it again: PNG when it has transparency or came lossless (PNG, GIF: screenshots and
   diagrams keep sharp edges), else JPEG (a WebP photo too). Animated GIF or WebP: the first
   frame.

The same input gives the same bytes, and the file is named after them (`PreparedImage.name`),
so a retry writes the same blob under the same name.

Pillow warns (DecompressionBombWarning, once per process) on images over its own limit
(about 89 megapixels) that are still within `max_pixels`; such a JPEG is never decoded in full.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from typing import cast

from PIL import Image, ImageCms, UnidentifiedImageError

from bot.core.image_errors import (
    ImageFileTooLarge,
    ImageTooManyPixels,
    NotAnImage,
    UnreadableImage,
)

SUPPORTED_FORMATS = ("JPEG", "PNG", "WEBP", "GIF")
LOSSLESS_FORMATS = frozenset({"PNG", "GIF"})
DRAFT_FORMATS = frozenset({"JPEG", "MPO"})  # MPO: a phone's JPEG with extra pictures
DEFAULT_MAX_PIXELS = 120_000_000  # declared: a 12000 × 9000 (108 MP) phone photo fits
DEFAULT_MAX_DECODED_PIXELS = 50_000_000  # held in memory at once (about 200 MB as RGBA)
JPEG_QUALITY = 85
_ORIENTATION_TAG = 0x0112
_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
_DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, IndexError, KeyError, TypeError)


@dataclass(frozen=True)
class PreparedImage:
    content: bytes
    extension: str  # ".jpg" or ".png"
    width: int
    height: int
    media_type: str  # "image/jpeg" or "image/png"

    @property
    def digest(self) -> str:
        """SHA-256 of the content, hex."""
        return hashlib.sha256(self.content).hexdigest()

    @property
    def name(self) -> str:
        """A file name from the content alone (16 hex digits, `3f2a…9c.jpg`): the same input
        prepared again (a retry) gets the same name; different images practically never do."""
        return self.digest[:16] + self.extension


def prepare_image(
    data: bytes,
    *,
    max_side: int,
    max_bytes: int,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    max_decoded_pixels: int = DEFAULT_MAX_DECODED_PIXELS,
) -> PreparedImage:
    """The image in `data`, upright, at most `max_side` pixels on its longer side, without
    metadata, encoded again. Raises an ImageRefused (bot.core.image_errors) for anything else.
    CPU-bound (up to a second for a big photo): call it off the event loop."""
    if max_side < 1:
        raise ValueError("max_side must be positive")
    if len(data) > max_bytes:
        raise ImageFileTooLarge(len(data), max_bytes)
    image = _open(data, max_pixels)
    source_format = str(image.format)
    orientation = _orientation(image)
    target = _fitted(image.size, max_side)
    if source_format in DRAFT_FORMATS and target != image.size:
        image.draft(None, target)  # decode at 1/2, 1/4 or 1/8 when that still covers target
    width, height = image.size
    if width * height > max_decoded_pixels:
        raise ImageTooManyPixels(width, height, max_decoded_pixels)
    try:
        image.load()
        pixels = _normalised(_in_srgb(image))
    except Image.DecompressionBombError:
        raise ImageTooManyPixels(width, height, max_pixels) from None
    except _DECODE_ERRORS as exc:
        raise UnreadableImage(str(exc)) from exc
    if pixels.size != target:
        pixels = pixels.resize(target, Image.Resampling.LANCZOS)
    if orientation in _TRANSPOSE:
        pixels = pixels.transpose(_TRANSPOSE[orientation])
    as_png = pixels.mode == "RGBA" or source_format in LOSSLESS_FORMATS
    return _encoded(_bare(pixels), as_png)


def _open(data: bytes, max_pixels: int) -> Image.Image:
    """Read the header only (no pixels yet); refuse what is not an image or too big."""
    try:
        image = Image.open(io.BytesIO(data), formats=SUPPORTED_FORMATS)
    except Image.DecompressionBombError:
        raise ImageTooManyPixels(0, 0, max_pixels) from None
    except UnidentifiedImageError:
        raise NotAnImage() from None
    except _DECODE_ERRORS as exc:
        raise UnreadableImage(str(exc)) from exc
    width, height = image.size
    if width < 1 or height < 1:
        raise UnreadableImage("no pixels")
    if width * height > max_pixels:
        raise ImageTooManyPixels(width, height, max_pixels)
    return image


def _orientation(image: Image.Image) -> int:
    """The EXIF orientation (1: upright); damaged EXIF counts as upright."""
    try:
        value = image.getexif().get(_ORIENTATION_TAG, 1)
    except Exception:  # any damage in the EXIF block: it is being thrown away anyway
        return 1
    return value if isinstance(value, int) else 1


def _fitted(size: tuple[int, int], max_side: int) -> tuple[int, int]:
    """`size` shrunk (never grown) so that its longer side is at most max_side."""
    width, height = size
    longer = max(width, height)
    if longer <= max_side:
        return size
    scale = max_side / longer
    return max(1, round(width * scale)), max(1, round(height * scale))


def _in_srgb(image: Image.Image) -> Image.Image:
    """Pixels described by an embedded ICC profile (a Display P3 iPhone photo, a CMYK
    print file) converted to sRGB, the colours a browser assumes once the profile is gone."""
    icc = image.info.get("icc_profile")
    if not icc or image.mode not in ("RGB", "RGBA", "CMYK"):
        return image
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        srgb = ImageCms.createProfile("sRGB")
        mode = "RGBA" if image.mode == "RGBA" else "RGB"
        converted = ImageCms.profileToProfile(image, source, srgb, outputMode=mode)
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return image  # an unusable profile: keep the pixels as they are
    return converted if converted is not None else image


def _normalised(image: Image.Image) -> Image.Image:
    """One of RGB, RGBA (only when some pixel is not opaque) or L."""
    if image.mode in ("RGBA", "LA", "PA", "La", "RGBa") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        opaque = rgba.getchannel("A").histogram()[255] == rgba.width * rgba.height
        return rgba.convert("RGB") if opaque else rgba
    if image.mode in ("RGB", "L"):
        return image
    if image.mode == "1":
        return image.convert("L")
    if image.mode.startswith(("I", "F")):  # 16-bit or float grey: scale into 8 bits
        low, high = cast(tuple[float, float], image.getextrema())
        span = float(high - low) or 1.0
        return image.convert("F").point(lambda v: (v - low) * 255.0 / span).convert("L")
    return image.convert("RGB")  # P, CMYK, YCbCr, LAB, HSV


def _bare(image: Image.Image) -> Image.Image:
    """A new image holding only the pixels: whatever `info` carried (EXIF, XMP, ICC,
    comments, text chunks) is not copied, so no encoder can write it out again."""
    return Image.frombytes(image.mode, image.size, image.tobytes())


def _encoded(image: Image.Image, as_png: bool) -> PreparedImage:
    out = io.BytesIO()
    if as_png:
        image.save(out, "PNG", optimize=False, compress_level=9)
        extension, media_type = ".png", "image/png"
    else:
        image.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True)
        extension, media_type = ".jpg", "image/jpeg"
    width, height = image.size
    return PreparedImage(out.getvalue(), extension, width, height, media_type)
