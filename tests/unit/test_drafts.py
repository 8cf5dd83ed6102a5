"""parse_draft: every shape a model answers in gives the same clean draft."""

from __future__ import annotations

import pytest

from bot.core.drafts import Draft, DraftFormatError, parse_draft, word_count

# --- English: the same post in many shapes --------------------------------------------------

TITLE_EN = "Moving to Postgres 17: What We Learned"
DESCRIPTION_EN = "We moved our main database to Postgres 17 last month."
TAGS_EN = ("postgres", "databases")
BODY_EN = """\
We moved our **main database** to [Postgres 17](https://www.postgresql.org/) last month. \
The upgrade took an afternoon, and queries got 40% faster.

## What changed

The planner now picks better plans for our joins:

```python
# This comment is not a heading.
rows = db.execute("SELECT * FROM orders WHERE id = %s", (order_id,))
```

A bare fence holds a config sample:

```
---
not: front matter
---
```

## Should you upgrade?

Yes, if you run Postgres 16. Test your extensions first."""

FRONT_MATTER_EN = f"""\
---
title: "{TITLE_EN}"
description: {DESCRIPTION_EN}
tags: [postgres, databases]
---

# {TITLE_EN}

{BODY_EN}"""

EXPECTED_EN = Draft(title=TITLE_EN, description=DESCRIPTION_EN, tags=TAGS_EN, body=BODY_EN)

SHAPES_EN = {
    "h1 with tags line": f"# {TITLE_EN}\n\n*Tags: postgres, databases*\n\n{BODY_EN}\n",
    "front matter": FRONT_MATTER_EN,
    "invalid yaml: unquoted colon, comma tags": f"""\
---
title: {TITLE_EN}
description: {DESCRIPTION_EN}
tags: postgres, databases
---

{BODY_EN}""",
    "invalid yaml: item list, crlf": f"""\
---
title: {TITLE_EN}
tags:
  - Postgres
  - "#databases"
---
# {TITLE_EN}

{BODY_EN}
""".replace("\n", "\r\n"),
    "fenced front matter, chatter both sides": f"""\
Sure! Here's a draft:

```markdown
{FRONT_MATTER_EN}
```

---

Let me know if you'd like changes!""",
    "front matter, chatter after a rule": f"""\
Here is your blog post:

{FRONT_MATTER_EN}

---

I hope this helps.

Feel free to ask for a shorter version!""",
    "md fence, h2 title, hashtags": f"""\
Here is your blog post:
```md
## {TITLE_EN}

#postgres #databases

{BODY_EN}
```
Would you like me to add a section on extensions?""",
    "bold title label": f"""\
**Title:** {TITLE_EN}
**Tags:** postgres, databases

{BODY_EN}

Would you like me to:
- shorten it
- add benchmarks""",
    "plain labels": f"""\
Title: {TITLE_EN}
Description: {DESCRIPTION_EN}
Tags: postgres databases

{BODY_EN}""",
    "quoted title, trailing hashes, tags at the end": f"""\
# "{TITLE_EN}" ##

{BODY_EN}

Tags: #postgres, #databases""",
    "bare fence around the whole answer": f"""\
```
# **{TITLE_EN}**

Tags: postgres, databases

{BODY_EN}
```""",
    "crlf and surrounding whitespace": (
        f"\n\n  # {TITLE_EN}  \n\n*Tags: postgres, databases*\n\n{BODY_EN}\n\n\n   "
    ).replace("\n", "\r\n"),
    "four-backtick fence": f"""\
Certainly! Here you go:

````markdown
# {TITLE_EN}

Tags: postgres, databases

{BODY_EN}
````

I hope this helps.""",
    "reasoning before the answer": f"""\
<think>The writer wants a post about Postgres.
# Outline idea
</think>

# {TITLE_EN}

*Tags: postgres, databases*

{BODY_EN}""",
    "setext title": f"{TITLE_EN}\n{'=' * 20}\n\nTags: postgres, databases\n\n{BODY_EN}",
}


