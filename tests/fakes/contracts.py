"""OpenAPI contract checks for the GitHub and Workers AI fakes.

Every check returns a list of human-readable violations (empty means "valid"); the fakes append
them to their `errors` list. The specs are the committed contract digest in tests/contracts/
(the operations the fakes serve and every component they reach, cut from the official API
descriptions by `python -m tests.contracts.make_digest`; see README, "Contract digest"); each
is read and compiled once per process and cached.

How validation works
--------------------
Two engines give the same verdicts (tests/integration/test_fake_github.py and
test_fake_workers_ai.py run real traffic and broken samples through both):

* "compiled" (the default): the fake's own lookup of operation -> response (exact status, then
  `4XX`, then `default`) -> media type -> schema, then openapi-schema-validator's
  `OAS30ReadValidator` (responses) / `OAS30WriteValidator` (requests) -- the validator classes
  openapi-core itself uses -- compiled once per schema and cached. Parameters are cast from
  strings to their schema's type (integer, number, boolean, arrays of those) as openapi-core
  does; declared response headers are checked the same way. About 3x cheaper than openapi-core,
  which rebuilds its validators and re-resolves `$ref`s on every call (GitHub: ~2 ms instead
  of ~6.5 ms per request+response pair).
* "openapi-core": `OpenAPI.iter_request_errors` / `iter_response_errors`, the reference. Select
  it with BLOGBOT_CONTRACT_ENGINE=openapi-core (or `engine=` on each function, or by setting
  `contracts.ENGINE`).

Either way the fakes resolve the operation themselves: some path parameters legitimately span
a `/` (GitHub's `{path}`, `{ref}` and `{branch}`; a Workers AI model name), which openapi-core's
own path templating never allows, so it gets the template as `path_pattern`. Security schemes
are not checked (the fakes answer bad credentials themselves). The specs are not re-validated
on load (`spec_validator_cls=None`): tests/integration/test_contract_digest.py checks once that
the digest passes openapi-spec-validator, and that check costs ~0.4 s per load.

Workarounds for known spec problems (see PROVENANCE.md of the official descriptions)
-------------------------------------------------------------------------------------
1. GitHub discriminators and ambiguous oneOfs. `GET .../contents/{path}` answers a directory
   listing as an *array*, under a `oneOf` whose `discriminator` expects an object, so
   openapi-core rejects every real directory listing. And the `409` of `PUT .../contents/{path}`
   is `oneOf [repository-rule-violation-error, basic-error]`, two schemas whose members are all
   optional, so every error body matches both and fails `oneOf`. When a body fails a
   media-type schema that has a top-level `discriminator` or `oneOf`, it is re-checked with
   openapi-schema-validator against the same schema with the discriminator dropped and that
   top-level `oneOf` read as `anyOf` (nested schemas keep full strictness).
   The fake's `GET /user` sends `user_view_type`, so that discriminator works as published.
2. GitHub error statuses the subset does not list per operation (401 "Bad credentials", 403 for
   a read-only token or a secondary rate limit, 5xx): GitHub sends them from every endpoint.
   Such bodies are checked against `basic-error` instead of being reported as undeclared.
3. Workers AI failure bodies (any status >= 400) are checked against the supplement's
   `api-response-common-failure` (integer codes, `result: null`) and never against the 2024
   per-model `400` schema, which types `code` as a string and `result` as an object. A 5xx
   whose body is not JSON (Cloudflare's HTML edge page) is accepted: the supplement's 5XX
   description allows it.
4. Workers AI generic op `POST /ai/run/{model_name}` (used for models newer than the 2024
   subset, e.g. `@cf/meta/llama-3.3-70b-instruct-fp8-fast`): its request and result `oneOf`s are
   ambiguous (a chat request also matches "Object Detection"; `{"response": ...}` also matches
   "Translation", "Summarization", ...), so plain `oneOf` validation rejects every valid call.
   Requests are checked against the branch titled after the model's task ("Text Generation") and
   responses against a success envelope (`messages` from the supplement) whose `result` is that
   task's branch of the generic 200 schema, both with openapi-schema-validator.
5. `GET /accounts/{id}/ai/models/search` has no schema in either file; the fake's answer is
   checked against the v4 success envelope only (`result` an array of objects with `id` and
   `name`), assembled from the supplement's `messages`.
6. Streaming answers (`text/event-stream`) are not body-checked: the supplement declares them a
   plain string.
"""

