"""What a job is doing, for whoever shows it to the writer while it runs."""

from __future__ import annotations

from typing import Literal, Protocol

from bot.core.ports import ModelListener

Phase = Literal["drafting", "revising", "publishing"]


class JobWatcher(ModelListener, Protocol):
    """Hears a job's phases and its model call (the draft growing, retries). Best effort:
    every call returns at once, whatever the watcher does with it."""

    async def phase(self, phase: Phase) -> None: ...
