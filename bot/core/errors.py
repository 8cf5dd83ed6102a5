"""The failures that cross the ports: an adapter raises them, the core and the Telegram layer
read them. Each carries what the writer may be told; none holds a secret.

Every failure the writer is told about is an `ExpectedError`: its `user_message` says, in plain
text, what happened and what to do. The Telegram layer only escapes and frames it
(bot/telegram/replies.py `failure`); the sentences live here, next to the failures.
"""

from __future__ import annotations

SOMETHING_WENT_WRONG = (
    "Something went wrong on my side. The maintainer can find the details in the log."
)


class ExpectedError(Exception):
    """A failure the writer is told about in words.

    Subclasses set `explanation`, one or two short plain-text sentences (or override
    `user_message` when the sentence depends on the failure)."""

    explanation = SOMETHING_WENT_WRONG

    @property
    def user_message(self) -> str:
        """What happened and what to do, as plain text; never a secret, never a traceback."""
        return self.explanation


class ModelError(ExpectedError):
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

    explanation = (
        "Workers AI rejected the bot's credentials. The maintainer needs to check "
        "CLOUDFLARE_API_TOKEN and CLOUDFLARE_ACCOUNT_ID."
    )


class ModelNotAvailable(ModelError):
    """The model name is unknown, or the account may not use it (5007, 3042, 5035, 5016)."""

    explanation = (
        "The configured AI model is not available. The maintainer needs to check AI_MODEL."
    )


class AccountNotFound(ModelError):
    """404 code 7003: the account id or path is wrong."""

    explanation = (
        "Workers AI does not know this account. The maintainer needs to check "
        "CLOUDFLARE_ACCOUNT_ID."
    )


class RequestRejected(ModelError):
    """400/413: the input is invalid or too large for the model."""

    explanation = "Workers AI refused the request (it may be too long). Try shorter notes."


class DailyQuotaExceeded(ModelError):
    """429 code 3036: the free daily allocation is used up; it resets at 00:00 UTC."""

    explanation = (
        "The Workers AI daily free allocation is used up. It resets at 00:00 UTC; "
        "send your message again after that."
    )


class CapacityExceeded(ModelError):
    """429 code 3040: Workers AI is temporarily over capacity."""

    retryable = True
    explanation = (
        "Workers AI is over capacity right now. Please send your message again in a minute."
    )


class ServiceUnavailable(ModelError):
    """5xx, 408, timeouts and network errors: worth retrying."""

    retryable = True
    explanation = "Workers AI is not answering right now. Please try again in a few minutes."


class IncompleteAnswer(ModelError):
    """The model answered with no text, or was cut off by the token limit."""

    @property
    def user_message(self) -> str:
        return f"The model did not produce a usable draft: {self.args[0]}. Please try again."


class AnswerCutOff(IncompleteAnswer):
    """The model stopped at the token limit; `partial` is what it wrote until then (never
    empty), which a follow-up call can continue."""

    def __init__(self, message: str, *, partial: str) -> None:
        super().__init__(message)
        self.partial = partial


class PostTooLong(IncompleteAnswer):
    """Still cut off by the token limit after every follow-up call the bot allows."""

    def __init__(self, continuations: int) -> None:
        super().__init__(f"still cut off after {continuations} continuations")
        self.continuations = continuations

    @property
    def user_message(self) -> str:
        return (
            f"The post came out too long: the model was still writing after {self.continuations} "
            "follow-up calls, so I published nothing. Please ask for a shorter post (or split it "
            "in parts)."
        )


class PublishError(ExpectedError):
    """GitHub refused or failed. `user_message` is safe to show; it never holds a token."""

    def __init__(self, user_message: str, *, status: int | None = None) -> None:
        super().__init__(user_message)
        self.explanation = user_message
        self.status = status


class SpeechModelNotAvailable(ModelNotAvailable):
    """The speech-to-text model is unknown, or the account may not use it."""

    explanation = (
        "The configured speech model is not available. The maintainer needs to check "
        "AI_SPEECH_MODEL."
    )


