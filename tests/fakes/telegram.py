"""A loopback fake of the Telegram Bot API server (Bot API 10.1), for python-telegram-bot and co.

The bot talks to it over real HTTP: `{api_url}/bot{token}/{method}`, files at
`{api_url}/file/bot{token}/{file_path}`. Requests are decoded the way Telegram decodes them and
checked against the Bot API description (tests/fakes/telegram_wire.py, telegram_spec.py); results
come in Telegram's envelope. Every result the fake returns is validated against the same
description; a mismatch (a bug in the fake, or a malformed update a test enqueued) lands in
`self.errors`, as does any parameter the client sends that the method does not have (Telegram
silently ignores those).

Behaviour modelled on the real server:
- text is 1..4096 UTF-16 code units after entity parsing and trimming of surrounding whitespace,
  parse modes and entities as Telegram applies them, "can't parse entities" errors included
  (tests/fakes/telegram_markup.py);
- inline keyboards: callback_data 1..64 bytes (BUTTON_DATA_INVALID), "text buttons are unallowed";
- editMessageText without reply_markup removes the inline keyboard; identical edits fail with
  "message is not modified";
- documents up to 50 MB, served back by getFile and the file download, as are files users send
  (`add_file`); getFile serves bots files up to 20 MB only (larger: 400 "file is too big");
- sendMessageDraft (a private chat only, a non-zero draft_id, 0..4096 characters after entity
  parsing): recorded per chat with the time it arrived, as `drafts(chat_id)`; a draft is an
  ephemeral preview and never becomes a message;
- getUpdates long polling with offset confirmation, limit, allowed_updates (which persists), a 409
  while a webhook is set and a 409 for a poll superseded by a newer one.

Add a method by defining `_api_<exactMethodName>(self, params) -> result` (raise `ApiError` for a
Telegram error); parameters arrive decoded and checked against the spec. Also add it to
TELEGRAM_METHODS in tests/contracts/make_digest.py and refresh the digest (README, "Contract
digest"); tests/integration/test_contract_digest.py says so when it is missing.
"""

from __future__ import annotations

import copy
import itertools
import json
import mimetypes
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from pathlib import Path
from typing import Any, NamedTuple, Self
from urllib.parse import unquote, urlsplit

from tests.fakes.base import FakeServer, RecordedRequest, Response
from tests.fakes.telegram_markup import (
    EntityParseError,
    auto_entities,
    format_text,
    utf16_len,
)
from tests.fakes.telegram_spec import PRIMITIVES, BotApiSpec, UploadedFile, load_spec
from tests.fakes.telegram_wire import (
    QUERY_INVALID,
    ApiError,
    check_params,
    decode_params,
    error_body,
)

__all__ = [
    "ApiError",
    "BotApiSpec",
    "BotMessage",
    "DraftUpdate",
    "EntityParseError",
    "FakeTelegram",
    "SentDocument",
    "TelegramCall",
    "UploadedFile",
    "format_text",
    "load_spec",
    "utf16_len",
]

# tests/integration/test_contract_digest.py imports the primitive type checks by this name.
_PRIMITIVES = PRIMITIVES

MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_DATA_BYTES = 64
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024  # getFile's limit for bots

NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)
WEBHOOK_CONFLICT = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)
POLL_CONFLICT = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)

CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
# Update types delivered when allowed_updates is unset or empty.
NOT_DELIVERED_BY_DEFAULT = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
INLINE_BUTTON_ACTIONS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)
DEFAULT_ERROR_DESCRIPTIONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden: bot was blocked by the user",
    404: "Not Found",
    409: POLL_CONFLICT,
    500: "Internal Server Error",
    502: "Bad Gateway",
}


class TelegramCall(NamedTuple):
    """A Bot API request as the fake decoded it: the method's name and its parameters."""

    method: str  # as the Bot API spells it ("sendMessage"), whatever case the client used
    params: dict[str, Any]


class SentDocument(NamedTuple):
    filename: str
    content: bytes


@dataclass
class BotMessage:
    """A message the bot sent, as the user sees it now."""

    message_id: int
    chat_id: int
    text: str  # the plain text (or caption) after parse-mode parsing and all edits
    raw_text: str  # what the bot sent, markup included
    parse_mode: str | None
    entities: list[dict[str, Any]]
    reply_markup: dict[str, Any] | None
    edits: list[str] = field(default_factory=list)  # the previous texts, oldest first
    reply_to_message_id: int | None = None
    deleted: bool = False
    document: SentDocument | None = None
    date: int = 0
    edit_date: int | None = None

    @property
    def buttons(self) -> list[dict[str, Any]]:
        """The inline keyboard buttons, row by row, flattened."""
        rows = (self.reply_markup or {}).get("inline_keyboard") or []
        return [button for row in rows for button in row]


@dataclass(frozen=True)
class DraftUpdate:
    """One sendMessageDraft the fake accepted: what the user's preview showed from `at` on."""

    chat_id: int
    draft_id: int
    text: str  # the plain text after parse-mode parsing
    raw_text: str
    parse_mode: str | None
    at: float  # time.monotonic() when it arrived


@dataclass
class _Stored:
    data: dict[str, Any]  # the Message object as Telegram would return it now
    bot: BotMessage | None = None
    deleted: bool = False


