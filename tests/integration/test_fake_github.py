"""The GitHub fake, driven by real PyGithub over loopback HTTP."""

from __future__ import annotations

import base64
import hashlib
import time
import warnings
from collections.abc import Iterator

import pytest
from github import (
    Auth,
    BadCredentialsException,
    Github,
    GithubException,
    GithubRetry,
    UnknownObjectException,
)
from github.Repository import Repository

from tests.fakes import contracts
from tests.fakes.contracts import validate_github_request, validate_github_response
from tests.fakes.github import FakeGitHub, secondary_rate_limit_response, server_error

BRANCH = "post/2026-01-01-hello"
POST = "content/posts/2026-01-01-hello.md"


def client(fake: FakeGitHub, token: str = "ghp_test", retry: GithubRetry | None = None) -> Github:
    return Github(
        auth=Auth.Token(token),
        base_url=fake.api_url,
        seconds_between_requests=None,
        seconds_between_writes=None,
        retry=retry,
        timeout=5,
    )


@pytest.fixture
def fake() -> Iterator[FakeGitHub]:
    with FakeGitHub() as server:
        yield server
    assert server.errors == [], server.errors


@pytest.fixture
def repo(fake: FakeGitHub) -> Repository:
    with warnings.catch_warnings():  # PyGithub 2.10 deprecates lazy= here; the bot uses it
        warnings.simplefilter("ignore", DeprecationWarning)
        return client(fake).get_repo("acme/blog", lazy=True)


def open_post_pr(fake: FakeGitHub, repo: Repository, text: str = "# Hello\n") -> int:
    base = repo.get_git_ref("heads/main").object.sha
    repo.create_git_ref(ref=f"refs/heads/{BRANCH}", sha=base)
    repo.create_file(POST, "Add post", text, branch=BRANCH)
    return repo.create_pull(base="main", head=BRANCH, title="Hello", body="A post").number


# -- the happy path -------------------------------------------------------------------------------
def test_new_post_flow_end_to_end(fake: FakeGitHub, repo: Repository) -> None:
    assert repo.default_branch == "main"
    main = repo.get_git_ref("heads/main")
    assert main.object.sha == fake.branches()["main"]

    ref = repo.create_git_ref(ref=f"refs/heads/{BRANCH}", sha=main.object.sha)
    assert ref.ref == f"refs/heads/{BRANCH}"
    assert fake.branches()[BRANCH] == main.object.sha

    created = repo.create_file(POST, "Add post", "# Hello\n\nFirst draft.\n", branch=BRANCH)
    blob_sha = created["content"].sha
    # Blob shas are real git object ids.
    text = b"# Hello\n\nFirst draft.\n"
    expected = hashlib.sha1(b"blob %d\0%s" % (len(text), text), usedforsecurity=False)
    assert blob_sha == expected.hexdigest()
    assert fake.file(BRANCH, POST) == "# Hello\n\nFirst draft.\n"
    assert fake.file("main", POST) is None

    updated = repo.update_file(
        POST, "Revise post", "# Hello\n\nSecond draft.\n", blob_sha, branch=BRANCH
    )
    assert updated["content"].sha != blob_sha
    assert fake.file(BRANCH, POST) == "# Hello\n\nSecond draft.\n"
    history = fake.commits(BRANCH)
    assert [c["message"] for c in history] == ["Revise post", "Add post", "Initial commit"]
    assert history[0]["files"] == [POST]
    assert updated["commit"].sha == history[0]["sha"]

    pr = repo.create_pull(base="main", head=BRANCH, title="Hello", body="A new post")
    assert pr.number == 1
    assert pr.html_url == f"{fake.url}/acme/blog/pull/1"
    assert pr.head.ref == BRANCH and pr.base.ref == "main"
    assert pr.changed_files == 1 and pr.commits == 2
    assert fake.pulls()[0]["head"] == BRANCH

    found = list(repo.get_pulls(state="all", head=f"acme:{BRANCH}"))
    assert [p.number for p in found] == [1]
    assert list(repo.get_pulls(state="all", head="acme:other")) == []

    content = repo.get_contents(POST, ref=BRANCH)
    assert not isinstance(content, list)
    assert content.decoded_content == b"# Hello\n\nSecond draft.\n"
    listing = repo.get_contents("content/posts", ref=BRANCH)
    assert isinstance(listing, list)
    assert sorted(c.name for c in listing) == [".gitkeep", "2026-01-01-hello.md"]

    sha = fake.merge_pull(1)
    merged = repo.get_pull(1)
    assert merged.merged and merged.state == "closed" and merged.merge_commit_sha == sha
    assert fake.file("main", POST) == "# Hello\n\nSecond draft.\n"
    assert fake.commits("main")[0]["parents"][1] == fake.branches()[BRANCH]
    assert len(fake.write_requests()) == 4


