"""`python -m bot check`: prove every setting works against the live services before deploying.

Each check calls the real service the way the bot will (read-only: no model run, no write to
GitHub) and says, for anything wrong, exactly which variable to change and how. Nothing here
prints a secret: details are built from non-secret values, and the finished table is passed
through the same redaction as the log as a second line of defence.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit

import httpx
import requests
from github import Auth, Github, GithubException, GithubRetry
from github.Repository import Repository
from telegram import Bot
from telegram.error import InvalidToken, NetworkError, TelegramError, TimedOut
from telegram.request import HTTPXRequest

from bot.adapters.state import (
    NamespacedStore,
    open_state_store,
    state_namespace,
    state_on_ephemeral_disk,
)
from bot.config import Settings
from bot.core.errors import StateStoreError
from bot.logs import RedactingFormatter

log = logging.getLogger(__name__)

Status = Literal["PASS", "WARN", "FAIL"]

DELETE_WEBHOOK_COMMAND = "python -m bot check --delete-webhook"
HEROKU_REDIS_COMMAND = "heroku addons:create heroku-redis:mini"
GITHUB_PERMISSIONS = "Contents: Read and write and Pull requests: Read and write"
DEFAULT_TELEGRAM_API = "https://api.telegram.org"
TIMEOUT_SECONDS = 15.0


@dataclass(frozen=True)
class CheckResult:
    check: str
    status: Status
    detail: str
    fix: str | None = None
    # A failure that may pass by itself (network down, service overloaded), as opposed to a
    # setting that is wrong: the bot starts anyway after a transient one.
    transient: bool = False


def passed(check: str, detail: str) -> CheckResult:
    return CheckResult(check, "PASS", detail)


def failed(check: str, detail: str, fix: str, *, transient: bool = False) -> CheckResult:
    return CheckResult(check, "FAIL", detail, fix, transient)


def warned(check: str, detail: str, fix: str) -> CheckResult:
    return CheckResult(check, "WARN", detail, fix)


def all_passed(results: Sequence[CheckResult]) -> bool:
    """WARN rows are advice, not blockers: only a FAIL fails the check."""
    return not any(r.status == "FAIL" for r in results)


def _origin(url: str) -> str:
    # A webhook URL often carries the bot token or a secret path; its origin is enough to act on.
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname}" if parts.hostname else "(unparsable URL)"


# -- Telegram ------------------------------------------------------------------------------------
async def check_telegram(settings: Settings, *, delete_webhook: bool) -> list[CheckResult]:
    bot = Bot(
        settings.telegram_bot_token.get_secret_value(),
        base_url=f"{settings.telegram_api_url}/bot",
        request=HTTPXRequest(connect_timeout=10.0, read_timeout=TIMEOUT_SECONDS),
    )
    name = "Telegram bot"
    try:
        # `initialize` calls getMe. Its exceptions quote the token, so they are never printed.
        async with bot:
            me = bot.bot
            results = [passed(name, f"@{me.username} (id {me.id})")]
            results.append(await _check_webhook(bot, delete_webhook=delete_webhook))
            return results
    except InvalidToken:
        fix = (
            "In Telegram, send /mybots to @BotFather, pick your bot, press API Token and copy it "
            "into TELEGRAM_BOT_TOKEN."
        )
        if settings.telegram_api_url != DEFAULT_TELEGRAM_API:
            fix += f" Also check TELEGRAM_API_URL (now {settings.telegram_api_url})."
        return [failed(name, "Telegram rejected TELEGRAM_BOT_TOKEN (Unauthorized)", fix)]
    except (TimedOut, NetworkError) as exc:
        return [
            failed(
                name,
                f"could not reach Telegram at {settings.telegram_api_url} ({type(exc).__name__})",
                "Check the network connection and TELEGRAM_API_URL, then run the check again.",
            )
        ]
    except TelegramError as exc:
        return [
            failed(
                name,
                f"Telegram answered: {exc.message}",
                "Check TELEGRAM_BOT_TOKEN and TELEGRAM_API_URL, then run the check again.",
            )
        ]


async def _check_webhook(bot: Bot, *, delete_webhook: bool) -> CheckResult:
    name = "Telegram polling"
    try:
        info = await bot.get_webhook_info()
        where = _origin(info.url) if info.url else ""
        if info.url and delete_webhook:
            # Pending updates are kept: the bot picks them up with its first getUpdates.
            await bot.delete_webhook(drop_pending_updates=False)
            return passed(name, f"deleted the webhook to {where}: long polling can start")
    except TelegramError as exc:  # the token worked a moment ago: most likely the network
        return failed(
            name,
            f"could not read or delete the webhook ({type(exc).__name__})",
            "Run the check again; if it keeps failing, check the network and TELEGRAM_API_URL.",
        )
    if not info.url:
        return passed(name, "no webhook set: long polling can start")
    return failed(
        name,
        f"a webhook to {where} is set, and Telegram refuses long polling while it is",
        f"run `{DELETE_WEBHOOK_COMMAND}` (and stop whatever set the webhook, if it still runs)",
    )


# -- Workers AI ----------------------------------------------------------------------------------
async def check_workers_ai(
    settings: Settings, http: httpx.AsyncClient | None = None
) -> list[CheckResult]:
    """One catalogue search proves token, account and model: running the model would cost
    neurons from the daily allocation."""
    own_client = http is None
    client = http or httpx.AsyncClient(
        timeout=httpx.Timeout(TIMEOUT_SECONDS, connect=10.0),
        transport=httpx.AsyncHTTPTransport(retries=2),  # connection failures only
    )
    try:
        return await _search_model(settings, client)
    finally:
        if own_client:
            await client.aclose()


async def _search_model(settings: Settings, client: httpx.AsyncClient) -> list[CheckResult]:
    access = "Workers AI access"
    account = settings.cloudflare_account_id
    url = f"{settings.cloudflare_api_url}/accounts/{account}/ai/models/search"
    # The catalogue search matches names by substring; the last path segment matches whatever
    # the search does with "@cf/" prefixes, and the exact name is compared below.
    term = settings.ai_model.rsplit("/", 1)[-1]
    headers = {"Authorization": f"Bearer {settings.cloudflare_api_token.get_secret_value()}"}
    try:
        response = await client.get(url, params={"search": term}, headers=headers)
    except httpx.HTTPError as exc:
        return [
            failed(
                access,
                f"could not reach {settings.cloudflare_api_url} ({type(exc).__name__})",
                "Check the network connection and CLOUDFLARE_API_URL, then run the check again.",
                transient=True,
            )
        ]
    try:
        payload: Any = response.json()
    except ValueError:
        payload = None
    if not isinstance(payload, dict):
        return [
            failed(
                access,
                f"Cloudflare answered HTTP {response.status_code} with a non-JSON body",
                "Try again in a few minutes; if it persists, check CLOUDFLARE_API_URL.",
                transient=True,
            )
        ]
    code, message = _first_error(payload)
    status = response.status_code
    where = f"HTTP {status}" + (f", code {code}" if code is not None else "")
    if status in (401, 403) or code == 10000:
        return [
            failed(
                access,
                f"Cloudflare rejected CLOUDFLARE_API_TOKEN ({where})",
                "In the Cloudflare dashboard, My Profile -> API Tokens -> Create Token -> the "
                '"Workers AI" template (Workers AI Read and Edit permissions); put the new token '
                "in CLOUDFLARE_API_TOKEN.",
            )
        ]
    if status == 404 or code == 7003:
        return [
            failed(
                access,
                f"Cloudflare does not know account {account} ({where})",
                "Copy the Account ID shown on the right of the Workers & Pages overview in the "
                "Cloudflare dashboard into CLOUDFLARE_ACCOUNT_ID.",
            )
        ]
    if status >= 400 or payload.get("success") is False:
        return [
            failed(
                access,
                f"Cloudflare answered {where}: {message}",
                "Try again in a few minutes; if it persists, check CLOUDFLARE_API_URL.",
                transient=status >= 500 or status == 429,
            )
        ]
    results = [passed(access, f"API token accepted for account {account}")]
    results.append(_model_result(settings.ai_model, payload.get("result")))
    return results


def _first_error(payload: dict[str, Any]) -> tuple[int | None, str]:
    errors = payload.get("errors")
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        raw = errors[0].get("code")
        try:
            code = int(raw) if isinstance(raw, int | str) else None
        except ValueError:
            code = None
        return code, str(errors[0].get("message") or "unknown error")
    return None, "unknown error"


def _model_result(model: str, found: Any) -> CheckResult:
    name = "Workers AI model"
    models = [m for m in found if isinstance(m, dict)] if isinstance(found, list) else []
    match = next((m for m in models if m.get("name") == model), None)
    catalogue = "https://developers.cloudflare.com/workers-ai/models/"
    if match is None:
        fix = f"Set AI_MODEL to a text-generation model from {catalogue}"
        similar = [str(m.get("name")) for m in models if m.get("name")][:3]
        if similar:
            fix += " (similar names: " + ", ".join(similar) + ")"
        return failed(name, f"{model} is not in the Workers AI model catalogue", fix + ".")
    task = match.get("task")
    task_name = str(task.get("name") or "") if isinstance(task, dict) else ""
    if task_name and task_name.lower() != "text generation":
        return failed(
            name,
            f"{model} is a {task_name} model, not a text-generation model",
            f"Set AI_MODEL to a text-generation model from {catalogue}.",
        )
    return passed(name, f"{model} ({task_name or 'task unknown'})")


# -- GitHub --------------------------------------------------------------------------------------
def check_github(settings: Settings) -> list[CheckResult]:
    """Blocking (PyGithub); run it in a thread. Stops at the first failure: the later checks
    would only repeat it."""
    github = Github(
        auth=Auth.Token(settings.github_token.get_secret_value()),
        base_url=settings.github_api_url,
        timeout=int(TIMEOUT_SECONDS),
        seconds_between_requests=None,
        seconds_between_writes=None,
        # A short retry: a check that hangs for minutes on a rate limit helps nobody.
        retry=GithubRetry(
            total=2, backoff_factor=0.5, secondary_rate_wait=5, max_rate_limit_wait=10
        ),
    )
    results: list[CheckResult] = []
    step = "GitHub token"

    def ok(result: CheckResult) -> bool:
        results.append(result)
        return result.status != "FAIL"

    try:
        if not ok(_github_token(github)):
            return results
        step = "GitHub repository"
        repo = github.get_repo(settings.github_repo)
        if not ok(_github_repository(repo)):
            return results
        step = "GitHub permissions"
        if not ok(_github_push(repo)):
            return results
        step = "GitHub base branch"
        base, result = _github_base_branch(repo, settings.github_base_branch)
        if not ok(result) or base is None:
            return results
        step = "GitHub posts folder"
        ok(_github_posts_dir(repo, settings.posts_dir, base))
        return results
    except GithubException as exc:
        results.append(_github_failure(step, exc, settings))
        return results
    except requests.exceptions.RetryError:
        results.append(
            failed(
                step,
                "GitHub kept answering with server errors",
                "Try again in a few minutes (https://www.githubstatus.com).",
            )
        )
        return results
    except requests.exceptions.RequestException as exc:
        results.append(
            failed(
                step,
                f"could not reach GitHub at {settings.github_api_url} ({type(exc).__name__})",
                "Check the network connection and GITHUB_API_URL, then run the check again.",
            )
        )
        return results
    finally:
        github.close()


def _token_fix(repo: str) -> str:
    return (
        "Create a fine-grained token (GitHub Settings -> Developer settings -> Fine-grained "
        f"tokens) with access to {repo} and the repository permissions {GITHUB_PERMISSIONS}; "
        "put it in GITHUB_TOKEN."
    )


def _github_token(github: Github) -> CheckResult:
    name = "GitHub token"
    try:
        login = github.get_user().login
    except GithubException as exc:
        if exc.status == 403:
            # GitHub App installation tokens may not read /user; the repository checks decide.
            return passed(name, "token accepted (it may not read its own user)")
        raise
    return passed(name, f"token of {login}")


def _github_repository(repo: Repository) -> CheckResult:
    name = "GitHub repository"
    if repo.archived:
        return failed(
            name,
            f"{repo.full_name} is archived (read-only)",
            "Unarchive the repository in its Settings, or point GITHUB_REPO at the live blog.",
        )
    return passed(name, f"{repo.full_name} ({'private' if repo.private else 'public'})")


def _github_push(repo: Repository) -> CheckResult:
    name = "GitHub permissions"
    permissions = repo.permissions
    if permissions is None or not permissions.push:
        return failed(
            name,
            f"the token may read {repo.full_name} but not push to it",
            f"Give the token {GITHUB_PERMISSIONS} (GitHub Settings -> Developer settings -> "
            "Fine-grained tokens -> edit the token -> Repository permissions).",
        )
    return passed(name, f"the token may push to {repo.full_name}")


def _github_base_branch(repo: Repository, configured: str | None) -> tuple[str | None, CheckResult]:
    name = "GitHub base branch"
    base = configured or repo.default_branch
    try:
        repo.get_branch(base)
    except GithubException as exc:
        if exc.status != 404:
            raise
        if configured:
            fix = (
                f"Set GITHUB_BASE_BRANCH to an existing branch, or unset it to use the "
                f"default branch ({repo.default_branch})."
            )
            return None, failed(name, f"GITHUB_BASE_BRANCH {base} does not exist", fix)
        return None, failed(
            name,
            f"the default branch {base} does not exist (is the repository empty?)",
            f"Push a first commit to {repo.full_name}, or set GITHUB_BASE_BRANCH.",
        )
    origin = "GITHUB_BASE_BRANCH" if configured else "the default branch"
    return base, passed(name, f"{base} ({origin})")


def _github_posts_dir(repo: Repository, posts_dir: str, base: str) -> CheckResult:
    name = "GitHub posts folder"
    folder = posts_dir or "/"
    try:
        contents = repo.get_contents(posts_dir, ref=base)
    except GithubException as exc:
        if exc.status != 404:
            raise
        return warned(
            name,
            f"{folder} does not exist on {base}; the first post will create it",
            "Nothing to do if that is where the blog reads posts; otherwise set POSTS_DIR to "
            "the folder that holds them (e.g. content/blog or _posts).",
        )
    if not isinstance(contents, list):
        return failed(
            name,
            f"{folder} is a file on {base}, not a folder",
            "Set POSTS_DIR to the folder the blog reads its posts from.",
        )
    count = len(contents)
    return passed(name, f"{folder} on {base} ({count} entr{'ies' if count != 1 else 'y'})")


def _github_failure(step: str, exc: GithubException, settings: Settings) -> CheckResult:
    status = exc.status
    repo = settings.github_repo
    if status == 401:
        return failed(step, "GitHub rejected GITHUB_TOKEN (401 Bad credentials)", _token_fix(repo))
    if status == 404:
        return failed(
            step,
            f"GitHub cannot find {repo} with this token (404)",
            "Check GITHUB_REPO (owner/name, e.g. acme/blog) and that the token's Repository "
            f"access includes {repo} (Fine-grained tokens -> edit -> Repository access).",
        )
    if status == 403:
        return failed(
            step,
            f"GitHub refused access to {repo} (403)",
            f"Give the token access to {repo} with {GITHUB_PERMISSIONS}; if the message was "
            "about a rate limit, wait a few minutes.",
        )
    if status >= 500:
        return failed(
            step,
            f"GitHub is having trouble ({status})",
            "Try again in a few minutes (https://www.githubstatus.com).",
        )
    return failed(
        step,
        f"GitHub answered {status}",
        "Check GITHUB_API_URL, GITHUB_REPO and GITHUB_TOKEN, then run the check again.",
    )


# -- the bot's own settings and state ------------------------------------------------------------
def check_allowlist(settings: Settings) -> CheckResult:
    name = "Allowed users"
    count = len(settings.allowed_user_ids)
    if count == 0:
        return failed(
            name,
            "ALLOWED_USER_IDS is empty: the bot would serve nobody",
            "Start the bot and send it any message in Telegram: it replies with your numeric "
            "user id. Put the ids in ALLOWED_USER_IDS (comma-separated) and restart the bot.",
        )
    return passed(name, f"{count} writer{'s' if count != 1 else ''} allowed")


async def check_state(settings: Settings) -> list[CheckResult]:
    name = "State store"
    redis_url = settings.redis_url_value
    fix = (
        "Check REDIS_URL (on Heroku: heroku redis:info, heroku config:get REDIS_URL)."
        if redis_url
        else "Set STATE_PATH to a file in a folder the bot may write to."
    )
    try:
        store = NamespacedStore(
            open_state_store(redis_url=redis_url, sqlite_path=settings.state_path),
            state_namespace(
                bot_token=settings.telegram_bot_token.get_secret_value(), repo=settings.github_repo
            ),
        )
    except StateStoreError as exc:  # its message is already free of the password
        return [failed(name, str(exc), fix)]
    try:
        await store.ping()
    except StateStoreError as exc:
        if redis_url and "certificate verify failed" in str(exc).lower():
            # Heroku Key-Value Store serves TLS with a self-signed certificate.
            fix = (
                "The Redis server's TLS certificate is self-signed (as on Heroku Key-Value "
                "Store): the bot must connect with ssl_cert_reqs=none; report this to the "
                "bot's maintainers."
            )
        return [failed(name, f"not usable: {exc}", fix)]
    finally:
        try:
            await store.close()
        except StateStoreError:
            log.debug("closing the state store failed", exc_info=True)
    return [passed(name, f"{store.description}: reachable and writable")]


def check_heroku_state(settings: Settings) -> CheckResult:
    name = "Heroku state"
    redis_url = settings.redis_url_value
    if state_on_ephemeral_disk(redis_url=redis_url, dyno=settings.dyno):
        return failed(
            name,
            f"on Heroku with state in {settings.state_path}, on a disk wiped at every restart",
            f"add the Heroku Key-Value Store add-on: {HEROKU_REDIS_COMMAND} "
            "(it sets REDIS_URL), then restart the worker",
        )
    if settings.dyno:
        return passed(name, "on Heroku with state in Redis: conversations survive restarts")
    return passed(name, "not on Heroku (DYNO unset)")


# -- running everything --------------------------------------------------------------------------
async def _guarded(
    name: str, check: Callable[[], Awaitable[list[CheckResult]]]
) -> list[CheckResult]:
    """A bug or an unforeseen error in one check must not hide the others' results."""
    try:
        return await check()
    except Exception as exc:
        log.debug("check %s crashed", name, exc_info=True)
        return [
            failed(
                name,
                f"unexpected error: {type(exc).__name__}",
                "Run the check again with LOG_LEVEL=DEBUG and read the log above the table.",
            )
        ]


