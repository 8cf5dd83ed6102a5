"""What a writer sends from a phone, as the fake Telegram delivers it: photos (an album is
several messages sharing one `media_group_id`) and voice notes (OGG bytes in which the fake
Whisper hears the given words). Used by phase 7 of the benchmark (bench.runner)."""

from __future__ import annotations

import io
import itertools
from typing import Any

from PIL import Image

from tests.fakes.telegram import FakeTelegram
from tests.fakes.workers_ai import spoken_audio

PHOTO_SIZE = (1024, 768)  # a phone photo after Telegram's compression is about this size
_ALBUMS = itertools.count(1)


def photo(seed: int) -> bytes:
    """A JPEG with some structure (a gradient, not one flat colour), different per seed."""
    image = Image.linear_gradient("L").resize(PHOTO_SIZE).convert("RGB")
    tint = Image.new("RGB", PHOTO_SIZE, ((seed * 67) % 256, (seed * 31) % 256, (seed * 13) % 256))
    out = io.BytesIO()
    Image.blend(image, tint, 0.5).save(out, "JPEG", quality=85)
    return out.getvalue()


def _sender(user: int) -> dict[str, Any]:
    return {"from": {"id": user, "is_bot": False, "first_name": f"Writer{user}"}}


def send_album(telegram: FakeTelegram, user: int, photos: list[bytes], caption: str) -> None:
    """An album (one photo alone when there is one) with the caption on its first photo."""
    group = {"media_group_id": f"bench-{user}-{next(_ALBUMS)}"}
    for index, content in enumerate(photos):
        stored = telegram.add_file(content, file_name="photo.jpg", folder="photos")
        size = {
            "file_id": stored["file_id"],
            "file_unique_id": stored["file_unique_id"],
            "width": PHOTO_SIZE[0],
            "height": PHOTO_SIZE[1],
            "file_size": stored["file_size"],
        }
        fields: dict[str, Any] = {"photo": [size], **_sender(user)}
        if len(photos) > 1:
            fields |= group
        if index == 0:
            fields["caption"] = caption
        telegram.send_message_update(user, fields)


def send_voice(telegram: FakeTelegram, user: int, words: str, *, seconds: int = 20) -> None:
    """A voice note in which the fake Whisper hears `words`."""
    audio = spoken_audio(words, padding=16_000)  # ~32 kB: about 20 s of Opus at 12 kbit/s
    stored = telegram.add_file(audio, file_name="voice.oga", mime_type="audio/ogg", folder="voice")
    voice = {
        "file_id": stored["file_id"],
        "file_unique_id": stored["file_unique_id"],
        "duration": seconds,
        "mime_type": "audio/ogg",
        "file_size": stored["file_size"],
    }
    telegram.send_message_update(user, {"voice": voice, **_sender(user)})