from __future__ import annotations

import copy
import fnmatch
import functools
import json
import os
import re
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, cast
from urllib.parse import unquote

from jsonschema.exceptions import (  # type: ignore[import-untyped]  # no stubs installed
    ValidationError as JsonSchemaError,
)
from jsonschema.exceptions import best_match
from openapi_core import Config, OpenAPI
from openapi_core.datatypes import RequestParameters
from openapi_core.validation.request.validators import V30RequestBodyValidator
from openapi_schema_validator import OAS30ReadValidator, OAS30WriteValidator
from werkzeug.datastructures import Headers, ImmutableMultiDict

from tests.contracts import GITHUB as GITHUB_SPEC
from tests.contracts import WORKERS_AI_SUBSET, WORKERS_AI_SUPPLEMENT, load_digest

GITHUB_HOST = "https://api.github.com"
CLOUDFLARE_HOST = "https://api.cloudflare.com"
CLOUDFLARE_PREFIX = "/client/v4"

_METHODS = ("get", "put", "post", "delete", "patch")
# "compiled" (default) or "openapi-core" (the reference); see the module docstring.
ENGINE = os.environ.get("BLOGBOT_CONTRACT_ENGINE", "compiled")
_MAX_MESSAGE = 400


# -- loading -------------------------------------------------------------------------------------
@functools.cache
def load_spec(name: str) -> dict[str, Any]:
    """The committed digest of the official spec file `name` (cached; do not mutate it)."""
    return load_digest(name)


# -- openapi-core request/response adapters ------------------------------------------------------
@dataclass
class _Request:
    """Implements openapi-core's `Request` and `SupportsPathPattern` protocols."""

    host_url: str
    path: str
    path_pattern: str
    method: str
    body: bytes | None
    content_type: str
    parameters: RequestParameters = field(default_factory=RequestParameters)


@dataclass
class _Response:
    """Implements openapi-core's `Response` protocol."""

    status_code: int
    data: bytes | None
    headers: Headers
    content_type: str


def _content_type(headers: Mapping[str, str], default: str = "application/json") -> str:
    for key, value in headers.items():
        if key.lower() == "content-type":
            return value.lower()
    return default


def _short(text: str) -> str:
    return text if len(text) <= _MAX_MESSAGE else text[: _MAX_MESSAGE - 3] + "..."


def _where(error: JsonSchemaError) -> str:
    out = "$"
    for part in error.absolute_path:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def _closest_branch(error: JsonSchemaError) -> list[JsonSchemaError]:
    """For a failed oneOf/anyOf: the errors of the branch that came closest.

    Closest = fewest errors, then the deepest error (a branch that failed deep inside the
    instance matched more of it than one that failed at the top).
    """
    by_branch: dict[Any, list[JsonSchemaError]] = {}
    for sub in error.context or ():
        branch = sub.relative_schema_path[0] if sub.relative_schema_path else None
        by_branch.setdefault(branch, []).append(sub)
    if not by_branch:
        return []
    return min(
        by_branch.values(),
        key=lambda errs: (len(errs), -max(len(e.absolute_path) for e in errs)),
    )


def _describe_schema_errors(errors: Iterable[Exception]) -> list[str]:
    out: list[str] = []
    for error in errors:
        if isinstance(error, JsonSchemaError):
            detail = error.message
            if error.validator in ("oneOf", "anyOf") and error.context:
                closest = _closest_branch(error) or [best_match(error.context)]
                hints = "; ".join(f"{_where(e)}: {e.message}" for e in closest[:3])
                detail = f"matches no {error.validator} branch (closest: {hints})"
            out.append(_short(f"{_where(error)}: {detail}"))
        else:
            out.append(_short(str(error)))
    return out


