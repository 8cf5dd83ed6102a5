"""Deterministic text embeddings for the fakes: texts on the same topic come out close.

A hashed bag of words (lower-cased words, common words dropped, a plural's `s` dropped), each
word a signed unit in one of `dimensions` slots, normalised; then mixed half and half with one
fixed direction shared by every text, as real BGE models do (their unrelated texts still score
about 0.4 to 0.6). So the cosine of two texts is about (1 + their word overlap) / 2: unrelated
texts about 0.5, the same topic in other words 0.75 to 0.9, the same text 1.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections import Counter
from functools import cache

# Words that say nothing about a topic (English; other languages keep theirs: still close
# to themselves, far from the rest).
_COMMON_WORDS = """
a about after again all also an and any are as at be been before being but by can could did do
does done down each even every few for from get got had has have how i if in into is it its just
last let like made make many may me more most much my new no not now of off on once one only or
other our out over own same should so some still such than that the their them then there these
they this those through to too under up us use used very was way we were what when where which
while who why will with would you your post posts blog notes
"""
_COMMON = frozenset(_COMMON_WORDS.split())
_SHARED_WEIGHT = math.sqrt(0.5)  # of the shared direction: unrelated texts score about 0.5


def _words(text: str) -> list[str]:
    words = []
    for word in re.findall(r"\w+", text.lower()):
        if word in _COMMON or len(word) < 2:
            continue
        if len(word) > 4 and word.endswith("s") and not word.endswith("ss"):
            word = word[:-1]
        words.append(word)
    return words


def _slot(word: str, dimensions: int) -> tuple[int, float]:
    digest = hashlib.blake2b(word.encode(), digest_size=8).digest()
    number = int.from_bytes(digest, "big")
    return number % dimensions, 1.0 if (number >> 63) else -1.0


@cache
def _shared(dimensions: int) -> tuple[float, ...]:
    digest = hashlib.shake_256(b"shared-direction").digest(dimensions)
    raw = [1.0 if byte & 1 else -1.0 for byte in digest]
    norm = math.sqrt(len(raw))
    return tuple(v / norm for v in raw)


def topic_vector(text: str, dimensions: int) -> list[float]:
    """The fake embedding of `text`: a unit vector of `dimensions` numbers."""
    bag = [0.0] * dimensions
    for word, count in Counter(_words(text)).items():
        slot, sign = _slot(word, dimensions)
        bag[slot] += sign * (1.0 + math.log(count))
    norm = math.sqrt(sum(v * v for v in bag))
    words_weight = math.sqrt(1 - _SHARED_WEIGHT**2)
    mixed = [
        (b / norm * words_weight if norm else 0.0) + s * _SHARED_WEIGHT
        for b, s in zip(bag, _shared(dimensions), strict=True)
    ]
    total = math.sqrt(sum(v * v for v in mixed))
    return [round(v / total, 6) for v in mixed]


def similarity(a: str, b: str, dimensions: int = 1024) -> float:
    va, vb = topic_vector(a, dimensions), topic_vector(b, dimensions)
    return sum(x * y for x, y in zip(va, vb, strict=True))