class AudioRejected(RequestRejected):
    """400/413 from the speech model: the recording is too long or in a form it cannot read."""

    explanation = (
        "Workers AI could not transcribe this recording (it may be too long, or in a format it "
        "cannot read). Send a shorter clip, or type your notes."
    )


class FileUnavailable(ExpectedError):
    """Telegram did not hand over the file (a network failure, or the file is gone)."""

    explanation = "I couldn't fetch your file from Telegram. Please try again in a minute."


class InputRefused(ExpectedError):
    """What the writer sent cannot be used as it is; sending it again would not help."""


class NotesTooLong(InputRefused):
    """The writer's notes are longer than the bot accepts; refused before anything is spent."""

    def __init__(self, length: int, limit: int) -> None:
        self.explanation = (
            f"Your notes are too long ({length:,} characters; the limit is {limit:,}). "
            "Please shorten them and send them again."
        )
        super().__init__(self.explanation)
        self.length = length
        self.limit = limit


class NothingToChange(InputRefused):
    """A change to a merged post that leaves its file exactly as merged: no pull request."""

    def __init__(self, number: int) -> None:
        self.explanation = (
            f"The post merged in pull request #{number} already reads exactly like this, so "
            "there is nothing to put in a new pull request."
        )
        super().__init__(self.explanation)


class FileTooBig(InputRefused):
    """Over Telegram's 20 MB download limit for bots: the file cannot even be fetched."""

    def __init__(self, what: str, size: int | None, limit: int) -> None:
        # Telegram's "20 MB" is 20 MiB; sizes are shown in the same unit.
        size_text = f" is {size / 2**20:.1f} MB" if size else " is too big"
        self.explanation = (
            f"This {what}{size_text}, and Telegram lets bots download files only up to "
            f"{limit // 2**20} MB. Send a shorter clip (or split it in parts), or type your "
            "notes."
        )
        super().__init__(self.explanation)


class FileTooLong(InputRefused):
    """A text file over the size the bot reads; refused before it is downloaded."""

    def __init__(self, name: str, size: int, limit: int) -> None:
        self.explanation = (
            f"{name} is {size / 1000:,.0f} kB; I read text files up to {limit // 1000} kB. "
            "Send a shorter file, or paste the part that matters."
        )
        super().__init__(self.explanation)


class NotText(InputRefused):
    """A .md/.txt file whose bytes are not UTF-8 text."""

    def __init__(self, name: str) -> None:
        self.explanation = (
            f"I couldn't read {name}: it is not UTF-8 text. Save it as UTF-8 (or paste its "
            "text) and send it again."
        )
        super().__init__(self.explanation)


class UnsupportedFile(InputRefused):
    """A document of a kind the bot does not read; the sentence lists what it accepts."""

    def __init__(self, name: str, accepted: str) -> None:
        self.explanation = f"I can't read {name}. {accepted}"
        super().__init__(self.explanation)


class EmptyFile(InputRefused):
    """A text file with nothing a post could be written about."""

    def __init__(self, name: str) -> None:
        self.explanation = f"{name} has no text I could write about. Send me your notes."
        super().__init__(self.explanation)


class NothingHeard(InputRefused):
    """The recording was transcribed to no words at all (silence, noise, music)."""

    explanation = (
        "I couldn't hear any words in that recording. Try again closer to the microphone, or "
        "type your notes."
    )


class StateStoreError(Exception):
    """The state store is unreachable, unwritable or failed an operation."""


class DraftRejected(ExpectedError):
    """The model's draft failed the quality gate twice (bot/core/quality): nothing committed.
    `reasons` says what was wrong with the last draft, in plain sentences."""

    def __init__(self, rules: tuple[str, ...], reasons: str) -> None:
        super().__init__(f"draft rejected twice: {', '.join(rules)}")
        self.rules = rules
        self.reasons = reasons

    @property
    def user_message(self) -> str:
        return (
            "The model wrote two drafts, and neither was fit to publish, so nothing was "
            f"committed. What was wrong with the last one: {self.reasons} Please try again; "
            "more detailed notes often help."
        )
