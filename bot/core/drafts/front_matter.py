"""Front matter: the model's own YAML block, read the way it was meant even when invalid."""

from __future__ import annotations

import yaml

from bot.core.drafts.patterns import FRONT_MATTER_END, YAML_ITEM_LINE, YAML_KEY_LINE
from bot.core.drafts.shape import is_front_matter_start, trim_blank

_KEYS = (
    ("title", ("title",)),
    ("description", ("description", "summary", "excerpt", "subtitle")),
    ("tags", ("tags", "keywords", "categories")),
)


def split_front_matter(lines: list[str]) -> tuple[dict[str, object], list[str]]:
    if not lines or not is_front_matter_start(lines, 0):
        return {}, lines
    end = next(i for i in range(1, len(lines)) if FRONT_MATTER_END.match(lines[i]))
    block = "\n".join(lines[1:end])
    lenient, plain = _read_lenient(lines[1:end])
    try:
        loaded = yaml.safe_load(block)
    except yaml.YAMLError:
        loaded = None
    strict = {str(k).lower(): v for k, v in loaded.items()} if isinstance(loaded, dict) else {}
    meta: dict[str, object] = {}
    for key, aliases in _KEYS:
        for alias in aliases:
            # A plain scalar means what it says: YAML would turn `title: yes` into a bool and
            # cut `Why #1 matters` at the "comment". Quoted and list values need real YAML.
            value = strict.get(alias)
            if alias in plain or not _is_text_value(value):
                value = lenient.get(alias)
            if value:
                meta[key] = value
                break
    return meta, trim_blank(lines[end + 1 :])


def _is_text_value(value: object) -> bool:
    if isinstance(value, str):
        return True
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _read_lenient(lines: list[str]) -> tuple[dict[str, object], set[str]]:
    """Read `key: value` lines the way the model meant them, where YAML would refuse.

    Also returns the keys whose value is a plain (unquoted, single-line) scalar.
    """
    meta: dict[str, object] = {}
    plain: set[str] = set()
    key: str | None = None
    for line in lines:
        item = YAML_ITEM_LINE.match(line)
        pair = YAML_KEY_LINE.match(line) if not line[:1].isspace() else None
        if pair:
            key = pair["key"].strip().lower()
            value = (pair["value"] or "").strip()
            if value in {"|", ">", "|-", ">-", "|+", ">+"}:
                value = ""
            meta[key] = _unquote(value) if value else ""
            if value and value[0] not in "\"'[{|>&*!":
                plain.add(key)
            else:
                plain.discard(key)
        elif key is not None and item:
            previous = meta.get(key)
            items = previous if isinstance(previous, list) else []
            items.append(_unquote(item["value"].strip()))
            meta[key] = items
        elif key is not None and line.strip() and isinstance(meta.get(key), str):
            meta[key] = f"{meta[key]} {line.strip()}".strip()  # block scalar continuation
            plain.discard(key)
    for name, value in meta.items():
        if isinstance(value, str) and value.startswith("[") and value.endswith("]"):
            meta[name] = [_unquote(v.strip()) for v in value[1:-1].split(",") if v.strip()]
    return meta, plain


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        inner = value[1:-1]
        return inner.replace("''", "'") if value[0] == "'" else inner.replace('\\"', '"')
    return value
