"""Derive the committed contract digest from the official API descriptions.

    python -m tests.contracts.make_digest SPEC_DIR          # rewrite tests/contracts/*.digest.json
    python -m tests.contracts.make_digest --check SPEC_DIR  # exit 1 if they are out of date

SPEC_DIR holds the official files (github-rest-subset.json, telegram-bot-api.json,
workers-ai-openapi-subset.json, workers-ai-openapi-supplement.json; see README, "Contract
digest"); it defaults to $BLOGBOT_SPEC_DIR. The digest keeps only what the fakes use:

* OpenAPI files: the operations listed below (the ones the fakes serve), with their path-level
  parameters, and every component they reach through `$ref` (discriminator mappings included),
  plus the components tests/fakes/contracts.py names itself. Every validation keyword is kept
  as published (types, required, enum, format, nullable, readOnly/writeOnly, oneOf/anyOf/allOf,
  discriminator, title, default...); prose and samples are dropped (`description`, `summary`,
  `example(s)`, `externalDocs`, `tags`, `x-*` extensions). A response object's `description`,
  which OpenAPI requires, is kept as "" so the digest stays a valid OpenAPI document.
* Telegram: the methods FakeTelegram implements (fields with types and required flags, return
  types), every type they reach (fields, subtypes and, for a subtype of a union, the field and
  value that select it, read from the field's description as FakeTelegram always did), and the
  names of all other methods (so the fake still tells "not implemented" from "no such method").

The output is deterministic (sorted keys, one-space indent, containers that fit in 100 columns
on one line, UTF-8, trailing newline), so
tests/integration/test_contract_digest.py can compare it byte for byte.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from tests.contracts import (
    GITHUB,
    SOURCES,
    TELEGRAM,
    WORKERS_AI_SUBSET,
    WORKERS_AI_SUPPLEMENT,
    digest_path,
)

# -- what the fakes use ---------------------------------------------------------------------------
# The operations tests/fakes/github.py serves (its _ROUTES), by operationId.
GITHUB_OPERATIONS = (
    "users/get-authenticated",
    "rate-limit/get",
    "repos/get",
    "repos/get-branch",
    "git/get-ref",
    "git/create-ref",
    "git/update-ref",
    "git/delete-ref",
    "repos/get-content",
    "repos/create-or-update-file-contents",
    "repos/delete-file",
    "git/create-blob",
    "git/create-tree",
    "git/get-tree",
    "git/create-commit",
    "git/get-commit",
    "pulls/list",
    "pulls/create",
    "pulls/get",
    "pulls/update",
    "issues/add-labels",
    "issues/list-comments",
    "issues/create-comment",
    "pulls/list-review-comments",
    "pulls/list-reviews",
    "pulls/request-reviewers",
    "pulls/merge",
)
# tests/fakes/workers_ai.py: models newer than the 2024 subset go to its generic run operation;
# Gemma 4, Whisper large v3 turbo and the OpenAI-compatible endpoint are in the supplement.
WORKERS_AI_SUBSET_OPERATIONS = ("workers-ai-post-run-model",)
WORKERS_AI_SUPPLEMENT_OPERATIONS = (
    "workers-ai-post-run-cf-google-gemma-4-26b-a4b-it",
    "workers-ai-post-run-cf-openai-whisper-large-v3-turbo",
    "workers-ai-openai-chat-completions",
)
# Components tests/fakes/contracts.py uses by name (workarounds 2, 3 and 5).
EXTRA_COMPONENTS: dict[str, tuple[str, ...]] = {
    GITHUB: ("#/components/schemas/basic-error",),
    WORKERS_AI_SUBSET: (),
    WORKERS_AI_SUPPLEMENT: (
        "#/components/schemas/api-response-common-failure",
        "#/components/schemas/messages",
    ),
}
OPERATIONS: dict[str, tuple[str, ...]] = {
    GITHUB: GITHUB_OPERATIONS,
    WORKERS_AI_SUBSET: WORKERS_AI_SUBSET_OPERATIONS,
    WORKERS_AI_SUPPLEMENT: WORKERS_AI_SUPPLEMENT_OPERATIONS,
}
# The methods tests/fakes/telegram.py implements (its `_api_<method>`s).
TELEGRAM_METHODS = (
    "getMe",
    "logOut",
    "close",
    "getUpdates",
    "setWebhook",
    "deleteWebhook",
    "getWebhookInfo",
    "setMyCommands",
    "getMyCommands",
    "deleteMyCommands",
    "getChat",
    "sendMessage",
    "sendMessageDraft",
    "sendDocument",
    "getFile",
    "editMessageText",
    "editMessageReplyMarkup",
    "deleteMessage",
    "sendChatAction",
    "answerCallbackQuery",
)
# Types FakeTelegram checks by name (reply markups, inline buttons, the updates it hands out).
TELEGRAM_EXTRA_TYPES = (
    "Update",
    "InlineKeyboardMarkup",
    "InlineKeyboardButton",
    "ReplyKeyboardMarkup",
    "ReplyKeyboardRemove",
    "ForceReply",
)

# -- OpenAPI --------------------------------------------------------------------------------------
_METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
# Prose and samples: never used by a validator.
_DROP = frozenset({"description", "summary", "example", "examples", "externalDocs", "tags"})
# Values kept exactly as published (they are data, not OpenAPI objects).
_VERBATIM = frozenset({"enum", "default", "const"})
# Keys whose value maps names (properties, media types, statuses...) to OpenAPI objects: the
# names are kept whatever they are (a property may well be called "description").
_NAME_MAPS = frozenset(
    {
        "properties",
        "patternProperties",
        "paths",
        "responses",
        "content",
        "headers",
        "schemas",
        "parameters",
        "requestBodies",
        "securitySchemes",
        "encoding",
        "mapping",
        "variables",
        "links",
        "callbacks",
        "scopes",
    }
)


def _clean(node: Any) -> Any:
    """An OpenAPI object (or list of them) without prose, samples and extensions."""
    if isinstance(node, list):
        return [_clean(item) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in _DROP or key.startswith("x-"):
            continue
        if key in _VERBATIM:
            out[key] = value
        elif key in _NAME_MAPS and isinstance(value, dict):
            out[key] = {name: _clean_named(key, item) for name, item in value.items()}
        else:
            out[key] = _clean(value)
    return out


def _clean_named(map_key: str, item: Any) -> Any:
    cleaned = _clean(item)
    if map_key == "responses" and isinstance(item, dict) and "description" in item:
        cleaned["description"] = ""  # required by OpenAPI; its text is prose
    return cleaned


def _refs(node: Any) -> Iterator[str]:
    """Every local reference in `node`: `$ref`s and discriminator mapping targets."""
    if isinstance(node, list):
        for item in node:
            yield from _refs(item)
    elif isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            elif key == "mapping" and isinstance(value, dict):
                yield from (v for v in value.values() if isinstance(v, str) and v.startswith("#/"))
            else:
                yield from _refs(value)


def _security_refs(requirements: Iterable[dict[str, Any]]) -> Iterator[str]:
    for requirement in requirements:
        for name in requirement:
            yield f"#/components/securitySchemes/{name}"


def openapi_digest(
    spec: dict[str, Any], operation_ids: Iterable[str], extra: Iterable[str]
) -> dict[str, Any]:
    """The digest of one OpenAPI document: the given operations and all they reference."""
    wanted = set(operation_ids)
    paths: dict[str, Any] = {}
    for template, item in spec["paths"].items():
        methods = {
            m: op for m, op in item.items() if m in _METHODS and op.get("operationId") in wanted
        }
        if not methods:
            continue
        kept = {k: v for k, v in item.items() if k not in _METHODS}
        paths[template] = _clean({**kept, **methods})
        wanted -= {op["operationId"] for op in methods.values()}
    if wanted:
        raise KeyError(f"operations not in {spec['info']['title']!r}: {sorted(wanted)}")

    out: dict[str, Any] = {
        "openapi": spec["openapi"],
        "info": {"title": spec["info"]["title"], "version": spec["info"]["version"]},
        "paths": paths,
    }
    for key in ("servers", "security"):
        if key in spec:
            out[key] = _clean(spec[key])
    security = list(spec.get("security", []))
    for item in paths.values():
        for method in _METHODS:
            security += item.get(method, {}).get("security", [])

    components: dict[str, dict[str, Any]] = {}
    pending = [*_refs(paths), *extra, *_security_refs(security)]
    seen: set[str] = set()
    while pending:
        ref = pending.pop()
        if ref in seen:
            continue
        seen.add(ref)
        parts = ref.split("/")
        if len(parts) != 4 or parts[:2] != ["#", "components"]:
            raise ValueError(f"unsupported reference {ref!r}")
        kind, name = parts[2], parts[3]
        cleaned = _clean_named(kind, spec["components"][kind][name])
        components.setdefault(kind, {})[name] = cleaned
        pending.extend(_refs(cleaned))
    if components:
        out["components"] = components
    return out


# -- Telegram -------------------------------------------------------------------------------------
# How FakeTelegram has always told the subtypes of a union apart: the description of their
# `type`/`status`/`source` field says "always “x”" or "must be x".
_DISCRIMINATOR_RE = re.compile(r"(?:must be|always)\s+[\"“]?([A-Za-z_]+)")
_ARRAY = "Array of "


def _tg_fields(raw: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {"name": f["name"], "types": list(f.get("types", [])), "required": bool(f.get("required"))}
        for f in raw.get("fields", [])
    ]


def _tg_discriminator(raw: dict[str, Any]) -> list[str] | None:
    if not raw.get("subtype_of"):
        return None
    for key in ("type", "status", "source"):
        field = next((f for f in raw.get("fields", []) if f["name"] == key), None)
        if field is None:
            continue
        match = _DISCRIMINATOR_RE.search(field.get("description", ""))
        if match:
            return [key, match.group(1)]
    return None


def telegram_digest(raw: dict[str, Any]) -> dict[str, Any]:
    """The Bot API methods FakeTelegram implements and every type they reach."""
    methods: dict[str, Any] = {}
    pending: list[str] = list(TELEGRAM_EXTRA_TYPES)
    for name in TELEGRAM_METHODS:
        method = raw["methods"][name]
        fields = _tg_fields(method)
        methods[name] = {"fields": fields, "returns": list(method.get("returns", []))}
        pending += method.get("returns", [])
        pending += [t for f in fields for t in f["types"]]
    types: dict[str, Any] = {}
    while pending:
        name = pending.pop()
        while name.startswith(_ARRAY):
            name = name.removeprefix(_ARRAY)
        if name in types or name not in raw["types"]:
            continue  # primitives (Integer, String...) are not types
        typ = raw["types"][name]
        entry: dict[str, Any] = {}
        fields = _tg_fields(typ)
        if fields:
            entry["fields"] = fields
        if typ.get("subtypes"):
            entry["subtypes"] = list(typ["subtypes"])
        discriminator = _tg_discriminator(typ)
        if discriminator:
            entry["discriminator"] = discriminator
        types[name] = entry
        pending += entry.get("subtypes", [])
        pending += [t for f in fields for t in f["types"]]
    return {
        "version": raw["version"],
        "release_date": raw["release_date"],
        "methods": methods,
        "unserved_methods": sorted(set(raw["methods"]) - set(TELEGRAM_METHODS)),
        "types": types,
    }


# -- files ----------------------------------------------------------------------------------------
_WIDTH = 100


def _format(value: Any, indent: int) -> str:
    """Sorted-key JSON; a container that fits in _WIDTH columns stays on one line."""
    flat = json.dumps(value, sort_keys=True, ensure_ascii=False)
    if not isinstance(value, dict | list) or not value or indent + len(flat) <= _WIDTH:
        return flat
    pad = " " * (indent + 1)
    if isinstance(value, dict):
        lines = [
            f"{pad}{json.dumps(key, ensure_ascii=False)}: {_format(item, indent + 1)}"
            for key, item in sorted(value.items())
        ]
        return "{\n" + ",\n".join(lines) + "\n" + " " * indent + "}"
    lines = [pad + _format(item, indent + 1) for item in value]
    return "[\n" + ",\n".join(lines) + "\n" + " " * indent + "]"


def dumps(digest: dict[str, Any]) -> str:
    """The digest's file text: deterministic, one-space indent, trailing newline."""
    return _format(digest, 0) + "\n"