def _describe_openapi_error(error: Exception) -> list[str]:
    """Flatten an openapi-core error (its cause carries the jsonschema errors)."""
    cause = error.__cause__
    schema_errors = getattr(cause, "schema_errors", None) if cause is not None else None
    if schema_errors:
        inner = _describe_schema_errors(schema_errors)
        return [f"{type(error).__name__}: {line}" for line in inner]
    text = str(error)
    if cause is not None and str(cause) not in text:
        text += f" ({cause})"
    return [_short(f"{type(error).__name__}: {text}")]


def _decode(body: bytes, content_type: str) -> tuple[Any, list[str]]:
    """A body as the validator sees it: parsed JSON for JSON media types, else text."""
    mimetype = content_type.split(";")[0].strip().lower()
    if mimetype == "application/json" or mimetype.endswith("+json"):
        try:
            return json.loads(body), []
        except ValueError as exc:
            return None, [f"body is not JSON: {exc}"]
    return body.decode("utf-8", "replace"), []


def _cast(raw: Any, schema: Mapping[str, Any]) -> tuple[Any, str | None]:
    """Cast a parameter/header string to its schema's primitive type -> (value, problem)."""
    kind = schema.get("type")
    if isinstance(raw, list):
        items = schema.get("items", {})
        cast_items = [_cast(item, items) for item in raw]
        problems = [p for _, p in cast_items if p]
        return [v for v, _ in cast_items], (problems[0] if problems else None)
    try:
        if kind == "integer":
            return int(raw), None
        if kind == "number":
            return float(raw), None
    except ValueError:
        return raw, f"{raw!r} is not a valid {kind}"
    if kind == "boolean":
        if str(raw).lower() in ("true", "false"):
            return str(raw).lower() == "true", None
        return raw, f"{raw!r} is not a valid boolean"
    return raw, None


# -- route table ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Route:
    method: str
    template: str
    regex: re.Pattern[str]
    operation: Mapping[str, Any]

    @property
    def operation_id(self) -> str:
        return str(self.operation.get("operationId", f"{self.method} {self.template}"))


@dataclass(frozen=True)
class Match:
    route: Route
    params: dict[str, str]