def test_pr_metadata_labels_comments_reviewers(fake: FakeGitHub, repo: Repository) -> None:
    number = open_post_pr(fake, repo)
    pr = repo.get_pull(number)
    pr.edit(title="Better title", body="Better body")
    pr.add_to_labels("blog", "draft")
    pr.create_issue_comment("Preview ready")
    pr.create_review_request(reviewers=["editor"])
    fake.add_review_comment(number, "Typo here", POST)
    fake.add_issue_comment(number, "Looks good", user="editor")

    state = fake.pull(number)
    assert state["title"] == "Better title" and state["body"] == "Better body"
    assert state["labels"] == ["blog", "draft"]
    assert state["requested_reviewers"] == ["editor"]
    assert [c.body for c in pr.get_issue_comments()] == ["Preview ready", "Looks good"]
    assert [c.body for c in pr.get_review_comments()] == ["Typo here"]

    with pytest.raises(GithubException) as err:
        pr.create_review_request(reviewers=["blogbot"])
    assert err.value.status == 422

    pr.edit(state="closed")
    assert fake.pull(number)["state"] == "closed"
    pr.edit(state="open")
    assert fake.pull(number)["state"] == "open"


def test_git_data_api_commit(fake: FakeGitHub, repo: Repository) -> None:
    from github import InputGitTreeElement

    head = repo.get_branch("main").commit.sha
    base_commit = repo.get_git_commit(head)
    blob = repo.create_git_blob("hello\n", "utf-8")
    tree = repo.create_git_tree(
        [InputGitTreeElement("content/posts/a.md", "100644", "blob", sha=blob.sha)],
        base_tree=base_commit.tree,
    )
    commit = repo.create_git_commit("Add a", tree, [base_commit])
    fake.SINGULAR_REF_WRITES = True  # PyGithub's lazy GitRef writes to /git/ref/ (singular)
    repo.get_git_ref("heads/main").edit(commit.sha)
    assert fake.file("main", "content/posts/a.md") == "hello\n"
    assert fake.file("main", "README.md") == "# Blog\n"
    full = repo.get_git_tree(commit.sha, recursive=True)
    assert {e.path for e in full.tree} >= {"README.md", "content", "content/posts/a.md"}

    # A non-fast-forward update is refused unless forced.
    orphan = repo.create_git_commit("Orphan", tree, [])
    with pytest.raises(GithubException) as err:
        repo.get_git_ref("heads/main").edit(orphan.sha)
    assert err.value.status == 422


def test_pagination_follows_link_header(fake: FakeGitHub, repo: Repository) -> None:
    number = open_post_pr(fake, repo)
    for i in range(35):
        fake.add_issue_comment(number, f"comment {i}")
    comments = list(repo.get_pull(number).get_issue_comments())
    assert len(comments) == 35
    assert len(fake.requests_to("GET", r"/issues/1/comments$")) == 2


def test_delete_file(fake: FakeGitHub, repo: Repository) -> None:
    readme = repo.get_contents("README.md")
    assert not isinstance(readme, list)
    repo.delete_file("README.md", "Remove readme", readme.sha, branch="main")
    assert fake.file("main", "README.md") is None


