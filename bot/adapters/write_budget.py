"""GitHub's secondary limits for content-creating requests, kept with a sliding window."""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable

log = logging.getLogger("bot.adapters.github_repo")


class WriteBudget:
    """GitHub's secondary limits for content-creating requests: 80 a minute, 500 an hour.

    A sliding window rather than PyGithub's fixed one-second spacing: a burst (ten writers at
    once is thirty writes) goes straight through, and only a sustained rate is slowed down.
    """

    def __init__(
        self,
        limits: tuple[tuple[int, float], ...] = ((80, 60.0), (500, 3600.0)),
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._limits = limits
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._recent: deque[float] = deque()

    def spend(self) -> None:
        """Block until one more write fits in every window, then count it."""
        while True:
            with self._lock:
                now = self._clock()
                longest = max(window for _, window in self._limits)
                while self._recent and self._recent[0] <= now - longest:
                    self._recent.popleft()
                wait = 0.0
                for count, window in self._limits:
                    in_window = [t for t in self._recent if t > now - window]
                    if len(in_window) >= count:
                        wait = max(wait, in_window[-count] + window - now)
                if wait <= 0:
                    self._recent.append(now)
                    return
            log.info("pacing GitHub writes: waiting %.1f s to stay under the secondary limit", wait)
            self._sleep(wait)