class OpenAPIContract:
    """One OpenAPI document: operation lookup plus cached openapi-core / jsonschema validators."""

    def __init__(
        self,
        spec: dict[str, Any],
        host_url: str,
        *,
        path_prefix: str = "",
        greedy: Iterable[str] = (),
    ):
        self.spec = spec
        self.host_url = host_url
        self.path_prefix = path_prefix
        self._app = OpenAPI.from_dict(spec, config=Config(spec_validator_cls=None))
        self._body_app = OpenAPI.from_dict(
            spec,
            config=Config(spec_validator_cls=None, request_validator_cls=V30RequestBodyValidator),
        )
        self._lock = threading.Lock()
        self._validators: dict[tuple[int, bool], tuple[Any, Any]] = {}
        self._relaxed_cache: dict[int, tuple[Any, dict[str, Any]]] = {}
        greedy_set = set(greedy)
        routes: list[Route] = []
        for template, item in spec.get("paths", {}).items():
            regex = self._compile(template, greedy_set)
            for method in _METHODS:
                if method in item:
                    routes.append(Route(method.upper(), template, regex, item[method]))
        # Most literal characters first: a literal model path beats `{model_name}`.
        routes.sort(key=lambda r: -len(re.sub(r"\{[^}]+\}", "", r.template)))
        self.routes = routes

    @staticmethod
    def _compile(template: str, greedy: set[str]) -> re.Pattern[str]:
        pattern = ""
        for piece in re.split(r"(\{[^}]+\})", template):
            if piece.startswith("{") and piece.endswith("}"):
                name = piece[1:-1]
                body = ".*" if name in greedy else "[^/]+"
                pattern += f"(?P<{re.sub(r'[^A-Za-z0-9_]', '_', name)}>{body})"
            else:
                pattern += re.escape(piece)
        return re.compile(f"^{pattern}$")

    def match(self, method: str, path: str) -> Match | None:
        method = method.upper()
        for route in self.routes:
            if route.method != method:
                continue
            found = route.regex.match(path)
            if found:
                params = {k: unquote(v) for k, v in found.groupdict().items()}
                return Match(route, params)
        return None

    def operation_by_id(self, operation_id: str) -> Route:
        for route in self.routes:
            if route.operation.get("operationId") == operation_id:
                return route
        raise KeyError(operation_id)

    # -- plain JSON-schema checks (openapi-schema-validator) ----------------------------------
    def resolve(self, schema: Mapping[str, Any]) -> Mapping[str, Any]:
        while "$ref" in schema:
            ref = str(schema["$ref"])
            node: Any = self.spec
            for part in ref.removeprefix("#/").split("/"):
                node = node[part]
            schema = node
        return schema

    def schema_errors(
        self, schema: Mapping[str, Any], instance: Any, *, response: bool = True
    ) -> list[str]:
        """Validate `instance` against an OAS 3.0 schema that may use this document's $refs.

        Compiled validators are cached by the schema object's identity (the cache keeps the
        schema alive, so pass long-lived schema objects: the spec's own, or module constants).
        """
        key = (id(schema), response)
        with self._lock:
            cached = self._validators.get(key)
            if cached is None:
                root = {**schema, "components": self.spec.get("components", {})}
                cls = OAS30ReadValidator if response else OAS30WriteValidator
                cached = (schema, cls(root, format_checker=cls.FORMAT_CHECKER))
                self._validators[key] = cached
            errors = sorted(cached[1].iter_errors(instance), key=lambda e: list(e.path))
        return _describe_schema_errors(errors)

    def _relaxed(self, schema: Mapping[str, Any]) -> Mapping[str, Any] | None:
        """Workaround 1: `schema` without its discriminator, a top-level oneOf read as anyOf."""
        if "discriminator" not in schema and "oneOf" not in schema:
            return None
        with self._lock:
            cached = self._relaxed_cache.get(id(schema))
            if cached is None:
                relaxed = copy.deepcopy(dict(schema))
                relaxed.pop("discriminator", None)
                if "oneOf" in relaxed:
                    relaxed["anyOf"] = relaxed.pop("oneOf")
                cached = (schema, relaxed)
                self._relaxed_cache[id(schema)] = cached
        return cached[1]

    # -- shared lookups ----------------------------------------------------------------------
    def declared_response(self, match: Match, status: int) -> Mapping[str, Any] | None:
        responses = match.route.operation.get("responses", {})
        for key in (str(status), f"{str(status)[0]}XX", "default"):
            if key in responses:
                return self.resolve(responses[key])
        return None

    def declared_status(self, match: Match, status: int) -> bool:
        return self.declared_response(match, status) is not None

    def _parameters(self, match: Match) -> list[Mapping[str, Any]]:
        item = self.spec["paths"][match.route.template]
        merged: dict[tuple[str, str], Mapping[str, Any]] = {}
        for raw in [*item.get("parameters", []), *match.route.operation.get("parameters", [])]:
            param = self.resolve(raw)
            merged[(str(param["name"]), str(param["in"]))] = param
        return list(merged.values())

    @staticmethod
    def _media(content: Mapping[str, Any], content_type: str) -> Mapping[str, Any] | None:
        mimetype = content_type.split(";")[0].strip().lower()
        if mimetype in content:
            return cast(Mapping[str, Any], content[mimetype])
        for pattern, media in content.items():
            if fnmatch.fnmatch(mimetype, pattern):
                return cast(Mapping[str, Any], media)
        return None

    # -- entry points ------------------------------------------------------------------------
    def response_errors(
        self,
        match: Match,
        path: str,
        status: int,
        headers: Mapping[str, str],
        body: bytes,
        *,
        engine: str | None = None,
    ) -> list[str]:
        if (engine or ENGINE) == "openapi-core":
            return self._core_response_errors(match, path, status, headers, body)
        return self._compiled_response_errors(match, status, headers, body)

    def request_errors(
        self,
        match: Match,
        path: str,
        headers: Mapping[str, str],
        body: bytes | None,
        query: Mapping[str, list[str]] | None = None,
        *,
        body_only: bool = False,
        engine: str | None = None,
    ) -> list[str]:
        if (engine or ENGINE) == "openapi-core":
            return self._core_request_errors(match, path, headers, body, query, body_only)
        return self._compiled_request_errors(match, headers, body, query, body_only)

    # -- compiled engine: cached openapi-schema-validator validators ------------------------
    def _compiled_response_errors(
        self, match: Match, status: int, headers: Mapping[str, str], body: bytes
    ) -> list[str]:
        response = self.declared_response(match, status)
        if response is None:
            return [f"ResponseNotFound: {status} not declared by {match.route.operation_id}"]
        lowered = {k.lower(): v for k, v in headers.items()}
        out: list[str] = []
        for name, raw_header in response.get("headers", {}).items():
            header = self.resolve(raw_header)
            if name.lower() == "content-type":
                continue
            if name.lower() not in lowered:
                if header.get("required"):
                    out.append(f"MissingRequiredHeader: {name}")
                continue
            schema = header.get("schema", {})
            value, problem = _cast(lowered[name.lower()], self.resolve(schema))
            if problem:
                out.append(f"InvalidHeader {name}: {problem}")
                continue
            out.extend(f"InvalidHeader {name}: {e}" for e in self.schema_errors(schema, value))
        content = response.get("content")
        if not content:
            return out
        if not body:
            return [*out, "MissingData: the response has no body"]
        content_type = _content_type(headers)
        media = self._media(content, content_type)
        if media is None:
            declared = ", ".join(content)
            return [*out, f"MediaTypeNotFound: {content_type} (declared: {declared})"]
        if "schema" not in media:
            return out
        instance, problems = _decode(body, content_type)
        if problems:
            return [*out, *problems]
        schema = media["schema"]
        errors = self.schema_errors(schema, instance)
        if errors:
            relaxed = self._relaxed(self.resolve(schema))
            if relaxed is not None:
                errors = self.schema_errors(relaxed, instance)
        return [*out, *(f"InvalidData: {e}" for e in errors)]

    def _compiled_request_errors(
        self,
        match: Match,
        headers: Mapping[str, str],
        body: bytes | None,
        query: Mapping[str, list[str]] | None,
        body_only: bool,
    ) -> list[str]:
        operation = match.route.operation
        out: list[str] = []
        if not body_only:
            lowered = {k.lower(): v for k, v in headers.items()}
            for param in self._parameters(match):
                name, where = str(param["name"]), str(param["in"])
                schema = self.resolve(param.get("schema", {}))
                raw: Any
                if where == "path":
                    raw = match.params.get(name)
                elif where == "query":
                    values = (query or {}).get(name)
                    raw = (
                        (values if schema.get("type") == "array" else values[0]) if values else None
                    )
                elif where == "header":
                    raw = lowered.get(name.lower())
                else:
                    continue
                if raw is None:
                    if param.get("required"):
                        out.append(f"MissingRequiredParameter: {where} parameter {name!r}")
                    continue
                value, problem = _cast(raw, schema)
                if problem:
                    out.append(f"InvalidParameter {where} {name!r}: {problem}")
                    continue
                errors = self.schema_errors(param.get("schema", {}), value, response=False)
                out.extend(f"InvalidParameter {where} {name!r}: {e}" for e in errors)
        request_body = operation.get("requestBody")
        if request_body is None:
            return out
        request_body = self.resolve(request_body)
        if not body:
            if request_body.get("required"):
                out.append("MissingRequiredRequestBody")
            return out
        content_type = _content_type(headers)
        media = self._media(request_body.get("content", {}), content_type)
        if media is None:
            return [*out, f"MediaTypeNotFound: request body sent as {content_type}"]
        if "schema" not in media:
            return out
        instance, problems = _decode(body, content_type)
        if problems:
            return [*out, *problems]
        errors = self.schema_errors(media["schema"], instance, response=False)
        return [*out, *(f"InvalidRequestBody: {e}" for e in errors)]

    # -- openapi-core ------------------------------------------------------------------------
    def _core_request(
        self,
        match: Match,
        path: str,
        headers: Mapping[str, str],
        body: bytes | None,
        query: Mapping[str, list[str]] | None,
    ) -> _Request:
        return _Request(
            host_url=self.host_url,
            path=self.path_prefix + path,
            path_pattern=self.path_prefix + match.route.template,
            method=match.route.method.lower(),
            body=body,
            content_type=_content_type(headers),
            parameters=RequestParameters(
                path=match.params,
                query=ImmutableMultiDict(
                    [(k, v) for k, values in (query or {}).items() for v in values]
                ),
                header=Headers(list(headers.items())),
            ),
        )

    def _core_request_errors(
        self,
        match: Match,
        path: str,
        headers: Mapping[str, str],
        body: bytes | None,
        query: Mapping[str, list[str]] | None,
        body_only: bool,
    ) -> list[str]:
        request = self._core_request(match, path, headers, body, query)
        app = self._body_app if body_only else self._app
        with self._lock:
            found = list(app.iter_request_errors(request))
        out: list[str] = []
        for error in found:
            out.extend(_describe_openapi_error(error))
        return out

    def _core_response_errors(
        self,
        match: Match,
        path: str,
        status: int,
        headers: Mapping[str, str],
        body: bytes,
    ) -> list[str]:
        request = self._core_request(match, path, {}, None, None)
        content_type = _content_type(headers)
        response = _Response(status, body, Headers(list(headers.items())), content_type)
        with self._lock:
            found = list(self._app.iter_response_errors(request, response))
        out: list[str] = []
        for error in found:
            if type(error).__name__ == "InvalidData":
                retry = self._core_relaxed_retry(match, status, content_type, body)
                if retry is not None:
                    out.extend(f"InvalidData: {e}" for e in retry)
                    continue
            out.extend(_describe_openapi_error(error))
        return out

    def _core_relaxed_retry(
        self, match: Match, status: int, content_type: str, body: bytes
    ) -> list[str] | None:
        response = self.declared_response(match, status)
        media = self._media(response.get("content", {}), content_type) if response else None
        if media is None or "schema" not in media:
            return None
        relaxed = self._relaxed(self.resolve(media["schema"]))
        if relaxed is None:
            return None
        instance, problems = _decode(body, content_type)
        return problems or self.schema_errors(relaxed, instance)