# -- realistic failures ---------------------------------------------------------------------------
def test_duplicate_ref_and_existing_file_and_duplicate_pr(
    fake: FakeGitHub, repo: Repository
) -> None:
    open_post_pr(fake, repo)
    base = fake.branches()["main"]

    with pytest.raises(GithubException) as err:
        repo.create_git_ref(ref=f"refs/heads/{BRANCH}", sha=base)
    assert err.value.status == 422
    assert err.value.data["message"] == "Reference already exists"

    with pytest.raises(GithubException) as err:
        repo.create_file(POST, "Add again", "again", branch=BRANCH)
    assert err.value.status == 422
    assert err.value.data["message"] == 'Invalid request.\n\n"sha" wasn\'t supplied.'

    with pytest.raises(GithubException) as err:
        repo.create_pull(base="main", head=BRANCH, title="Again", body="")
    assert err.value.status == 422
    assert (
        err.value.data["errors"][0]["message"]
        == f"A pull request already exists for acme:{BRANCH}."
    )


def test_no_commits_between(fake: FakeGitHub, repo: Repository) -> None:
    repo.create_git_ref(ref="refs/heads/empty", sha=fake.branches()["main"])
    with pytest.raises(GithubException) as err:
        repo.create_pull(base="main", head="empty", title="Nothing", body="")
    assert err.value.status == 422
    assert err.value.data["errors"][0]["message"] == "No commits between main and empty"


def test_stale_sha_is_409(fake: FakeGitHub, repo: Repository) -> None:
    open_post_pr(fake, repo)
    old_sha = repo.get_contents(POST, ref=BRANCH).sha  # type: ignore[union-attr]
    fake.commit(BRANCH, {POST: "# Edited on the web\n"}, "Edit on the web")
    with pytest.raises(GithubException) as err:
        repo.update_file(POST, "Revise", "# Mine\n", old_sha, branch=BRANCH)
    assert err.value.status == 409
    assert "does not match" in err.value.data["message"]
    assert fake.file(BRANCH, POST) == "# Edited on the web\n"


def test_missing_ref_and_file_are_404(fake: FakeGitHub, repo: Repository) -> None:
    with pytest.raises(UnknownObjectException):
        _ = repo.get_git_ref("heads/nope").object  # PyGithub 2.10 fetches the ref lazily
    with pytest.raises(UnknownObjectException):
        repo.get_contents("nope.md")
    with pytest.raises(UnknownObjectException):
        _ = repo.get_pull(99).title


def test_bad_token_is_bad_credentials(fake: FakeGitHub) -> None:
    with pytest.raises(BadCredentialsException) as err:
        client(fake, token="ghp_wrong").get_repo("acme/blog")
    assert err.value.status == 401
    assert err.value.data == {
        "message": "Bad credentials",
        "documentation_url": "https://docs.github.com/rest",
        "status": "401",
    }


def test_other_repo_is_not_found(fake: FakeGitHub) -> None:
    with pytest.raises(UnknownObjectException) as err:
        client(fake).get_repo("acme/other")
    assert err.value.data["message"] == "Not Found"


def test_read_only_token_cannot_write() -> None:
    with FakeGitHub(push=False) as fake:
        repo = client(fake).get_repo("acme/blog")
        assert repo.permissions.push is False and repo.permissions.pull is True
        with pytest.raises(GithubException) as err:
            repo.create_git_ref(ref="refs/heads/x", sha=fake.branches()["main"])
        assert err.value.status == 403
        assert err.value.data["message"] == "Resource not accessible by personal access token"
        assert fake.branches() == {"main": fake.branches()["main"]}
        assert fake.errors == []


def test_deleting_branch_closes_its_pr(fake: FakeGitHub, repo: Repository) -> None:
    number = open_post_pr(fake, repo)
    assert repo.get_branch(BRANCH).commit.sha == fake.branches()[BRANCH]  # slash in the name
    repo.requester.requestJsonAndCheck("DELETE", f"{repo.url}/git/refs/heads/{BRANCH}")
    assert BRANCH not in fake.branches()
    pr = repo.get_pull(number)
    assert pr.state == "closed" and not pr.merged
    with pytest.raises(GithubException) as err:
        pr.edit(state="open")
    assert err.value.status == 422


def test_close_pull_from_test_side(fake: FakeGitHub, repo: Repository) -> None:
    number = open_post_pr(fake, repo)
    fake.close_pull(number)
    assert [p.number for p in repo.get_pulls(state="closed")] == [number]
    assert list(repo.get_pulls(state="open")) == []


