"""The quality gate: a model's draft is checked before anything is committed.

Small or overloaded models misbehave in ways that still parse as a post: they loop on a
sentence, leak their chat template (`<start_of_turn>`, `[INST]`), echo the bot's own
instructions, answer with headings and no words, stop after two lines, or answer in another
language. `check_draft` names each such fault as a `Rejection`: the rule (for the log), and a
plain sentence that tells the model what to fix on a second try and the writer what went wrong.

Thresholds were tuned on real text (see tests/unit/quality/): the sample blogs' posts,
well-formed posts in a dozen languages, hand-made degenerate answers and real output of a
small model (Gemma 3 270M).
"""

from __future__ import annotations

from bot.core.quality.findings import Rejection, Rule, Verdict
from bot.core.quality.rules import check_draft, language_of

__all__ = ["Rejection", "Rule", "Verdict", "check_draft", "language_of"]