async def run_checks(settings: Settings, *, delete_webhook: bool = False) -> list[CheckResult]:
    """Every check, the slow network ones concurrently; rows come back in a fixed order."""
    groups = await asyncio.gather(
        _guarded("Telegram bot", lambda: check_telegram(settings, delete_webhook=delete_webhook)),
        _guarded("Workers AI access", lambda: check_workers_ai(settings)),
        _guarded("GitHub token", lambda: asyncio.to_thread(check_github, settings)),
        _guarded("State store", lambda: check_state(settings)),
    )
    telegram, workers_ai, github, state = groups
    return [
        *telegram,
        *workers_ai,
        *github,
        check_allowlist(settings),
        *state,
        check_heroku_state(settings),
    ]


def format_table(results: Sequence[CheckResult], secrets: Sequence[str] = ()) -> str:
    """Aligned plain-text columns; a `fix:` line under every row that needs action."""
    header = ("CHECK", "RESULT", "DETAIL")
    check_width = max(len(header[0]), *(len(r.check) for r in results))
    result_width = len(header[1])
    indent = " " * (check_width + result_width + 4)

    def row(check: str, result: str, detail: str) -> str:
        return f"{check:<{check_width}}  {result:<{result_width}}  {detail}".rstrip()

    lines = [row(*header)]
    for result in results:
        lines.append(row(result.check, result.status, result.detail))
        if result.fix and result.status != "PASS":
            lines.append(f"{indent}fix: {result.fix}")
    failures = sum(r.status == "FAIL" for r in results)
    warnings = sum(r.status == "WARN" for r in results)
    lines.append("")
    if failures:
        lines.append(
            f"{failures} check{'s' if failures != 1 else ''} failed"
            + (f", {warnings} warning{'s' if warnings != 1 else ''}" if warnings else "")
            + ": apply the fixes above, then run `python -m bot check` again."
        )
    elif warnings:
        lines.append(f"All checks passed, with {warnings} warning{'s' if warnings != 1 else ''}.")
    else:
        lines.append(f"All {len(results)} checks passed.")
    return RedactingFormatter(secrets).redact("\n".join(lines))
