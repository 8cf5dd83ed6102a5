"""Settings from the environment and a `.env` file.

The names here are the bot's public interface (the README documents each one). A problem is
reported as one line naming the variable, never its value: values may be secrets.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import (
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.core.attachments import AUTO_LANGUAGE, whisper_language
from bot.core.posts import PostPathError, validate_location
from bot.core.privacy import is_phone_region

_REPO_PATTERN = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")

ENV_FILE = ".env"

# What a blog whose layout cannot be learned gets (bot/core/blog's default profile).
DEFAULT_POSTS_DIR = "content/posts"
DEFAULT_POST_FILENAME = "{date}-{slug}.md"

# The examples of .env.example and the README: a value still equal to one was never filled in.
PLACEHOLDERS = {"owner/blog", "owner/name", "owner/repo"}


def _parse_id_list(value: Any) -> list[int]:
    if value is None:
        return []
    if isinstance(value, int):
        return [value]
    if isinstance(value, str):
        parts = [p.strip() for p in re.split(r"[,\s]+", value) if p.strip()]
        try:
            return [int(p) for p in parts]
        except ValueError:
            raise ValueError(
                "must be comma-separated numeric Telegram user ids, e.g. 12345678,87654321"
            ) from None
    if isinstance(value, list | tuple | set):
        return [int(v) for v in value]
    raise ValueError("must be comma-separated numeric Telegram user ids")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=ENV_FILE,
        env_file_encoding="utf-8",
        extra="ignore",
        case_sensitive=False,
        hide_input_in_errors=True,
    )

    telegram_bot_token: SecretStr = Field(description="Bot token from @BotFather.")
    telegram_api_url: str = Field(
        "https://api.telegram.org",
        description="Bot API server; the bot calls {url}/bot{token}/{method}.",
    )

    cloudflare_account_id: str = Field(description="Cloudflare account id.")
    cloudflare_api_token: SecretStr = Field(
        description="Cloudflare API token with Workers AI Read and Edit."
    )
    cloudflare_api_url: str = Field(
        "https://api.cloudflare.com/client/v4", description="Cloudflare API base URL."
    )
    ai_model: str = Field("@cf/google/gemma-4-26b-a4b-it", description="Workers AI model name.")
    ai_max_tokens: int = Field(
        4096, ge=64, le=131072, description="Longest answer of one model call, in tokens."
    )
    ai_speech_model: str = Field(
        "@cf/openai/whisper-large-v3-turbo",
        description="Workers AI speech-to-text model for voice notes.",
    )
    speech_language: str | None = Field(
        None,
        description="Language of voice notes (ISO 639-1, e.g. de); unset: each writer's "
        "Telegram language; auto: detected.",
    )

    ai_embedding_model: str = Field(
        "@cf/baai/bge-m3",
        description="Workers AI text-embedding model that finds posts the blog already has.",
    )
    similar_posts: bool = Field(
        True, description="Warn when a new post is very close to one the blog already has."
    )
    similar_post_threshold: float = Field(
        0.8,
        gt=0,
        le=1,
        description="Cosine similarity from which an existing post counts as the same topic.",
    )
    phone_region: str | None = Field(
        None,
        description="Where the writers' phone numbers are from (ISO 3166 code, e.g. GB): "
        "numbers written without a country code are found too; unset: only +<country> ones.",
    )

    image_max_side: int = Field(
        1600, ge=64, description="Photos are shrunk to at most this many pixels on the longer side."
    )
    image_max_bytes: int = Field(
        20 * 2**20, ge=1, description="Largest image file accepted, in bytes (default 20 MB)."
    )

    github_token: SecretStr = Field(
        description="Fine-grained token: Contents and Pull requests read/write on the repo."
    )
    github_repo: str = Field(description="The blog repository, owner/name.")
    github_api_url: str = Field(
        "https://api.github.com",
        description="GitHub API; for GitHub Enterprise https://HOST/api/v3.",
    )
    github_base_branch: str | None = Field(
        None, description="Branch the PRs target; default: the repository's default branch."
    )

    github_writes_per_minute: int = Field(
        80, ge=1, description="Pace of GitHub writes (GitHub's secondary limit: 80 a minute)."
    )
    github_writes_per_hour: int = Field(
        500, ge=1, description="Hourly cap on GitHub writes (GitHub's secondary limit: 500)."
    )

    # Unset (or empty): learned from the blog's repository. Set: pinned, whatever is learned.
    posts_dir: str | None = Field(
        None, description="Folder of the posts in the repo; unset: learned from the blog."
    )
    post_filename: str | None = Field(
        None,
        description="File name template: {date} {slug} {year} {month} {day}; unset: learned.",
    )
    branch_prefix: str = Field("blogbot/", description="Prefix of the branches the bot creates.")
    pr_include_notes: bool = Field(
        True, description="Show the writer's notes (collapsed) in each pull request."
    )
    pr_labels: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Comma-separated labels added to each new pull request."
    )
    pr_reviewers: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Comma-separated GitHub logins asked to review each new pull request.",
    )
    pr_draft: bool = Field(False, description="Open pull requests as drafts.")

    review_poll_seconds: float = Field(
        60.0,
        ge=0,
        description="How often the bot looks for reviews, comments and merges on its open "
        "pull requests, in seconds; 0: never.",
    )
    review_mention: str = Field(
        "@blogbot",
        description="A PR comment that mentions this (or the bot's GitHub login) is applied "
        "without asking the writer.",
    )
    site_base_url: str | None = Field(
        None,
        description="The blog's address, to tell writers where a merged post is: "
        "{url}/{slug}/, or a template with {slug} {year} {month} {day}.",
    )

    allowed_user_ids: Annotated[list[int], NoDecode] = Field(
        default_factory=list,
        description="Comma-separated Telegram user ids allowed to use the bot (deny by default).",
    )
    state_path: Path = Field(Path("blogbot.sqlite3"), description="SQLite file for state.")
    redis_url: SecretStr | None = Field(
        None,
        description="Redis URL for state (Heroku Key-Value Store sets it); SQLite when unset.",
    )
    conversation_ttl_hours: float = Field(
        24.0, gt=0, description="A conversation is forgotten after this long without activity."
    )
    dyno: str | None = Field(None, description="Set by Heroku; used to warn about local state.")
    log_level: str = Field("INFO", description="Log level: DEBUG, INFO, WARNING, ERROR.")

    @field_validator("allowed_user_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: Any) -> list[int]:
        return _parse_id_list(value)

    @field_validator("pr_labels", "pr_reviewers", mode="before")
    @classmethod
    def _split_names(cls, value: Any) -> list[str]:
        if value is None:
            return []
        items = value.split(",") if isinstance(value, str) else list(value)
        return [str(item).strip().lstrip("@") for item in items if str(item).strip()]

    @field_validator("telegram_api_url", "cloudflare_api_url", "github_api_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if not re.match(r"^https?://[^\s/]+", value):
            raise ValueError("must be an http(s) URL")
        return value

    @field_validator("github_repo")
    @classmethod
    def _owner_name(cls, value: str) -> str:
        value = value.strip()
        if not _REPO_PATTERN.match(value):
            raise ValueError("must look like owner/name")
        if value.lower() in PLACEHOLDERS:
            raise ValueError(
                f"is still the example value {value} from .env.example; "
                "set it to your blog repository, owner/name"
            )
        return value

    @field_validator("telegram_bot_token")
    @classmethod
    def _telegram_token_shape(cls, value: SecretStr) -> SecretStr:
        if not re.match(r"^\d+:[A-Za-z0-9_-]+$", value.get_secret_value().strip()):
            raise ValueError("does not look like a bot token from @BotFather (digits:letters)")
        return SecretStr(value.get_secret_value().strip())

    @field_validator("cloudflare_api_token", "github_token")
    @classmethod
    def _non_empty_secret(cls, value: SecretStr) -> SecretStr:
        stripped = value.get_secret_value().strip()
        if not stripped:
            raise ValueError("is empty")
        return SecretStr(stripped)

    @field_validator("cloudflare_account_id", "ai_model", "ai_speech_model", "ai_embedding_model")
    @classmethod
    def _non_empty(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("is empty")
        return value.strip()

    @field_validator("phone_region", mode="before")
    @classmethod
    def _phone_region(cls, value: Any) -> Any:
        if not isinstance(value, str) or not value.strip():
            return None if isinstance(value, str) else value
        value = value.strip().upper()
        if not is_phone_region(value):
            raise ValueError("must be a country's two-letter code (ISO 3166), e.g. GB, DE, US")
        return value

    @field_validator("speech_language", mode="before")
    @classmethod
    def _speech_language(cls, value: Any) -> Any:
        if not isinstance(value, str) or not value.strip():
            return None if isinstance(value, str) else value
        value = value.strip().lower()
        if value != AUTO_LANGUAGE and whisper_language(value) is None:
            raise ValueError(
                "must be a language code the speech model knows (e.g. en, de, fr, es), "
                "or auto to detect it"
            )
        return value

    @field_validator("branch_prefix")
    @classmethod
    def _branch_prefix(cls, value: str) -> str:
        if re.search(r"[\s~^:?*\[\\]|\.\.|@\{", value) or value.startswith("/"):
            raise ValueError("is not a valid git branch name prefix")
        return value

    @field_validator("log_level")
    @classmethod
    def _log_level(cls, value: str) -> str:
        value = value.strip().upper()
        if value not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError("must be one of DEBUG, INFO, WARNING, ERROR")
        return value

    @field_validator("site_base_url", mode="before")
    @classmethod
    def _site_url(cls, value: Any) -> Any:
        if not isinstance(value, str) or not value.strip():
            return None if isinstance(value, str) else value
        value = value.strip()
        if not re.match(r"^https?://[^\s/]+", value):
            raise ValueError("must be an http(s) URL")
        return value

    @field_validator("posts_dir", "post_filename", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @model_validator(mode="after")
    def _post_location(self) -> Settings:
        if self.posts_dir is None and self.post_filename is None:
            return self
        try:
            validate_location(
                self.posts_dir or DEFAULT_POSTS_DIR, self.post_filename or DEFAULT_POST_FILENAME
            )
        except PostPathError as exc:
            raise ValueError(f"POSTS_DIR/POST_FILENAME: {exc}") from None
        return self

    def secrets(self) -> list[str]:
        """Every secret value, for the log filter that keeps them out of log lines."""
        secrets = [
            s.get_secret_value()
            for s in (self.telegram_bot_token, self.cloudflare_api_token, self.github_token)
        ]
        if self.redis_url is not None:
            secrets.append(self.redis_url.get_secret_value())
            password = urlsplit(self.redis_url.get_secret_value()).password
            if password:
                secrets.append(password)
        return secrets

    @property
    def redis_url_value(self) -> str | None:
        value = self.redis_url.get_secret_value().strip() if self.redis_url else ""
        return value or None


class ConfigError(Exception):
    """Settings are missing or invalid; `problems` holds one line per variable."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def describe_validation_error(error: ValidationError) -> list[str]:
    """One line per problem, naming the environment variable and never echoing its value."""
    lines = []
    for item in error.errors(include_input=False, include_url=False):
        name = "_".join(str(part) for part in item["loc"]).upper()
        message = str(item["msg"]).removeprefix("Value error, ")
        if item["type"] == "missing":
            message = "is required but not set"
        lines.append(f"{name}: {message}" if name else message)
    return lines


def load_settings(**overrides: Any) -> Settings:
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        raise ConfigError(describe_validation_error(exc)) from None
