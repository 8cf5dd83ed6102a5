"""What the model calls of a job cost: tokens in and out, and Workers AI neurons.

Workers AI bills in neurons ($0.011 per 1,000). A reply may carry `usage.neurons`; when it does
not, the neurons are estimated from the tokens at the model's published price (NOTES.md,
"Cost"). Gemma 4 26B A4B costs $0.10 per million input tokens and $0.30 per million output
tokens: about 9,100 neurons per million input tokens and 27,300 per million output tokens.
"""

from __future__ import annotations

from dataclasses import dataclass

# Free daily allocation of every Workers AI account; resets 00:00 UTC.
FREE_NEURONS_PER_DAY = 10_000

# Neurons per million (input, output) tokens, per model.
NEURONS_PER_MILLION_TOKENS: dict[str, tuple[float, float]] = {
    "@cf/google/gemma-4-26b-a4b-it": (9_100.0, 27_300.0),
}
# A model missing above is estimated at Gemma 4's rates: the bot's default model.
DEFAULT_RATES = NEURONS_PER_MILLION_TOKENS["@cf/google/gemma-4-26b-a4b-it"]


def estimated_neurons(model: str, prompt_tokens: int, completion_tokens: int) -> float:
    """The neurons a call of `model` costs for these tokens, at its published price."""
    rate_in, rate_out = NEURONS_PER_MILLION_TOKENS.get(model, DEFAULT_RATES)
    return (prompt_tokens * rate_in + completion_tokens * rate_out) / 1_000_000


@dataclass
class ModelUsage:
    """The running total of a job's model calls (an adapter adds each call it makes)."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    neurons: float = 0.0
    calls: int = 0
    estimated: bool = False  # some neurons were estimated from tokens, not reported

    def record(
        self, model: str, prompt_tokens: int, completion_tokens: int, neurons: float | None
    ) -> None:
        """One call's usage; `neurons` as the reply reported them (None: estimated)."""
        self.prompt_tokens += prompt_tokens
        self.completion_tokens += completion_tokens
        self.calls += 1
        if neurons is None:
            neurons = estimated_neurons(model, prompt_tokens, completion_tokens)
            self.estimated = True
        self.neurons += neurons

    def as_dict(self) -> dict[str, float]:
        return {
            "tokens_in": self.prompt_tokens,
            "tokens_out": self.completion_tokens,
            "neurons": round(self.neurons, 2),
            "calls": self.calls,
        }


def posts_per_day(neurons_per_post: float) -> int:
    """How many posts of this cost fit in the free daily allocation."""
    return int(FREE_NEURONS_PER_DAY // neurons_per_post) if neurons_per_post > 0 else 0
