"""What the gate finds: the rules, a rejection, the verdict on one draft."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Rule(StrEnum):
    REPETITION = "repetition"
    TEMPLATE_DEBRIS = "template-debris"
    PROMPT_ECHO = "prompt-echo"
    NO_PROSE = "no-prose"
    TOO_SHORT = "too-short"
    WRONG_LANGUAGE = "wrong-language"


@dataclass(frozen=True)
class Rejection:
    """One fault: `reason` is a plain sentence for the model's second try and for the writer;
    `excerpt` a few words of the offending text, for the log."""

    rule: Rule
    reason: str
    excerpt: str = ""


@dataclass(frozen=True)
class Verdict:
    rejections: tuple[Rejection, ...] = ()

    @property
    def passed(self) -> bool:
        return not self.rejections

    @property
    def rules(self) -> tuple[Rule, ...]:
        return tuple(r.rule for r in self.rejections)

    @property
    def reasons(self) -> str:
        """Every fault, one sentence each."""
        return " ".join(r.reason for r in self.rejections)
