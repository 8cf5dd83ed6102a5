"""Astro content collections: the posts folder and the keys the collection's zod schema demands.

The schema is TypeScript, read here as text: good enough for the common shapes
(`z.object({ title: z.string(), pubDate: z.coerce.date(), tags: z.array(z.string()).optional() })`)
and silent, not wrong, about the rest: an expression it cannot read is a string key.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.core.blog.profile import Field
from bot.core.blog.values import role_of

__all__ = ["SchemaKey", "read_content_config", "schema_fields"]

_FAVOURED = ("blog", "posts", "post", "articles", "news")
_COLLECTION = re.compile(r"(?:(?:const|let|var)\s+(\w+)\s*=|(\w+)\s*:)\s*defineCollection\s*\(")
_MAPPING = re.compile(r"collections\s*=\s*\{(?P<body>[^}]*)\}")
_BASE = re.compile(r"base\s*:\s*['\"`](?P<base>[^'\"`]+)['\"`]")
_ENTRY = re.compile(
    r"^\s*(?:['\"](?P<q>[^'\"]+)['\"]|(?P<k>[A-Za-z_$][\w$]*))\s*:\s*(?P<e>.+)$", re.S
)
_OPTIONAL = re.compile(r"\.(?:optional|default|nullish|catch)\(")


@dataclass(frozen=True)
class SchemaKey:
    key: str
    kind: str  # string|datetime_string|date|coerce_date|number|boolean|array|enum|image|
    # reference|object|unknown
    required: bool
    options: tuple[str, ...] = ()


def read_content_config(text: str) -> tuple[str, str | None, list[SchemaKey]] | None:
    """The blog collection's name, its folder (when stated) and its schema keys."""
    code = _strip_comments(text)
    collections = _collections(code)
    if not collections:
        return None
    names = _exported_names(code)
    chosen = next(
        (c for c in collections if names.get(c[0], c[0]) in _FAVOURED),
        collections[0],
    )
    variable, body = chosen
    name = names.get(variable, variable)
    base = _BASE.search(body)
    if base:
        folder: str | None = base["base"].removeprefix("./").strip("/")
    else:
        # Astro 4 ("type: 'content'"): the folder is named after the collection.
        folder = None if "loader" in body else f"src/content/{name}"
    return name, folder, _schema_keys(code, body)


def schema_fields(keys: list[SchemaKey], source: str) -> list[Field]:
    fields = []
    for item in keys:
        role = "authors" if item.kind == "reference" and "author" in item.key.lower() else None
        role = role or role_of(item.key, "2000-01-01" if "date" in item.kind else None)
        shape, quoted = {
            "date": ("date", False),  # z.date() wants a YAML date, not a string
            "datetime_string": ("date", True),
            "coerce_date": ("date", None),
            "number": ("number", None),
            "boolean": ("bool", None),
            "array": ("list", None),
            "object": ("map", None),
        }.get(item.kind, ("string", None))
        if role in {"tags", "categories"} and item.kind == "string":
            shape = "csv"  # z.string(): several terms in one string
        if role in {"date", "updated"} and item.kind == "string":
            shape, quoted = "date", True  # z.string(): a date written as a YAML date fails
        fields.append(
            Field(
                key=item.key,
                role=role,
                shape=shape,
                required=item.required,
                quoted=quoted,
                options=item.options,
                source=source,
            )
        )
    return fields


def _collections(code: str) -> list[tuple[str, str]]:
    found = []
    for match in _COLLECTION.finditer(code):
        body = _balanced(code, match.end() - 1)
        if body is not None:
            found.append((match[1] or match[2], body))
    return found


def _exported_names(code: str) -> dict[str, str]:
    """`export const collections = { blog: posts }`: variable -> collection name."""
    match = _MAPPING.search(code)
    names: dict[str, str] = {}
    for entry in match["body"].split(",") if match else []:
        key, _, value = entry.partition(":")
        key, value = key.strip().strip("'\""), value.strip()
        if key:
            names[value or key] = key
    return names