# -- GitHub --------------------------------------------------------------------------------------
@functools.cache
def github_contract() -> OpenAPIContract:
    return OpenAPIContract(load_spec(GITHUB_SPEC), GITHUB_HOST, greedy=("path", "ref", "branch"))


def _json_or_error(body: bytes) -> tuple[Any, list[str]]:
    try:
        return json.loads(body), []
    except ValueError as exc:
        return None, [f"body is not JSON: {exc}"]


def validate_github_request(
    method: str,
    path: str,
    headers: Mapping[str, str],
    body_bytes: bytes,
    query: Mapping[str, list[str]] | None = None,
    *,
    engine: str | None = None,
) -> list[str]:
    """Check a client's request (parameters and body) against the GitHub subset."""
    contract = github_contract()
    match = contract.match(method, path)
    if match is None:
        return [f"{method} {path}: no such operation in the GitHub subset"]
    body = body_bytes if body_bytes else None
    errors = contract.request_errors(match, path, headers, body, query, engine=engine)
    return [f"{method} {path} request: {e}" for e in errors]


def validate_github_response(
    method: str,
    path: str,
    status: int,
    headers: Mapping[str, str],
    body_bytes: bytes,
    *,
    engine: str | None = None,
) -> list[str]:
    """Check one of the fake's responses against the GitHub subset (workarounds 1 and 2)."""
    contract = github_contract()
    match = contract.match(method, path)
    if match is None:
        return [f"{method} {path}: no such operation in the GitHub subset"]
    prefix = f"{method} {path} -> {status}"
    if not contract.declared_status(match, status):
        if status < 400:
            return [f"{prefix}: status not declared by {match.route.operation_id}"]
        payload, problems = _json_or_error(body_bytes)
        if problems:
            return [f"{prefix}: {p}" for p in problems]
        basic = contract.spec["components"]["schemas"]["basic-error"]
        return [f"{prefix}: {e}" for e in contract.schema_errors(basic, payload)]
    errors = contract.response_errors(match, path, status, headers, body_bytes, engine=engine)
    return [f"{prefix}: {e}" for e in errors]


