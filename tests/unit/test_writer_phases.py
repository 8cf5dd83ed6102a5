"""What a job's watcher hears from the Writer: the phase (drafting a new post, revising one,
publishing) and the draft as the model writes it; a kept draft is not drafted again."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.core.phases import Phase
from tests.unit.test_writer import CHAT, World


@dataclass
class Watcher:
    heard: list[str] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)

    async def phase(self, phase: Phase) -> None:
        self.heard.append(phase)

    async def text(self, so_far: str) -> None:
        self.texts.append(so_far)

    async def retrying(self, attempt: int, attempts: int) -> None:
        self.heard.append(f"retrying {attempt}/{attempts}")


async def test_a_new_post_then_a_revision_are_told_apart() -> None:
    world = World()
    writer = world.writer()
    assert not await writer.will_revise(CHAT, None)
    watcher = Watcher()
    first = await writer.handle(await world.accept(10, "A post about hello"), watcher=watcher)
    assert watcher.heard == ["drafting", "publishing"]
    assert len(watcher.texts) > 2  # the answer, growing
    assert all(b.startswith(a) for a, b in zip(watcher.texts, watcher.texts[1:], strict=False))
    assert first.thread.title in watcher.texts[-1]

    assert await writer.will_revise(CHAT, None)
    watcher = Watcher()
    revised = await writer.handle(await world.accept(20, "Shorter"), watcher=watcher)
    assert revised.kind == "revised"
    assert watcher.heard == ["revising", "publishing"]


async def test_a_kept_draft_is_only_published() -> None:
    world = World()
    writer = world.writer()
    record = await world.accept(10, "A post about hello")
    record.keep_draft(await writer.drafter.write("A post about hello"))
    watcher = Watcher()
    await writer.handle(record, watcher=watcher)
    assert watcher.heard == ["publishing"] and watcher.texts == []
