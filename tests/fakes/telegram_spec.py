"""The Bot API description FakeTelegram checks requests and results against.

`load_spec()` reads the committed digest, tests/contracts/telegram-bot-api.digest.json (see
tests/contracts/make_digest.py): the methods the fake implements with their fields and return
types, the names of the methods it does not serve, and every type those reach. `BotApiSpec.check`
validates a decoded value structurally: required fields, JSON types, unknown fields, and which
subtype of a union a value is.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from tests.contracts import TELEGRAM as TELEGRAM_SPEC
from tests.contracts import load_digest

__all__ = [
    "PRIMITIVES",
    "BotApiSpec",
    "CheckResult",
    "FieldSpec",
    "MethodSpec",
    "TypeSpec",
    "UploadedFile",
    "load_spec",
]


@dataclass
class UploadedFile:
    """A multipart file part: the value of an `InputFile` parameter when a file was uploaded."""

    filename: str
    content: bytes
    content_type: str = "application/octet-stream"


@dataclass(frozen=True)
class FieldSpec:
    name: str
    types: tuple[str, ...]
    required: bool


@dataclass(frozen=True)
class MethodSpec:
    name: str
    fields: dict[str, FieldSpec]
    returns: tuple[str, ...]


@dataclass(frozen=True)
class TypeSpec:
    name: str
    fields: dict[str, FieldSpec]
    subtypes: tuple[str, ...]
    # For a subtype of a union: the field that tells which one it is, and its value.
    discriminator: tuple[str, str] | None


@dataclass
class CheckResult:
    problems: list[str] = field(default_factory=list)  # missing required fields, wrong JSON types
    unknown: list[str] = field(default_factory=list)  # fields the type does not have

    def extend(self, other: CheckResult) -> None:
        self.problems.extend(other.problems)
        self.unknown.extend(other.unknown)


class BotApiSpec:
    """The methods and types of the Bot API digest, with a structural validator.

    `raw` is tests/contracts/telegram-bot-api.digest.json (see tests/contracts/make_digest.py):
    `methods` (fields and return types of the methods this fake implements), `unserved_methods`
    (the names of the others: the fake answers them "not implemented", not "Not Found") and
    `types` (fields, subtypes and, for a subtype of a union, the `[field, value]` that selects it).
    """

    def __init__(self, raw: dict[str, Any]) -> None:
        self.version: str = str(raw.get("version", "unknown"))
        self.methods: dict[str, MethodSpec] = {}
        for name in raw.get("unserved_methods", []):
            self.methods[name.lower()] = MethodSpec(name, {}, ())
        for name, method in raw["methods"].items():
            fields = {f["name"]: _field_spec(f) for f in method.get("fields", [])}
            self.methods[name.lower()] = MethodSpec(name, fields, tuple(method.get("returns", [])))
        self.types: dict[str, TypeSpec] = {}
        for name, typ in raw["types"].items():
            fields = {f["name"]: _field_spec(f) for f in typ.get("fields", [])}
            found = typ.get("discriminator")
            discriminator = (str(found[0]), str(found[1])) if found else None
            self.types[name] = TypeSpec(name, fields, tuple(typ.get("subtypes", [])), discriminator)

    def method(self, name: str) -> MethodSpec | None:
        return self.methods.get(name.lower())

    def check(self, value: Any, types: Iterable[str], path: str = "value") -> CheckResult:
        """Check `value` against any of `types`: the first that fits, or the closest miss."""
        best: CheckResult | None = None
        for type_name in types:
            result = self._check_one(value, type_name, path)
            if not result.problems:
                return result
            if best is None or len(result.problems) < len(best.problems):
                best = result
        return best if best is not None else CheckResult()

    def _check_one(self, value: Any, type_name: str, path: str) -> CheckResult:
        result = CheckResult()
        if type_name.startswith("Array of "):
            if not isinstance(value, list):
                result.problems.append(f"{path}: expected {type_name}, got {_json_type(value)}")
                return result
            inner = type_name.removeprefix("Array of ")
            for index, item in enumerate(value):
                result.extend(self.check(item, (inner,), f"{path}[{index}]"))
            return result
        primitive = PRIMITIVES.get(type_name)
        if primitive is not None:
            if not primitive(value):
                result.problems.append(f"{path}: expected {type_name}, got {_json_type(value)}")
            return result
        spec = self.types.get(type_name)
        if spec is None:  # a type the description does not define: nothing to check against
            return result
        if spec.subtypes:
            if isinstance(value, dict):
                for subtype in spec.subtypes:
                    sub = self.types.get(subtype)
                    if sub and sub.discriminator:
                        key, expected = sub.discriminator
                        if value.get(key) == expected:
                            return self._check_one(value, subtype, path)
            return self.check(value, spec.subtypes, path)
        if not isinstance(value, dict):
            result.problems.append(f"{path}: expected {type_name} object, got {_json_type(value)}")
            return result
        if spec.discriminator:
            key, expected = spec.discriminator
            if value.get(key) != expected:
                result.problems.append(f"{path}.{key}: must be {expected!r} for {type_name}")
        for fspec in spec.fields.values():
            if fspec.required and fspec.name not in value:
                result.problems.append(
                    f"{path}.{fspec.name}: required field of {type_name} missing"
                )
        for key, item in value.items():
            item_spec = spec.fields.get(key)
            if item_spec is None:
                result.unknown.append(f"{path}.{key}: {type_name} has no such field")
            else:
                result.extend(self.check(item, item_spec.types, f"{path}.{key}"))
        return result


def _field_spec(raw: dict[str, Any]) -> FieldSpec:
    return FieldSpec(raw["name"], tuple(raw.get("types", [])), bool(raw.get("required")))


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


PRIMITIVES: dict[str, Callable[[Any], bool]] = {
    "Integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "Float": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "String": lambda v: isinstance(v, str),
    "Boolean": lambda v: isinstance(v, bool),
    "True": lambda v: v is True,
    "InputFile": lambda v: isinstance(v, UploadedFile),
}


@cache
def load_spec() -> BotApiSpec:
    """The Bot API digest committed in tests/contracts/ (cached)."""
    return BotApiSpec(load_digest(TELEGRAM_SPEC))
