"""GitHub: token, repository, push permission, base branch and posts folder, read-only."""

from __future__ import annotations

import requests
from github import Github, GithubException, GithubRetry
from github.Repository import Repository

from bot.adapters.github_repo import github_client
from bot.checks.results import TIMEOUT_SECONDS, CheckResult, failed, passed, warned
from bot.config import Settings

GITHUB_PERMISSIONS = "Contents: Read and write and Pull requests: Read and write"


def check_github(settings: Settings) -> list[CheckResult]:
    """Blocking (PyGithub); run it in a thread. Stops at the first failure: the later checks
    would only repeat it."""
    github = github_client(
        api_url=settings.github_api_url,
        token=settings.github_token.get_secret_value(),
        timeout=int(TIMEOUT_SECONDS),
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
        if settings.posts_dir is None:
            ok(passed(step, "not pinned: learned from the blog (the profile below)"))
        else:
            ok(_github_posts_dir(repo, settings.posts_dir, base))
        return results
    except (GithubException, requests.exceptions.RequestException) as exc:
        results.append(_github_error(step, exc, settings))
        return results
    finally:
        github.close()


def _github_error(
    step: str, exc: GithubException | requests.exceptions.RequestException, settings: Settings
) -> CheckResult:
    if isinstance(exc, GithubException):
        return _github_failure(step, exc, settings)
    if isinstance(exc, requests.exceptions.RetryError):
        return failed(
            step,
            "GitHub kept answering with server errors",
            "Try again in a few minutes (https://www.githubstatus.com).",
        )
    return failed(
        step,
        f"could not reach GitHub at {settings.github_api_url} ({type(exc).__name__})",
        "Check the network connection and GITHUB_API_URL, then run the check again.",
    )


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
