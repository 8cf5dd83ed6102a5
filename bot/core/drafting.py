"""Asking the model: a new post from a writer's notes, or a revision of a post."""

from __future__ import annotations

from collections.abc import Sequence

from bot.core import prompts
from bot.core.continuation import complete_whole
from bot.core.conversation import PostThread, bounded_history
from bot.core.drafts import Draft, parse_draft
from bot.core.ports import ChatMessage, ImageInput, ModelListener, TextModel
from bot.core.usage import ModelUsage

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
        return parse_draft(await self._complete_whole(messages, images, listener, usage))

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
        return parse_draft(await self._complete_whole(messages, images, listener, usage))

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


def _about(images: Sequence[ImageInput]) -> str:
    """What the model is told about the images it is shown (nothing without images)."""
    return "\n\n" + prompts.render("images", count=str(len(images))) if images else ""