def build(spec_dir: Path) -> dict[str, str]:
    """Official file name -> the text of its digest, derived from the files in `spec_dir`."""
    out: dict[str, str] = {}
    for source in SOURCES:
        with (spec_dir / source).open(encoding="utf-8") as fh:
            raw = json.load(fh)
        if source == TELEGRAM:
            digest = telegram_digest(raw)
        else:
            digest = openapi_digest(raw, OPERATIONS[source], EXTRA_COMPONENTS[source])
        out[source] = dumps(digest)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.contracts.make_digest",
        description="Rewrite (or --check) tests/contracts/*.digest.json from the official API "
        "descriptions in SPEC_DIR.",
    )
    parser.add_argument(
        "spec_dir",
        nargs="?",
        type=Path,
        default=os.environ.get("BLOGBOT_SPEC_DIR") or None,
        help="folder of the official files (default: $BLOGBOT_SPEC_DIR)",
    )
    parser.add_argument("--check", action="store_true", help="only compare; exit 1 on drift")
    args = parser.parse_args(argv)
    if args.spec_dir is None:
        parser.error("give SPEC_DIR (or set BLOGBOT_SPEC_DIR)")
    spec_dir = Path(args.spec_dir)
    missing = [s for s in SOURCES if not (spec_dir / s).is_file()]
    if missing:
        parser.error(f"{spec_dir} lacks {', '.join(missing)}")
    stale = []
    for source, text in build(spec_dir).items():
        target = digest_path(source)
        current = target.read_text(encoding="utf-8") if target.is_file() else None
        official = (spec_dir / source).stat().st_size
        size = len(text.encode())
        if current == text:
            state = "up to date"
        elif args.check:
            state = "OUT OF DATE"
            stale.append(target.name)
        else:
            target.write_text(text, encoding="utf-8", newline="\n")
            state = "written"
        print(f"{target.name}: {size:,} bytes (official {official:,}), {state}")
    if stale:
        print(f"run `python -m tests.contracts.make_digest {spec_dir}` to update {stale}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
