"""A loopback fake of the GitHub REST API for one repository, good enough for real PyGithub.

It keeps a small but real git model (blobs, trees and commits hashed exactly like git, refs),
pull requests with labels, comments, reviews and review requests, and answers 27 operations of
GitHub's REST API (the subset of github/rest-api-description that README's "Contract digest"
names) with GitHub's status codes and error bodies (as the official descriptions' NOTES.md,
"GitHub REST", records them). Every answer the fake builds is checked against those
operations' contract (tests/contracts/github-rest-subset.digest.json) when `validate=True`;
client requests are checked too. Violations land in `errors`. A new route needs its operationId
in GITHUB_OPERATIONS of tests/contracts/make_digest.py and a refreshed digest.

    with FakeGitHub(files={"README.md": "# Blog\\n"}) as gh:
        g = Github(auth=Auth.Token("ghp_test"), base_url=gh.api_url,
                   seconds_between_requests=None, seconds_between_writes=None, retry=None)
        ...
        assert gh.pulls()[0]["head"] == "post/hello"
        assert gh.errors == []

Faults: `fail_next("POST", r"/pulls$", server_error(502))` or
`fail_next("PUT", r"/contents/", secondary_rate_limit_response(retry_after=1))`. Injected faults
are sent as given and are not contract-checked. A lost answer (GitHub did the work, the client
got a 5xx, or nothing before it was killed): `lose_next_answer("POST", r"/git/refs$")` or
`fail_next(..., after_work=True)`; the work is done and contract-checked as usual, only its
answer is replaced.

Deliberate realism worth knowing:
* `GET /pulls?head=branch` without the `owner:` prefix ignores the filter (as GitHub does) and
  lists every PR of the requested state. List endpoints paginate (30 per page, `Link` header).
* `PUT /contents` without `sha` on an existing file: 422 `Invalid request.\n\n"sha" wasn't
  supplied.`; with a stale sha: 409 "<path> does not match <sha>". `POST /git/refs` for an
  existing ref: 422 "Reference already exists". `POST /pulls`: 422 "Validation Failed" whose
  `errors[0].message` is "A pull request already exists for acme:<branch>." or
  "No commits between main and <branch>".
* Deleting a branch closes its open pull requests; merging keeps the branch unless
  `delete_branch_on_merge` (the repository setting) is set.
* Writes with a read-only token (`push=False`) answer 403 "Resource not accessible by personal
  access token"; a wrong or missing token answers 401 "Bad credentials"; another repository
  answers 404 "Not Found". X-RateLimit-* headers count down from `rate_limit` (5000); past it,
  403 "API rate limit exceeded ...".
* PyGithub 2.10's lazy `repo.get_git_ref("heads/x")` keeps the `/git/ref/` URL it was built
  with, so `.edit()`/`.delete()` on it go to `PATCH`/`DELETE /git/ref/heads/x`. The fake
  accepts that spelling as well as the documented `/git/refs/` (set SINGULAR_REF_WRITES = False
  to answer it with 404); whether GitHub itself accepts it is not established.
* Comments and reviews touch their pull request (`updated_at`), as on GitHub; `since` filters
  comment lists. A conditional GET (`If-None-Match` with the last `ETag`) of an unchanged
  resource is answered 304 and not counted against the rate limit, on the operations whose
  description declares 304 (`pulls/list`, `pulls/get`); the others answer 200 as usual.
* Timestamps come from a fake clock (2026-01-01, one tick per event), so commit shas are
  deterministic from run to run.
"""

from __future__ import annotations

import base64
import difflib
import hashlib
import itertools
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Self
from urllib.parse import unquote, urlencode

from tests.fakes.base import FakeServer, RecordedRequest, Response
from tests.fakes.contracts import validate_github_request, validate_github_response

DOCS = "https://docs.github.com/rest"
_EPOCH = 1767225600  # 2026-01-01T00:00:00Z; the fake clock ticks one second per event
_FILE_MODE = "100644"
_TREE_MODE = "040000"
_SHA_RE = re.compile(r"^[0-9a-f]{40}$")


# -- ready-made fault responses -------------------------------------------------------------------
def secondary_rate_limit_response(retry_after: int = 1) -> Response:
    """GitHub's secondary rate limit answer (403 + retry-after), for `fail_next`."""
    return Response.json(
        403,
        {
            "message": (
                "You have exceeded a secondary rate limit. Please wait a few minutes before you "
                "try again. If you reach out to GitHub Support for help, please include the "
                "request ID 0000:FAKE:SECONDARY."
            ),
            "documentation_url": "https://docs.github.com/free-pro-team@latest/rest/overview/"
            "rate-limits-for-the-rest-api#about-secondary-rate-limits",
            "status": "403",
        },
        headers={
            "retry-after": str(retry_after),
            "X-RateLimit-Limit": "5000",
            "X-RateLimit-Remaining": "4990",
            "X-RateLimit-Used": "10",
            "X-RateLimit-Resource": "core",
            "X-GitHub-Request-Id": "0000:FAKE:SECONDARY",
        },
    )


def server_error(status: int = 502, *, html: bool = False) -> Response:
    """A GitHub 5xx, JSON by default or the HTML "unicorn" page, for `fail_next`."""
    if html:
        page = (
            "<!DOCTYPE html>\n<html><head><title>Unicorn! &middot; GitHub</title></head>"
            "<body><p>No server is currently available to service your request.</p>"
            "</body></html>\n"
        )
        return Response(status, page.encode(), {"Content-Type": "text/html; charset=utf-8"})
    message = {502: "Server Error", 503: "Service Unavailable"}.get(status, "Server Error")
    return Response.json(status, {"message": message, "status": str(status)})


# -- git model ------------------------------------------------------------------------------------
def _hash_object(kind: str, payload: bytes) -> str:
    return hashlib.sha1(
        f"{kind} {len(payload)}\0".encode() + payload, usedforsecurity=False
    ).hexdigest()


@dataclass(frozen=True)
class TreeEntry:
    mode: str  # API form: "100644", "100755", "040000", "120000", "160000"
    kind: str  # "blob" | "tree" | "commit"
    name: str
    sha: str


@dataclass(frozen=True)
class GitPerson:
    name: str
    email: str
    date: int  # unix seconds

    def api(self) -> dict[str, str]:
        return {"name": self.name, "email": self.email, "date": _iso(self.date)}

    def raw(self) -> str:
        return f"{self.name} <{self.email}> {self.date} +0000"


@dataclass(frozen=True)
class GitCommit:
    sha: str
    tree: str
    parents: tuple[str, ...]
    message: str
    author: GitPerson
    committer: GitPerson


@dataclass
class PullRequest:
    number: int
    id: int
    title: str
    body: str | None
    head: str
    base: str
    head_sha: str
    base_sha: str
    user: str
    created_at: int
    updated_at: int
    draft: bool = False
    state: str = "open"
    merged: bool = False
    merged_at: int | None = None
    closed_at: int | None = None
    merge_commit_sha: str | None = None
    merged_by: str | None = None
    labels: list[str] = field(default_factory=list)
    comments: list[dict[str, Any]] = field(default_factory=list)
    review_comments: list[dict[str, Any]] = field(default_factory=list)
    reviews: list[dict[str, Any]] = field(default_factory=list)
    requested_reviewers: list[str] = field(default_factory=list)
    requested_teams: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "title": self.title,
            "body": self.body,
            "head": self.head,
            "base": self.base,
            "head_sha": self.head_sha,
            "state": self.state,
            "merged": self.merged,
            "draft": self.draft,
            "labels": list(self.labels),
            "comments": [c["body"] for c in self.comments],
            "requested_reviewers": list(self.requested_reviewers),
            "merge_commit_sha": self.merge_commit_sha,
        }


def _iso(ts: int) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class ApiError(Exception):
    """Raised inside a handler to answer with a GitHub error body."""

    def __init__(self, status: int, message: str, doc: str = "", **extra: Any):
        super().__init__(message)
        self.status = status
        self.message = message
        self.doc = doc
        self.extra = extra


@dataclass(frozen=True)
class _Call:
    request: RecordedRequest
    params: dict[str, str]
    body: Any


@dataclass(frozen=True)
class _Route:
    method: str
    regex: re.Pattern[str]
    handler: str
    doc: str
    write: bool


def _route(method: str, pattern: str, handler: str, doc: str) -> _Route:
    regex = re.compile("^" + pattern + "$")
    return _Route(method, regex, handler, f"{DOCS}/{doc}", method != "GET")


