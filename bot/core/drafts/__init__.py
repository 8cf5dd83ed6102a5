"""Turn a language model's answer into a clean blog post draft.

Models answer in many shapes: plain Markdown with a `# Title`, their own YAML front matter
(often invalid YAML), the whole post wrapped in a ```markdown fence, and chatter before and
after the post. `parse_draft` accepts all of them and returns the same `Draft` for the same
content. The body keeps the model's text as written: only whole lines around it (chatter,
title, metadata lines) are removed, so inner code blocks and formatting survive unchanged.

The steps, in the order `parse_draft` runs them: `shape` finds the post inside the answer,
`front_matter` reads the model's YAML, `title` takes the title, header and trailer lines off
the body, `cleanup` makes plain single-line text of titles, descriptions and tags, and
`fallbacks` derives a title and description from the body when the answer gave none.
`patterns` holds the line patterns all of them match.
"""

from __future__ import annotations

from bot.core.drafts.model import Draft, DraftFormatError
from bot.core.drafts.parse import parse_draft, word_count

__all__ = ["Draft", "DraftFormatError", "parse_draft", "word_count"]
