"""What both backends accept as a time to live."""

from __future__ import annotations

import math


def check_ttl(ttl_seconds: float | None) -> None:
    # A zero, negative or NaN TTL has no sensible meaning and Redis rejects it; refusing it in
    # both backends keeps them identical instead of one of them silently storing nothing.
    if ttl_seconds is not None and not (ttl_seconds > 0 and math.isfinite(ttl_seconds)):
        raise ValueError(f"ttl_seconds must be a positive finite number or None, not {ttl_seconds}")