# -- Workers AI ----------------------------------------------------------------------------------
@functools.cache
def workers_ai_subset_contract() -> OpenAPIContract:
    return OpenAPIContract(
        load_spec(WORKERS_AI_SUBSET),
        CLOUDFLARE_HOST,
        path_prefix=CLOUDFLARE_PREFIX,
        greedy=("model_name",),
    )


@functools.cache
def workers_ai_supplement_contract() -> OpenAPIContract:
    return OpenAPIContract(
        load_spec(WORKERS_AI_SUPPLEMENT), CLOUDFLARE_HOST, path_prefix=CLOUDFLARE_PREFIX
    )


_RUN = re.compile(r"^/accounts/(?P<account>[^/]+)/ai/run/(?P<model>.+)$")
_SEARCH = re.compile(r"^/accounts/(?P<account>[^/]+)/ai/models/search$")


def _generic_branch(part: str, task: str) -> dict[str, Any]:
    """The `oneOf` branch titled `task` of the generic run op's request or 200 result schema."""
    contract = workers_ai_subset_contract()
    op = contract.operation_by_id("workers-ai-post-run-model").operation
    if part == "request":
        branches = op["requestBody"]["content"]["application/json"]["schema"]["oneOf"]
    else:
        result = op["responses"]["200"]["content"]["application/json"]["schema"]
        branches = result["properties"]["result"]["oneOf"]
    for branch in branches:
        if branch.get("title") == task:
            return cast(dict[str, Any], branch)
    raise KeyError(f"no {part} branch titled {task!r} in workers-ai-post-run-model")


