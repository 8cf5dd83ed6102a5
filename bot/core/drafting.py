"""Asking the model: a new post from a writer's notes, or a revision of a post.

Every answer passes the quality gate (bot/core/quality) before it can become a commit: a
draft it rejects is asked for once more, with a corrective instruction that names the fault;
a second rejection ends the job with `DraftRejected`, and nothing is committed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from bot.core import prompts
from bot.core.continuation import complete_whole
from bot.core.conversation import PostThread, bounded_history
from bot.core.drafts import Draft, parse_draft
from bot.core.errors import DraftRejected
from bot.core.ports import ChatMessage, ImageInput, ModelListener, TextModel
from bot.core.quality import Verdict, check_draft, language_of
from bot.core.usage import ModelUsage

log = logging.getLogger(__name__)

# About 25k tokens of history: far inside the model's context window (131k enforced for
# Gemma 4), and cheap in neurons. The current post and the new request always go in.
HISTORY_BUDGET_CHARS = 100_000


class Drafter:
    def __init__(self, model: TextModel) -> None:
        self.model = model

    async def write(
        self,
        request: str,
        *,
        style: str = "",
        images: Sequence[ImageInput] = (),
        listener: ModelListener | None = None,
        usage: ModelUsage | None = None,
    ) -> Draft:
        """A new post from the notes; `style` is an excerpt of the blog's posts (its voice);
        `images`: the writer's photos, which the post links as `![alt](image-n)`; `listener`
        hears the answer grow; `usage` adds up what the model calls cost."""
        voice = prompts.render("style", sample=style) if style.strip() else ""
        user = prompts.render("draft", request=request, style=voice) + _about(images)
        messages: list[ChatMessage] = [
            {"role": "system", "content": prompts.render("system")},
            {"role": "user", "content": user},
        ]
        return await self._checked(messages, request, images=images, listener=listener, usage=usage)

    async def revise(
        self,
        thread: PostThread,
        request: str,
        *,
        images: Sequence[ImageInput] = (),
        current: str | None = None,
        listener: ModelListener | None = None,
        usage: ModelUsage | None = None,
    ) -> Draft:
        """The post revised as asked. `current`: the post's file as it is on GitHub when that
        is not the bot's last version (a maintainer edited it): the model revises that text."""
        post = current if current is not None else thread.as_markdown()
        messages = bounded_history(
            prompts.render("system"),
            thread.history,
            prompts.render("revise", post=post, request=request) + _about(images),
            budget_chars=HISTORY_BUDGET_CHARS,
        )
        # A revision may stay in the post's language even when asked for in another one.
        language = await asyncio.to_thread(language_of, thread.body)
        return await self._checked(
            messages, request, images=images, language=language, listener=listener, usage=usage
        )

    async def _checked(
        self,
        messages: list[ChatMessage],
        notes: str,
        *,
        images: Sequence[ImageInput],
        language: str | None = None,
        listener: ModelListener | None = None,
        usage: ModelUsage | None = None,
    ) -> Draft:
        """The model's draft once the gate passes it: asked at most twice."""
        draft = parse_draft(await self._complete_whole(messages, images, listener, usage))
        verdict = await self._verdict(draft, notes, language)
        if verdict.passed:
            return draft
        _log_rejection(verdict, attempt=1)
        corrective = prompts.render("corrective", problems=verdict.reasons)
        last = messages[-1]
        retry: list[ChatMessage] = [
            *messages[:-1],
            {"role": last["role"], "content": f"{last['content']}\n\n{corrective}"},
        ]
        draft = parse_draft(await self._complete_whole(retry, images, listener, usage))
        verdict = await self._verdict(draft, notes, language)
        if verdict.passed:
            log.info("quality gate: the second draft passed")
            return draft
        _log_rejection(verdict, attempt=2)
        raise DraftRejected(tuple(verdict.rules), verdict.rejections[0].reason)

    async def _complete_whole(
        self,
        messages: Sequence[ChatMessage],
        images: Sequence[ImageInput],
        listener: ModelListener | None,
        usage: ModelUsage | None,
    ) -> str:
        """The model's whole answer, an answer cut off by the token limit continued."""
        return await complete_whole(
            self.model, messages, images=images, listener=listener, usage=usage
        )

    async def _verdict(self, draft: Draft, notes: str, language: str | None) -> Verdict:
        # In a thread: the first check loads the language model (about half a second).
        return await asyncio.to_thread(
            check_draft,
            draft,
            notes,
            prompts_text=prompts.all_templates(),
            expected_language=language,
        )


def _log_rejection(verdict: Verdict, *, attempt: int) -> None:
    found = "; ".join(f"{r.rule}: {r.excerpt}" for r in verdict.rejections)
    log.warning("quality gate rejected draft %d of 2: %s", attempt, found)


def _about(images: Sequence[ImageInput]) -> str:
    """What the model is told about the images it is shown (nothing without images)."""
    return "\n\n" + prompts.render("images", count=str(len(images))) if images else ""
