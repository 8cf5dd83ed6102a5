"""One job at a time per chat, in arrival order; pieces of a long paste, and the photos of an
album, become one job.

Telegram splits a long paste into several messages of up to 4096 characters that arrive within a
second or two. A long piece therefore keeps its job open for more pieces for `join_window`
seconds; a short message (the usual case, and the last piece of a paste) closes it at once, so
ordinary messages never wait. The photos of an album arrive as separate messages sharing a
`media_group_id` (the piece's `group`): each keeps the job open for the next for `join_window`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)

# Telegram's limit is 4096; clients split a little earlier, at a line or word boundary.
LONG_PIECE_CHARS = 3500


@dataclass
class Piece:
    text: str
    message_id: int
    reply_to: int | None = None
    joins: bool = True  # False: a job of its own, never part of a long paste (a file's notes)
    group: str | None = None  # an album's media_group_id: its photos are one job


@dataclass
class Job:
    chat_id: int
    pieces: list[Piece]
    gather_until: float
    record: Any = None  # whatever the caller keeps with the job (opaque here)
    cancellable: bool = True
    cancelled: bool = False  # by the writer (/cancel), as opposed to a shutdown
    finished: bool = False  # the work is done; only the answer is still being sent
    queued: bool = False  # it waited behind another job: its status message says so
    ready: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def text(self) -> str:
        return "\n".join(piece.text for piece in self.pieces if piece.text or not piece.group)

    @property
    def reply_to(self) -> int | None:
        return self.pieces[0].reply_to

    def point_of_no_return(self) -> None:
        """From here on GitHub is being written to: /cancel answers that it is too late."""
        self.cancellable = False


def _joins(job: Job, piece: Piece) -> bool:
    """Whether `piece` continues the job still gathering: the next part of a long paste, or
    the next photo of the same album."""
    last = job.pieces[-1]
    if piece.group is not None or last.group is not None:
        return piece.group == last.group
    return piece.joins


TaskFactory = Callable[[Coroutine[Any, Any, None]], "asyncio.Task[None]"]


class ChatJobs:
    def __init__(
        self,
        run: Callable[[Job], Awaitable[None]],
        *,
        join_window: float = 2.0,
        create_task: TaskFactory = asyncio.create_task,
    ) -> None:
        self._run = run
        self._join_window = join_window
        self._create_task = create_task
        self._queues: dict[int, list[Job]] = {}
        self._running: dict[int, tuple[Job, asyncio.Task[None]]] = {}
        self._workers: dict[int, asyncio.Task[None]] = {}

    def _gather_deadline(self, piece: Piece) -> float:
        now = asyncio.get_running_loop().time()
        long_piece = piece.joins and len(piece.text) >= LONG_PIECE_CHARS
        return now + self._join_window if long_piece or piece.group else now

    def add(self, chat_id: int, piece: Piece) -> tuple[Job, bool]:
        """Queue a piece: (its job, True when the job is new, False when the piece joined).

        The caller attaches its record to a new job and then calls `start(job)`.
        """
        queue = self._queues.setdefault(chat_id, [])
        loop_time = asyncio.get_running_loop().time()
        if queue and queue[-1].gather_until > loop_time and _joins(queue[-1], piece):
            queue[-1].pieces.append(piece)
            queue[-1].gather_until = self._gather_deadline(piece)
            return queue[-1], False
        job = Job(chat_id=chat_id, pieces=[piece], gather_until=self._gather_deadline(piece))
        queue.append(job)
        return job, True

    def resume(self, chat_id: int, piece: Piece, record: Any) -> Job:
        """Queue a job that was accepted before (a restart, or /retry): it runs as is."""
        job = Job(chat_id=chat_id, pieces=[piece], gather_until=0.0, record=record)
        self._queues.setdefault(chat_id, []).append(job)
        self.start(job)
        return job

    async def drain(self, grace_seconds: float) -> int:
        """Let queued and running jobs finish for up to `grace_seconds`, then cancel the rest.

        Returns how many jobs were cut short; their records say where to resume.
        """
        workers = list(self._workers.values())
        if workers:
            await asyncio.wait(workers, timeout=grace_seconds)
        cut = 0
        for chat_id, worker in list(self._workers.items()):
            cut += len(self._queues.get(chat_id, ())) + (chat_id in self._running)
            worker.cancel()
        remaining = list(self._workers.values())
        if remaining:
            await asyncio.wait(remaining, timeout=1.0)
        return cut

    def start(self, job: Job) -> None:
        job.ready.set()
        if job.chat_id not in self._workers:
            self._workers[job.chat_id] = self._create_task(self._work(job.chat_id))

    def waiting(self, chat_id: int) -> int:
        return len(self._queues.get(chat_id, ()))

    def busy(self, chat_id: int) -> bool:
        """A job of the chat is at work. One that has its answer (and is only delivering it and
        saving) no longer counts: what is queued now runs right after it."""
        running = self._running.get(chat_id)
        return running is not None and not running[0].finished

    def cancel(self, chat_id: int) -> bool | None:
        """Cancel the chat's running job: True if cancelled, False if too late, None if idle."""
        running = self._running.get(chat_id)
        if running is None or running[0].finished:
            return None
        job, task = running
        if not job.cancellable:
            return False
        job.cancelled = True
        task.cancel()
        return True

    async def _work(self, chat_id: int) -> None:
        loop = asyncio.get_running_loop()
        queue = self._queues[chat_id]
        try:
            while queue:
                job = queue[0]
                await job.ready.wait()
                # Not an Event: each joined piece moves the deadline, so re-check after sleeping.
                while (delay := job.gather_until - loop.time()) > 0:  # noqa: ASYNC110
                    await asyncio.sleep(delay)
                queue.pop(0)
                task = asyncio.ensure_future(self._run(job))
                self._running[chat_id] = (job, task)
                try:
                    await task
                except asyncio.CancelledError:
                    if not job.cancelled:
                        raise  # the worker itself is being cancelled (shutdown)
                except Exception:
                    log.exception("job in chat %s failed", chat_id)
                finally:
                    self._running.pop(chat_id, None)
        finally:
            self._workers.pop(chat_id, None)
            if not queue:
                self._queues.pop(chat_id, None)