def _success_envelope(result: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["success", "errors", "messages", "result"],
        "properties": {
            "success": {"type": "boolean", "enum": [True]},
            "errors": {"$ref": "#/components/schemas/messages"},
            "messages": {"$ref": "#/components/schemas/messages"},
            "result": result,
        },
    }


@functools.cache
def _generic_envelope(task: str) -> dict[str, Any]:
    """Workaround 4: the success envelope around the generic op's `task` result branch."""
    return _success_envelope(_generic_branch("result", task))


# The supplement's v4 failure envelope (workaround 3).
FAILURE_SCHEMA: dict[str, Any] = {"$ref": "#/components/schemas/api-response-common-failure"}

_SEARCH_RESULT = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["id", "name"],
        "properties": {
            "id": {"type": "string"},
            "name": {"type": "string"},
            "description": {"type": "string"},
            "task": {"type": "object", "properties": {"name": {"type": "string"}}},
        },
    },
}
_SEARCH_ENVELOPE = _success_envelope(_SEARCH_RESULT)


def _workers_ai_route(method: str, path: str) -> tuple[str, OpenAPIContract, Match | None]:
    """-> (kind, contract, match); kind is 'core' (openapi-core op), 'generic' or 'search'."""
    path = path.removeprefix(CLOUDFLARE_PREFIX)
    supplement = workers_ai_supplement_contract()
    if method.upper() == "GET" and _SEARCH.match(path):
        return "search", supplement, None
    match = supplement.match(method, path)
    if match is not None:
        return "core", supplement, match
    subset = workers_ai_subset_contract()
    match = subset.match(method, path)
    if match is None:
        return "unknown", subset, None
    if match.route.operation.get("operationId") == "workers-ai-post-run-model":
        return "generic", subset, match
    return "core", subset, match


