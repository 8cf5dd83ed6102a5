"""Images safe to publish (bot/core/images.py), with real images made by Pillow in memory."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from PIL import ExifTags, Image, ImageCms, PngImagePlugin

from bot.core.errors import ExpectedError
from bot.core.image_errors import (
    ImageFileTooLarge,
    ImageRefused,
    ImageTooManyPixels,
    NotAnImage,
    UnreadableImage,
)
from bot.core.images import PreparedImage, prepare_image

MB = 1_000_000
LIMITS = {"max_side": 2000, "max_bytes": 20 * MB}
RED, BLUE = (220, 20, 20), (20, 20, 220)
# 52°22'12.34" N, 4°53'45.67" E: rationals that would be in the file if the GPS block were.
LATITUDE = (52.0, 22.0, 12.34)
LONGITUDE = (4.0, 53.0, 45.67)


def halves(size: tuple[int, int], mode: str = "RGB") -> Image.Image:
    """Left half red, right half blue: which way is up is visible after any rotation."""
    width, height = size
    image = Image.new(mode, size, RED)
    image.paste(BLUE, (width // 2, 0, width, height))
    return image


def encode(image: Image.Image, fmt: str, **options: object) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def camera_exif(orientation: int = 1) -> Image.Exif:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "AcmePhone"
    exif[ExifTags.Base.Model] = "AcmePhone 12 Secret Edition"
    exif[ExifTags.Base.Orientation] = orientation
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = LATITUDE
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = LONGITUDE
    return exif


def rational_bytes(value: float) -> list[bytes]:
    """How a TIFF rational of `value` (x/100) is spelled in either byte order."""
    numerator = round(value * 100)
    return [struct.pack("<LL", numerator, 100), struct.pack(">LL", numerator, 100)]


def reopened(prepared: PreparedImage) -> Image.Image:
    image = Image.open(io.BytesIO(prepared.content))
    image.load()
    return image


def png_chunks(data: bytes) -> list[bytes]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    chunks, offset = [], 8
    while offset < len(data):
        (length,) = struct.unpack(">L", data[offset : offset + 4])
        chunks.append(data[offset + 4 : offset + 8])
        offset += 12 + length
    return chunks


def color_at(image: Image.Image, xy: tuple[int, int]) -> tuple[int, ...]:
    pixel = image.convert("RGB").getpixel(xy)
    assert isinstance(pixel, tuple)
    return pixel


def near(actual: tuple[int, ...], expected: tuple[int, int, int]) -> bool:
    return all(abs(a - e) <= 30 for a, e in zip(actual, expected, strict=True))


def png_declaring(width: int, height: int) -> bytes:
    """A valid PNG header for `width` × `height` pixels with a few bytes of data: a bomb."""

    def chunk(kind: bytes, payload: bytes) -> bytes:
        crc = zlib.crc32(kind + payload)
        return struct.pack(">L", len(payload)) + kind + payload + struct.pack(">L", crc)

    header = struct.pack(">LLBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + chunk(b"IEND", b"")
    )


# -- metadata ---------------------------------------------------------------------------------
def test_a_photo_with_gps_exif_comes_out_without_any_metadata() -> None:
    photo = encode(
        halves((800, 600)),
        "JPEG",
        exif=camera_exif(),
        comment=b"shot at home, 12 Secret Street",
        xmp=b'<x:xmpmeta xmlns:x="adobe:ns:meta/">secret-xmp</x:xmpmeta>',
        icc_profile=ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes(),
    )
    source = Image.open(io.BytesIO(photo))  # the input really carries it all
    assert source.getexif().get_ifd(ExifTags.IFD.GPSInfo)
    assert {"comment", "xmp", "icc_profile"} <= set(source.info)

    prepared = prepare_image(photo, **LIMITS)

    assert prepared.media_type == "image/jpeg" and prepared.extension == ".jpg"
    out = reopened(prepared)
    assert len(out.getexif()) == 0
    assert not {"exif", "comment", "xmp", "icc_profile"} & set(out.info)
    content = prepared.content
    # JPEG stuffs every 0xFF in its data with 0x00, so these markers occur only as segments:
    # APP1 (EXIF, XMP), APP2 (ICC), COM (comments).
    assert b"\xff\xe1" not in content and b"\xff\xe2" not in content
    assert b"\xff\xfe" not in content
    for secret in (b"Exif", b"AcmePhone", b"Secret", b"xmpmeta", b"secret-xmp"):
        assert secret not in content
    for value in (*LATITUDE, *LONGITUDE):
        for spelled in rational_bytes(value):
            assert spelled not in content


def test_a_png_keeps_only_its_pixels() -> None:
    text = PngImagePlugin.PngInfo()
    text.add_text("Comment", "made on the laptop of Jane Doe")
    image = encode(halves((300, 200), "RGBA"), "PNG", pnginfo=text, exif=camera_exif())
    prepared = prepare_image(image, **LIMITS)
    assert prepared.extension == ".png"
    assert set(png_chunks(prepared.content)) == {b"IHDR", b"IDAT", b"IEND"}
    assert b"Jane Doe" not in prepared.content and b"AcmePhone" not in prepared.content


# -- orientation and size ---------------------------------------------------------------------
def test_an_orientation_6_photo_comes_out_upright() -> None:
    # Stored sideways (600 × 400, red left, blue right); orientation 6: turn 90° clockwise to
    # view, so upright it is 400 × 600 with red on top.
    photo = encode(halves((600, 400)), "JPEG", exif=camera_exif(orientation=6), quality=95)
    out = reopened(prepare_image(photo, **LIMITS))
    assert out.size == (400, 600)
    assert near(color_at(out, (200, 50)), RED)
    assert near(color_at(out, (200, 550)), BLUE)


@pytest.mark.parametrize(("orientation", "size"), [(1, (600, 400)), (3, (600, 400))])
def test_other_orientations_are_applied_too(orientation: int, size: tuple[int, int]) -> None:
    photo = encode(halves((600, 400)), "JPEG", exif=camera_exif(orientation), quality=95)
    out = reopened(prepare_image(photo, **LIMITS))
    assert out.size == size
    left = RED if orientation == 1 else BLUE  # 180°: blue comes to the left
    assert near(color_at(out, (50, 200)), left)


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")  # 108 MP > Pillow's 89
def test_a_12000_by_9000_photo_is_resized_keeping_its_aspect_ratio() -> None:
    photo = encode(halves((12000, 9000)), "JPEG", quality=70)
    prepared = prepare_image(photo, **LIMITS)
    out = reopened(prepared)
    assert out.size == (prepared.width, prepared.height) == (2000, 1500)
    assert near(color_at(out, (100, 750)), RED) and near(color_at(out, (1900, 750)), BLUE)


def test_a_small_image_is_not_enlarged() -> None:
    prepared = prepare_image(encode(halves((120, 80)), "JPEG"), **LIMITS)
    assert (prepared.width, prepared.height) == (120, 80)


def test_a_tall_image_is_bounded_by_its_height() -> None:
    prepared = prepare_image(encode(halves((300, 3000)), "PNG"), **LIMITS)
    assert (prepared.width, prepared.height) == (200, 2000)


# -- formats ----------------------------------------------------------------------------------
def transparent(size: tuple[int, int] = (200, 100)) -> Image.Image:
    image = halves(size, "RGBA")
    image.paste((0, 0, 0, 0), (0, 0, 50, 50))
    return image


@pytest.mark.parametrize(
    ("image", "fmt", "extension", "mode"),
    [
        (halves((200, 100)), "JPEG", ".jpg", "RGB"),
        (halves((200, 100)), "WEBP", ".jpg", "RGB"),  # a WebP photo becomes a JPEG
        (transparent(), "WEBP", ".png", "RGBA"),  # ...unless it has transparency
        (transparent(), "PNG", ".png", "RGBA"),
        (halves((200, 100), "RGBA"), "PNG", ".png", "RGB"),  # opaque: no alpha channel kept
        (halves((200, 100)).convert("P"), "GIF", ".png", "RGB"),  # lossless stays lossless
        (halves((200, 100)).convert("L"), "JPEG", ".jpg", "L"),
    ],
)
def test_each_format_is_encoded_again_as_jpeg_or_png(
    image: Image.Image, fmt: str, extension: str, mode: str
) -> None:
    options: dict[str, object] = (
        {"lossless": True} if fmt == "WEBP" and image.mode == "RGBA" else {}
    )
    prepared = prepare_image(encode(image, fmt, **options), **LIMITS)
    assert prepared.extension == extension
    assert prepared.media_type == {".jpg": "image/jpeg", ".png": "image/png"}[extension]
    out = reopened(prepared)
    assert out.format == {".jpg": "JPEG", ".png": "PNG"}[extension]
    assert out.mode == mode
    if mode == "RGBA":
        corner = out.getpixel((10, 10))
        assert isinstance(corner, tuple) and corner[3] == 0  # still transparent


def test_a_multi_picture_jpeg_comes_out_as_its_first_picture_alone() -> None:
    # MPO: what some phones and cameras write (a depth map or a second view after the photo).
    photo = encode(
        halves((4000, 3000)), "MPO", save_all=True, append_images=[Image.new("RGB", (400, 300))]
    )
    prepared = prepare_image(photo, **LIMITS)
    out = reopened(prepared)
    assert (out.format, out.size, getattr(out, "n_frames", 1)) == ("JPEG", (2000, 1500), 1)
    assert b"\xff\xe2" not in prepared.content  # no MPF segment pointing at a second picture
    assert near(color_at(out, (100, 750)), RED)


def test_a_cmyk_jpeg_comes_out_rgb() -> None:
    prepared = prepare_image(encode(halves((200, 100)).convert("CMYK"), "JPEG"), **LIMITS)
    assert reopened(prepared).mode == "RGB"
    assert near(color_at(reopened(prepared), (20, 50)), RED)


def test_a_16_bit_grey_png_is_scaled_to_8_bits() -> None:
    image = Image.new("I;16", (100, 50), 0)
    image.paste(65535, (50, 0, 100, 50))
    out = reopened(prepare_image(encode(image, "PNG"), **LIMITS))
    assert out.mode == "L"
    assert out.getpixel((10, 10)) == 0 and out.getpixel((90, 10)) == 255


# -- names and determinism --------------------------------------------------------------------
def test_the_same_input_gives_the_same_bytes_and_name() -> None:
    photo = encode(halves((3000, 2000)), "JPEG", exif=camera_exif(6))
    first, second = prepare_image(photo, **LIMITS), prepare_image(photo, **LIMITS)
    assert first == second
    assert first.name == second.name
    assert first.name.endswith(".jpg") and len(first.name) == 16 + len(".jpg")
    other = prepare_image(encode(halves((3000, 2001)), "JPEG"), **LIMITS)
    assert other.name != first.name


# -- refusals ---------------------------------------------------------------------------------
def test_a_decompression_bomb_is_refused_before_decoding() -> None:
    with pytest.raises(ImageTooManyPixels) as caught:
        prepare_image(png_declaring(100_000, 100_000), **LIMITS)  # 10 gigapixels in 100 bytes
    assert "too many pixels" in caught.value.user_message


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")  # 150 MP > Pillow's 89
def test_an_image_over_the_pixel_cap_is_refused_with_its_size() -> None:
    with pytest.raises(ImageTooManyPixels) as caught:
        prepare_image(png_declaring(15_000, 10_000), **LIMITS)  # within Pillow's own guard
    assert "15,000 × 10,000 pixels" in caught.value.user_message
    assert "120 megapixels" in caught.value.user_message


def test_a_lossless_image_that_would_decode_too_big_is_refused() -> None:
    # 64 MP declared: under the declared cap, but a PNG cannot be decoded at a smaller size.
    with pytest.raises(ImageTooManyPixels):
        prepare_image(png_declaring(8000, 8000), **LIMITS)


def test_a_text_file_is_not_an_image() -> None:
    with pytest.raises(NotAnImage) as caught:
        prepare_image(b"Dear diary, today I wrote a blog post.\n" * 20, **LIMITS)
    assert isinstance(caught.value, ExpectedError)
    assert "not an image" in caught.value.user_message


@pytest.mark.parametrize("fmt", ["BMP", "TIFF"])
def test_formats_outside_the_list_are_refused(fmt: str) -> None:
    with pytest.raises(NotAnImage):
        prepare_image(encode(halves((50, 50)), fmt), **LIMITS)


def test_a_truncated_photo_is_unreadable() -> None:
    photo = encode(halves((400, 300)), "JPEG")
    with pytest.raises(UnreadableImage) as caught:
        prepare_image(photo[: len(photo) // 2], **LIMITS)
    assert "damaged" in caught.value.user_message


def test_a_file_over_max_bytes_is_refused_before_it_is_read() -> None:
    data = b"\xff\xd8\xff" + b"\0" * (25_300_000 - 3)  # not even a valid JPEG: never opened
    with pytest.raises(ImageFileTooLarge) as caught:
        prepare_image(data, max_side=2000, max_bytes=20 * MB)
    assert caught.value.user_message.startswith(
        "That image is too large (25.3 MB; the limit is 20 MB)."
    )
    assert isinstance(caught.value, ImageRefused)
    assert (caught.value.size, caught.value.limit) == (25_300_000, 20 * MB)