@pytest.mark.parametrize("text", SHAPES_EN.values(), ids=SHAPES_EN.keys())
def test_english_shapes_give_the_same_draft(text: str) -> None:
    assert parse_draft(text) == EXPECTED_EN


# --- German ------------------------------------------------------------------------------------

TITLE_DE = "Postgres 17: Warum wir umgestiegen sind"
DESCRIPTION_DE = "Letzten Monat haben wir u. a. unsere Datenbank auf Postgres 17 umgestellt."
BODY_DE = f"""\
{DESCRIPTION_DE} Große Joins sind seitdem um 40 % schneller.

## Größte Überraschung

Die Migration dauerte nur einen Nachmittag – ohne Ausfallzeit."""
EXPECTED_DE = Draft(
    title=TITLE_DE, description=DESCRIPTION_DE, tags=("datenbanken", "postgres"), body=BODY_DE
)

SHAPES_DE = {
    "chatter, h1, labels": f"""\
Gerne! Hier ist ein Entwurf für deinen Blogbeitrag:

# {TITLE_DE}

Schlagwörter: Datenbanken, Postgres

{BODY_DE}

Lass mich wissen, ob du Änderungen möchtest!""",
    "invalid yaml in an md fence": f"""\
```md
---
title: {TITLE_DE}
tags:
- Datenbanken
- "#Postgres"
---

# {TITLE_DE}

{BODY_DE}
```

Ich hoffe, der Entwurf gefällt dir!""",
    "title label in German": f"""\
**Titel:** „{TITLE_DE}“
**Tags:** #Datenbanken #Postgres

{BODY_DE}""",
}


@pytest.mark.parametrize("text", SHAPES_DE.values(), ids=SHAPES_DE.keys())
def test_german_shapes_give_the_same_draft(text: str) -> None:
    assert parse_draft(text) == EXPECTED_DE


# --- Japanese ----------------------------------------------------------------------------------

TITLE_JA = "Postgres 17への移行で学んだこと"
DESCRIPTION_JA = "先月、メインのデータベースをPostgres 17に移行しました。"
BODY_JA = f"""\
{DESCRIPTION_JA}クエリは約40%速くなりました。

## 移行の手順

```sql
SELECT version();
```

思ったより簡単でした。"""
EXPECTED_JA = Draft(
    title=TITLE_JA, description=DESCRIPTION_JA, tags=("データベース", "postgres"), body=BODY_JA
)

SHAPES_JA = {
    "chatter, h1, tag label": f"""\
以下はブログ記事の下書きです。

# {TITLE_JA}

タグ: データベース、Postgres

{BODY_JA}

ご要望があれば、お気軽にお知らせください。""",
    "front matter with corner quotes": f"""\
---
title: 「{TITLE_JA}」
tags: [データベース, Postgres]
---

{BODY_JA}""",
    "full-width colon labels": f"""\
タイトル：{TITLE_JA}
タグ：#データベース #Postgres

{BODY_JA}""",
}


@pytest.mark.parametrize("text", SHAPES_JA.values(), ids=SHAPES_JA.keys())
def test_japanese_shapes_give_the_same_draft(text: str) -> None:
    assert parse_draft(text) == EXPECTED_JA


# --- single behaviours ---------------------------------------------------------------------------


def test_front_matter_description_wins_over_the_first_sentence() -> None:
    draft = parse_draft(
        '---\ntitle: "Hello"\ndescription: "A *short* summary."\n---\n\nFirst sentence. Two.'
    )
    assert draft == Draft(
        title="Hello", description="A short summary.", tags=(), body="First sentence. Two."
    )


def test_plain_yaml_values_are_read_as_written() -> None:
    # Real YAML would cut the title at " #" and turn the tags into booleans.
    text = "---\ntitle: Why #1 matters\ntags: [yes, no]\n---\n\nBody text."
    assert parse_draft(text) == Draft(
        title="Why #1 matters", description="Body text.", tags=("yes", "no"), body="Body text."
    )


def test_unclosed_outer_fence_keeps_the_last_code_block() -> None:
    body = "Run this:\n\n```bash\npsql -c 'select 1'\n```"
    draft = parse_draft(f"Here's the draft:\n\n```markdown\n# Quick tip\n\n{body}\n")
    assert draft == Draft(title="Quick tip", description="Run this:", tags=(), body=body)