_REFS_DOC = "git/refs#"
# The GETs whose description declares `304 Not Modified` (answered to a matching If-None-Match).
_CONDITIONAL = frozenset({"list_pulls", "get_pull"})
_REPO = r"/repos/(?P<owner>[^/]+)/(?P<repo>[^/]+)"
_ROUTES: tuple[_Route, ...] = (
    _route("GET", r"/user", "get_user", "users/users#get-the-authenticated-user"),
    _route("GET", r"/rate_limit", "get_rate_limit", "rate-limit/rate-limit#get-rate-limit-status"),
    _route("GET", _REPO, "get_repo", "repos/repos#get-a-repository"),
    _route(
        "GET", _REPO + r"/branches/(?P<branch>.+)", "get_branch", "branches/branches#get-a-branch"
    ),
    _route("GET", _REPO + r"/git/ref/(?P<ref>.+)", "get_ref", "git/refs#get-a-reference"),
    _route("POST", _REPO + r"/git/refs", "create_ref", "git/refs#create-a-reference"),
    # PyGithub 2.10's lazy `get_git_ref(...)` keeps the `/git/ref/` (singular) URL it was built
    # with, so `.edit()` / `.delete()` on it PATCH/DELETE `/git/ref/...`; both spellings are
    # accepted (see SINGULAR_REF_WRITES).
    _route(
        "PATCH", _REPO + r"/git/refs?/(?P<ref>.+)", "update_ref", _REFS_DOC + "update-a-reference"
    ),
    _route(
        "DELETE", _REPO + r"/git/refs?/(?P<ref>.+)", "delete_ref", _REFS_DOC + "delete-a-reference"
    ),
    _route(
        "GET",
        _REPO + r"/contents(?:/(?P<path>.*))?",
        "get_contents",
        "repos/contents#get-repository-content",
    ),
    _route(
        "PUT",
        _REPO + r"/contents/(?P<path>.+)",
        "put_contents",
        "repos/contents#create-or-update-file-contents",
    ),
    _route(
        "DELETE",
        _REPO + r"/contents/(?P<path>.+)",
        "delete_contents",
        "repos/contents#delete-a-file",
    ),
    _route("POST", _REPO + r"/git/blobs", "create_blob", "git/blobs#create-a-blob"),
    _route("POST", _REPO + r"/git/trees", "create_tree", "git/trees#create-a-tree"),
    _route("GET", _REPO + r"/git/trees/(?P<sha>[^/]+)", "get_tree", "git/trees#get-a-tree"),
    _route("POST", _REPO + r"/git/commits", "create_commit", "git/commits#create-a-commit"),
    _route(
        "GET",
        _REPO + r"/git/commits/(?P<sha>[^/]+)",
        "get_commit",
        "git/commits#get-a-commit-object",
    ),
    _route("GET", _REPO + r"/pulls", "list_pulls", "pulls/pulls#list-pull-requests"),
    _route("POST", _REPO + r"/pulls", "create_pull", "pulls/pulls#create-a-pull-request"),
    _route("GET", _REPO + r"/pulls/(?P<number>\d+)", "get_pull", "pulls/pulls#get-a-pull-request"),
    _route(
        "PATCH",
        _REPO + r"/pulls/(?P<number>\d+)",
        "update_pull",
        "pulls/pulls#update-a-pull-request",
    ),
    _route(
        "POST",
        _REPO + r"/issues/(?P<number>\d+)/labels",
        "add_labels",
        "issues/labels#add-labels-to-an-issue",
    ),
    _route(
        "GET",
        _REPO + r"/issues/(?P<number>\d+)/comments",
        "list_issue_comments",
        "issues/comments#list-issue-comments",
    ),
    _route(
        "POST",
        _REPO + r"/issues/(?P<number>\d+)/comments",
        "create_issue_comment",
        "issues/comments#create-an-issue-comment",
    ),
    _route(
        "GET",
        _REPO + r"/pulls/(?P<number>\d+)/comments",
        "list_review_comments",
        "pulls/comments#list-review-comments-on-a-pull-request",
    ),
    _route(
        "GET",
        _REPO + r"/pulls/(?P<number>\d+)/reviews",
        "list_reviews",
        "pulls/reviews#list-reviews-for-a-pull-request",
    ),
    _route(
        "PUT",
        _REPO + r"/pulls/(?P<number>\d+)/merge",
        "merge_pull",
        "pulls/pulls#merge-a-pull-request",
    ),
    _route(
        "POST",
        _REPO + r"/pulls/(?P<number>\d+)/requested_reviewers",
        "request_reviewers",
        "pulls/review-requests#request-reviewers-for-a-pull-request",
    ),
)


