"""A TOML writer for front matter values (tomli_w is not a dependency).

Only what front matter needs: strings, booleans, numbers, dates, arrays and tables. Strings are
basic strings escaped per TOML 1.0, so tomllib reads back exactly the text that went in.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping

from bot.core.blog.values import Native

__all__ = ["dumps_toml", "toml_value"]

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
# TOML's date forms: offset date-time, local date-time, local date (a space may replace the T).
_TOML_DATE = re.compile(
    r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})?)?$"
)
_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\b": "\\b",
    "\t": "\\t",
    "\n": "\\n",
    "\f": "\\f",
    "\r": "\\r",
}


def dumps_toml(table: Mapping[str, object]) -> str:
    """The TOML document for `table`; keys whose value is None are left out (TOML has no null)."""
    return "".join(_table_lines(table, ()))


def _table_lines(table: Mapping[str, object], prefix: tuple[str, ...]) -> list[str]:
    lines: list[str] = []
    subtables: list[tuple[str, Mapping[str, object]]] = []
    for key, value in table.items():
        if value is None:
            continue
        if isinstance(value, Mapping):
            subtables.append((key, value))
        else:
            lines.append(f"{_key(key)} = {toml_value(value)}\n")
    # Tables come after every plain key: a key written after a [table] header belongs to it.
    for key, sub in subtables:
        path = (*prefix, key)
        lines.append(f"\n[{'.'.join(_key(part) for part in path)}]\n")
        lines.extend(_table_lines(sub, path))
    return lines


def toml_value(value: object) -> str:
    if isinstance(value, Native) and _TOML_DATE.match(value):
        return str(value)
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _float(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(item) for item in value if item is not None) + "]"
    if isinstance(value, Mapping):
        items = (f"{_key(k)} = {toml_value(v)}" for k, v in value.items() if v is not None)
        return "{ " + ", ".join(items) + " }" if value else "{}"
    raise TypeError(f"cannot write {type(value).__name__} as TOML")


def _float(value: float) -> str:
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return repr(value)


def _key(key: str) -> str:
    return key if _BARE_KEY.match(key) else _string(key)


def _string(text: str) -> str:
    out = []
    for char in text:
        if char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04X}")  # other control characters must be escaped
        else:
            out.append(char)
    return '"' + "".join(out) + '"'
