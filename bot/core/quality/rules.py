"""The rules of the gate, each a function of one draft that returns a Rejection or None.

The numbers below were tuned on real text (tests/unit/quality/): none of them fires on the
sample blogs' posts or the well-formed drafts in a dozen languages, and each catches its own
kind of degenerate answer, hand-made or from a real small model.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator

from bot.core.drafts import Draft, word_count
from bot.core.quality import language
from bot.core.quality.findings import Rejection, Rule, Verdict
from bot.core.quality.markdown import TextViews, read, tokens

# Repetition. A sentence of five words or more said a third time is a loop, not emphasis.
MIN_SENTENCE_TOKENS = 5
MAX_SENTENCE_REPEATS = 2
# Loops without sentence ends ("and the and the ..."): the share of the words that lie inside a
# 10-word sequence occurring more than once (the duplicate n-gram measure of DeepMind's Gopher
# quality filters, which drop web pages above 0.10). Posts repeat a phrase, not a passage:
# drafts in the good corpus stay under 0.10, loops reach 0.5 and more.
LOOP_NGRAM = 10
MAX_LOOP_SHARE = 0.20
MIN_TOKENS_FOR_LOOP_SHARE = 40
# Prompt echo: words inside 8-word sequences that also occur in the bot's prompts (and not in
# the notes). One sentence of the prompt, copied whole, is about 12 words.
ECHO_SHINGLE = 8
MAX_ECHO_TOKENS = 12
# No prose: fewer running words than this outside headings, lists, tables, code and links
# ("We moved to Postgres 17. 40% faster." is a short post, but a post).
MIN_PROSE_TOKENS = 5
# Too short: the post has fewer words than this share of the notes (notes of 60 words or more;
# a short request may rightly get a short post), and never needs more than the cap.
MIN_NOTES_FOR_LENGTH = 60
MIN_SHARE_OF_NOTES = 0.25
LENGTH_CAP = 250
# Language: judged only on enough text, and only when the detector is sure of the draft's.
MIN_LANGUAGE_TOKENS = 5
MIN_NOTES_TOKENS = 8  # "A post about raised beds" is too little to tell a language by
MIN_DRAFT_CONFIDENCE = 0.5
MIN_NOTES_CONFIDENCE = 0.4
# A language the notes give this much probability is one the writer wrote in (mixed notes).
PLAUSIBLE = 0.1
EXCERPT_CHARS = 60

# Special tokens of the chat templates models are trained with: Gemma, ChatML, Llama 2 and 3,
# Phi, Mistral, and any other `<|name|>` token.
CHAT_TEMPLATE = re.compile(
    r"<\|[A-Za-z_][\w.-]{0,30}\|>"
    r"|<(?:start_of_turn|end_of_turn|start_of_image|end_of_image|bos|eos|pad|unk)>"
    r"|\[/?INST\]|<</?SYS>>"
)
# The section headings of the Alpaca prompt format ("### Instruction:", "### Response:"); a
# recipe's "Instructions" or an API post's "Response" heading has no colon.
ALPACA_HEADING = re.compile(
    r"(?:Instruction|Response|Input|Human|Assistant|System)[ \t]*:|Instruction", re.IGNORECASE
)
END_OF_SEQUENCE = "</s>"  # Llama 2 and Mistral; HTML only when a <s> opens it
# In the prompt templates: `<what to write here>` slots and `<tag>` wrappers, `$placeholders`.
PROMPT_SLOT = re.compile(r"</?\w[^<>\n]{1,100}>")
PLACEHOLDER = re.compile(r"\$[A-Za-z_]\w*")
SENTENCE_BREAK = re.compile(r"(?<=[.!?。！？])\s+|(?<=[。！？])|\n+")


def check_draft(
    draft: Draft, notes: str, *, prompts_text: str, expected_language: str | None = None
) -> Verdict:
    """Check `draft`, written from the writer's `notes`, before it is committed.

    `prompts_text`: the bot's own prompt templates (a draft must not repeat them).
    `expected_language`: an ISO 639-1 code the post may be in besides the notes' language (a
    revision keeps the post's language); None means the notes' language alone.
    """
    views = read(draft.body, heading="\n".join((draft.title, draft.description, *draft.tags)))
    found = (
        template_debris(views, notes, prompts_text),
        prompt_echo(views, notes, prompts_text),
        repetition(views),
        no_prose(views),
        too_short(draft, notes),
        wrong_language(views, notes, expected_language),
    )
    return Verdict(tuple(r for r in found if r is not None))


def repetition(views: TextViews) -> Rejection | None:
    counts = Counter(_sentences(views))
    if counts:
        sentence, times = counts.most_common(1)[0]
        if times > MAX_SENTENCE_REPEATS:
            return Rejection(
                Rule.REPETITION,
                f"It repeats the same sentence {times} times (“{_short(sentence)}”).",
                _short(sentence),
            )
    words = tokens(views.text)
    if len(words) >= MIN_TOKENS_FOR_LOOP_SHARE:
        share, passage = _loop_share(words)
        if share > MAX_LOOP_SHARE:
            return Rejection(
                Rule.REPETITION,
                f"It goes round in a loop: {share:.0%} of its words repeat a passage "
                f"(“{_short(passage)}”).",
                _short(passage),
            )
    return None


def template_debris(views: TextViews, notes: str, prompts_text: str) -> Rejection | None:
    text = views.everything
    match = CHAT_TEMPLATE.search(text)
    if match and match.group().strip() not in notes:
        return _debris(match.group().strip())
    for heading in (*views.headings, views.heading.split("\n")[0]):
        if ALPACA_HEADING.fullmatch(heading.strip()):
            return _debris(f"### {heading.strip()}")
    if END_OF_SEQUENCE in text and "<s>" not in text and END_OF_SEQUENCE not in notes:
        return _debris(END_OF_SEQUENCE)
    lowered = text.lower()
    for slot in _prompt_slots(prompts_text):
        inner = slot.strip("</>").lower()
        echoed = slot.lower() in lowered or (len(inner.split()) >= 3 and inner in lowered)
        if echoed and slot not in notes:
            return _debris(slot)
    for placeholder in set(PLACEHOLDER.findall(prompts_text)):
        if re.search(re.escape(placeholder) + r"\b", text) and placeholder not in notes:
            return _debris(placeholder)
    return None


def prompt_echo(views: TextViews, notes: str, prompts_text: str) -> Rejection | None:
    prompt_shingles = _shingles(tokens(PLACEHOLDER.sub(" ", prompts_text)))
    copied = prompt_shingles - _shingles(tokens(notes))
    words = tokens(views.everything)
    covered = [False] * len(words)
    first: int | None = None
    for start in range(len(words) - ECHO_SHINGLE + 1):
        if tuple(words[start : start + ECHO_SHINGLE]) in copied:
            first = start if first is None else first
            covered[start : start + ECHO_SHINGLE] = [True] * ECHO_SHINGLE
    echoed = sum(covered)
    if echoed < MAX_ECHO_TOKENS or first is None:
        return None
    passage = " ".join(words[first : first + ECHO_SHINGLE + 4])
    return Rejection(
        Rule.PROMPT_ECHO,
        f"It repeats {echoed} words of the bot's own instructions (“{_short(passage)}”) "
        "instead of writing the post.",
        _short(passage),
    )


def no_prose(views: TextViews) -> Rejection | None:
    running = sum(len(tokens(paragraph)) for paragraph in views.prose)
    if running >= MIN_PROSE_TOKENS:
        return None
    return Rejection(
        Rule.NO_PROSE,
        "It has no running text: only headings, lists, code or links, and no paragraph a "
        "reader could read.",
        _short(views.text),
    )


def too_short(draft: Draft, notes: str) -> Rejection | None:
    notes_words = word_count(notes)
    if notes_words < MIN_NOTES_FOR_LENGTH:
        return None
    needed = min(round(notes_words * MIN_SHARE_OF_NOTES), LENGTH_CAP)
    written = word_count(draft.body)
    if written >= needed:
        return None
    return Rejection(
        Rule.TOO_SHORT,
        f"It is far too short for the notes: {written} words written from {notes_words} "
        f"words of notes (at least {needed} expected).",
        _short(draft.body),
    )


def wrong_language(views: TextViews, notes: str, expected: str | None) -> Rejection | None:
    if len(tokens(views.text)) < MIN_LANGUAGE_TOKENS:
        return None
    draft = language.guess(views.text)
    if draft.confidence < MIN_DRAFT_CONFIDENCE:
        return None  # mixed, or too little to tell
    allowed: set[str] = {expected} if expected else set()
    wanted = ""
    if len(tokens(notes)) >= MIN_NOTES_TOKENS:
        said = language.guess(notes)
        if said.confidence >= MIN_NOTES_CONFIDENCE:
            wanted = said.language
            allowed |= {code for code, p in said.candidates if p >= PLAUSIBLE}
    wanted = wanted or expected or ""
    if not allowed or any(language.same_language(draft.language, a) for a in allowed):
        return None
    if language.asks_for(notes, draft.language):
        return None
    return Rejection(
        Rule.WRONG_LANGUAGE,
        f"It is written in {language.name(draft.language)}, but the post should be in "
        f"{language.name(wanted)}.",
        f"{draft.language} ({draft.confidence:.2f}), expected {wanted}",
    )


def _sentences(views: TextViews) -> Iterator[str]:
    for segment in views.segments:
        for sentence in SENTENCE_BREAK.split(segment):
            words = tokens(sentence)
            if len(words) >= MIN_SENTENCE_TOKENS:
                yield " ".join(words)


def _loop_share(words: list[str]) -> tuple[float, str]:
    """-> (share of `words` inside a repeated LOOP_NGRAM-word sequence, the commonest one)."""
    grams = [tuple(words[i : i + LOOP_NGRAM]) for i in range(len(words) - LOOP_NGRAM + 1)]
    counts = Counter(grams)
    repeated = [False] * len(words)
    for start, gram in enumerate(grams):
        if counts[gram] > 1:
            repeated[start : start + LOOP_NGRAM] = [True] * LOOP_NGRAM
    top = counts.most_common(1)[0][0] if counts else ()
    return sum(repeated) / len(words), " ".join(top)


def _shingles(words: list[str]) -> set[tuple[str, ...]]:
    return {tuple(words[i : i + ECHO_SHINGLE]) for i in range(len(words) - ECHO_SHINGLE + 1)}


def _prompt_slots(prompts_text: str) -> set[str]:
    return set(PROMPT_SLOT.findall(prompts_text))


def _debris(found: str) -> Rejection:
    return Rejection(
        Rule.TEMPLATE_DEBRIS,
        f"It contains chat-template or prompt markup (“{_short(found)}”) that is not part of "
        "a post.",
        _short(found),
    )


def _short(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= EXCERPT_CHARS else flat[: EXCERPT_CHARS - 1].rstrip() + "…"


def language_of(markdown: str) -> str | None:
    """The language a post is written in, when the detector is sure of it."""
    text = read(markdown).text
    if len(tokens(text)) < MIN_NOTES_TOKENS:
        return None
    found = language.guess(text)
    return found.language if found.confidence >= MIN_DRAFT_CONFIDENCE else None