class FakeGitHub(FakeServer):
    """GitHub REST for ONE repository, in memory. See the module docstring."""

    # Accept PATCH/DELETE on `/git/ref/{ref}` as well as the documented `/git/refs/{ref}`
    # (PyGithub's lazy GitRef uses the former). Set False to answer those with 404.
    SINGULAR_REF_WRITES = False

    def __init__(
        self,
        token: str = "ghp_test",
        repo: str = "acme/blog",
        default_branch: str = "main",
        files: dict[str, str] | None = None,
        push: bool = True,
        validate: bool = True,
        *,
        user: str = "blogbot",
    ) -> None:
        super().__init__()
        self.token = token
        self.repo = repo
        self.owner, self.repo_name = repo.split("/", 1)
        self.full_name = repo
        self.default_branch = default_branch
        self.push = push
        self.validate = validate
        self.user_login = user
        # The repository setting "Automatically delete head branches" (merges delete them).
        self.delete_branch_on_merge = False
        # Private repositories on GitHub Free have no draft pull requests.
        self.drafts_allowed = True
        self.rate_limit = 5000
        self.rate_used = 0
        self._clock = itertools.count(_EPOCH)
        self._ids = itertools.count(1000)
        self._request_ids = itertools.count(1)
        self._blobs: dict[str, bytes] = {}
        self._trees: dict[str, tuple[TreeEntry, ...]] = {}
        self._commits: dict[str, GitCommit] = {}
        self._refs: dict[str, str] = {}
        self._pulls: dict[int, PullRequest] = {}
        self._labels: dict[str, dict[str, Any]] = {}
        self._next_number = 1
        self._created_at = self._tick()
        self._user_ids: dict[str, int] = {}
        self._statuses: dict[int, int] = {}  # id(RecordedRequest) -> the status it was answered
        initial = (
            files if files is not None else {"README.md": "# Blog\n", "content/posts/.gitkeep": ""}
        )
        tree = self._build_tree(
            {p: (_FILE_MODE, self._store_blob(c.encode())) for p, c in initial.items()}
        )
        commit = self._store_commit(tree, (), "Initial commit", self._bot_person())
        self._refs[f"refs/heads/{default_branch}"] = commit

    # -- public helpers ---------------------------------------------------------------------
    def __enter__(self) -> Self:
        self.start()
        return self

    def lose_next_answer(
        self, method: str, path_regex: str, *, times: int = 1, status: int = 502, delay: float = 0.0
    ) -> None:
        """The next `times` matching requests are done, and answered with a 5xx instead of
        their result (after `delay`: long enough to kill the client while it waits)."""
        self.fail_next(
            method, path_regex, server_error(status), times=times, delay=delay, after_work=True
        )

    @property
    def api_url(self) -> str:
        return self.url

    @property
    def html_root(self) -> str:
        return f"{self.url}/{self.full_name}"

    secondary_rate_limit_response = staticmethod(secondary_rate_limit_response)
    server_error = staticmethod(server_error)

    # -- test-side API ----------------------------------------------------------------------
    def branches(self) -> dict[str, str]:
        with self._lock:
            return {
                ref.removeprefix("refs/heads/"): sha
                for ref, sha in sorted(self._refs.items())
                if ref.startswith("refs/heads/")
            }

    def file(self, branch: str, path: str) -> str | None:
        return self.files(branch).get(path)

    def files(self, branch: str) -> dict[str, str]:
        with self._lock:
            head = self._refs.get(f"refs/heads/{branch}")
            if head is None:
                raise KeyError(f"no branch {branch!r}")
            flat = self._flatten(self._commits[head].tree)
            return {p: self._blobs[sha].decode("utf-8", "replace") for p, (_, sha) in flat.items()}

    def raw_files(self, branch: str) -> dict[str, bytes]:
        """Every file on `branch` with its exact bytes (images too)."""
        with self._lock:
            head = self._refs[f"refs/heads/{branch}"]
            flat = self._flatten(self._commits[head].tree)
            return {p: self._blobs[sha] for p, (_, sha) in flat.items()}

    def commits(self, branch: str) -> list[dict[str, Any]]:
        """First-parent history of `branch`, newest first."""
        with self._lock:
            sha: str | None = self._refs[f"refs/heads/{branch}"]
            out: list[dict[str, Any]] = []
            while sha is not None:
                commit = self._commits[sha]
                parent = commit.parents[0] if commit.parents else None
                before = self._flatten(self._commits[parent].tree) if parent else {}
                after = self._flatten(commit.tree)
                changed = sorted(
                    p for p in set(before) | set(after) if before.get(p) != after.get(p)
                )
                out.append(
                    {
                        "sha": sha,
                        "message": commit.message,
                        "files": changed,
                        "parents": list(commit.parents),
                        "author": commit.author.name,
                    }
                )
                sha = parent
            return out

    def pulls(self) -> list[dict[str, Any]]:
        with self._lock:
            ordered = sorted(self._pulls.values(), key=lambda p: p.number)
            return [self._summary(pr) for pr in ordered]

    def pull(self, number: int) -> dict[str, Any]:
        with self._lock:
            return self._summary(self._pulls[number])

    def _summary(self, pr: PullRequest) -> dict[str, Any]:
        return {**pr.summary(), "html_url": f"{self.html_root}/pull/{pr.number}"}

    def write_requests(self) -> list[RecordedRequest]:
        with self._lock:
            return [r for r in self.requests if r.method != "GET"]

    def commit(
        self,
        branch: str,
        changes: dict[str, str | None],
        message: str = "Edit",
        *,
        author: str = "Someone Else",
    ) -> str:
        """Commit directly to `branch` as someone else (a maintainer's fix in the web editor;
        None deletes a path); returns the sha."""
        with self._lock:
            ref = f"refs/heads/{branch}"
            head = self._refs[ref]
            flat = self._flatten(self._commits[head].tree)
            for path, content in changes.items():
                if content is None:
                    flat.pop(path, None)
                else:
                    flat[path] = (_FILE_MODE, self._store_blob(content.encode()))
            person = GitPerson(author, "someone@example.com", self._tick())
            sha = self._store_commit(self._build_tree(flat), (head,), message, person)
            self._set_ref(ref, sha)
        self.notify()
        return sha

    def delete_branch(self, branch: str) -> None:
        """Delete a branch as a user would in the web UI (closes its open PRs)."""
        with self._lock:
            self._delete_ref(f"refs/heads/{branch}")
        self.notify()

    def merge_pull(self, number: int) -> str:
        """Merge the PR with a merge commit, as the web UI's "Create a merge commit" does (its
        branch deleted when `delete_branch_on_merge`)."""
        with self._lock:
            pr = self._pulls[number]
            if pr.state != "open":
                raise ValueError(f"pull #{number} is {pr.state}")
            sha = self._merge(pr)
        self.notify()
        return sha

    def _merge(self, pr: PullRequest) -> str:
        """A merge commit of `pr` on its base (the lock held)."""
        base_ref = f"refs/heads/{pr.base}"
        base_head = self._refs[base_ref]
        head = self._refs.get(f"refs/heads/{pr.head}", pr.head_sha)
        tree = self._merge_trees(base_head, head)
        person = GitPerson(
            self.user_login, f"{self.user_login}@users.noreply.github.com", self._tick()
        )
        message = f"Merge pull request #{pr.number} from {self.owner}/{pr.head}\n\n{pr.title}"
        sha = self._store_commit(tree, (base_head, head), message, person)
        self._set_ref(base_ref, sha)
        now = self._tick()
        pr.head_sha = head
        pr.state, pr.merged, pr.merged_at, pr.closed_at = "closed", True, now, now
        pr.merge_commit_sha, pr.merged_by, pr.updated_at = sha, self.user_login, now
        if self.delete_branch_on_merge and f"refs/heads/{pr.head}" in self._refs:
            del self._refs[f"refs/heads/{pr.head}"]
        return sha

    def close_pull(self, number: int) -> None:
        with self._lock:
            pr = self._pulls[number]
            now = self._tick()
            pr.state, pr.closed_at, pr.updated_at = "closed", now, now
        self.notify()

    def add_issue_comment(self, number: int, body: str, user: str = "reviewer") -> dict[str, Any]:
        """A comment on the PR's conversation tab by someone else."""
        with self._lock:
            comment = self._new_issue_comment(self._pulls[number], body, user)
        self.notify()
        return comment

    def add_review_comment(
        self, number: int, body: str, path: str, user: str = "reviewer", line: int = 1
    ) -> dict[str, Any]:
        """An inline review comment on the PR's diff by someone else."""
        with self._lock:
            pr = self._pulls[number]
            cid = next(self._ids)
            now = self._tick()
            comment = {
                "id": cid,
                "body": body,
                "path": path,
                "line": line,
                "user": user,
                "commit_id": pr.head_sha,
                "created_at": now,
            }
            pr.review_comments.append(comment)
            pr.updated_at = now
        self.notify()
        return comment

    # -- the review loop: maintainers' reviews, merges and conditional requests -------------
    def add_review(
        self, number: int, body: str, state: str = "CHANGES_REQUESTED", user: str = "reviewer"
    ) -> dict[str, Any]:
        """A maintainer submits a review (APPROVED, CHANGES_REQUESTED or COMMENTED)."""
        if state not in ("APPROVED", "CHANGES_REQUESTED", "COMMENTED"):
            raise ValueError(f"not a submitted review state: {state}")
        with self._lock:
            pr = self._pulls[number]
            now = self._tick()
            review = {
                "id": next(self._ids),
                "body": body,
                "state": state,
                "user": user,
                "commit_id": pr.head_sha,
                "submitted_at": now,
            }
            pr.reviews.append(review)
            pr.updated_at = now
        self.notify()
        return review

    def conditional_requests(self, path_regex: str) -> list[tuple[RecordedRequest, int]]:
        """The GETs matching `path_regex` that carried If-None-Match, with the status each got
        (304: not modified, so it did not count against the rate limit)."""
        with self._lock:
            return [
                (request, self._statuses.get(id(request), 0))
                for request in self.requests_to("GET", path_regex)
                if "if-none-match" in request.headers
            ]

    def _review_json(self, number: int, review: dict[str, Any]) -> dict[str, Any]:
        html = f"{self.html_root}/pull/{number}#pullrequestreview-{review['id']}"
        pr_url = f"{self._repo_url}/pulls/{number}"
        return {
            "id": review["id"],
            "node_id": _node_id("PRR_", review["id"]),
            "user": self._simple_user(review["user"]),
            "body": review["body"],
            "state": review["state"],
            "html_url": html,
            "pull_request_url": pr_url,
            "_links": {"html": {"href": html}, "pull_request": {"href": pr_url}},
            "submitted_at": _iso(review["submitted_at"]),
            "commit_id": review["commit_id"],
            "author_association": "MEMBER",
        }

    def _not_modified(
        self, request: RecordedRequest, route: _Route, response: Response
    ) -> Response:
        """304 for a conditional GET whose resource is unchanged, on the operations whose
        description declares it (pulls/list, pulls/get); it is not counted against the limit."""
        tag = response.headers.get("ETag")
        wanted = request.headers.get("if-none-match")
        if route.handler not in _CONDITIONAL or response.status != 200 or not tag or not wanted:
            return response
        if tag not in (t.strip() for t in wanted.split(",")):
            return response
        self.rate_used -= 1
        headers = self._headers({"ETag": tag})
        del headers["Content-Type"]
        return Response(304, b"", headers)

    # -- git internals ----------------------------------------------------------------------
    def _tick(self) -> int:
        return next(self._clock)

    def _bot_person(self) -> GitPerson:
        return GitPerson("GitHub", "noreply@github.com", self._tick())

    def _store_blob(self, data: bytes) -> str:
        sha = _hash_object("blob", data)
        self._blobs[sha] = data
        return sha

    def _store_tree(self, entries: Iterable[TreeEntry]) -> str:
        ordered = tuple(sorted(entries, key=lambda e: e.name + ("/" if e.kind == "tree" else "")))
        raw = b"".join(
            f"{e.mode.lstrip('0')} {e.name}".encode() + b"\0" + bytes.fromhex(e.sha)
            for e in ordered
        )
        sha = _hash_object("tree", raw)
        self._trees[sha] = ordered
        return sha

    def _store_commit(
        self,
        tree: str,
        parents: tuple[str, ...],
        message: str,
        author: GitPerson,
        committer: GitPerson | None = None,
    ) -> str:
        committer = committer or author
        raw = f"tree {tree}\n"
        raw += "".join(f"parent {p}\n" for p in parents)
        raw += f"author {author.raw()}\ncommitter {committer.raw()}\n\n{message}"
        sha = _hash_object("commit", raw.encode())
        self._commits[sha] = GitCommit(sha, tree, parents, message, author, committer)
        return sha

    def _flatten(self, tree_sha: str, prefix: str = "") -> dict[str, tuple[str, str]]:
        """path -> (mode, blob sha) for every non-tree entry below `tree_sha`."""
        out: dict[str, tuple[str, str]] = {}
        for entry in self._trees[tree_sha]:
            path = f"{prefix}{entry.name}"
            if entry.kind == "tree":
                out.update(self._flatten(entry.sha, path + "/"))
            else:
                out[path] = (entry.mode, entry.sha)
        return out

    def _build_tree(self, flat: dict[str, tuple[str, str]]) -> str:
        here: list[TreeEntry] = []
        subdirs: dict[str, dict[str, tuple[str, str]]] = {}
        for path, (mode, sha) in flat.items():
            head, sep, rest = path.partition("/")
            if sep:
                subdirs.setdefault(head, {})[rest] = (mode, sha)
            else:
                kind = "commit" if mode == "160000" else "blob"
                here.append(TreeEntry(mode, kind, head, sha))
        for name, sub in subdirs.items():
            here.append(TreeEntry(_TREE_MODE, "tree", name, self._build_tree(sub)))
        return self._store_tree(here)

    def _ancestors(self, sha: str) -> set[str]:
        seen: set[str] = set()
        stack = [sha]
        while stack:
            current = stack.pop()
            if current in seen:
                continue
            seen.add(current)
            stack.extend(self._commits[current].parents)
        return seen

    def _merge_base(self, a: str, b: str) -> str | None:
        common = self._ancestors(a) & self._ancestors(b)
        if not common:
            return None
        # The newest common ancestor (the fake clock makes commit dates strictly increase).
        return max(common, key=lambda sha: self._commits[sha].committer.date)

    def _merge_trees(self, base_head: str, head: str) -> str:
        merge_base = self._merge_base(base_head, head)
        root = self._flatten(self._commits[merge_base].tree) if merge_base else {}
        ours = self._flatten(self._commits[base_head].tree)
        theirs = self._flatten(self._commits[head].tree)
        result = dict(ours)
        for path in set(root) | set(theirs):
            if theirs.get(path) == root.get(path):
                continue  # unchanged on their side
            if ours.get(path) not in (root.get(path), theirs.get(path)):
                raise ValueError(f"merge conflict in {path}")
            if path in theirs:
                result[path] = theirs[path]
            else:
                result.pop(path, None)
        return self._build_tree(result)

    def _set_ref(self, ref: str, sha: str) -> None:
        self._refs[ref] = sha
        branch = ref.removeprefix("refs/heads/")
        now = None
        for pr in self._pulls.values():
            if pr.state == "open" and pr.head == branch:
                now = now or self._tick()
                pr.head_sha, pr.updated_at = sha, now

    def _delete_ref(self, ref: str) -> None:
        del self._refs[ref]
        branch = ref.removeprefix("refs/heads/")
        for pr in self._pulls.values():
            if pr.state == "open" and pr.head == branch:
                now = self._tick()
                pr.state, pr.closed_at, pr.updated_at = "closed", now, now

    def _branch_head(self, branch: str) -> str | None:
        return self._refs.get(f"refs/heads/{branch}")

    def _resolve_ref(self, ref: str | None) -> str | None:
        """A branch name, a full ref, or a commit sha -> commit sha."""
        if not ref:
            return self._branch_head(self.default_branch)
        for candidate in (ref, f"refs/heads/{ref}", f"refs/tags/{ref}"):
            if candidate in self._refs:
                return self._refs[candidate]
        if ref in self._commits:
            return ref
        return None

    # -- URLs -------------------------------------------------------------------------------
    @property
    def _repo_url(self) -> str:
        return f"{self.url}/repos/{self.full_name}"

    def _user_id(self, login: str) -> int:
        if login not in self._user_ids:
            self._user_ids[login] = 5000 + len(self._user_ids)
        return self._user_ids[login]

    def _simple_user(self, login: str, kind: str = "User") -> dict[str, Any]:
        api = f"{self.url}/users/{login}"
        uid = self._user_id(login)
        return {
            "login": login,
            "id": uid,
            "node_id": _node_id("U", uid),
            "avatar_url": f"{self.url}/avatars/{login}",
            "gravatar_id": "",
            "url": api,
            "html_url": f"{self.url}/{login}",
            "followers_url": f"{api}/followers",
            "following_url": f"{api}/following{{/other_user}}",
            "gists_url": f"{api}/gists{{/gist_id}}",
            "starred_url": f"{api}/starred{{/owner}}{{/repo}}",
            "subscriptions_url": f"{api}/subscriptions",
            "organizations_url": f"{api}/orgs",
            "repos_url": f"{api}/repos",
            "events_url": f"{api}/events{{/privacy}}",
            "received_events_url": f"{api}/received_events",
            "type": kind,
            "user_view_type": "public",
            "site_admin": False,
        }

    def _owner_user(self) -> dict[str, Any]:
        return self._simple_user(self.owner, "Organization")

    def _repository(self, full: bool = False) -> dict[str, Any]:
        r = self._repo_url
        html = self.html_root
        created = _iso(self._created_at)
        data: dict[str, Any] = {
            "id": 424242,
            "node_id": "R_kgDOFAKE",
            "name": self.repo_name,
            "full_name": self.full_name,
            "owner": self._owner_user(),
            "private": True,
            "html_url": html,
            "description": "A blog maintained by blogbot",
            "fork": False,
            "url": r,
            "archive_url": f"{r}/{{archive_format}}{{/ref}}",
            "assignees_url": f"{r}/assignees{{/user}}",
            "blobs_url": f"{r}/git/blobs{{/sha}}",
            "branches_url": f"{r}/branches{{/branch}}",
            "collaborators_url": f"{r}/collaborators{{/collaborator}}",
            "comments_url": f"{r}/comments{{/number}}",
            "commits_url": f"{r}/commits{{/sha}}",
            "compare_url": f"{r}/compare/{{base}}...{{head}}",
            "contents_url": f"{r}/contents/{{+path}}",
            "contributors_url": f"{r}/contributors",
            "deployments_url": f"{r}/deployments",
            "downloads_url": f"{r}/downloads",
            "events_url": f"{r}/events",
            "forks_url": f"{r}/forks",
            "git_commits_url": f"{r}/git/commits{{/sha}}",
            "git_refs_url": f"{r}/git/refs{{/sha}}",
            "git_tags_url": f"{r}/git/tags{{/sha}}",
            "git_url": f"git://127.0.0.1/{self.full_name}.git",
            "issue_comment_url": f"{r}/issues/comments{{/number}}",
            "issue_events_url": f"{r}/issues/events{{/number}}",
            "issues_url": f"{r}/issues{{/number}}",
            "keys_url": f"{r}/keys{{/key_id}}",
            "labels_url": f"{r}/labels{{/name}}",
            "languages_url": f"{r}/languages",
            "merges_url": f"{r}/merges",
            "milestones_url": f"{r}/milestones{{/number}}",
            "notifications_url": f"{r}/notifications{{?since,all,participating}}",
            "pulls_url": f"{r}/pulls{{/number}}",
            "releases_url": f"{r}/releases{{/id}}",
            "ssh_url": f"git@127.0.0.1:{self.full_name}.git",
            "stargazers_url": f"{r}/stargazers",
            "statuses_url": f"{r}/statuses/{{sha}}",
            "subscribers_url": f"{r}/subscribers",
            "subscription_url": f"{r}/subscription",
            "tags_url": f"{r}/tags",
            "teams_url": f"{r}/teams",
            "trees_url": f"{r}/git/trees{{/sha}}",
            "clone_url": f"{html}.git",
            "mirror_url": None,
            "hooks_url": f"{r}/hooks",
            "svn_url": html,
            "homepage": None,
            "language": None,
            "forks_count": 0,
            "forks": 0,
            "stargazers_count": 0,
            "watchers_count": 0,
            "watchers": 0,
            "size": sum(len(b) for b in self._blobs.values()) // 1024,
            "default_branch": self.default_branch,
            "open_issues_count": sum(1 for p in self._pulls.values() if p.state == "open"),
            "open_issues": sum(1 for p in self._pulls.values() if p.state == "open"),
            "is_template": False,
            "topics": [],
            "has_issues": True,
            "has_projects": False,
            "has_wiki": False,
            "has_pages": False,
            "has_downloads": True,
            "has_discussions": False,
            "archived": False,
            "disabled": False,
            "visibility": "private",
            "pushed_at": created,
            "created_at": created,
            "updated_at": created,
            "permissions": {
                "admin": False,
                "maintain": False,
                "push": self.push,
                "triage": self.push,
                "pull": True,
            },
            "allow_forking": False,
            "web_commit_signoff_required": False,
            "license": None,
        }
        if full:
            data.update(
                {
                    "subscribers_count": 1,
                    "network_count": 0,
                    "allow_merge_commit": True,
                    "allow_squash_merge": True,
                    "allow_rebase_merge": True,
                    "delete_branch_on_merge": self.delete_branch_on_merge,
                }
            )
        return data

    def _commit_urls(self, sha: str) -> dict[str, str]:
        return {
            "url": f"{self._repo_url}/git/commits/{sha}",
            "html_url": f"{self.html_root}/commit/{sha}",
        }

    def _git_commit(self, sha: str) -> dict[str, Any]:
        c = self._commits[sha]
        return {
            "sha": sha,
            "node_id": _node_id("C", int(sha[:8], 16)),
            **self._commit_urls(sha),
            "author": c.author.api(),
            "committer": c.committer.api(),
            "message": c.message,
            "tree": {"sha": c.tree, "url": f"{self._repo_url}/git/trees/{c.tree}"},
            "parents": [{"sha": p, **self._commit_urls(p)} for p in c.parents],
            "verification": {
                "verified": False,
                "reason": "unsigned",
                "signature": None,
                "payload": None,
                "verified_at": None,
            },
        }

    def _account(self, person: GitPerson) -> dict[str, Any]:
        return self._simple_user(self.user_login) if person.name == self.user_login else {}

    def _rest_commit(self, sha: str) -> dict[str, Any]:
        """The `commit` schema (used by GET branches/{branch})."""
        c = self._commits[sha]
        return {
            "sha": sha,
            "node_id": _node_id("C", int(sha[:8], 16)),
            "url": f"{self._repo_url}/commits/{sha}",
            "html_url": f"{self.html_root}/commit/{sha}",
            "comments_url": f"{self._repo_url}/commits/{sha}/comments",
            "commit": {
                "url": f"{self._repo_url}/git/commits/{sha}",
                "author": c.author.api(),
                "committer": c.committer.api(),
                "message": c.message,
                "comment_count": 0,
                "tree": {"sha": c.tree, "url": f"{self._repo_url}/git/trees/{c.tree}"},
                "verification": {
                    "verified": False,
                    "reason": "unsigned",
                    "signature": None,
                    "payload": None,
                    "verified_at": None,
                },
            },
            # `author`/`committer` are GitHub accounts: oneOf[simple-user, empty-object].
            "author": self._account(c.author),
            "committer": self._account(c.committer),
            "parents": [
                {
                    "sha": p,
                    "url": f"{self._repo_url}/commits/{p}",
                    "html_url": f"{self.html_root}/commit/{p}",
                }
                for p in c.parents
            ],
        }

    def _content_item(self, path: str, kind: str, sha: str, size: int, ref: str) -> dict[str, Any]:
        name = path.rsplit("/", 1)[-1]
        quoted_ref = f"?ref={ref}"
        self_url = f"{self._repo_url}/contents/{path}{quoted_ref}"
        git_url = f"{self._repo_url}/git/{'trees' if kind == 'dir' else 'blobs'}/{sha}"
        html_url = f"{self.html_root}/{'tree' if kind == 'dir' else 'blob'}/{ref}/{path}"
        download = None if kind == "dir" else f"{self.url}/raw/{self.full_name}/{ref}/{path}"
        return {
            "type": kind,
            "size": size,
            "name": name,
            "path": path,
            "sha": sha,
            "url": self_url,
            "git_url": git_url,
            "html_url": html_url,
            "download_url": download,
            "_links": {"self": self_url, "git": git_url, "html": html_url},
        }

    def _pull_json(self, pr: PullRequest, full: bool) -> dict[str, Any]:
        r = self._repo_url
        api = f"{r}/pulls/{pr.number}"
        issue = f"{r}/issues/{pr.number}"
        html = f"{self.html_root}/pull/{pr.number}"
        head_sha = self._branch_head(pr.head) if pr.state == "open" else pr.head_sha
        head_sha = head_sha or pr.head_sha
        base_sha = self._branch_head(pr.base) or pr.base_sha
        repo = self._repository()
        user = self._simple_user(pr.user)
        data: dict[str, Any] = {
            "url": api,
            "id": pr.id,
            "node_id": _node_id("PR_", pr.id),
            "html_url": html,
            "diff_url": f"{html}.diff",
            "patch_url": f"{html}.patch",
            "issue_url": issue,
            "commits_url": f"{api}/commits",
            "review_comments_url": f"{api}/comments",
            "review_comment_url": f"{r}/pulls/comments{{/number}}",
            "comments_url": f"{issue}/comments",
            "statuses_url": f"{r}/statuses/{head_sha}",
            "number": pr.number,
            "state": pr.state,
            "locked": False,
            "title": pr.title,
            "user": user,
            "body": pr.body,
            # pull-request-simple types a label description as a non-nullable string.
            "labels": [
                self._labels[name] if full else {**self._labels[name], "description": ""}
                for name in pr.labels
            ],
            "milestone": None,
            "active_lock_reason": None,
            "created_at": _iso(pr.created_at),
            "updated_at": _iso(pr.updated_at),
            "closed_at": _iso(pr.closed_at) if pr.closed_at else None,
            "merged_at": _iso(pr.merged_at) if pr.merged_at else None,
            "merge_commit_sha": pr.merge_commit_sha,
            "assignee": None,
            "assignees": [],
            "requested_reviewers": [self._simple_user(u) for u in pr.requested_reviewers],
            "requested_teams": [],
            "head": {
                "label": f"{self.owner}:{pr.head}",
                "ref": pr.head,
                "sha": head_sha,
                "user": self._owner_user(),
                "repo": repo,
            },
            "base": {
                "label": f"{self.owner}:{pr.base}",
                "ref": pr.base,
                "sha": base_sha,
                "user": self._owner_user(),
                "repo": repo,
            },
            "_links": {
                "self": {"href": api},
                "html": {"href": html},
                "issue": {"href": issue},
                "comments": {"href": f"{issue}/comments"},
                "review_comments": {"href": f"{api}/comments"},
                "review_comment": {"href": f"{r}/pulls/comments{{/number}}"},
                "commits": {"href": f"{api}/commits"},
                "statuses": {"href": f"{r}/statuses/{head_sha}"},
            },
            "author_association": "MEMBER",
            "auto_merge": None,
            "draft": pr.draft,
        }
        if full:
            commits, additions, deletions, changed = self._diff_stats(base_sha, head_sha)
            data.update(
                {
                    "merged": pr.merged,
                    "mergeable": True if pr.state == "open" else None,
                    "rebaseable": True if pr.state == "open" else None,
                    "mergeable_state": "clean" if pr.state == "open" else "unknown",
                    "merged_by": self._simple_user(pr.merged_by) if pr.merged_by else None,
                    "comments": len(pr.comments),
                    "review_comments": len(pr.review_comments),
                    "maintainer_can_modify": False,
                    "commits": commits,
                    "additions": additions,
                    "deletions": deletions,
                    "changed_files": changed,
                }
            )
        return data

    def _diff_stats(self, base: str, head: str) -> tuple[int, int, int, int]:
        merge_base = self._merge_base(base, head)
        commits = len(self._ancestors(head) - self._ancestors(base))
        before = self._flatten(self._commits[merge_base].tree) if merge_base else {}
        after = self._flatten(self._commits[head].tree)
        additions = deletions = changed = 0
        for path in set(before) | set(after):
            if before.get(path) == after.get(path):
                continue
            changed += 1
            old = self._blobs[before[path][1]].decode("utf-8", "replace") if path in before else ""
            new = self._blobs[after[path][1]].decode("utf-8", "replace") if path in after else ""
            for line in difflib.ndiff(old.splitlines(), new.splitlines()):
                if line.startswith("+ "):
                    additions += 1
                elif line.startswith("- "):
                    deletions += 1
        return commits, additions, deletions, changed

    def _issue_comment_json(self, number: int, c: dict[str, Any]) -> dict[str, Any]:
        r = self._repo_url
        return {
            "id": c["id"],
            "node_id": _node_id("IC_", c["id"]),
            "url": f"{r}/issues/comments/{c['id']}",
            "html_url": f"{self.html_root}/pull/{number}#issuecomment-{c['id']}",
            "body": c["body"],
            "user": self._simple_user(c["user"]),
            "created_at": _iso(c["created_at"]),
            "updated_at": _iso(c["created_at"]),
            "issue_url": f"{r}/issues/{number}",
            "author_association": "MEMBER",
        }

    def _review_comment_json(self, number: int, c: dict[str, Any]) -> dict[str, Any]:
        r = self._repo_url
        url = f"{r}/pulls/comments/{c['id']}"
        html = f"{self.html_root}/pull/{number}#discussion_r{c['id']}"
        pr_url = f"{r}/pulls/{number}"
        return {
            "url": url,
            "pull_request_review_id": c["id"] + 1,
            "id": c["id"],
            "node_id": _node_id("PRRC_", c["id"]),
            "diff_hunk": f"@@ -0,0 +1,{c['line']} @@",
            "path": c["path"],
            "position": c["line"],
            "line": c["line"],
            "side": "RIGHT",
            "commit_id": c["commit_id"],
            "original_commit_id": c["commit_id"],
            "user": self._simple_user(c["user"]),
            "body": c["body"],
            "created_at": _iso(c["created_at"]),
            "updated_at": _iso(c["created_at"]),
            "html_url": html,
            "pull_request_url": pr_url,
            "author_association": "MEMBER",
            "_links": {
                "self": {"href": url},
                "html": {"href": html},
                "pull_request": {"href": pr_url},
            },
        }

    def _new_issue_comment(self, pr: PullRequest, body: str, user: str) -> dict[str, Any]:
        now = self._tick()
        comment = {"id": next(self._ids), "body": body, "user": user, "created_at": now}
        pr.comments.append(comment)
        pr.updated_at = now  # a comment touches its pull request
        return comment

    # -- HTTP plumbing ----------------------------------------------------------------------
    def _headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        reset = int(datetime.now(UTC).timestamp()) + 3600
        request_id = next(self._request_ids)
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "X-GitHub-Media-Type": "github.v3; format=json",
            "X-GitHub-Api-Version-Selected": "2022-11-28",
            "X-GitHub-Request-Id": f"{request_id:04X}:FAKE:{request_id:06X}",
            "X-RateLimit-Limit": str(self.rate_limit),
            "X-RateLimit-Remaining": str(max(self.rate_limit - self.rate_used, 0)),
            "X-RateLimit-Reset": str(reset),
            "X-RateLimit-Used": str(self.rate_used),
            "X-RateLimit-Resource": "core",
        }
        headers.update(extra or {})
        return headers

    def _json(
        self, status: int, payload: Any, extra: dict[str, str] | None = None, etag: bool = False
    ) -> Response:
        body = json.dumps(payload).encode()
        headers = self._headers(extra)
        if etag:
            headers["ETag"] = f'W/"{hashlib.sha256(body).hexdigest()[:40]}"'
        return Response(status, body, headers)

    def _error(self, status: int, message: str, doc: str, **extra: Any) -> Response:
        payload: dict[str, Any] = {"message": message, **extra}
        payload["documentation_url"] = doc
        payload["status"] = str(status)
        return self._json(status, payload)

    def _authorized(self, request: RecordedRequest) -> bool:
        header = request.headers.get("authorization", "")
        scheme, _, value = header.partition(" ")
        return scheme.lower() in ("token", "bearer") and value.strip() == self.token

    def handle(self, request: RecordedRequest) -> Response:
        with self._lock:
            response, route = self._handle_locked(request)
            if route is not None and request.method == "GET":
                response = self._not_modified(request, route, response)
            self._statuses[id(request)] = response.status
        if self.validate and route is not None:
            path = request.path
            if route.handler in ("update_ref", "delete_ref"):
                path = path.replace("/git/ref/", "/git/refs/", 1)
            problems = validate_github_request(
                request.method, path, request.headers, request.body, request.query
            )
            problems += validate_github_response(
                request.method, path, response.status, response.headers, response.body
            )
            if problems:
                with self._lock:
                    self.errors.extend(problems)
        return response

    def _handle_locked(self, request: RecordedRequest) -> tuple[Response, _Route | None]:
        route, params = _find_route(request.method, request.path)
        doc = route.doc if route else DOCS
        if not self._authorized(request):
            return self._error(401, "Bad credentials", DOCS), route
        if route is None:
            self.errors.append(f"unimplemented GitHub route: {request.method} {request.path}")
            return self._error(404, "Not Found", DOCS), None
        if route.handler != "get_rate_limit":
            self.rate_used += 1
            if self.rate_used > self.rate_limit:
                message = (
                    f"API rate limit exceeded for user ID {self._user_id(self.user_login)}. If you "
                    "reach out to GitHub Support for help, please include the request ID FAKE."
                )
                return self._error(
                    403, message, f"{DOCS}/overview/rate-limits-for-the-rest-api"
                ), route
        if "owner" in params and (
            params["owner"].lower() != self.owner.lower()
            or params["repo"].lower() != self.repo_name.lower()
        ):
            return self._error(404, "Not Found", doc), route
        singular = route.handler in ("update_ref", "delete_ref") and "/git/ref/" in request.path
        if singular and not self.SINGULAR_REF_WRITES:
            return self._error(404, "Not Found", doc), route
        if route.write and not self.push:
            return self._error(403, "Resource not accessible by personal access token", doc), route
        try:
            body = request.json() if request.body else None
        except ValueError:
            return self._error(400, "Problems parsing JSON", doc), route
        handler: Callable[[_Call], Response] = getattr(self, f"_op_{route.handler}")
        try:
            return handler(_Call(request, params, body)), route
        except ApiError as exc:
            return self._error(exc.status, exc.message, exc.doc or doc, **exc.extra), route

    # -- operations -------------------------------------------------------------------------
    def _op_get_user(self, c: _Call) -> Response:
        user = self._simple_user(self.user_login)
        user.update(
            {
                "user_view_type": "private",
                "name": "Blog Bot",
                "company": None,
                "blog": "",
                "location": None,
                "email": None,
                "hireable": None,
                "bio": None,
                "twitter_username": None,
                "public_repos": 0,
                "public_gists": 0,
                "followers": 0,
                "following": 0,
                "created_at": _iso(self._created_at),
                "updated_at": _iso(self._created_at),
                "private_gists": 0,
                "total_private_repos": 1,
                "owned_private_repos": 0,
                "disk_usage": 0,
                "collaborators": 0,
                "two_factor_authentication": True,
                "plan": {
                    "collaborators": 0,
                    "name": "free",
                    "space": 976562499,
                    "private_repos": 10000,
                },
            }
        )
        return self._json(200, user, etag=True)

    def _op_get_rate_limit(self, c: _Call) -> Response:
        reset = int(datetime.now(UTC).timestamp()) + 3600
        core = {
            "limit": self.rate_limit,
            "remaining": max(self.rate_limit - self.rate_used, 0),
            "reset": reset,
            "used": self.rate_used,
        }
        search = {"limit": 30, "remaining": 30, "reset": reset, "used": 0}
        graphql = {"limit": 5000, "remaining": 5000, "reset": reset, "used": 0}
        payload = {"resources": {"core": core, "search": search, "graphql": graphql}, "rate": core}
        return self._json(200, payload)

    def _op_get_repo(self, c: _Call) -> Response:
        return self._json(200, self._repository(full=True), etag=True)

    def _op_get_branch(self, c: _Call) -> Response:
        name = unquote(c.params["branch"])
        sha = self._branch_head(name)
        if sha is None:
            raise ApiError(404, "Branch not found")
        payload = {
            "name": name,
            "commit": self._rest_commit(sha),
            "_links": {
                "self": f"{self._repo_url}/branches/{name}",
                "html": f"{self.html_root}/tree/{name}",
            },
            "protected": False,
            "protection": {
                "enabled": False,
                "required_status_checks": {
                    "enforcement_level": "off",
                    "contexts": [],
                    "checks": [],
                },
            },
            "protection_url": f"{self._repo_url}/branches/{name}/protection",
        }
        return self._json(200, payload, etag=True)

    def _ref_json(self, ref: str) -> dict[str, Any]:
        sha = self._refs[ref]
        return {
            "ref": ref,
            "node_id": _node_id(
                "REF_", int(hashlib.sha1(ref.encode(), usedforsecurity=False).hexdigest()[:8], 16)
            ),
            "url": f"{self._repo_url}/git/{ref}",
            "object": {"type": "commit", "sha": sha, "url": f"{self._repo_url}/git/commits/{sha}"},
        }

    def _op_get_ref(self, c: _Call) -> Response:
        ref = "refs/" + unquote(c.params["ref"]).removeprefix("refs/")
        if ref not in self._refs:
            raise ApiError(404, "Not Found")
        return self._json(200, self._ref_json(ref), etag=True)

    def _op_create_ref(self, c: _Call) -> Response:
        body = _object_body(c.body)
        ref, sha = body.get("ref"), body.get("sha")
        if not isinstance(ref, str) or not isinstance(sha, str):
            missing = '"ref"' if not isinstance(ref, str) else '"sha"'
            raise ApiError(422, f"Invalid request.\n\n{missing} wasn't supplied.")
        if not ref.startswith("refs/") or ref.count("/") < 2:
            raise ApiError(422, f"{ref} is not a valid ref name.")
        if sha not in self._commits:
            raise ApiError(422, "Object does not exist")
        if ref in self._refs:
            raise ApiError(422, "Reference already exists")
        self._set_ref(ref, sha)
        location = f"{self._repo_url}/git/{ref}"
        return self._json(201, self._ref_json(ref), {"Location": location})

    def _op_update_ref(self, c: _Call) -> Response:
        body = _object_body(c.body)
        ref = "refs/" + unquote(c.params["ref"]).removeprefix("refs/")
        sha = body.get("sha")
        if not isinstance(sha, str):
            raise ApiError(422, 'Invalid request.\n\n"sha" wasn\'t supplied.')
        if ref not in self._refs:
            raise ApiError(422, "Reference does not exist")
        if sha not in self._commits:
            raise ApiError(422, "Object does not exist")
        if not body.get("force") and self._refs[ref] not in self._ancestors(sha):
            raise ApiError(422, "Update is not a fast forward")
        self._set_ref(ref, sha)
        return self._json(200, self._ref_json(ref))

    def _op_delete_ref(self, c: _Call) -> Response:
        ref = "refs/" + unquote(c.params["ref"]).removeprefix("refs/")
        if ref not in self._refs:
            raise ApiError(422, "Reference does not exist")
        if ref == f"refs/heads/{self.default_branch}":
            raise ApiError(422, "Cannot delete the default branch")
        self._delete_ref(ref)
        headers = self._headers()
        headers.pop("Content-Type")
        return Response(204, b"", headers)

    def _op_get_contents(self, c: _Call) -> Response:
        path = unquote(c.params.get("path") or "").strip("/")
        ref = (c.request.query.get("ref") or [""])[0]
        sha = self._resolve_ref(ref)
        if sha is None:
            raise ApiError(404, f"No commit found for the ref {ref}")
        ref_name = ref or self.default_branch
        tree_sha = self._commits[sha].tree
        if path:
            *parents, leaf = path.split("/")
            for part in parents:
                entry = _entry(self._trees[tree_sha], part)
                if entry is None or entry.kind != "tree":
                    raise ApiError(404, "Not Found")
                tree_sha = entry.sha
            entry = _entry(self._trees[tree_sha], leaf)
            if entry is None:
                raise ApiError(404, "Not Found")
            if entry.kind == "blob":
                data = self._blobs[entry.sha]
                item = self._content_item(path, "file", entry.sha, len(data), ref_name)
                item["content"] = _b64_wrapped(data)
                item["encoding"] = "base64"
                return self._json(200, item, etag=True)
            if entry.kind != "tree":
                raise ApiError(404, "Not Found")
            tree_sha = entry.sha
        listing = []
        for e in self._trees[tree_sha]:
            child = f"{path}/{e.name}" if path else e.name
            kind = {"tree": "dir", "blob": "file", "commit": "submodule"}[e.kind]
            size = len(self._blobs[e.sha]) if e.kind == "blob" else 0
            listing.append(self._content_item(child, kind, e.sha, size, ref_name))
        return self._json(200, listing, etag=True)

    def _commit_for_contents(
        self, body: dict[str, Any], path: str, content: bytes | None, author_default: str
    ) -> tuple[str, str, str | None]:
        """Commit one file change on the requested branch -> (commit sha, branch, blob sha)."""
        branch = body.get("branch") or self.default_branch
        if not isinstance(branch, str):
            raise ApiError(422, "Invalid request.\n\nFor 'properties/branch', it is not a string.")
        head = self._branch_head(branch)
        if head is None:
            raise ApiError(404, f"Branch {branch} not found")
        flat = self._flatten(self._commits[head].tree)
        current = flat.get(path)
        sha = body.get("sha")
        if content is None:  # delete
            if current is None:
                raise ApiError(404, "Not Found")
            if sha is None:
                raise ApiError(422, 'Invalid request.\n\n"sha" wasn\'t supplied.')
            if sha != current[1]:
                raise ApiError(409, f"{path} does not match {sha}")
            del flat[path]
            blob = None
        else:
            if current is not None and sha is None:
                raise ApiError(422, 'Invalid request.\n\n"sha" wasn\'t supplied.')
            if current is not None and sha != current[1]:
                raise ApiError(409, f"{path} does not match {sha}")
            if current is None and sha is not None and not _SHA_RE.match(str(sha)):
                raise ApiError(422, f"Invalid request.\n\n{sha!r} is not a valid sha.")
            if any(existing.startswith(path + "/") for existing in flat) or any(
                path.startswith(existing + "/") for existing in flat
            ):
                raise ApiError(422, f"{path} conflicts with an existing path")
            blob = self._store_blob(content)
            flat[path] = (_FILE_MODE, blob)
        author = _person(body.get("author")) or _person(body.get("committer"))
        now = self._tick()
        person = (
            GitPerson(author[0], author[1], now)
            if author
            else GitPerson(author_default, f"{author_default}@users.noreply.github.com", now)
        )
        message = body.get("message")
        commit = self._store_commit(self._build_tree(flat), (head,), str(message), person)
        self._set_ref(f"refs/heads/{branch}", commit)
        return commit, branch, blob

    def _op_put_contents(self, c: _Call) -> Response:
        body = _object_body(c.body)
        path = unquote(c.params["path"]).strip("/")
        for key in ("message", "content"):
            if not isinstance(body.get(key), str):
                raise ApiError(422, f'Invalid request.\n\n"{key}" wasn\'t supplied.')
        try:
            content = base64.b64decode(body["content"], validate=True)
        except ValueError:
            raise ApiError(422, "content is not valid Base64") from None
        head = self._branch_head(str(body.get("branch") or self.default_branch))
        existed = head is not None and path in self._flatten(self._commits[head].tree)
        commit, branch, blob = self._commit_for_contents(body, path, content, self.user_login)
        assert blob is not None
        item = self._content_item(path, "file", blob, len(content), branch)
        payload = {"content": item, "commit": self._git_commit(commit)}
        return self._json(200 if existed else 201, payload)

    def _op_delete_contents(self, c: _Call) -> Response:
        body = _object_body(c.body)
        path = unquote(c.params["path"]).strip("/")
        if not isinstance(body.get("message"), str):
            raise ApiError(422, 'Invalid request.\n\n"message" wasn\'t supplied.')
        commit, _, _ = self._commit_for_contents(body, path, None, self.user_login)
        return self._json(200, {"content": None, "commit": self._git_commit(commit)})

    def _op_create_blob(self, c: _Call) -> Response:
        body = _object_body(c.body)
        content = body.get("content")
        if not isinstance(content, str):
            raise ApiError(422, 'Invalid request.\n\n"content" wasn\'t supplied.')
        encoding = body.get("encoding", "utf-8")
        if encoding == "base64":
            try:
                data = base64.b64decode(content)
            except ValueError:
                raise ApiError(422, "content is not valid Base64") from None
        elif encoding in ("utf-8", "utf8"):
            data = content.encode()
        else:
            raise ApiError(422, f"encoding {encoding} is not supported")
        sha = self._store_blob(data)
        url = f"{self._repo_url}/git/blobs/{sha}"
        return self._json(201, {"url": url, "sha": sha}, {"Location": url})

    def _tree_json(self, sha: str, recursive: bool) -> dict[str, Any]:
        entries: list[dict[str, Any]] = []

        def walk(tree_sha: str, prefix: str) -> None:
            for e in self._trees[tree_sha]:
                path = prefix + e.name
                item: dict[str, Any] = {"path": path, "mode": e.mode, "type": e.kind, "sha": e.sha}
                if e.kind == "blob":
                    item["size"] = len(self._blobs[e.sha])
                    item["url"] = f"{self._repo_url}/git/blobs/{e.sha}"
                elif e.kind == "tree":
                    item["url"] = f"{self._repo_url}/git/trees/{e.sha}"
                entries.append(item)
                if recursive and e.kind == "tree":
                    walk(e.sha, path + "/")

        walk(sha, "")
        return {
            "sha": sha,
            "url": f"{self._repo_url}/git/trees/{sha}",
            "tree": entries,
            "truncated": False,
        }

    def _op_create_tree(self, c: _Call) -> Response:
        body = _object_body(c.body)
        items = body.get("tree")
        if not isinstance(items, list):
            raise ApiError(422, 'Invalid request.\n\n"tree" wasn\'t supplied.')
        base_tree = body.get("base_tree")
        flat: dict[str, tuple[str, str]] = {}
        if base_tree:
            base_sha = base_tree
            if base_sha in self._commits:
                base_sha = self._commits[base_sha].tree
            if base_sha not in self._trees:
                raise ApiError(422, "base_tree is not a valid tree oid")
            flat = self._flatten(base_sha)
        for item in items:
            if not isinstance(item, dict) or not isinstance(item.get("path"), str):
                raise ApiError(422, "Must supply a valid tree.path")
            path = item["path"].strip("/")
            mode = str(item.get("mode", _FILE_MODE))
            kind = item.get("type", "blob")
            sha: str | None
            if "content" in item and item["content"] is not None:
                sha = self._store_blob(str(item["content"]).encode())
            else:
                sha = item.get("sha")
            if sha is None:  # deletion
                flat = {k: v for k, v in flat.items() if k != path and not k.startswith(path + "/")}
                continue
            if kind == "tree":
                if sha not in self._trees:
                    raise ApiError(422, f"tree.sha {sha} is not a valid tree")
                flat = {k: v for k, v in flat.items() if not k.startswith(path + "/")}
                flat.update({f"{path}/{k}": v for k, v in self._flatten(sha).items()})
                continue
            if kind == "blob" and sha not in self._blobs:
                raise ApiError(422, f"tree.sha {sha} is not a valid blob")
            flat[path] = (mode, sha)
        tree = self._build_tree(flat)
        url = f"{self._repo_url}/git/trees/{tree}"
        return self._json(201, self._tree_json(tree, recursive=False), {"Location": url})

    def _op_get_tree(self, c: _Call) -> Response:
        sha = c.params["sha"]
        if sha not in self._trees:
            resolved = self._resolve_ref(unquote(sha))
            if resolved is None:
                raise ApiError(404, "Not Found")
            sha = self._commits[resolved].tree
        recursive = bool((c.request.query.get("recursive") or [""])[0])
        return self._json(200, self._tree_json(sha, recursive), etag=True)

    def _op_create_commit(self, c: _Call) -> Response:
        body = _object_body(c.body)
        message, tree = body.get("message"), body.get("tree")
        if not isinstance(message, str) or not isinstance(tree, str):
            missing = '"message"' if not isinstance(message, str) else '"tree"'
            raise ApiError(422, f"Invalid request.\n\n{missing} wasn't supplied.")
        if tree not in self._trees:
            raise ApiError(422, "Tree SHA does not exist")
        parents = body.get("parents") or []
        for parent in parents:
            if parent not in self._commits:
                raise ApiError(422, "Parent SHA does not exist or is not a commit object")
        now = self._tick()
        author = _person(body.get("author"))
        committer = _person(body.get("committer"))
        default = GitPerson(self.user_login, f"{self.user_login}@users.noreply.github.com", now)
        by = GitPerson(author[0], author[1], now) if author else default
        on_behalf = GitPerson(committer[0], committer[1], now) if committer else by
        sha = self._store_commit(tree, tuple(parents), message, by, on_behalf)
        url = f"{self._repo_url}/git/commits/{sha}"
        return self._json(201, self._git_commit(sha), {"Location": url})

    def _op_get_commit(self, c: _Call) -> Response:
        sha = c.params["sha"]
        if sha not in self._commits:
            raise ApiError(404, "Not Found")
        return self._json(200, self._git_commit(sha), etag=True)

    def _pull(self, p: dict[str, str]) -> PullRequest:
        pr = self._pulls.get(int(p["number"]))
        if pr is None:
            raise ApiError(404, "Not Found")
        return pr

    def _paginate(
        self, request: RecordedRequest, items: list[Any]
    ) -> tuple[list[Any], dict[str, str]]:
        try:
            per_page = min(max(int((request.query.get("per_page") or ["30"])[0]), 1), 100)
            page = max(int((request.query.get("page") or ["1"])[0]), 1)
        except ValueError:
            per_page, page = 30, 1
        last = max((len(items) + per_page - 1) // per_page, 1)
        chunk = items[(page - 1) * per_page : page * per_page]
        links = []
        base_query = {k: v[0] for k, v in request.query.items() if k != "page"}

        def link(n: int, rel: str) -> str:
            return f'<{self.url}{request.path}?{urlencode({**base_query, "page": n})}>; rel="{rel}"'

        if page < last:
            links += [link(page + 1, "next"), link(last, "last")]
        if page > 1:
            links += [link(1, "first"), link(page - 1, "prev")]
        return chunk, ({"Link": ", ".join(links)} if links else {})

    def _op_list_pulls(self, c: _Call) -> Response:
        q = {k: v[0] for k, v in c.request.query.items()}
        state = q.get("state", "open")
        if state not in ("open", "closed", "all"):
            raise _validation_failed("Search", "invalid", field="state")
        pulls = sorted(self._pulls.values(), key=lambda pr: -pr.number)
        if state != "all":
            pulls = [pr for pr in pulls if pr.state == state]
        head = q.get("head")
        if head and ":" in head:  # GitHub ignores a head filter without the owner prefix
            owner, _, branch = head.partition(":")
            pulls = [
                pr for pr in pulls if owner.lower() == self.owner.lower() and pr.head == branch
            ]
        if q.get("base"):
            pulls = [pr for pr in pulls if pr.base == q["base"]]
        if q.get("sort") == "updated":  # GitHub: ascending unless `direction` says otherwise
            descending = q.get("direction", "asc") == "desc"
            pulls.sort(key=lambda pr: (pr.updated_at, pr.number), reverse=descending)
        chunk, links = self._paginate(c.request, pulls)
        return self._json(200, [self._pull_json(pr, full=False) for pr in chunk], links, etag=True)

    def _op_create_pull(self, c: _Call) -> Response:
        body = _object_body(c.body)
        head, base, title = body.get("head"), body.get("base"), body.get("title")
        for key, value in (("head", head), ("base", base)):
            if not isinstance(value, str) or not value:
                raise _validation_failed("PullRequest", "missing_field", field=key)
        assert isinstance(head, str) and isinstance(base, str)
        if not isinstance(title, str) or not title.strip():
            raise _validation_failed("PullRequest", "missing_field", field="title")
        head_owner, sep, head_branch = head.partition(":")
        if not sep:
            head_owner, head_branch = self.owner, head
        head_sha = (
            self._branch_head(head_branch) if head_owner.lower() == self.owner.lower() else None
        )
        base_sha = self._branch_head(base)
        if base_sha is None:
            raise _validation_failed("PullRequest", "invalid", field="base")
        if head_sha is None:
            raise _validation_failed("PullRequest", "invalid", field="head")
        for pr in self._pulls.values():
            if pr.state == "open" and pr.head == head_branch and pr.base == base:
                raise _validation_failed(
                    "PullRequest",
                    "custom",
                    message=f"A pull request already exists for {self.owner}:{head_branch}.",
                )
        if head_sha in self._ancestors(base_sha):
            raise _validation_failed(
                "PullRequest", "custom", message=f"No commits between {base} and {head_branch}"
            )
        if body.get("draft") and not self.drafts_allowed:
            raise _validation_failed(
                "PullRequest",
                "custom",
                message="Draft pull requests are not supported in this repository.",
            )
        number = self._next_number
        self._next_number += 1
        now = self._tick()
        pr = PullRequest(
            number=number,
            id=next(self._ids),
            title=title,
            body=body.get("body") if isinstance(body.get("body"), str) else None,
            head=head_branch,
            base=base,
            head_sha=head_sha,
            base_sha=base_sha,
            user=self.user_login,
            created_at=now,
            updated_at=now,
            draft=bool(body.get("draft", False)),
        )
        self._pulls[number] = pr
        data = self._pull_json(pr, full=True)
        return self._json(201, data, {"Location": data["url"]})

    def _op_get_pull(self, c: _Call) -> Response:
        return self._json(200, self._pull_json(self._pull(c.params), full=True), etag=True)

    def _op_update_pull(self, c: _Call) -> Response:
        body = _object_body(c.body)
        pr = self._pull(c.params)
        now = self._tick()
        if "title" in body:
            if not isinstance(body["title"], str) or not body["title"].strip():
                raise _validation_failed("PullRequest", "missing_field", field="title")
            pr.title = body["title"]
        if "body" in body:
            pr.body = body["body"]
        if "base" in body and body["base"] != pr.base:
            if self._branch_head(str(body["base"])) is None:
                raise _validation_failed("PullRequest", "invalid", field="base")
            pr.base = str(body["base"])
        state = body.get("state")
        if state == "closed" and pr.state == "open":
            pr.state, pr.closed_at = "closed", now
        elif state == "open" and pr.state == "closed":
            if pr.merged:
                raise _validation_failed(
                    "PullRequest",
                    "custom",
                    message="state cannot be changed. The pull request has been merged.",
                )
            if self._branch_head(pr.head) is None:
                raise _validation_failed(
                    "PullRequest",
                    "custom",
                    message=f"state cannot be changed. The {pr.head} branch has been deleted.",
                )
            pr.state, pr.closed_at = "open", None
        elif state not in (None, "open", "closed"):
            raise _validation_failed("PullRequest", "invalid", field="state")
        pr.updated_at = now
        return self._json(200, self._pull_json(pr, full=True))

    def _label(self, name: str) -> dict[str, Any]:
        if name not in self._labels:
            lid = next(self._ids)
            self._labels[name] = {
                "id": lid,
                "node_id": _node_id("LA_", lid),
                "url": f"{self._repo_url}/labels/{name}",
                "name": name,
                "description": None,
                "color": "ededed",
                "default": False,
            }
        return self._labels[name]

    def _op_add_labels(self, c: _Call) -> Response:
        pr = self._pull(c.params)
        names: list[Any]
        if isinstance(c.body, dict):
            names = c.body.get("labels") or []
        elif isinstance(c.body, list):
            names = c.body
        else:
            raise ApiError(422, "Invalid request.\n\nNo labels were supplied.")
        for item in names:
            name = item.get("name") if isinstance(item, dict) else item
            if not isinstance(name, str) or not name:
                raise _validation_failed("Label", "invalid", field="name")
            self._label(name)
            if name not in pr.labels:
                pr.labels.append(name)
        pr.updated_at = self._tick()
        return self._json(200, [self._labels[n] for n in pr.labels])

    def _op_list_issue_comments(self, c: _Call) -> Response:
        pr = self._pull(c.params)
        chunk, links = self._paginate(c.request, _since(c.request, pr.comments))
        data = [self._issue_comment_json(pr.number, c) for c in chunk]
        return self._json(200, data, links, etag=True)

    def _op_create_issue_comment(self, c: _Call) -> Response:
        body = _object_body(c.body)
        pr = self._pull(c.params)
        text = body.get("body")
        if not isinstance(text, str) or not text:
            raise _validation_failed("IssueComment", "missing_field", field="body")
        comment = self._new_issue_comment(pr, text, self.user_login)
        data = self._issue_comment_json(pr.number, comment)
        return self._json(201, data, {"Location": data["url"]})

    def _op_list_review_comments(self, c: _Call) -> Response:
        pr = self._pull(c.params)
        chunk, links = self._paginate(c.request, _since(c.request, pr.review_comments))
        data = [self._review_comment_json(pr.number, c) for c in chunk]
        return self._json(200, data, links, etag=True)

    def _op_list_reviews(self, c: _Call) -> Response:
        pr = self._pull(c.params)
        chunk, links = self._paginate(c.request, pr.reviews)
        data = [self._review_json(pr.number, review) for review in chunk]
        return self._json(200, data, links, etag=True)

    def _op_merge_pull(self, c: _Call) -> Response:
        body = _object_body(c.body)
        pr = self._pull(c.params)
        if pr.merged:
            raise ApiError(405, "Pull Request is not mergeable")
        if pr.state != "open":
            raise ApiError(405, "Pull Request is not mergeable")
        head = self._branch_head(pr.head)
        if head is None:
            raise ApiError(405, "Head branch was modified. Review and try the merge again.")
        if body.get("sha") not in (None, head):
            raise ApiError(409, "Head branch was modified. Review and try the merge again.")
        if body.get("merge_method", "merge") != "merge":
            raise ApiError(405, "Merge method is not allowed on this repository")
        try:
            sha = self._merge(pr)
        except ValueError:
            raise ApiError(405, "Pull Request is not mergeable") from None
        return self._json(
            200, {"sha": sha, "merged": True, "message": "Pull Request successfully merged"}
        )

    def _op_request_reviewers(self, c: _Call) -> Response:
        body = _object_body(c.body)
        pr = self._pull(c.params)
        reviewers = body.get("reviewers") or []
        teams = body.get("team_reviewers") or []
        if not reviewers and not teams:
            raise ApiError(422, 'Invalid request.\n\n"reviewers" wasn\'t supplied.')
        if pr.user in reviewers:
            raise ApiError(422, "Review cannot be requested from pull request author.")
        for login in reviewers:
            if login not in pr.requested_reviewers:
                pr.requested_reviewers.append(login)
        pr.updated_at = self._tick()
        return self._json(201, self._pull_json(pr, full=False))


# -- small helpers --------------------------------------------------------------------------------
def _since(request: RecordedRequest, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The comments updated at or after the `since` query parameter (ISO 8601), as GitHub
    filters them; all of them without it."""
    raw = (request.query.get("since") or [""])[0]
    if not raw:
        return items
    try:
        since = datetime.fromisoformat(raw.replace("Z", "+00:00")).timestamp()
    except ValueError:
        raise ApiError(422, "Validation Failed") from None
    return [item for item in items if item.get("updated_at", item["created_at"]) >= since]


def _find_route(method: str, path: str) -> tuple[_Route | None, dict[str, str]]:
    path = path.rstrip("/") if path != "/" and not path.endswith("/contents/") else path
    for route in _ROUTES:
        if route.method != method:
            continue
        found = route.regex.match(path)
        if found:
            return route, {k: v for k, v in found.groupdict().items() if v is not None}
    return None, {}


def _validation_failed(
    resource: str, code: str, *, field: str | None = None, message: str | None = None
) -> ApiError:
    """GitHub's 422 "Validation Failed" with one entry in `errors`."""
    error: dict[str, str] = {"resource": resource, "code": code}
    if field is not None:
        error["field"] = field
    if message is not None:
        error["message"] = message
    return ApiError(422, "Validation Failed", errors=[error])


def _entry(entries: Iterable[TreeEntry], name: str) -> TreeEntry | None:
    for entry in entries:
        if entry.name == name:
            return entry
    return None


def _b64_wrapped(data: bytes) -> str:
    encoded = base64.b64encode(data).decode()
    return "".join(encoded[i : i + 60] + "\n" for i in range(0, len(encoded), 60))


def _node_id(prefix: str, number: int) -> str:
    return prefix + base64.b64encode(f"fake:{number}".encode()).decode().rstrip("=")


def _object_body(body: Any) -> dict[str, Any]:
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise ApiError(400, "Problems parsing JSON")
    return body


def _person(value: Any) -> tuple[str, str] | None:
    if (
        isinstance(value, dict)
        and isinstance(value.get("name"), str)
        and isinstance(value.get("email"), str)
    ):
        return value["name"], value["email"]
    return None


__all__ = [
    "ApiError",
    "FakeGitHub",
    "PullRequest",
    "secondary_rate_limit_response",
    "server_error",
]
