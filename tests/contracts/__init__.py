"""The committed contract digest the fakes validate against.

Each official API description the fakes use (see README, "Contract digest") has a digest here,
`<official name without .json>.digest.json`: only the operations, methods, schemas and types the
fakes use, with no prose. `python -m tests.contracts.make_digest SPEC_DIR` rewrites them from a
folder of the official files; tests/integration/test_contract_digest.py checks that they still
match.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, cast

DIGEST_DIR = Path(__file__).resolve().parent

GITHUB = "github-rest-subset.json"
WORKERS_AI_SUBSET = "workers-ai-openapi-subset.json"
WORKERS_AI_SUPPLEMENT = "workers-ai-openapi-supplement.json"
TELEGRAM = "telegram-bot-api.json"
SOURCES = (GITHUB, WORKERS_AI_SUBSET, WORKERS_AI_SUPPLEMENT, TELEGRAM)


def digest_path(source: str) -> Path:
    """The committed digest of the official file named `source`."""
    return DIGEST_DIR / (source.removesuffix(".json") + ".digest.json")


def load_digest(source: str) -> dict[str, Any]:
    """The parsed digest of the official file named `source` (not cached)."""
    with digest_path(source).open(encoding="utf-8") as fh:
        return cast(dict[str, Any], json.load(fh))
