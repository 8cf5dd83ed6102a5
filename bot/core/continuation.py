"""Whole answers: an answer the token limit cut off is continued by follow-up calls and the
pieces joined into one text, as if the model had written it in one go.

A follow-up call sends the same messages, then the text so far as the model's own (assistant)
message, then prompts/continue.md. Models do not always pick up exactly at the cut: they repeat
the last words or sentence, restart the post, or write its front matter again. `join` drops
those repeats so that the seam cannot be seen.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence

from bot.core import prompts
from bot.core.errors import AnswerCutOff, PostTooLong
from bot.core.ports import ChatMessage, ImageInput, ModelListener, TextModel
from bot.core.usage import ModelUsage

log = logging.getLogger(__name__)

# Follow-up calls after the first answer: with the default 4,096-token budget that is room for
# some 12,000 words, far beyond any blog post; a model that is still writing is looping.
MAX_CONTINUATIONS = 3
# A continuation that repeats the last this many characters of the text so far is cut there.
_ANCHOR_CHARS = 60
# A shorter repeat of the text's last words counts when it is two words or more, or one word
# of this many characters: a short word said twice is as likely to be meant.
_MIN_OVERLAP = 12
# A streamed continuation is shown only once it is this long: by then a repeat is recognised.
_SETTLED_CHARS = 2 * _ANCHOR_CHARS
_FENCE = "---"
_TITLE = re.compile(r"^title\s*[:=]", re.IGNORECASE | re.MULTILINE)


def resume_point(partial: str) -> str:
    """The text so far, without a last word the limit may have cut in two (the continuation
    writes it again whole): everything up to its last whitespace."""
    if not partial or partial[-1].isspace():
        return partial
    cut = max(partial.rfind(c) for c in " \n\t")
    return partial[: cut + 1] if cut >= 0 else partial


def join(head: str, tail: str) -> str:
    """`head` continued by `tail`, without what `tail` repeats of it, with one seam of
    whitespace (the wider of the two: a paragraph break wins over a space)."""
    if not head:
        return tail
    tail = _after_repeat(head, _without_front_matter(head, tail))
    body = head.rstrip()
    head_space = head[len(body) :]
    rest = tail.lstrip()
    tail_space = tail[: len(tail) - len(rest)]
    space = max(head_space, tail_space, key=lambda s: (s.count("\n"), len(s)))
    return body + space + rest


def _front_matter_end(text: str) -> int | None:
    """Where the YAML front matter that opens `text` ends (after its closing fence), or None."""
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != _FENCE:
        return None
    offset = len(lines[0])
    for line in lines[1:]:
        offset += len(line)
        if line.strip() == _FENCE:
            return offset
    return None


def _without_front_matter(head: str, tail: str) -> str:
    """`tail` without front matter of its own when `head` already has one (a post has one).
    Only a block with a title counts: a `---` rule in the body opens no front matter."""
    if _front_matter_end(head.lstrip()) is None:
        return tail
    rest = tail.lstrip()
    end = _front_matter_end(rest)
    if end is None or not _TITLE.search(rest[:end]):
        return tail
    return rest[end:]


def _after_repeat(head: str, tail: str) -> str:
    """`tail` from where it stops repeating the end of `head`."""
    written = head.rstrip()
    anchor = written[-_ANCHOR_CHARS:]
    if len(anchor) == _ANCHOR_CHARS:
        # Where a repeat would end: at most the whole text so far, written again.
        found = tail.find(anchor, 0, len(written) + 2 * _ANCHOR_CHARS)
        if found >= 0:  # a repeated sentence, or the whole post started again
            return tail[found + len(anchor) :]
    rest = tail.lstrip()
    for size in range(min(len(written), len(rest), _ANCHOR_CHARS), 0, -1):
        repeat = rest[:size]
        starts_a_word = size == len(written) or not written[-size - 1].isalnum()
        ends_a_word = size == len(rest) or not rest[size].isalnum()
        long_enough = size >= _MIN_OVERLAP or len(repeat.split()) >= 2
        if starts_a_word and ends_a_word and long_enough and written.endswith(repeat):
            return rest[size:]
    return tail


class _Joined:
    """Shows a streamed continuation as part of the whole text: the listener never sees the
    answer start again from the continuation's first word."""

    def __init__(self, listener: ModelListener, head: str) -> None:
        self._listener = listener
        self._head = head

    async def text(self, so_far: str) -> None:
        if len(so_far) >= _SETTLED_CHARS:
            await self._listener.text(join(self._head, so_far))

    async def retrying(self, attempt: int, attempts: int) -> None:
        await self._listener.retrying(attempt, attempts)


async def complete_whole(
    model: TextModel,
    messages: Sequence[ChatMessage],
    *,
    images: Sequence[ImageInput] = (),
    listener: ModelListener | None = None,
    usage: ModelUsage | None = None,
) -> str:
    """The model's whole answer: continued while the token limit cuts it off, up to
    MAX_CONTINUATIONS times; raises PostTooLong when it is cut off even then."""
    text = ""
    for call in range(MAX_CONTINUATIONS + 1):
        if call == 0:
            asked, shown, heard = list(messages), images, listener
        else:
            # The images were seen in the first call; what it wrote about them goes on.
            asked = [
                *messages,
                {"role": "assistant", "content": text},
                {"role": "user", "content": prompts.render("continue")},
            ]
            shown, heard = (), _Joined(listener, text) if listener is not None else None
        try:
            piece = await model.complete(asked, images=shown, listener=heard, usage=usage)
        except AnswerCutOff as cut:
            text = resume_point(join(text, cut.partial))
            log.info(
                "answer cut off at the token limit after %d characters; continuing (%d of %d)",
                len(text),
                call + 1,
                MAX_CONTINUATIONS,
            )
            continue
        whole = join(text, piece)
        if heard is not listener and listener is not None:
            await listener.text(whole)  # a short last piece was never shown
        return whole
    raise PostTooLong(MAX_CONTINUATIONS)