def validate_workers_ai_request(
    method: str,
    path: str,
    headers: Mapping[str, str],
    body_bytes: bytes,
    *,
    task: str = "Text Generation",
    engine: str | None = None,
) -> list[str]:
    """Check a client's request body. `task` picks the generic op's branch (workaround 4)."""
    kind, contract, match = _workers_ai_route(method, path)
    prefix = f"{method} {path} request"
    if kind == "search":
        return []
    if kind == "unknown" or match is None:
        return [f"{prefix}: no such operation in the Workers AI specs"]
    short_path = path.removeprefix(CLOUDFLARE_PREFIX)
    if kind == "core":
        errors = contract.request_errors(
            match, short_path, headers, body_bytes or None, body_only=True, engine=engine
        )
        return [f"{prefix}: {e}" for e in errors]
    payload, problems = _json_or_error(body_bytes)
    if problems:
        return [f"{prefix}: {p}" for p in problems]
    errors = contract.schema_errors(_generic_branch("request", task), payload, response=False)
    return [f"{prefix}: {e}" for e in errors]


def validate_workers_ai_response(
    method: str,
    path: str,
    status: int,
    headers: Mapping[str, str],
    body_bytes: bytes,
    *,
    task: str = "Text Generation",
    engine: str | None = None,
) -> list[str]:
    """Check one of the fake's responses (workarounds 3 to 6)."""
    kind, contract, match = _workers_ai_route(method, path)
    prefix = f"{method} {path} -> {status}"
    content_type = _content_type(headers, default="")
    supplement = workers_ai_supplement_contract()
    if status >= 400:
        if not content_type.startswith("application/json"):
            if status >= 500:
                return []
            return [f"{prefix}: a {status} must carry the JSON failure envelope"]
        payload, problems = _json_or_error(body_bytes)
        if problems:
            return [f"{prefix}: {p}" for p in problems]
        return [f"{prefix}: {e}" for e in supplement.schema_errors(FAILURE_SCHEMA, payload)]
    if content_type.startswith("text/event-stream"):
        return []
    if kind == "search":
        payload, problems = _json_or_error(body_bytes)
        if problems:
            return [f"{prefix}: {p}" for p in problems]
        errors = supplement.schema_errors(_SEARCH_ENVELOPE, payload)
        return [f"{prefix}: {e}" for e in errors]
    if kind == "unknown" or match is None:
        return [f"{prefix}: no such operation in the Workers AI specs"]
    if kind == "core":
        short_path = path.removeprefix(CLOUDFLARE_PREFIX)
        errors = contract.response_errors(
            match, short_path, status, headers, body_bytes, engine=engine
        )
        return [f"{prefix}: {e}" for e in errors]
    payload, problems = _json_or_error(body_bytes)
    if problems:
        return [f"{prefix}: {p}" for p in problems]
    errors = supplement.schema_errors(_generic_envelope(task), payload)
    return [f"{prefix}: {e}" for e in errors]


def warm_up() -> None:
    """Load and compile every contract now (e.g. from a session fixture)."""
    github_contract()
    workers_ai_subset_contract()
    workers_ai_supplement_contract()
