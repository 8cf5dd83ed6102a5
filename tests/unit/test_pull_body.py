"""The pull request's description: what a reviewer reads, inert and within GitHub's limit."""

from __future__ import annotations

from dataclasses import replace

import markdown_it

from bot.core.conversation import Change
from bot.core.pull_body import MAX_BODY_CHARS, PullFacts, fenced, inline, pull_request_body

URL = "https://github.com/acme/blog/commit/"
FACTS = PullFacts(
    title="Postgres 17 is here",
    description="Why we moved.",
    tags=("postgres", "db"),
    words=42,
    path="content/posts/2026-11-27-postgres.md",
    notes="A post about Postgres 17, mention the 40% speed-up",
    changes=(),
    model="@cf/test/model",
    prompt_version="abc1234def",
)


def rendered(body: str) -> str:
    """The HTML GitHub-flavoured CommonMark makes of `body` (the `html` option as GitHub)."""
    html: str = markdown_it.MarkdownIt("commonmark", {"html": True}).render(body)
    return html


def test_the_body_shows_the_post_the_notes_and_where_it_came_from() -> None:
    body = pull_request_body(FACTS)
    assert body.startswith("**Postgres 17 is here**\n\nWhy we moved.\n")
    assert "- File: `content/posts/2026-11-27-postgres.md`" in body
    assert "- Words: 42" in body and "- Tags: postgres, db" in body
    assert "<details>\n<summary>The writer's notes</summary>" in body
    assert "```text\nA post about Postgres 17, mention the 40% speed-up\n```" in body
    assert "Drafted with `@cf/test/model` (prompts `abc1234def`)" in body
    assert "### Revisions" not in body


def test_revisions_are_listed_with_their_commits_in_order() -> None:
    changes = (Change("shorter", URL + "a" * 40), Change("friendlier title", URL + "b" * 40))
    body = pull_request_body(replace(FACTS, changes=changes))
    assert f"1. shorter ([`aaaaaaa`]({URL}{'a' * 40}))" in body
    assert f"2. friendlier title ([`bbbbbbb`]({URL}{'b' * 40}))" in body


def test_the_notes_setting_leaves_them_out() -> None:
    body = pull_request_body(FACTS, include_notes=False)
    assert "<details>" not in body and "speed-up" not in body


def test_html_and_markdown_from_the_writer_or_model_show_as_typed() -> None:
    nasty = replace(
        FACTS,
        title="<script>alert(1)</script> **bold**",
        tags=("[x](http://evil)",),
        notes="</details><img src=x onerror=alert(1)>\n````\n# not a heading",
        changes=(Change("make it <b>bold</b> @everyone", URL + "c" * 40),),
    )
    html = rendered(pull_request_body(nasty))
    assert "<script>" not in html and "<img" not in html and "<b>bold" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; **bold**" in html
    assert 'href="http://evil"' not in html
    assert "<h1>" not in html  # the notes' heading stays inside the code block
    assert html.count("</details>") == 1  # the notes' own one cannot close the section
    assert "@everyone" in html


def test_a_fence_longer_than_any_run_of_backticks_inside() -> None:
    assert fenced("a ````` b").startswith("``````text\n")
    assert inline("line one\nline two", 8) == "line…"


def test_huge_notes_are_shortened_to_fit_githubs_limit() -> None:
    body = pull_request_body(replace(FACTS, notes="word " * 40_000))
    assert len(body) <= MAX_BODY_CHARS
    assert "(shortened)" in body and body.endswith("before merging.")


def test_the_oldest_revisions_go_when_even_they_do_not_fit() -> None:
    changes = tuple(Change("x" * 300, URL + f"{n:040x}") for n in range(400))
    body = pull_request_body(replace(FACTS, changes=changes))
    assert len(body) <= MAX_BODY_CHARS
    assert "earlier revisions not shown" in body
    assert f"400. {'x' * 299}" in body  # the newest stays


def test_a_follow_up_says_which_merged_pull_request_it_edits() -> None:
    body = pull_request_body(replace(FACTS, follows=7))
    assert body.startswith("Edits the post merged in #7.\n")