def _schema_keys(code: str, body: str) -> list[SchemaKey]:
    schema = re.search(r"schema\s*:\s*(?P<rest>.)", body, re.S)
    if not schema:
        return []
    start = body.find("z.object(", schema.start())
    source = body
    ident = re.match(r"([A-Za-z_$][\w$]*)\s*[,}\n]", body[schema.start("rest") :])
    if ident and ident[1] not in {"z"}:  # `schema: postSchema` defined elsewhere
        definition = re.search(rf"(?:const|let|var)\s+{re.escape(ident[1])}\s*=", code)
        if definition:
            source, start = code, code.find("z.object(", definition.end())
    if start < 0:
        return []
    inner = _balanced(source, start + len("z.object"))
    if inner is None:
        return []
    inner = inner.strip()
    if inner.startswith("{") and inner.endswith("}"):
        inner = inner[1:-1]
    return [key for entry in _split_top(inner) if (key := _schema_key(entry))]


def _schema_key(entry: str) -> SchemaKey | None:
    match = _ENTRY.match(entry)
    if not match:
        return None
    key = match["q"] or match["k"]
    expression = match["e"].strip()
    flat = _flatten(expression)
    return SchemaKey(
        key=key,
        kind=_kind(flat, expression),
        required=not _OPTIONAL.search(flat),
        options=_enum_options(expression) if "enum(" in flat else (),
    )


def _enum_options(expression: str) -> tuple[str, ...]:
    inner = re.search(r"enum\(\s*\[([^\]]*)\]", expression)
    return tuple(re.findall(r"['\"]([^'\"]+)['\"]", inner[1])) if inner else ()


def _kind(flat: str, expression: str) -> str:
    if flat.startswith("z.array(") or ".array()" in flat:
        return "array"
    for marker, kind in (
        ("z.coerce.date(", "coerce_date"),
        ("z.date(", "date"),
        ("z.string().datetime(", "datetime_string"),
        ("z.string(", "string"),
        ("z.number(", "number"),
        ("z.coerce.number(", "number"),
        ("z.boolean(", "boolean"),
        ("z.enum(", "enum"),
        ("image(", "image"),
        ("reference(", "reference"),
        ("z.object(", "object"),
    ):
        if flat.startswith(marker):
            return kind
    if ("union(" in flat or ".or(" in flat) and "date(" in expression:
        return "coerce_date"
    return "unknown"


def _flatten(expression: str) -> str:
    """The expression with every call's arguments removed: `z.array().optional()`."""
    out, depth = [], 0
    for char in expression:
        if char == "(":
            depth += 1
            if depth == 1:
                out.append("(")
        elif char == ")":
            depth -= 1
            if depth == 0:
                out.append(")")
        elif depth == 0:
            out.append(char)
    return re.sub(r"\s+", "", "".join(out))


def _balanced(text: str, open_at: int) -> str | None:
    """The text inside the bracket at `open_at` and its match, skipping strings."""
    pairs = {"(": ")", "{": "}", "[": "]"}
    closer = pairs.get(text[open_at]) if open_at < len(text) else None
    if closer is None:
        return None
    depth, i, quote = 0, open_at, ""
    while i < len(text):
        char = text[i]
        if quote:
            if char == "\\":
                i += 1
            elif char == quote:
                quote = ""
        elif char in "'\"`":
            quote = char
        elif char in pairs:
            depth += 1
        elif char in pairs.values():
            depth -= 1
            if depth == 0:
                return text[open_at + 1 : i]
        i += 1
    return None


def _split_top(text: str) -> list[str]:
    """Split at commas outside brackets and strings."""
    parts: list[str] = []
    current: list[str] = []
    depth, quote = 0, ""
    for char in text:
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"`":
            quote = char
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append("".join(current))
            current = []
            continue
        current.append(char)
    parts.append("".join(current))
    return [part for part in parts if part.strip()]


def _strip_comments(text: str) -> str:
    """Remove // and /* */ comments, leaving strings (URLs with //) alone."""
    pattern = re.compile(
        r"""('(?:\\.|[^'\\])*'|"(?:\\.|[^"\\])*"|`(?:\\.|[^`\\])*`)|//[^\n]*|/\*.*?\*/""", re.S
    )
    return pattern.sub(lambda m: m[1] or "", text)
