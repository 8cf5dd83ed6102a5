"""The quality gate on real text: degenerate answers are rejected for the right reason, and
well-formed drafts (the sample blogs' posts, posts in many languages and shapes, and the real
small model's good answers) pass."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import frontmatter
import pytest
import yaml

from bot.core import prompts
from bot.core.drafts import Draft, DraftFormatError, parse_draft
from bot.core.quality import Rule, Verdict, check_draft

CORPUS = Path(__file__).parent / "quality_corpus"
BLOGS = Path(__file__).parents[1] / "blogs"
PROMPTS = prompts.all_templates()
SYSTEM_PROMPT = (Path(__file__).parents[2] / "prompts" / "system.md").read_text(encoding="utf-8")


def load(name: str) -> list[dict[str, Any]]:
    samples: list[dict[str, Any]] = yaml.safe_load((CORPUS / name).read_text(encoding="utf-8"))
    return samples


def check(answer: str, notes: str, **kwargs: Any) -> Verdict:
    return check_draft(parse_draft(answer), notes, prompts_text=PROMPTS, **kwargs)


def blog_posts() -> list[Path]:
    """Every post file of the sample blogs (listing and index pages are not posts)."""
    found = [
        path
        for path in sorted(BLOGS.rglob("*"))
        if path.suffix in {".md", ".markdown", ".mdx"}
        and path.name not in {"README.md", "index.md", "_index.md", "about.md"}
        and "scaffolds" not in path.parts
    ]
    found += sorted(BLOGS.glob("*/content/posts/*/index.md"))
    return found


DEGENERATE = load("degenerate.yaml")
GOOD = load("good_languages.yaml") + load("good_shapes.yaml")


@pytest.mark.parametrize("sample", DEGENERATE, ids=[s["name"] for s in DEGENERATE])
def test_each_degenerate_answer_is_rejected_for_its_own_reason(sample: dict[str, Any]) -> None:
    verdict = check(sample["answer"], sample["notes"])
    assert not verdict.passed
    assert verdict.rules[0] == Rule(sample["expect"]), verdict.reasons
    assert verdict.reasons  # a sentence the writer and the model can read


def test_the_whole_system_prompt_echoed_as_the_post_is_rejected() -> None:
    verdict = check(SYSTEM_PROMPT, "A post about our move to Postgres 17.")
    assert Rule.PROMPT_ECHO in verdict.rules
    assert "ghostwriter" in verdict.reasons


def test_the_system_prompt_echoed_inside_a_plausible_post_is_rejected() -> None:
    rules = SYSTEM_PROMPT.split("Answer with the post only")[0]
    answer = f"---\ntitle: Our new rye loaf\n---\n\nWe have a new rye loaf.\n\n{rules}"
    verdict = check(answer, "A post about the bakery's new rye loaf.")
    assert verdict.rules == (Rule.PROMPT_ECHO,)


@pytest.mark.parametrize("sample", GOOD, ids=[s["name"] for s in GOOD])
def test_well_formed_drafts_pass(sample: dict[str, Any]) -> None:
    verdict = check(sample["answer"], sample["notes"])
    assert verdict.passed, verdict.reasons


def test_every_sample_blog_post_is_found() -> None:
    assert len(blog_posts()) >= 30


@pytest.mark.parametrize("path", blog_posts(), ids=lambda p: str(p.relative_to(BLOGS)))
def test_the_sample_blogs_posts_pass(path: Path) -> None:
    """A writer's notes are about the post's topic, in its language: its title and summary."""
    post = frontmatter.loads(path.read_text(encoding="utf-8"))
    title = str(post.get("title", ""))
    summary = next(
        (str(post[k]) for k in ("description", "summary", "teaser") if k in post.metadata), ""
    )
    draft = Draft(title=title, description=summary, tags=(), body=post.content)
    verdict = check_draft(draft, f"{title}. {summary}", prompts_text=PROMPTS)
    assert verdict.passed, verdict.reasons


def test_a_revision_may_keep_the_posts_language_when_asked_in_another() -> None:
    [german] = [s for s in GOOD if s["name"] == "german"]
    notes = "Please make the last section a little shorter and friendlier in tone."
    assert check(german["answer"], notes, expected_language="de").passed
    assert not check(german["answer"], notes).passed  # without it: German for English notes


def test_the_reasons_name_the_fault_plainly() -> None:
    [loop] = [s for s in DEGENERATE if s["name"] == "sentence-loop"]
    verdict = check(loop["answer"], loop["notes"])
    assert "repeats the same sentence 5 times" in verdict.reasons
    [french] = [s for s in DEGENERATE if s["name"] == "french-for-english-notes"]
    assert "written in French" in check(french["answer"], french["notes"]).reasons


SMALL_MODEL = load("small_model.yaml")


@pytest.mark.parametrize(
    "sample", SMALL_MODEL, ids=[f"answer-{i}" for i in range(len(SMALL_MODEL))]
)
def test_a_real_small_models_answers_get_the_verdict_recorded_for_them(
    sample: dict[str, Any],
) -> None:
    """Gemma 3 270M's answers to the bot's real prompts (tools/small_model_corpus.py)."""
    try:
        rules = [str(rule) for rule in check(sample["answer"], sample["notes"]).rules]
    except DraftFormatError:
        rules = ["unparsable"]
    assert rules == sample["rejected_for"]
