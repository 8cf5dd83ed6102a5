"""Front matter in the four shapes blogs use: YAML `---`, TOML `+++`, JSON `{}` and Pelican's
`Key: value` lines. Reading is forgiving (a sample post that does not parse teaches nothing, it
does not fail); writing is exact, so every value parses back to what went in.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from bot.core.blog.toml_out import dumps_toml
from bot.core.blog.values import Native

__all__ = ["Native", "Parsed", "dump_post", "load_yaml", "split_post"]

_UNLIMITED = 2**31 - 1  # one line per value: folded scalars are where odd strings go wrong
_YAML_OPEN = re.compile(r"\A---[ \t]*\r?\n")
_YAML_CLOSE = re.compile(r"^(?:---|\.\.\.)[ \t]*\r?$", re.MULTILINE)
_TOML_OPEN = re.compile(r"\A\+\+\+[ \t]*\r?\n")
_TOML_CLOSE = re.compile(r"^\+\+\+[ \t]*\r?$", re.MULTILINE)
_PELICAN_LINE = re.compile(r"^(?P<key>[A-Za-z][\w-]*):[ \t]*(?P<value>.*)$")


@dataclass(frozen=True)
class Parsed:
    format: str | None  # yaml | toml | json | pelican; None: no front matter
    meta: dict[str, Any] = field(default_factory=dict)
    raw: str = ""  # the front matter text between the delimiters
    body: str = ""


# --- reading -----------------------------------------------------------------------------------


class _TolerantLoader(yaml.SafeLoader):
    """SafeLoader that reads unknown tags (mkdocs.yml's `!!python/name:`, `!ENV`) as plain data."""


def _any_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> object:
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node)
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node)
    return None


_TolerantLoader.add_multi_constructor("!", _any_tag)
_TolerantLoader.add_multi_constructor("tag:yaml.org,2002:python/", _any_tag)


def load_yaml(text: str) -> Any:
    """The YAML document, or None when it does not parse."""
    try:
        return yaml.load(text, Loader=_TolerantLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError:
        return None


def split_post(text: str) -> Parsed:
    """The front matter and body of a post file, whatever its front matter format."""
    text = text.removeprefix("\ufeff")
    for opener, closer, fmt in (
        (_YAML_OPEN, _YAML_CLOSE, "yaml"),
        (_TOML_OPEN, _TOML_CLOSE, "toml"),
    ):
        start = opener.match(text)
        if not start:
            continue
        end = closer.search(text, start.end())
        if not end:
            break
        raw = text[start.end() : end.start()]
        return Parsed(fmt, _load_block(fmt, raw), raw, text[end.end() :].lstrip("\r\n"))
    if text.startswith("{"):
        return _split_json(text)
    return _split_pelican(text)


def _load_block(fmt: str, raw: str) -> dict[str, Any]:
    if fmt == "toml":
        try:
            return tomllib.loads(raw)
        except tomllib.TOMLDecodeError:
            return {}
    loaded = load_yaml(raw)
    return {str(k): v for k, v in loaded.items()} if isinstance(loaded, dict) else {}


def _split_json(text: str) -> Parsed:
    try:
        meta, end = json.JSONDecoder().raw_decode(text)
    except json.JSONDecodeError:
        return Parsed(None, body=text)
    if not isinstance(meta, dict):
        return Parsed(None, body=text)
    return Parsed("json", meta, text[:end], text[end:].lstrip("\r\n"))


def _split_pelican(text: str) -> Parsed:
    """Pelican's Markdown metadata: `Key: value` lines up to the first blank line."""
    lines = text.splitlines()
    meta: dict[str, Any] = {}
    count = 0
    for line in lines:
        match = _PELICAN_LINE.match(line)
        if not match:
            break
        meta[match["key"]] = match["value"].strip()
        count += 1
    if not any(key.lower() == "title" for key in meta) or (
        count < len(lines) and lines[count].strip()
    ):
        return Parsed(None, body=text)
    return Parsed("pelican", meta, "\n".join(lines[:count]), "\n".join(lines[count:]).lstrip("\n"))


# --- writing -----------------------------------------------------------------------------------


class _Dumper(yaml.SafeDumper):
    """SafeDumper that writes `Native` dates plain (a YAML timestamp), everything else as usual."""


def _represent_native(dumper: yaml.SafeDumper, data: Native) -> yaml.ScalarNode:
    # The tag a plain scalar with this text resolves to: a timestamp when it is one, so the
    # emitter may leave it unquoted; a plain string otherwise (Jekyll's "+0100" form).
    tag = dumper.resolve(yaml.ScalarNode, str(data), (True, False))  # type: ignore[no-untyped-call]
    return dumper.represent_scalar(tag, str(data))


_Dumper.add_representer(Native, _represent_native)


def dump_post(fmt: str, meta: Mapping[str, object], body: str) -> str:
    """The whole post file: front matter, a blank line, the body and one final newline."""
    if fmt == "toml":
        return f"+++\n{dumps_toml(meta)}+++\n\n{body}\n"
    if fmt == "json":
        return f"{json.dumps(meta, indent=2, ensure_ascii=False)}\n\n{body}\n"
    if fmt == "pelican":
        return f"{_dump_pelican(meta)}\n\n{body}\n"
    if fmt == "none":
        return f"{body}\n"
    header = yaml.dump(
        dict(meta),
        Dumper=_Dumper,
        sort_keys=False,
        width=_UNLIMITED,
        allow_unicode=True,
        default_flow_style=False,
    ).strip()
    return f"---\n{header}\n---\n\n{body}\n"


def _dump_pelican(meta: Mapping[str, object]) -> str:
    lines = []
    for key, value in meta.items():
        if isinstance(value, list | tuple):
            value = ", ".join(str(item) for item in value)
        elif isinstance(value, bool):
            value = "true" if value else "false"
        lines.append(f"{key}: {value}")
    return "\n".join(lines)