def test_head_filter_without_owner_is_ignored(fake: FakeGitHub, repo: Repository) -> None:
    open_post_pr(fake, repo)
    assert len(list(repo.get_pulls(state="all", head="some-other-branch"))) == 1


# -- faults ---------------------------------------------------------------------------------------
def test_injected_502_then_retry_success(fake: FakeGitHub, repo: Repository) -> None:
    base = repo.get_git_ref("heads/main").object.sha
    repo.create_git_ref(ref=f"refs/heads/{BRANCH}", sha=base)
    repo.create_file(POST, "Add post", "x", branch=BRANCH)
    fake.fail_next("POST", r"/pulls$", server_error(502))
    with pytest.raises(GithubException) as err:
        repo.create_pull(base="main", head=BRANCH, title="T", body="B")
    assert err.value.status == 502
    assert fake.pulls() == []
    assert repo.create_pull(base="main", head=BRANCH, title="T", body="B").number == 1


def test_secondary_rate_limit_is_retried_by_github_retry(fake: FakeGitHub) -> None:
    retry = GithubRetry(total=2, backoff_factor=0.01, secondary_rate_wait=0.1)
    repo = client(fake, retry=retry).get_repo("acme/blog")
    fake.fail_next("POST", r"/git/refs$", secondary_rate_limit_response(retry_after=1))
    started = time.monotonic()
    repo.create_git_ref(ref="refs/heads/x", sha=fake.branches()["main"])
    assert time.monotonic() - started >= 0.9
    assert len(fake.requests_to("POST", r"/git/refs$")) == 2
    assert "x" in fake.branches()


def test_secondary_rate_limit_without_retry_surfaces(fake: FakeGitHub, repo: Repository) -> None:
    from github import RateLimitExceededException

    fake.fail_next("PUT", r"/contents/", secondary_rate_limit_response(retry_after=7))
    with pytest.raises(RateLimitExceededException) as err:
        repo.create_file("a.md", "a", "a", branch="main")
    assert err.value.headers is not None and err.value.headers.get("retry-after") == "7"


def test_headers_and_raw_http(fake: FakeGitHub) -> None:
    import httpx

    r = httpx.get(f"{fake.url}/repos/acme/blog", headers={"Authorization": "Bearer ghp_test"})
    assert r.status_code == 200
    assert r.headers["x-ratelimit-limit"] == "5000"
    assert int(r.headers["x-ratelimit-remaining"]) < 5000
    assert r.headers["etag"].startswith('W/"')
    assert r.headers["x-github-request-id"]
    assert r.json()["permissions"] == {
        "admin": False,
        "maintain": False,
        "push": True,
        "triage": True,
        "pull": True,
    }
    r = httpx.get(f"{fake.url}/repos/acme/blog")
    assert r.status_code == 401
    r = httpx.get(f"{fake.url}/rate_limit", headers={"Authorization": "token ghp_test"})
    assert r.json()["resources"]["core"]["limit"] == 5000
    r = httpx.get(f"{fake.url}/user", headers={"Authorization": "token ghp_test"})
    assert r.json()["login"] == "blogbot"


# -- contract checks ------------------------------------------------------------------------------
JSON = {"Content-Type": "application/json; charset=utf-8"}


