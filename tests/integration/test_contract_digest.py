"""The committed contract digest (tests/contracts/) against the official descriptions and the fakes.

The drift test needs the official API descriptions: the folder named by BLOGBOT_SPEC_DIR, else
`../shared/specs` beside this repository. Without them it is skipped (a fresh clone has none);
when BLOGBOT_SPEC_DIR is set, they must be there. The other tests need nothing but the repository:
the digests are valid OpenAPI, and they hold exactly what the fakes serve.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from openapi_spec_validator import validate

from tests.contracts import (
    GITHUB,
    SOURCES,
    TELEGRAM,
    WORKERS_AI_SUBSET,
    WORKERS_AI_SUPPLEMENT,
    digest_path,
    load_digest,
)
from tests.contracts.make_digest import build
from tests.fakes import contracts
from tests.fakes.github import _ROUTES, _find_route
from tests.fakes.telegram import _PRIMITIVES, FakeTelegram
from tests.fakes.workers_ai import KNOWN_MODELS

REPO = Path(__file__).resolve().parents[2]
SPEC_DIR_VAR = "BLOGBOT_SPEC_DIR"
REFRESH = "python -m tests.contracts.make_digest"


def official_spec_dir() -> Path:
    """Where the official descriptions are looked for: $BLOGBOT_SPEC_DIR, else ../shared/specs."""
    configured = os.environ.get(SPEC_DIR_VAR)
    return Path(configured) if configured else REPO.parent / "shared" / "specs"


def test_digest_matches_the_official_descriptions() -> None:
    spec_dir = official_spec_dir()
    missing = [name for name in SOURCES if not (spec_dir / name).is_file()]
    if missing:
        message = (
            f"official API descriptions not found in {spec_dir} (missing: {', '.join(missing)}); "
            f"set {SPEC_DIR_VAR} to the folder that holds them "
            f"(or put them in ../shared/specs beside the repository) to check the digest"
        )
        if os.environ.get(SPEC_DIR_VAR):
            pytest.fail(message)  # asked for explicitly: a wrong folder is an error
        pytest.skip(message)
    stale = [
        digest_path(source).name
        for source, text in build(spec_dir).items()
        if not digest_path(source).is_file()
        or digest_path(source).read_text(encoding="utf-8") != text
    ]
    assert not stale, f"{', '.join(stale)} differ from {spec_dir}: run `{REFRESH} {spec_dir}`"


@pytest.mark.parametrize("source", [GITHUB, WORKERS_AI_SUBSET, WORKERS_AI_SUPPLEMENT])
def test_openapi_digests_are_valid_openapi(source: str) -> None:
    validate(load_digest(source))  # the fakes load them with spec_validator_cls=None


def _sample_path(template: str) -> str:
    samples = {"owner": "acme", "repo": "blog", "ref": "heads/main", "path": "content/a.md"}

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name.endswith("_number"):
            return "1"
        if name.endswith("sha"):
            return "a" * 40
        return samples.get(name, "main")

    return re.sub(r"\{([^}]+)\}", value, template)


def test_github_digest_holds_exactly_the_operations_the_fake_serves() -> None:
    served: dict[str, str] = {}
    for template, item in load_digest(GITHUB)["paths"].items():
        for method, operation in item.items():
            if method == "parameters":
                continue
            path = _sample_path(template)
            route, _ = _find_route(method.upper(), path)
            assert route is not None, f"FakeGitHub does not serve {method.upper()} {template}"
            served[route.handler] = operation["operationId"]
            match = contracts.github_contract().match(method, path)
            assert match is not None and match.route.template == template
    unlisted = sorted({r.handler for r in _ROUTES} - set(served))
    assert not unlisted, (
        f"FakeGitHub routes {unlisted} have no operation in the digest: add their operationIds "
        f"to GITHUB_OPERATIONS in tests/contracts/make_digest.py and run `{REFRESH} SPEC_DIR`"
    )


def test_workers_ai_digest_routes_every_model_the_fake_knows() -> None:
    for model, info in KNOWN_MODELS.items():
        path = f"/client/v4/accounts/acc123/ai/run/{model}"
        kind, _, match = contracts._workers_ai_route("POST", path)
        assert kind in ("core", "generic") and match is not None, model
        if kind == "generic":
            assert contracts._generic_branch("request", info.task)
            assert contracts._generic_branch("result", info.task)
    path = "/client/v4/accounts/acc123/ai/v1/chat/completions"
    assert contracts._workers_ai_route("POST", path)[0] == "core"


def test_telegram_digest_holds_the_fakes_methods_and_every_type_they_reach() -> None:
    digest = load_digest(TELEGRAM)
    implemented = {n.removeprefix("_api_") for n in dir(FakeTelegram) if n.startswith("_api_")}
    assert implemented == set(digest["methods"]), (
        f"add/remove them in TELEGRAM_METHODS of tests/contracts/make_digest.py and run "
        f"`{REFRESH} SPEC_DIR`"
    )
    assert not implemented & set(digest["unserved_methods"])
    named: set[str] = set()
    for method in digest["methods"].values():
        named.update(method["returns"], *(f["types"] for f in method["fields"]))
    for typ in digest["types"].values():
        named.update(typ.get("subtypes", []), *(f["types"] for f in typ.get("fields", [])))
    bare = {re.sub(r"^(Array of )+", "", name) for name in named}
    unresolved = bare - set(digest["types"]) - set(_PRIMITIVES)
    assert not unresolved, f"types the digest names but does not define: {sorted(unresolved)}"
