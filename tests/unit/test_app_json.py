"""The Heroku files agree with the code: app.json lists every setting exactly as Settings has it."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr, TypeAdapter

from bot.config import Settings

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def app() -> dict[str, Any]:
    data = json.loads((ROOT / "app.json").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def _is_secret(name: str) -> bool:
    annotation = Settings.model_fields[name].annotation
    return annotation is SecretStr or "SecretStr" in str(annotation)


def test_env_lists_every_setting(app: dict[str, Any]) -> None:
    expected = {name.upper() for name in Settings.model_fields}
    missing = expected - set(app["env"])
    extra = set(app["env"]) - expected
    assert not missing and not extra, f"add to app.json: {missing}; remove: {extra}"


@pytest.mark.parametrize("name", list(Settings.model_fields))
def test_env_entry_matches_the_setting(app: dict[str, Any], name: str) -> None:
    field = Settings.model_fields[name]
    entry = app["env"][name.upper()]
    assert set(entry) <= {"description", "required", "value"}
    # It may add Heroku-specific advice, but it starts with the code's own description.
    assert field.description
    assert entry["description"].startswith(field.description)
    assert entry["required"] is field.is_required()
    if "value" in entry:
        assert not field.is_required()
        assert not _is_secret(name), "a secret must never have a value in app.json"
        assert isinstance(entry["value"], str)
        assert field.annotation is not None
        parsed = TypeAdapter(field.annotation).validate_python(entry["value"])
        assert parsed == field.get_default(call_default_factory=True)


def test_the_worker_runs_and_nothing_else(app: dict[str, Any]) -> None:
    assert app["formation"] == {"worker": {"quantity": 1, "size": "basic"}}
    assert "web" not in app["formation"]


def test_state_goes_to_heroku_redis(app: dict[str, Any]) -> None:
    [addon] = app["addons"]
    assert addon["plan"].startswith("heroku-redis:")
    assert addon.get("as", "REDIS") == "REDIS"  # so Heroku sets REDIS_URL


def test_metadata(app: dict[str, Any]) -> None:
    assert app["name"] == "blogbot"
    assert app["description"]
    assert app["repository"].startswith("https://github.com/")
    assert app["keywords"]
    assert app["buildpacks"] == [{"url": "heroku/python"}]


def test_procfile_runs_the_bot_as_a_worker() -> None:
    assert (ROOT / "Procfile").read_text(encoding="utf-8").strip() == "worker: python -m bot"


def test_python_version_file_satisfies_the_project() -> None:
    version = (ROOT / ".python-version").read_text(encoding="utf-8").strip()
    assert version == "3.11"
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["requires-python"] == ">=3.11"


def test_requirements_install_the_project() -> None:
    # Heroku's Python buildpack detects an app by requirements.txt (or a lock file); it must
    # install this project so pyproject.toml stays the one list of dependencies.
    lines = (ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines()
    assert [line.strip() for line in lines if line.strip() and not line.startswith("#")] == ["."]