@pytest.mark.parametrize("engine", ["compiled", "openapi-core"])
def test_both_engines_flag_broken_traffic(engine: str) -> None:
    def response(method: str, path: str, status: int, body: bytes) -> list[str]:
        return validate_github_response(method, path, status, JSON, body, engine=engine)

    def request(method: str, path: str, body: bytes = b"", **query: str) -> list[str]:
        q = {k: [v] for k, v in query.items()}
        return validate_github_request(method, path, JSON, body, q, engine=engine)

    ref = "/repos/acme/blog/git/ref/heads/main"
    assert "required" in response("GET", ref, 200, b'{"ref": "refs/heads/main"}')[0]
    assert response("GET", "/repos/acme/blog/pulls/1", 200, b'{"number": "1"}')
    assert response("POST", "/repos/acme/blog/git/refs", 201, b"[]")
    assert response("GET", "/repos/acme/blog/pulls/1", 201, b"{}")  # undeclared status
    assert response("GET", "/repos/acme/blog/pulls/1", 418, b"{}") == []  # any error: basic-error
    assert response("GET", "/repos/acme/blog/pulls/1", 401, b'{"message": 1}')
    assert response("GET", "/rate_limit", 200, b"not json")
    assert request("POST", "/repos/acme/blog/git/refs", b'{"ref": "refs/heads/x"}')  # no sha
    assert request("POST", "/repos/acme/blog/git/refs")  # no body at all
    assert request("GET", "/repos/acme/blog/pulls", state="bogus")
    assert request("GET", "/repos/acme/blog/pulls", per_page="many")
    assert request("GET", "/repos/acme/blog/pulls", state="all", per_page="5") == []
    listing = b'[{"type": "file", "size": 1, "name": "a", "path": "a", "sha": "0", '
    listing += b'"url": "http://x/a", "git_url": null, "html_url": null, "download_url": null, '
    listing += b'"_links": {"git": null, "html": null, "self": "http://x/a"}}]'
    contents = "/repos/acme/blog/contents/content/posts"
    assert response("GET", contents, 200, listing) == []  # discriminator workaround
    assert response("GET", contents, 200, listing.replace(b'"size": 1', b'"size": "1"'))
    conflict = b'{"message": "a does not match b", "documentation_url": "d", "status": "409"}'
    assert response("PUT", contents + "/a.md", 409, conflict) == []  # ambiguous-oneOf workaround
    assert response("PUT", contents + "/a.md", 409, b'{"message": 409}')


def test_openapi_core_engine_accepts_the_fakes_traffic(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(contracts, "ENGINE", "openapi-core")
    with FakeGitHub() as fake:
        repo = client(fake).get_repo("acme/blog")
        number = open_post_pr(fake, repo)
        repo.get_contents("content/posts", ref=BRANCH)
        repo.get_branch(BRANCH)
        pr = repo.get_pull(number)
        pr.add_to_labels("blog")
        pr.create_issue_comment("hi")
        pr.create_review_request(reviewers=["editor"])
        list(pr.get_review_comments())
        with pytest.raises(GithubException):
            repo.create_git_ref(ref=f"refs/heads/{BRANCH}", sha=fake.branches()["main"])
        with pytest.raises(GithubException):
            repo.update_file(POST, "stale", "x", "0" * 40, branch=BRANCH)
        with pytest.raises(GithubException):
            repo.create_pull(base="main", head=BRANCH, title="dup", body="")
        with pytest.raises(BadCredentialsException):
            client(fake, token="nope").get_user().login  # noqa: B018
        assert fake.errors == []


def test_validation_can_be_disabled() -> None:
    with FakeGitHub(validate=False) as fake:
        client(fake).get_repo("acme/blog").get_branch("main")
        assert fake.errors == []


def test_initial_files_and_contents_base64() -> None:
    with FakeGitHub(files={"a/b/c.md": "deep\n", "top.txt": "t"}) as fake:
        assert fake.files("main") == {"a/b/c.md": "deep\n", "top.txt": "t"}
        import httpx

        r = httpx.get(
            f"{fake.url}/repos/acme/blog/contents/a/b/c.md",
            headers={"Authorization": "token ghp_test"},
        )
        assert base64.b64decode(r.json()["content"]) == b"deep\n"
        assert fake.errors == []


def test_merging_through_the_api_and_the_delete_on_merge_setting(
    fake: FakeGitHub, repo: Repository
) -> None:
    fake.delete_branch_on_merge = True
    number = open_post_pr(fake, repo)
    pr = repo.get_pull(number)
    with pytest.raises(GithubException) as stale:
        pr.merge(sha="0" * 40)
    assert stale.value.status == 409

    status = pr.merge(commit_title="Publish")
    assert status.merged and len(status.sha) == 40
    state = fake.pull(number)
    assert state["merged"] and state["state"] == "closed"
    assert BRANCH not in fake.branches()  # the head branch went with the merge
    assert fake.file("main", POST) == "# Hello\n"
    assert client(fake).get_repo(fake.full_name).delete_branch_on_merge is True
    with pytest.raises(GithubException) as again:
        pr.merge()
    assert again.value.status == 405
    assert fake.errors == []