def test_italic_line_under_the_title_is_the_description() -> None:
    draft = parse_draft("# Title\n\n*Why we upgraded, in short.*\n\nThe body. More.")
    assert draft == Draft(
        title="Title", description="Why we upgraded, in short.", tags=(), body="The body. More."
    )


def test_without_a_title_the_first_sentence_is_used() -> None:
    body = "Postgres 17 made our reports faster. Here is how."
    assert parse_draft(body) == Draft(
        title="Postgres 17 made our reports faster",
        description="Postgres 17 made our reports faster.",
        tags=(),
        body=body,
    )


def test_without_a_title_line_the_first_heading_is_used_and_kept() -> None:
    body = "Some intro that runs on.\n\n## Benchmarks\n\nNumbers."
    draft = parse_draft(body)
    assert (draft.title, draft.body) == ("Benchmarks", body)


def test_closing_paragraph_of_the_post_is_not_taken_for_chatter() -> None:
    body = "# Tips\n\nUse indexes.\n\nIf you try it yourself, the scripts are on GitHub."
    assert (
        parse_draft(body).body
        == "Use indexes.\n\nIf you try it yourself, the scripts are on GitHub."
    )


def test_bold_chatter_is_not_a_title() -> None:
    draft = parse_draft("**Here's your blog post:**\n\n# Real title\n\nBody text.")
    assert (draft.title, draft.body) == ("Real title", "Body text.")


def test_opening_sentence_of_the_post_is_not_taken_for_chatter() -> None:
    body = "Here are three reasons to upgrade:\n\n- speed\n- safety\n- support"
    assert parse_draft(body).body == body


def test_long_description_is_cut_on_a_word_boundary() -> None:
    sentence = "This sentence " + "keeps going and going " * 12 + "until it ends."
    draft = parse_draft(f"# T\n\n{sentence}")
    assert len(draft.description) <= 160
    assert draft.description.endswith("…")
    assert sentence.startswith(draft.description[:-1])
    assert sentence[len(draft.description) - 1] == " "


def test_title_is_one_clean_line_of_at_most_200_characters() -> None:
    draft = parse_draft("# " + "Very _long_ **title** " * 20 + "\n\nBody.")
    assert len(draft.title) <= 200
    assert "*" not in draft.title and "_" not in draft.title and "\n" not in draft.title
    assert draft.title.startswith("Very long title Very long title")
    assert not draft.title.endswith(" ")


def test_tags_are_normalised() -> None:
    tags = "#Python, python, Machine Learning, a, b, c, d, e, f, g, h"
    draft = parse_draft(f"---\ntitle: T\ntags: {tags}\n---\n\nBody.")
    assert draft.tags == ("python", "machine learning", "a", "b", "c", "d", "e", "f")


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   \n\t\r\n",
        "# Just a title",
        "---\ntitle: Only metadata\n---\n",
        "Sure! Here's a draft:",
        "```markdown\n```",
        "<think>thinking only</think>",
    ],
)
def test_no_post_text_is_a_draft_format_error(text: str) -> None:
    with pytest.raises(DraftFormatError) as caught:
        parse_draft(text)
    assert str(caught.value).endswith(".")


# --- word_count ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("markdown", "words"),
    [
        ("Hello **world**, this is [a link](https://example.com/a-b-c).", 6),
        ("# Heading\n\n> quoted text", 3),
        ("1. First item\n2. Second\n- third", 4),
        ("```python\nprint('hi')\n```", 2),
        ("don't e.g. well-known snake_case", 4),
        ("See https://example.com/some/long-path?x=1 now", 3),
        ("![diagram](img.png) Done", 1),
        ("先月、データベースを移行しました。", 15),
        ("Postgres 17への移行", 6),
        ("데이터베이스 이전", 2),
        ("", 0),
    ],
)
def test_word_count(markdown: str, words: int) -> None:
    assert word_count(markdown) == words


def test_word_count_of_a_parsed_body() -> None:
    assert word_count(BODY_EN) == 69
