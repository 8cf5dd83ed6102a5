"""The failures that cross the ports: an adapter raises them, the core and the Telegram layer
read them. Each carries what the writer may be told; none holds a secret."""

from __future__ import annotations


class ModelError(Exception):
    """A failed model call. `retryable` says whether trying again later can help."""

    retryable = False

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.retry_after = retry_after

    def __str__(self) -> str:
        parts = [
            f"HTTP {self.status}" if self.status else "",
            f"code {self.code}" if self.code else "",
        ]
        where = ", ".join(p for p in parts if p)
        return f"{self.args[0]} ({where})" if where else str(self.args[0])


class AuthenticationFailed(ModelError):
    """401/403 code 10000: the API token is wrong or lacks Workers AI permissions."""


class ModelNotAvailable(ModelError):
    """The model name is unknown, or the account may not use it (5007, 3042, 5035, 5016)."""


class AccountNotFound(ModelError):
    """404 code 7003: the account id or path is wrong."""


class RequestRejected(ModelError):
    """400/413: the input is invalid or too large for the model."""


class DailyQuotaExceeded(ModelError):
    """429 code 3036: the free daily allocation is used up; it resets at 00:00 UTC."""


class CapacityExceeded(ModelError):
    """429 code 3040: Workers AI is temporarily over capacity."""

    retryable = True


class ServiceUnavailable(ModelError):
    """5xx, 408, timeouts and network errors: worth retrying."""

    retryable = True


class IncompleteAnswer(ModelError):
    """The model answered with no text, or was cut off by the token limit."""


class PublishError(Exception):
    """GitHub refused or failed. `user_message` is safe to show; it never holds a token."""

    def __init__(self, user_message: str, *, status: int | None = None) -> None:
        super().__init__(user_message)
        self.user_message = user_message
        self.status = status


class StateStoreError(Exception):
    """The state store is unreachable, unwritable or failed an operation."""
