"""The Bot API on the wire: decoding a request's parameters, checking them, error answers.

Requests are decoded the way Telegram decodes them: GET query strings, urlencoded and multipart
form fields (whose non-string values are JSON), multipart file uploads (`attach://` included)
and JSON bodies. `check_params` then applies the method's description: a missing required
parameter or one of the wrong type is the error Telegram answers (`ApiError`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs

from tests.fakes.base import RecordedRequest, Response
from tests.fakes.telegram_spec import BotApiSpec, MethodSpec, UploadedFile

__all__ = ["ApiError", "check_params", "decode_params", "error_body"]

QUERY_INVALID = "Bad Request: query is too old and response timeout expired or query ID is invalid"

_MISSING_DESCRIPTIONS = {
    ("sendmessage", "text"): "Bad Request: message text is empty",
    ("senddocument", "document"): "Bad Request: there is no document in the request",
    ("answercallbackquery", "callback_query_id"): QUERY_INVALID,
    ("deletemessage", "message_id"): "Bad Request: message identifier is not specified",
    ("sendchataction", "action"): "Bad Request: wrong parameter action in request",
}
_PARAM_PARSE_DESCRIPTIONS = {
    "chat_id": "Bad Request: chat not found",
    "message_id": "Bad Request: message identifier is not specified",
    "entities": "Bad Request: can't parse entities JSON object",
    "caption_entities": "Bad Request: can't parse entities JSON object",
    "reply_parameters": "Bad Request: can't parse reply parameters JSON object",
    "link_preview_options": "Bad Request: can't parse link preview options JSON object",
    "commands": "Bad Request: can't parse commands JSON object",
    "scope": "Bad Request: can't parse BotCommandScope JSON object",
    "allowed_updates": "Bad Request: can't parse allowed updates JSON object",
}


class ApiError(Exception):
    """A Telegram error answer: `{"ok": false, "error_code": code, "description": ...}`."""

    def __init__(self, code: int, description: str, *, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after

    def response(self) -> Response:
        return Response.json(self.code, error_body(self.code, self.description, self.retry_after))


def error_body(code: int, description: str, retry_after: int | None = None) -> dict[str, Any]:
    """Telegram's error envelope; a 429 carries `parameters.retry_after`."""
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if code == 429:
        body["parameters"] = {"retry_after": retry_after if retry_after is not None else 1}
    return body


def decode_params(
    request: RecordedRequest, api: BotApiSpec, method: MethodSpec | None
) -> dict[str, Any]:
    """The request's parameters, each decoded to the type `method` gives it (if known)."""
    raw: dict[str, Any] = {k: v[-1] for k, v in request.query.items() if v}
    from_json: set[str] = set()
    uploads: dict[str, UploadedFile] = {}
    content_type = request.headers.get("content-type", "")
    mime = content_type.split(";", 1)[0].strip().lower()
    if request.body:
        if mime == "application/json":
            try:
                payload = json.loads(request.body)
            except ValueError:
                raise ApiError(400, "Bad Request: can't parse JSON object") from None
            if not isinstance(payload, dict):
                raise ApiError(400, "Bad Request: JSON object expected")
            raw.update(payload)
            from_json.update(payload)
        elif mime == "multipart/form-data":
            for name, filename, part_type, data in _parse_multipart(request.body, content_type):
                if filename is None:
                    raw[name] = data.decode("utf-8", "replace")
                else:
                    uploads[name] = UploadedFile(
                        filename, data, part_type or "application/octet-stream"
                    )
        else:
            text = request.body.decode("utf-8", "replace")
            for key, values in parse_qs(text, keep_blank_values=True).items():
                raw[key] = values[-1]
    params: dict[str, Any] = {}
    for key, value in raw.items():
        if value is None:
            continue  # Telegram treats a null like an absent parameter
        fspec = method.fields.get(key) if method else None
        params[key] = _coerce(api, value, fspec.types if fspec else None, key in from_json)
    for key, value in list(params.items()):
        if isinstance(value, str) and value.startswith("attach://"):
            attached = uploads.pop(value.removeprefix("attach://"), None)
            if attached is not None:
                params[key] = attached
    params.update(uploads)
    return params


def _coerce(api: BotApiSpec, value: Any, types: tuple[str, ...] | None, from_json: bool) -> Any:
    decoded: Any = value
    if isinstance(value, str) and not (from_json and types is None):
        try:
            decoded = json.loads(value)
        except ValueError:
            decoded = value
    if types is None:
        return value if from_json else decoded
    if isinstance(value, str) and "Boolean" in types and value.lower() in ("true", "false"):
        return value.lower() == "true"
    candidates = [value, decoded] if from_json else [decoded, value]
    for candidate in candidates:
        if not api.check(candidate, types).problems:
            return candidate
    return candidates[0]


def check_params(
    api: BotApiSpec,
    method: MethodSpec,
    params: dict[str, Any],
    ignored: Callable[[str], None],
) -> None:
    """Raise the ApiError Telegram answers for a missing or malformed parameter.

    `ignored` hears of each field inside a parameter that its type does not have (Telegram
    ignores those).
    """
    for fspec in method.fields.values():
        if fspec.required and fspec.name not in params:
            if method.name == "setWebhook" and fspec.name == "url":
                continue  # no url removes the webhook
            description = _MISSING_DESCRIPTIONS.get(
                (method.name.lower(), fspec.name), f"Bad Request: {fspec.name} is empty"
            )
            raise ApiError(400, description)
    for key, value in params.items():
        param_spec = method.fields.get(key)
        if param_spec is None or key == "reply_markup":  # reply_markup: checked by the method
            continue
        checked = api.check(value, param_spec.types, key)
        if checked.problems:
            description = _PARAM_PARSE_DESCRIPTIONS.get(
                key, f"Bad Request: wrong parameter {key} in request"
            )
            raise ApiError(400, description)
        for unknown in checked.unknown:
            ignored(unknown)


def _parse_multipart(
    body: bytes, content_type: str
) -> list[tuple[str, str | None, str | None, bytes]]:
    """(name, filename or None, part content type, data) for each part of a multipart body."""
    match = re.search(r'boundary="?([^";]+)"?', content_type)
    if match is None:
        raise ApiError(400, "Bad Request: can't parse multipart/form-data: no boundary")
    delimiter = b"--" + match.group(1).encode("latin-1")
    parts = []
    for chunk in body.split(delimiter)[1:]:
        if chunk.startswith(b"--"):
            break
        chunk = chunk.removeprefix(b"\r\n")
        head, separator, data = chunk.partition(b"\r\n\r\n")
        if not separator:
            continue
        headers: dict[str, str] = {}
        for line in head.decode("utf-8", "replace").split("\r\n"):
            key, _, value = line.partition(":")
            headers[key.strip().lower()] = value.strip()
        disposition = headers.get("content-disposition", "")
        name = _header_param(disposition, "name")
        if name is None:
            continue
        filename = _header_param(disposition, "filename")
        parts.append((name, filename, headers.get("content-type"), data.removesuffix(b"\r\n")))
    return parts


def _header_param(header: str, key: str) -> str | None:
    match = re.search(rf'(?:^|;)\s*{key}="((?:[^"\\]|\\.)*)"', header) or re.search(
        rf"(?:^|;)\s*{key}=([^;\s]+)", header
    )
    if match is None:
        return None
    return re.sub(r"\\(.)", r"\1", match.group(1))
