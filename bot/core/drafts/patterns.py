"""Line patterns: the Markdown, YAML and label lines a model's answer is made of, and the
phrases that give away an assistant's chatter."""

from __future__ import annotations

import re

FENCE = re.compile(r"^ {0,3}(?P<fence>`{3,}|~{3,})[ \t]*(?P<info>[^`]*?)[ \t]*$")
# Only these info strings mean "the whole answer is a Markdown document", not a code sample.
DOCUMENT_FENCE_INFO = {"", "markdown", "md", "mdx", "text", "txt"}
ATX_HEADING = re.compile(r"^ {0,3}(?P<hashes>#{1,6})(?:[ \t]+(?P<text>.*?))?(?:[ \t]+#+)?[ \t]*$")
SETEXT_H1 = re.compile(r"^ {0,3}=+[ \t]*$")
RULE = re.compile(r"^ {0,3}(?:(?:-[ \t]*){3,}|(?:\*[ \t]*){3,}|(?:_[ \t]*){3,})$")
FRONT_MATTER_FENCE = re.compile(r"^-{3}[ \t]*$")
FRONT_MATTER_END = re.compile(r"^(?:-{3}|\.{3})[ \t]*$")
YAML_KEY_LINE = re.compile(r"^(?P<key>[A-Za-z_][\w -]*?)[ \t]*:(?:[ \t]+(?P<value>.*)|[ \t]*)$")
YAML_ITEM_LINE = re.compile(r"^[ \t]*-[ \t]+(?P<value>.*)$")
BOLD_LINE = re.compile(r"^ {0,3}(?:\*\*(?P<a>[^*\n]+)\*\*|__(?P<b>[^_\n]+)__)[ \t]*$")
HASHTAG_LINE = re.compile(r"^[ \t]*(?:#[^\s#]+[ \t,]*)+$")
LIST_OR_BLOCK = re.compile(r"^ {0,3}(?:[-*+][ \t]|\d+[.)][ \t]|>|\||<|!\[|\[\^)")

TITLE_LABELS = r"title|titel|titre|título|titolo|タイトル|标题|標題|제목"
DESCRIPTION_LABELS = (
    r"meta[ -]?description|description|summary|excerpt|subtitle|beschreibung|"
    r"zusammenfassung|untertitel|説明|概要|要約|描述|摘要"
)
TAG_LABELS = r"tags?|keywords|categories|schlagwörter|schlagworte|stichwörter|タグ|キーワード|标签"
OTHER_LABELS = r"slug|date|datum|author|autor|reading time|lesezeit|word count|wortanzahl"
LABEL_LINE = re.compile(
    rf"^(?P<label>{TITLE_LABELS}|{DESCRIPTION_LABELS}|{TAG_LABELS}|{OTHER_LABELS})"
    r"[*_]*[ \t]*[:：][ \t]*[*_]*[ \t]*(?P<value>.*?)[ \t]*$",
    re.IGNORECASE,
)

# Chatter is recognised by how assistants talk, never by position alone, so a post's own
# closing paragraph ("If you try it, ...") is not mistaken for it.
OPENER = re.compile(
    r"^(?:sure|certainly|absolutely|of course|okay|ok|alright|great|here(?:'s|’s| is| are)?|"
    r"below|i(?:'ve|’ve| have)|as requested|gerne|klar|natürlich|hier|voici|bien sûr|claro|"
    r"aquí|はい|了解|承知|以下|かしこまりました|好的)\b",
    re.IGNORECASE,
)
INTERJECTION = re.compile(
    r"^(?:sure|certainly|absolutely|of course|okay|ok|alright|great|gerne|klar|natürlich|"
    r"はい|了解です|承知しました|かしこまりました)[\s!.。！]*$",
    re.IGNORECASE,
)
POST_WORDS = re.compile(
    r"\b(?:drafts?|posts?|blog|articles?|version|entwurf|beitrag|blogbeitrag|artikel)\b"
    r"|記事|下書き|草稿",
    re.IGNORECASE,
)
HANDOVER = re.compile(
    r"\bhere (?:you go|it is|you are)\b|\bvoilà\b|\bbitte schön\b|\bhier bitte\b", re.IGNORECASE
)
CLOSER = re.compile(
    r"^(?:let me know|i hope (?:this|that|you)|hope this helps|feel free to|would you like|"
    r"do you want me|want me to|shall i|is there anything|"
    r"if you(?:'d|’d| would) like (?:me|any|to (?:adjust|change|modify|tweak|expand|shorten|add))|"
    r"i can (?:also )?(?:adjust|expand|shorten|tweak|modify|revise|rewrite|change|add|make|"
    r"help|provide|write|create)|(?:happy|glad) to (?:help|adjust|make|revise|tweak)|"
    r"ich hoffe|lass mich wissen|lassen sie mich wissen|sag mir|sag bescheid|gib mir bescheid|"
    r"möchtest du|möchten sie|soll ich|falls du (?:änderungen|anpassungen)|"
    r"wenn du (?:änderungen|anpassungen))"
    r"|ご要望|ご希望|修正が必要|いかがでしょうか|お気軽に|他に何か",
    re.IGNORECASE,
)
# Control characters and zero-width marks; the zero-width joiner stays for emoji sequences.
INVISIBLE = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f\u200b\u2060\ufeff]")
THINK_END = re.compile(r"</think>", re.IGNORECASE)
THINK_BLOCK = re.compile(r"\A\s*<think>.*?</think>", re.IGNORECASE | re.DOTALL)

# Kana and ideographs; Hangul is left out because Korean separates words with spaces.
CJK = "\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f"
WORD = re.compile(rf"[{CJK}]|[^\W_{CJK}]+(?:[_'’.\-][^\W_{CJK}]+)*")
QUOTE_PAIRS = {'"': '"', "'": "'", "“": "”", "„": "“", "‘": "’", "«": "»", "「": "」", "『": "』"}
ABBREVIATION = re.compile(r"e\.g|i\.e|z\.b|d\.h|u\.a|dr|mr|mrs|ms|vs|bzw|ca|usw|nr|st|prof|vgl")
SENTENCE_END = re.compile(r"[.!?…](?=[\"'”’)\]]*(?:\s|$))|[。！？]")