@dataclass
class _File:
    file_id: str
    file_unique_id: str
    content: bytes
    file_name: str
    mime_type: str
    file_path: str


@dataclass
class _Described:
    """A result with the `description` some methods add (setWebhook: "Webhook was set")."""

    result: Any
    description: str


_BOT_PATH = re.compile(r"^/bot([^/]*)/([^/]+)/?$")
_FILE_PATH = re.compile(r"^/file/bot([^/]*)/(.+)$")
_COMMAND_RE = re.compile(r"[a-z0-9_]{1,32}")
_SECRET_TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{1,256}")


# ------------------------------------------------------------------------------------------------
# The fake server
# ------------------------------------------------------------------------------------------------


class FakeTelegram(FakeServer):
    """Telegram's Bot API on 127.0.0.1; see the module docstring. Test-side API below."""

    def __init__(
        self, token: str = "123456:TEST-token", bot_username: str = "blogbot_test_bot"
    ) -> None:
        super().__init__()
        self.spec = load_spec()
        self.token = token
        self.bot_username = bot_username
        bot_id = token.split(":", 1)[0]
        self.bot_id = int(bot_id) if bot_id.isdigit() else 123456
        self.bot_user: dict[str, Any] = {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": "Blogbot",
            "username": bot_username,
        }
        # Simulate a webhook left set by another deployment: getUpdates answers 409 while set.
        self.webhook_url = ""
        self.webhook: dict[str, Any] = {}
        self.commands: list[dict[str, Any]] = []
        self.callback_answers: dict[str, dict[str, Any]] = {}
        self._commands_by_scope: dict[str, list[dict[str, Any]]] = {}
        self._users: dict[int, dict[str, Any]] = {}
        self._chats: dict[int, dict[str, Any]] = {}
        self._messages: dict[int, dict[int, _Stored]] = {}
        self._bot_messages: dict[int, list[BotMessage]] = {}
        self._next_message_id: dict[int, int] = {}
        self._chat_actions: dict[int, list[str]] = {}
        self._drafts: dict[int, list[DraftUpdate]] = {}
        self._callback_queries: dict[str, dict[str, Any]] = {}
        self._files: dict[str, _File] = {}
        self._file_counter = itertools.count(1)
        self._query_counter = itertools.count(1)
        self._updates: list[dict[str, Any]] = []
        self._next_update_id = 100_000_001
        self._allowed_updates: list[str] | None = None
        self._poll_generation = 0
        self._stopping = False
        self._decoded: dict[int, TelegramCall] = {}

    # -- lifecycle ----------------------------------------------------------------------------
    def start(self) -> Self:
        self._stopping = False
        super().start()
        return self

    def stop(self) -> None:
        with self._changed:
            self._stopping = True  # a pending long poll returns at once
            self._changed.notify_all()
        super().stop()

    def __enter__(self) -> Self:
        return self.start()

    @property
    def api_url(self) -> str:
        """The server root: the bot uses base_url=f"{api_url}/bot", files f"{api_url}/file/bot"."""
        return self.url

    # -- test-side API: what users do -----------------------------------------------------------
    def send_text(
        self,
        user_id: int,
        text: str,
        *,
        chat_id: int | None = None,
        chat_type: str = "private",
        first_name: str = "Writer",
        reply_to_message_id: int | None = None,
        **message_fields: Any,
    ) -> dict[str, Any]:
        """A user sends `text`; returns the Message. Commands get their bot_command entity.

        For a group/supergroup without `chat_id`, the chat id is -user_id.
        """
        with self._changed:
            fields: dict[str, Any] = {"text": text}
            if reply_to_message_id is not None:
                chat = self._ensure_chat(user_id, chat_id, chat_type, first_name)
                fields["reply_to_message"] = self._embedded(chat["id"], reply_to_message_id)
            fields.update(message_fields)
            return self._user_message(user_id, fields, chat_id, chat_type, first_name)

    def send_message_update(
        self,
        user_id: int,
        message_fields: dict[str, Any],
        *,
        chat_id: int | None = None,
        chat_type: str = "private",
        edited: bool = False,
    ) -> dict[str, Any]:
        """A user sends any message (sticker, photo, location, caption...); returns the Message.

        With edited=True, `message_fields["message_id"]` names an earlier message of the user; it
        is updated with the fields and delivered as an `edited_message` update with edit_date.
        """
        with self._changed:
            first_name = self._users.get(user_id, {}).get("first_name", "Writer")
            if not edited:
                return self._user_message(user_id, message_fields, chat_id, chat_type, first_name)
            self._ensure_user(user_id, first_name)
            chat = self._ensure_chat(user_id, chat_id, chat_type, first_name)
            message_id = message_fields.get("message_id")
            stored = self._messages.get(chat["id"], {}).get(message_id or 0)
            if stored is None or stored.bot is not None:
                raise ValueError(f"no message {message_id} from a user in chat {chat['id']}")
            message = copy.deepcopy(stored.data)
            message.update(message_fields)
            message["edit_date"] = int(time.time())
            if "text" in message_fields and "entities" not in message_fields:
                message.pop("entities", None)
                detected = auto_entities(message["text"])
                if detected:
                    message["entities"] = detected
            stored.data = message
            self._enqueue({"edited_message": message})
            return copy.deepcopy(message)

    def press_button(
        self,
        user_id: int,
        message_id: int,
        callback_data: str,
        *,
        chat_id: int | None = None,
        allow_missing_button: bool = False,
    ) -> str:
        """The user presses an inline button of a bot message; returns the callback query id."""
        with self._changed:
            chat_id = user_id if chat_id is None else chat_id
            stored = self._messages.get(chat_id, {}).get(message_id)
            if stored is None or stored.deleted or stored.bot is None:
                raise ValueError(f"no bot message {message_id} in chat {chat_id} to press")
            data = [b.get("callback_data") for b in stored.bot.buttons]
            if callback_data not in data and not allow_missing_button:
                raise ValueError(
                    f"message {message_id} has no button with callback_data {callback_data!r}: "
                    f"{data}"
                )
            user = self._users.get(user_id) or self._ensure_user(user_id, "Writer")
            query_id = str(4_200_000_000_000_000_000 + next(self._query_counter))
            query = {
                "id": query_id,
                "from": dict(user),
                "message": copy.deepcopy(stored.data),
                "chat_instance": str(abs(chat_id) * 7919 % 10**18 + 10**17),
                "data": callback_data,
            }
            self._callback_queries[query_id] = query
            self._enqueue({"callback_query": query})
            return query_id

    def add_file(
        self,
        content: bytes,
        *,
        file_name: str = "file.bin",
        mime_type: str | None = None,
        folder: str = "documents",
    ) -> dict[str, Any]:
        """Store a file users can send (getFile and the file download serve it). `folder` is
        the first part of its file_path, as Telegram has it: voice, music, video_notes...

        Returns {file_id, file_unique_id, file_size, file_name, mime_type} for message fields.
        """
        with self._changed:
            stored = self._store_file(content, file_name, mime_type, folder)
            return {
                "file_id": stored.file_id,
                "file_unique_id": stored.file_unique_id,
                "file_size": len(content),
                "file_name": stored.file_name,
                "mime_type": stored.mime_type,
            }

    # -- test-side API: what the bot did ----------------------------------------------------------
    def bot_messages(self, chat_id: int) -> list[BotMessage]:
        """Snapshots of the messages the bot sent in that chat, in order (deleted ones flagged)."""
        with self._lock:
            return copy.deepcopy(self._bot_messages.get(chat_id, []))

    def wait_for_bot_message(
        self,
        chat_id: int,
        predicate: Callable[[BotMessage], bool] | None = None,
        *,
        contains: str | None = None,
        timeout: float = 10.0,
    ) -> BotMessage:
        """Wait until a current (not deleted) bot message in the chat matches; the newest wins."""

        def find() -> BotMessage | None:
            for message in reversed(self._bot_messages.get(chat_id, [])):
                if message.deleted:
                    continue
                if contains is not None and contains not in message.text:
                    continue
                if predicate is not None and not predicate(message):
                    continue
                return copy.deepcopy(message)
            return None

        try:
            found: BotMessage = self.wait_until(find, timeout)
        except TimeoutError:
            texts = [m.text for m in self.bot_messages(chat_id) if not m.deleted]
            raise TimeoutError(
                f"no bot message in chat {chat_id} matched within {timeout}s "
                f"(contains={contains!r}); current messages: {texts}"
            ) from None
        return found

    def calls(self, method: str) -> list[dict[str, Any]]:
        """Decoded parameters of every request to `method` (any case), failed ones included."""
        wanted = method.lower()
        with self._lock:
            requests = list(self.requests)
        calls = []
        for request in requests:
            call = self.decode_call(request)
            if call is not None and call.method.lower() == wanted:
                calls.append(copy.deepcopy(call.params))
        return calls

    def decode_call(self, request: RecordedRequest) -> TelegramCall | None:
        """The Bot API call a recorded request made, decoded as the fake decodes it (cached).

        None for a request that is no method call (a file download); parameters that do not
        decode are kept raw under "_undecodable_body".
        """
        key = id(request)
        with self._lock:
            cached = self._decoded.get(key)
        if cached is not None:
            return cached
        match = _BOT_PATH.match(request.path)
        if match is None:
            return None
        spec = self.spec.method(match.group(2))
        try:
            params = decode_params(request, self.spec, spec)
        except ApiError:
            params = {"_undecodable_body": request.body}
        call = TelegramCall(spec.name if spec else match.group(2), params)
        with self._lock:
            self._decoded[key] = call
        return call

    def fail_method(
        self,
        method: str,
        *,
        error_code: int = 429,
        description: str | None = None,
        retry_after: int | None = None,
        times: int = 1,
    ) -> None:
        """The next `times` calls of `method` get this Telegram error (429: flood control)."""
        if error_code == 429:
            retry_after = 1 if retry_after is None else retry_after
            description = description or f"Too Many Requests: retry after {retry_after}"
        elif description is None:
            try:
                phrase = HTTPStatus(error_code).phrase
            except ValueError:
                phrase = "Error"
            description = DEFAULT_ERROR_DESCRIPTIONS.get(error_code, phrase)
        body = error_body(error_code, description, retry_after)
        pattern = rf"^/bot[^/]*/(?i:{re.escape(method)})/?$"
        self.fail_next("*", pattern, Response.json(error_code, body), times=times)

    def drafts(self, chat_id: int) -> list[DraftUpdate]:
        """Every draft update the bot sent to the chat and the fake accepted, oldest first."""
        with self._lock:
            return list(self._drafts.get(chat_id, []))

    def chat_actions(self, chat_id: int) -> list[str]:
        with self._lock:
            return list(self._chat_actions.get(chat_id, []))

    def pending_updates(self) -> int:
        """Updates not yet confirmed by a getUpdates offset (delivered or not)."""
        with self._lock:
            return len(self._updates)

    # -- HTTP ---------------------------------------------------------------------------------
    def handle(self, request: RecordedRequest) -> Response:
        match = _BOT_PATH.match(request.path)
        if match is None:
            file_match = _FILE_PATH.match(request.path)
            if file_match is not None:
                return self._serve_file(file_match.group(1), file_match.group(2))
            return ApiError(404, "Not Found").response()
        token, method_name = match.groups()
        if token != self.token:
            return ApiError(401, "Unauthorized").response()
        spec = self.spec.method(method_name)
        if spec is None:
            return ApiError(404, "Not Found").response()
        try:
            params = decode_params(request, self.spec, spec)
        except ApiError as exc:
            return exc.response()
        handler: Callable[[dict[str, Any]], Any] | None = getattr(self, f"_api_{spec.name}", None)
        if handler is None:
            self._error(f"{spec.name}: FakeTelegram does not implement this method yet")
            return ApiError(
                400, f"Bad Request: method {spec.name} is not implemented by FakeTelegram"
            ).response()
        for name in [k for k in params if k not in spec.fields]:
            self._error(
                f"{spec.name}: parameter {name!r} is not in {self.spec.version} "
                "(Telegram ignores it)"
            )
        try:
            check_params(
                self.spec,
                spec,
                params,
                lambda unknown: self._error(
                    f"{spec.name}: parameter {unknown} (Telegram ignores it)"
                ),
            )
            known = {k: v for k, v in params.items() if k in spec.fields}
            with self._changed:
                result = handler(known)
                self._changed.notify_all()
        except ApiError as exc:
            return exc.response()
        body: dict[str, Any] = {"ok": True}
        if isinstance(result, _Described):
            body["result"] = result.result
            body["description"] = result.description
            result = result.result
        else:
            body["result"] = result
        checked = self.spec.check(result, spec.returns, "result")
        for problem in checked.problems + checked.unknown:
            self._error(f"{spec.name}: result does not match the Bot API: {problem}")
        return Response.json(200, body)

    def _error(self, message: str) -> None:
        with self._lock:
            self.errors.append(message)

    def _serve_file(self, token: str, file_path: str) -> Response:
        # Clients percent-encode the token's colon (python-telegram-bot does); Telegram decodes.
        token, file_path = unquote(token), unquote(file_path)
        if token != self.token:
            return ApiError(401, "Unauthorized").response()
        with self._lock:
            stored = next((f for f in self._files.values() if f.file_path == file_path), None)
        if stored is None:
            return ApiError(404, "Not Found").response()
        return Response(200, stored.content, {"Content-Type": "application/octet-stream"})

    # -- state helpers (call with the lock held) -------------------------------------------------
    def _user_message(
        self,
        user_id: int,
        fields: dict[str, Any],
        chat_id: int | None,
        chat_type: str,
        first_name: str,
    ) -> dict[str, Any]:
        """A new message from the user, stored and queued as an update; text gets entities."""
        user = self._ensure_user(user_id, first_name)
        chat = self._ensure_chat(user_id, chat_id, chat_type, first_name)
        message: dict[str, Any] = {
            "message_id": self._new_message_id(chat["id"]),
            "from": dict(user),
            "chat": dict(chat),
            "date": int(time.time()),
            **fields,
        }
        if isinstance(message.get("text"), str) and "entities" not in message:
            detected = auto_entities(message["text"])
            if detected:
                message["entities"] = detected
        self._store_user_message(message)
        self._enqueue({"message": message})
        return copy.deepcopy(message)

    def _ensure_user(self, user_id: int, first_name: str) -> dict[str, Any]:
        user = self._users.setdefault(user_id, {"id": user_id, "is_bot": False})
        user["first_name"] = first_name
        return user

    def _ensure_chat(
        self, user_id: int, chat_id: int | None, chat_type: str, first_name: str
    ) -> dict[str, Any]:
        if chat_type == "private":
            chat_id = user_id if chat_id is None else chat_id
            chat = {"id": chat_id, "type": "private", "first_name": first_name}
        else:
            chat_id = -abs(user_id) if chat_id is None else chat_id
            title = self._chats.get(chat_id, {}).get("title", "Test group")
            chat = {"id": chat_id, "type": chat_type, "title": title}
        self._chats[chat_id] = chat
        return chat

    def _new_message_id(self, chat_id: int) -> int:
        message_id = self._next_message_id.get(chat_id, 1)
        self._next_message_id[chat_id] = message_id + 1
        return message_id

    def _store_user_message(self, message: dict[str, Any]) -> None:
        chat_id = message["chat"]["id"]
        message_id = message["message_id"]
        self._next_message_id[chat_id] = max(self._next_message_id.get(chat_id, 1), message_id + 1)
        self._messages.setdefault(chat_id, {})[message_id] = _Stored(copy.deepcopy(message))

    def _embedded(self, chat_id: int, message_id: int) -> dict[str, Any]:
        stored = self._messages.get(chat_id, {}).get(message_id)
        if stored is None or stored.deleted:
            raise ValueError(f"no message {message_id} in chat {chat_id} to reply to")
        embedded = copy.deepcopy(stored.data)
        embedded.pop("reply_to_message", None)  # Telegram does not nest replies further
        return embedded

    def _enqueue(self, payload: dict[str, Any]) -> None:
        update = {"update_id": self._next_update_id, **copy.deepcopy(payload)}
        self._next_update_id += 1
        self._updates.append(update)
        self._changed.notify_all()

    def _store_file(
        self, content: bytes, file_name: str, mime_type: str | None, folder: str
    ) -> _File:
        number = next(self._file_counter)
        extension = Path(file_name).suffix
        stored = _File(
            file_id=f"BQACAgIAAxkBAAI{number:08d}FakeTelegramFile",
            file_unique_id=f"AgAD{number:06d}",
            content=content,
            file_name=file_name,
            mime_type=mime_type or mimetypes.guess_type(file_name)[0] or "application/octet-stream",
            file_path=f"{folder}/file_{number}{extension}",
        )
        self._files[stored.file_id] = stored
        return stored

    def _resolve_chat(self, chat_id: Any) -> dict[str, Any]:
        if isinstance(chat_id, str) and re.fullmatch(r"\s*-?\d+\s*", chat_id):
            chat_id = int(chat_id)
        chat = self._chats.get(chat_id) if isinstance(chat_id, int) else None
        if chat is None:  # an @username too: the fake's chats have none
            raise ApiError(400, "Bad Request: chat not found")
        return chat

    def _text_and_entities(
        self,
        text: str,
        parse_mode: str | None,
        entities: list[dict[str, Any]] | None,
        *,
        limit: int,
        too_long: str,
        allow_empty: bool = False,
    ) -> tuple[str, list[dict[str, Any]]]:
        try:
            plain, api_entities = format_text(text, parse_mode, entities)
        except EntityParseError as exc:
            raise ApiError(400, f"Bad Request: can't parse entities: {exc}") from None
        except ValueError:
            raise ApiError(400, "Bad Request: unsupported parse_mode") from None
        if not plain and not allow_empty:
            raise ApiError(400, "Bad Request: message text is empty")
        if utf16_len(plain) > limit:
            raise ApiError(400, too_long)
        return plain, api_entities

    def _reply_markup(
        self, value: Any, *, inline_only: bool
    ) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
        """(what Message.reply_markup echoes, what the bot sent), both normalised."""
        if value is None:
            return None, None
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                raise ApiError(
                    400, "Bad Request: can't parse reply keyboard markup JSON object"
                ) from None
        if not isinstance(value, dict):
            raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
        if "inline_keyboard" in value:
            markup = self._inline_keyboard(value)
            return markup, markup
        if inline_only:
            raise ApiError(400, "Bad Request: inline keyboard expected")
        if "keyboard" in value:
            keyboard = value["keyboard"]
            if not isinstance(keyboard, list) or not all(isinstance(r, list) for r in keyboard):
                raise ApiError(
                    400,
                    'Bad Request: field "keyboard" of the ReplyKeyboardMarkup should be an '
                    "Array of Arrays",
                )
            for row in keyboard:
                for button in row:
                    text = button.get("text") if isinstance(button, dict) else button
                    if not isinstance(text, str):
                        raise ApiError(
                            400,
                            'Bad Request: can\'t parse keyboard button: Field "text" must be of '
                            "type String",
                        )
            kind = "ReplyKeyboardMarkup"
        elif "remove_keyboard" in value:
            kind = "ReplyKeyboardRemove"
        elif "force_reply" in value:
            kind = "ForceReply"
        else:
            raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
        checked = self.spec.check(value, (kind,), "reply_markup")
        for problem in checked.unknown:
            self._error(f"reply_markup: {problem} (Telegram ignores it)")
        return None, copy.deepcopy(value)

    def _inline_keyboard(self, value: dict[str, Any]) -> dict[str, Any] | None:
        keyboard = value["inline_keyboard"]
        if not isinstance(keyboard, list) or not all(isinstance(r, list) for r in keyboard):
            raise ApiError(
                400,
                'Bad Request: field "inline_keyboard" of the InlineKeyboardMarkup should be an '
                "Array of Arrays",
            )
        button_fields = self.spec.types["InlineKeyboardButton"].fields
        rows = []
        for row in keyboard:
            buttons = []
            for button in row:
                if not isinstance(button, dict):
                    raise ApiError(
                        400,
                        "Bad Request: can't parse inline keyboard button: "
                        "InlineKeyboardButton must be an Object",
                    )
                if not isinstance(button.get("text"), str):
                    raise ApiError(
                        400,
                        "Bad Request: can't parse inline keyboard button: "
                        'Field "text" must be of type String',
                    )
                actions = [k for k in INLINE_BUTTON_ACTIONS if button.get(k) not in (None, False)]
                if not actions:
                    raise ApiError(
                        400,
                        "Bad Request: can't parse inline keyboard button: "
                        "Text buttons are unallowed in the inline keyboard",
                    )
                if "callback_data" in button:
                    data = button["callback_data"]
                    if not isinstance(data, str) or not (
                        1 <= len(data.encode("utf-8")) <= MAX_CALLBACK_DATA_BYTES
                    ):
                        raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
                if "url" in button:
                    url = button["url"]
                    if not isinstance(url, str) or not re.match(
                        r"^(?:(?:https?|tg)://\S+|[\w-]+(?:\.[\w-]+)+\S*)$", url, re.IGNORECASE
                    ):
                        raise ApiError(400, "Bad Request: BUTTON_URL_INVALID")
                for key in button:
                    if key not in button_fields:
                        self._error(
                            f"reply_markup: InlineKeyboardButton has no field {key!r} "
                            "(Telegram ignores it)"
                        )
                buttons.append(
                    {k: copy.deepcopy(v) for k, v in button.items() if k in button_fields}
                )
            if buttons:
                rows.append(buttons)
        return {"inline_keyboard": rows} if rows else None

    def _reply_target(self, chat_id: int, reply_parameters: Any) -> int | None:
        if not isinstance(reply_parameters, dict):
            return None
        target_chat = reply_parameters.get("chat_id", chat_id)
        if target_chat != chat_id:
            target_chat = self._resolve_chat(target_chat)["id"]
        message_id = reply_parameters.get("message_id")
        stored = self._messages.get(target_chat, {}).get(message_id)  # type: ignore[arg-type]
        if stored is None or stored.deleted:
            if reply_parameters.get("allow_sending_without_reply"):
                return None
            raise ApiError(400, "Bad Request: message to be replied not found")
        return int(message_id)  # type: ignore[arg-type]

    def _new_bot_message(
        self,
        chat: dict[str, Any],
        params: dict[str, Any],
        *,
        body: dict[str, Any],
        text: str,
        raw_text: str,
        entities: list[dict[str, Any]],
        markups: tuple[dict[str, Any] | None, dict[str, Any] | None],
        document: SentDocument | None = None,
    ) -> dict[str, Any]:
        chat_id = chat["id"]
        reply_to = self._reply_target(chat_id, params.get("reply_parameters"))
        message: dict[str, Any] = {
            "message_id": self._new_message_id(chat_id),
            "from": dict(self.bot_user),
            "chat": dict(chat),
            "date": int(time.time()),
        }
        if reply_to is not None:
            message["reply_to_message"] = self._embedded(chat_id, reply_to)
        message.update(body)
        if markups[0] is not None:
            message["reply_markup"] = copy.deepcopy(markups[0])
        bot_message = BotMessage(
            message_id=message["message_id"],
            chat_id=chat_id,
            text=text,
            raw_text=raw_text,
            parse_mode=params.get("parse_mode"),
            entities=entities,
            reply_markup=copy.deepcopy(markups[1]),
            reply_to_message_id=reply_to,
            document=document,
            date=message["date"],
        )
        self._messages.setdefault(chat_id, {})[message["message_id"]] = _Stored(
            copy.deepcopy(message), bot_message
        )
        self._bot_messages.setdefault(chat_id, []).append(bot_message)
        return message

    def _edit_target(self, params: dict[str, Any]) -> _Stored:
        if "inline_message_id" in params:
            raise ApiError(400, "Bad Request: MESSAGE_ID_INVALID")
        if "chat_id" not in params:
            raise ApiError(400, "Bad Request: chat_id is empty")
        if "message_id" not in params:
            raise ApiError(400, "Bad Request: message identifier is not specified")
        chat = self._resolve_chat(params["chat_id"])
        stored = self._messages.get(chat["id"], {}).get(params["message_id"])
        if stored is None or stored.deleted:
            raise ApiError(400, "Bad Request: message to edit not found")
        if stored.bot is None:
            raise ApiError(400, "Bad Request: message can't be edited")
        return stored

    def _deliverable(self, limit: int) -> list[dict[str, Any]]:
        allowed = set(self._allowed_updates or [])
        kept = []
        for update in self._updates:
            kind = next(k for k in update if k != "update_id")
            if allowed and kind not in allowed:
                continue  # never delivered, as Telegram does not create it
            if not allowed and kind in NOT_DELIVERED_BY_DEFAULT:
                continue
            kept.append(update)
        self._updates = kept
        return copy.deepcopy(kept[:limit])

    # -- Bot API methods ------------------------------------------------------------------------
    def _api_getMe(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    def _api_logOut(self, params: dict[str, Any]) -> bool:
        return True

    def _api_close(self, params: dict[str, Any]) -> bool:
        return True

    def _api_getUpdates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        # Runs with self._changed held; waiting releases it.
        if self.webhook_url:
            raise ApiError(409, WEBHOOK_CONFLICT)
        offset = params.get("offset")
        limit = min(max(int(params.get("limit", 100)), 1), 100)
        timeout = max(float(params.get("timeout", 0)), 0.0)
        if "allowed_updates" in params:
            self._allowed_updates = list(params["allowed_updates"])
        self._poll_generation += 1
        generation = self._poll_generation
        self._changed.notify_all()  # an older poll still waiting is terminated
        if offset is not None:
            offset = int(offset)
            if offset < 0:
                self._updates = self._updates[offset:]
            elif offset > 0:
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
        deadline = time.monotonic() + timeout
        while True:
            if self._stopping:
                return []
            if generation != self._poll_generation:
                raise ApiError(409, POLL_CONFLICT)
            if self.webhook_url:
                raise ApiError(409, WEBHOOK_CONFLICT)
            batch = self._deliverable(limit)
            if batch:
                return batch
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return []
            self._changed.wait(min(remaining, 0.1))

    def _api_setWebhook(self, params: dict[str, Any]) -> _Described:
        url = params.get("url", "")
        if not url:
            return self._api_deleteWebhook(params)
        parts = urlsplit(url)
        if parts.scheme.lower() != "https" or not parts.hostname:
            raise ApiError(
                400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook"
            )
        if (parts.port or 443) not in (80, 88, 443, 8443):
            raise ApiError(
                400,
                "Bad Request: bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443",
            )
        secret = params.get("secret_token")
        if secret is not None and not _SECRET_TOKEN_RE.fullmatch(secret):
            raise ApiError(400, "Bad Request: secret token contains unallowed characters")
        if params.get("drop_pending_updates"):
            self._updates.clear()
        if "allowed_updates" in params:
            self._allowed_updates = list(params["allowed_updates"])
        already = self.webhook_url == url
        self.webhook_url = url
        self.webhook = {k: v for k, v in params.items() if not isinstance(v, UploadedFile)}
        return _Described(True, "Webhook is already set" if already else "Webhook was set")

    def _api_deleteWebhook(self, params: dict[str, Any]) -> _Described:
        if params.get("drop_pending_updates"):
            self._updates.clear()
        was_set = bool(self.webhook_url)
        self.webhook_url = ""
        self.webhook = {}
        return _Described(True, "Webhook was deleted" if was_set else "Webhook is already deleted")

    def _api_getWebhookInfo(self, params: dict[str, Any]) -> dict[str, Any]:
        info: dict[str, Any] = {
            "url": self.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        if self.webhook_url:
            info["max_connections"] = int(self.webhook.get("max_connections", 40))
            if self._allowed_updates:
                info["allowed_updates"] = list(self._allowed_updates)
        return info

    @staticmethod
    def _scope_key(params: dict[str, Any]) -> str:
        scope = params.get("scope") or {"type": "default"}
        return json.dumps([scope, params.get("language_code", "")], sort_keys=True)

    def _api_setMyCommands(self, params: dict[str, Any]) -> bool:
        commands = params["commands"]
        if len(commands) > 100:
            raise ApiError(400, "Bad Request: too many commands")
        for command in commands:
            if not _COMMAND_RE.fullmatch(command["command"]):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(command["description"].strip()) <= 256:
                raise ApiError(400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
        stored = [{"command": c["command"], "description": c["description"]} for c in commands]
        self._commands_by_scope[self._scope_key(params)] = stored
        self.commands = copy.deepcopy(stored)
        return True

    def _api_getMyCommands(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        return copy.deepcopy(self._commands_by_scope.get(self._scope_key(params), []))

    def _api_deleteMyCommands(self, params: dict[str, Any]) -> bool:
        if self._commands_by_scope.pop(self._scope_key(params), None) == self.commands:
            self.commands = []
        return True

    def _api_getChat(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self._resolve_chat(params["chat_id"])
        return {
            **copy.deepcopy(chat),
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        }

    def _api_sendMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self._resolve_chat(params["chat_id"])
        raw_text = params["text"]
        text, entities = self._text_and_entities(
            raw_text,
            params.get("parse_mode"),
            params.get("entities"),
            limit=MAX_TEXT_LENGTH,
            too_long="Bad Request: message is too long",
        )
        markups = self._reply_markup(params.get("reply_markup"), inline_only=False)
        body: dict[str, Any] = {"text": text}
        if entities:
            body["entities"] = entities
        return self._new_bot_message(
            chat,
            params,
            body=body,
            text=text,
            raw_text=raw_text,
            entities=entities,
            markups=markups,
        )

    def _api_sendMessageDraft(self, params: dict[str, Any]) -> bool:
        chat = self._resolve_chat(params["chat_id"])
        if chat["type"] != "private":
            raise ApiError(400, "Bad Request: message drafts can be sent to private chats only")
        draft_id = params["draft_id"]
        if draft_id == 0:
            raise ApiError(400, "Bad Request: draft_id must be non-zero")
        raw_text = params.get("text", "")
        text, _ = self._text_and_entities(
            raw_text,
            params.get("parse_mode"),
            params.get("entities"),
            limit=MAX_TEXT_LENGTH,
            too_long="Bad Request: message is too long",
            allow_empty=True,  # an empty draft shows "Thinking..."
        )
        update = DraftUpdate(
            chat["id"], draft_id, text, raw_text, params.get("parse_mode"), time.monotonic()
        )
        self._drafts.setdefault(chat["id"], []).append(update)
        return True

    def _api_sendDocument(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self._resolve_chat(params["chat_id"])
        document = params["document"]
        if isinstance(document, UploadedFile):
            if not document.content:
                raise ApiError(400, "Bad Request: file must be non-empty")
            if len(document.content) > MAX_UPLOAD_BYTES:
                raise ApiError(413, "Request Entity Too Large")
            content_type = (
                None
                if document.content_type == "application/octet-stream"
                else document.content_type
            )
            stored = self._store_file(
                document.content, document.filename or "document", content_type, "documents"
            )
        elif isinstance(document, str) and document in self._files:
            stored = self._files[document]
        else:
            raise ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")
        raw_caption = params.get("caption", "")
        caption, entities = self._text_and_entities(
            raw_caption,
            params.get("parse_mode"),
            params.get("caption_entities"),
            limit=MAX_CAPTION_LENGTH,
            too_long="Bad Request: message caption is too long",
            allow_empty=True,
        )
        markups = self._reply_markup(params.get("reply_markup"), inline_only=False)
        body: dict[str, Any] = {
            "document": {
                "file_id": stored.file_id,
                "file_unique_id": stored.file_unique_id,
                "file_name": stored.file_name,
                "mime_type": stored.mime_type,
                "file_size": len(stored.content),
            }
        }
        if caption:
            body["caption"] = caption
        if entities:
            body["caption_entities"] = entities
        return self._new_bot_message(
            chat,
            params,
            body=body,
            text=caption,
            raw_text=raw_caption,
            entities=entities,
            markups=markups,
            document=SentDocument(stored.file_name, stored.content),
        )

    def _api_getFile(self, params: dict[str, Any]) -> dict[str, Any]:
        stored = self._files.get(params["file_id"])
        if stored is None:
            raise ApiError(400, "Bad Request: invalid file_id")
        if len(stored.content) > MAX_DOWNLOAD_BYTES:
            raise ApiError(400, "Bad Request: file is too big")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.content),
            "file_path": stored.file_path,
        }

    def _api_editMessageText(self, params: dict[str, Any]) -> dict[str, Any]:
        stored = self._edit_target(params)
        bot = stored.bot
        assert bot is not None
        if bot.document is not None:
            raise ApiError(400, "Bad Request: there is no text in the message to edit")
        if "text" not in params:
            raise ApiError(400, "Bad Request: message text is empty")
        raw_text = params["text"]
        text, entities = self._text_and_entities(
            raw_text,
            params.get("parse_mode"),
            params.get("entities"),
            limit=MAX_TEXT_LENGTH,
            too_long="Bad Request: MESSAGE_TOO_LONG",
        )
        # Without reply_markup, an edit removes the inline keyboard.
        markup, _ = self._reply_markup(params.get("reply_markup"), inline_only=True)
        current = stored.data
        if (
            text == current.get("text")
            and entities == current.get("entities", [])
            and markup == current.get("reply_markup")
        ):
            raise ApiError(400, NOT_MODIFIED)
        bot.edits.append(bot.text)
        bot.text, bot.raw_text, bot.entities = text, raw_text, entities
        bot.parse_mode = params.get("parse_mode")
        bot.reply_markup = copy.deepcopy(markup)
        bot.edit_date = int(time.time())
        current["text"] = text
        current.pop("entities", None)
        if entities:
            current["entities"] = entities
        current.pop("reply_markup", None)
        if markup is not None:
            current["reply_markup"] = copy.deepcopy(markup)
        current["edit_date"] = bot.edit_date
        return copy.deepcopy(current)

    def _api_editMessageReplyMarkup(self, params: dict[str, Any]) -> dict[str, Any]:
        stored = self._edit_target(params)
        bot = stored.bot
        assert bot is not None
        markup, _ = self._reply_markup(params.get("reply_markup"), inline_only=True)
        current = stored.data
        if markup == current.get("reply_markup"):
            raise ApiError(400, NOT_MODIFIED)
        bot.reply_markup = copy.deepcopy(markup)
        bot.edit_date = int(time.time())
        current.pop("reply_markup", None)
        if markup is not None:
            current["reply_markup"] = copy.deepcopy(markup)
        current["edit_date"] = bot.edit_date
        return copy.deepcopy(current)

    def _api_deleteMessage(self, params: dict[str, Any]) -> bool:
        chat = self._resolve_chat(params["chat_id"])
        stored = self._messages.get(chat["id"], {}).get(params["message_id"])
        if stored is None or stored.deleted:
            raise ApiError(400, "Bad Request: message to delete not found")
        stored.deleted = True
        if stored.bot is not None:
            stored.bot.deleted = True
        return True

    def _api_sendChatAction(self, params: dict[str, Any]) -> bool:
        chat = self._resolve_chat(params["chat_id"])
        action = params["action"]
        if action not in CHAT_ACTIONS:
            raise ApiError(400, "Bad Request: wrong parameter action in request")
        self._chat_actions.setdefault(chat["id"], []).append(action)
        return True

    def _api_answerCallbackQuery(self, params: dict[str, Any]) -> bool:
        query_id = params["callback_query_id"]
        if query_id not in self._callback_queries or query_id in self.callback_answers:
            raise ApiError(400, QUERY_INVALID)
        if len(params.get("text", "")) > 200:
            raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        self.callback_answers[query_id] = copy.deepcopy(params)
        return True
