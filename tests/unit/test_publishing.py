"""The publishing steps against the in-memory repository: every step resumes, nothing twice."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import frontmatter
import pytest

from bot.core.conversation import PostThread
from bot.core.drafts import Draft
from bot.core.errors import PublishError
from bot.core.progress import (
    BranchClaimed,
    FileClaimed,
    FileCommitted,
    NewPostProgress,
    Progress,
    PullOpened,
    RevisionCommitted,
)
from bot.core.publishing import PostLayout, Publisher
from tests.unit.fakes import Crash, FakeBlogRepository, Write

NOW = datetime(2026, 11, 27, 9, 30, tzinfo=timezone(timedelta(hours=1)))
DATE = "2026-11-27T09:30:00+01:00"
BRANCH = "blogbot/2026-11-27-hello-world"
PATH = "content/posts/2026-11-27-hello-world.md"
DRAFT = Draft(title="Hello, world", description="A first post.", tags=("intro",), body="Hi.\n")
NEW_POST_WRITES: list[Write] = ["create_branch", "create_file", "create_pull"]


class Saved:
    """One job's checkpoints, as its record in the state store would hold them."""

    def __init__(self) -> None:
        self.states: list[Progress] = []

    async def __call__(self, progress: Progress) -> None:
        self.states.append(progress)

    @property
    def last(self) -> NewPostProgress | None:
        state = self.states[-1] if self.states else None
        assert not isinstance(state, RevisionCommitted)
        return state

    @property
    def last_revision(self) -> RevisionCommitted | None:
        state = self.states[-1] if self.states else None
        assert state is None or isinstance(state, RevisionCommitted)
        return state


def publisher(repo: FakeBlogRepository) -> Publisher:
    """A publisher as a (re)started process has it: nothing in memory from before."""
    return Publisher(
        repository=repo,
        layout=PostLayout("content/posts", "{date}-{slug}.md", "blogbot/"),
        clock=lambda: NOW,
        model_name="@cf/test/model",
    )


def assert_one_post(
    repo: FakeBlogRepository, thread: PostThread, branch: str = BRANCH, path: str = PATH
) -> None:
    """One branch, one file, one commit, one pull request: nothing made twice."""
    assert thread.branch == branch and thread.path == path
    assert branch in repo.post_branches()
    assert list(repo.new_files(branch)) == [path]
    [commit] = repo.new_commits(branch)
    assert thread.commit_url == repo.commit_url(commit)
    [pull] = [p for p in repo.open_pulls() if p.branch == branch]
    assert thread.number == pull.number and thread.url.endswith(f"/pull/{pull.number}")


async def test_each_step_is_checkpointed_in_order() -> None:
    repo, saved = FakeBlogRepository(), Saved()
    thread = await publisher(repo).new_post(DRAFT, "notes", None, saved)
    assert [type(s) for s in saved.states] == [
        BranchClaimed,
        FileClaimed,
        FileCommitted,
        PullOpened,
    ]
    assert saved.states[0] == BranchClaimed(DATE, BRANCH, repo.branches["main"])
    assert saved.states[1] == FileClaimed(DATE, BRANCH, PATH, repo.branches["main"])
    assert repo.writes == NEW_POST_WRITES
    assert_one_post(repo, thread)
    assert repo.post_branches() == [BRANCH]
    assert thread.date == DATE and thread.history[0].content == "notes"


@pytest.mark.parametrize("write", NEW_POST_WRITES)
async def test_a_crash_after_each_write_resumes_to_one_post(write: Write) -> None:
    repo, saved = FakeBlogRepository(), Saved()
    repo.next_write(write, "crash")
    with pytest.raises(Crash):
        await publisher(repo).new_post(DRAFT, "notes", None, saved)
    thread = await publisher(repo).new_post(DRAFT, "notes", saved.last, saved)
    assert_one_post(repo, thread)
    assert repo.post_branches() == [BRANCH]


@pytest.mark.parametrize("write", NEW_POST_WRITES)
async def test_a_lost_answer_to_each_write_is_recognised_by_the_next_attempt(
    write: Write,
) -> None:
    repo, saved = FakeBlogRepository(), Saved()
    steps = publisher(repo)
    repo.next_write(write, "lose")
    with pytest.raises(PublishError, match="GitHub is having trouble"):
        await steps.new_post(DRAFT, "notes", None, saved)
    thread = await steps.new_post(DRAFT, "notes", saved.last, saved)
    assert_one_post(repo, thread)
    assert repo.post_branches() == [BRANCH]


@pytest.mark.parametrize("write", NEW_POST_WRITES)
async def test_a_failure_before_each_write_is_retried_from_its_step(write: Write) -> None:
    repo, saved = FakeBlogRepository(), Saved()
    steps = publisher(repo)
    repo.next_write(write, "fail")
    with pytest.raises(PublishError):
        await steps.new_post(DRAFT, "notes", None, saved)
    thread = await steps.new_post(DRAFT, "notes", saved.last, saved)
    assert_one_post(repo, thread)
    assert repo.writes.count(write) == 2
    assert len(repo.writes) == 4


async def test_a_resumed_claim_keeps_its_branch_after_the_base_moved_on() -> None:
    """A crash between creating the branch and saving the next step; then someone merges to
    main. The claim (name and base commit) says the branch is this job's own: no `-2`."""
    repo, saved = FakeBlogRepository(), Saved()
    repo.next_write("create_branch", "crash")
    with pytest.raises(Crash):
        await publisher(repo).new_post(DRAFT, "notes", None, saved)
    repo.push("main", {"notes.txt": "merged meanwhile"})
    thread = await publisher(repo).new_post(DRAFT, "notes", saved.last, saved)
    assert repo.post_branches() == [BRANCH]
    assert_one_post(repo, thread)


async def test_a_resumed_claim_of_a_suffixed_name_keeps_that_name() -> None:
    repo, saved = FakeBlogRepository(), Saved()
    repo.push(BRANCH, {"draft.md": "someone else's"})  # the wanted name is taken
    repo.next_write("create_branch", "crash", after=1)
    with pytest.raises(Crash):
        await publisher(repo).new_post(DRAFT, "notes", None, saved)
    assert saved.last == BranchClaimed(DATE, f"{BRANCH}-2", repo.branches["main"])
    repo.push("main", {"notes.txt": "merged meanwhile"})
    thread = await publisher(repo).new_post(DRAFT, "notes", saved.last, saved)
    assert repo.post_branches() == [BRANCH, f"{BRANCH}-2"]
    assert_one_post(repo, thread, branch=f"{BRANCH}-2")


async def test_a_claim_without_a_base_commit_trusts_the_recorded_name() -> None:
    """Records of the previous version name the branch but not its base commit."""
    repo = FakeBlogRepository()
    repo.branches[BRANCH] = repo.branches["main"]  # the interrupted run made it...
    repo.push("main", {"notes.txt": "merged meanwhile"})  # ...and main moved on since
    claim = BranchClaimed(DATE, BRANCH, None)
    thread = await publisher(repo).new_post(DRAFT, "notes", claim)
    assert repo.post_branches() == [BRANCH]
    assert_one_post(repo, thread)


async def test_a_branch_name_taken_by_someone_else_gets_a_suffix() -> None:
    repo = FakeBlogRepository()
    repo.push(BRANCH, {"draft.md": "someone else's"})
    thread = await publisher(repo).new_post(DRAFT, "notes")
    assert_one_post(repo, thread, branch=f"{BRANCH}-2")
    assert repo.files(BRANCH) == {**repo.files("main"), "draft.md": "someone else's"}


async def test_when_every_branch_name_is_taken_the_failure_says_so() -> None:
    repo = FakeBlogRepository()
    for name in [BRANCH, *(f"{BRANCH}-{n}" for n in range(2, 21))]:
        repo.push(name, {"x.md": name})
    with pytest.raises(PublishError, match="free branch name"):
        await publisher(repo).new_post(DRAFT, "notes")
    assert repo.pulls == {}


async def test_an_existing_file_is_never_overwritten() -> None:
    repo = FakeBlogRepository()
    repo.push("main", {PATH: "---\ntitle: Mine\n---\nHands off.\n"})
    saved = Saved()
    thread = await publisher(repo).new_post(DRAFT, "notes", None, saved)
    second = PATH.replace(".md", "-2.md")
    assert FileClaimed(DATE, BRANCH, second, repo.branches["main"]) in saved.states
    assert repo.files(BRANCH)[PATH] == "---\ntitle: Mine\n---\nHands off.\n"
    assert_one_post(repo, thread, path=second)


async def test_a_crash_after_committing_under_a_suffixed_path_resumes_with_it() -> None:
    repo, saved = FakeBlogRepository(), Saved()
    repo.push("main", {PATH: "someone else's post"})
    repo.next_write("create_file", "crash")
    with pytest.raises(Crash):
        await publisher(repo).new_post(DRAFT, "notes", None, saved)
    thread = await publisher(repo).new_post(DRAFT, "notes", saved.last, saved)
    assert_one_post(repo, thread, path=PATH.replace(".md", "-2.md"))


async def test_two_jobs_with_the_same_title_at_once_get_a_post_each() -> None:
    repo = FakeBlogRepository()
    repo.slow["create_file"] = 5  # the first job's branch stays empty while the second looks
    steps = publisher(repo)  # one process, two chats
    first, second = await asyncio.gather(
        steps.new_post(DRAFT, "notes"), steps.new_post(DRAFT, "other notes")
    )
    assert {first.branch, second.branch} == {BRANCH, f"{BRANCH}-2"}
    assert_one_post(repo, first, branch=first.branch)
    assert_one_post(repo, second, branch=second.branch)
    assert first.number != second.number


async def test_a_failed_jobs_empty_branch_is_not_taken_by_another_job() -> None:
    """Job A's branch exists at the base commit when its file fails: an empty branch looks
    the same whoever made it, so job B (same title, same process) takes another name."""
    repo, saved = FakeBlogRepository(), Saved()
    steps = publisher(repo)
    repo.next_write("create_file", "fail")
    with pytest.raises(PublishError):
        await steps.new_post(DRAFT, "notes", None, saved)
    other = await steps.new_post(DRAFT, "other notes")
    mine = await steps.new_post(DRAFT, "notes", saved.last, saved)  # /retry
    assert (mine.branch, other.branch) == (BRANCH, f"{BRANCH}-2")
    assert_one_post(repo, mine)
    assert_one_post(repo, other, branch=f"{BRANCH}-2")


# -- revisions --------------------------------------------------------------------------------
REVISED = Draft(title="Hello again", description="Shorter.", tags=("intro",), body="Bye.\n")


async def published(repo: FakeBlogRepository) -> PostThread:
    return await publisher(repo).new_post(DRAFT, "notes")


def assert_one_revision(repo: FakeBlogRepository, revised: PostThread) -> None:
    newest, _first = repo.new_commits(BRANCH)
    assert revised.commit_url == repo.commit_url(newest)
    assert "Bye." in repo.files(BRANCH)[PATH]
    [pull] = repo.open_pulls()
    assert pull.title == "Hello again" == revised.title
    assert revised.revisions == 1


async def test_a_revision_is_one_commit_and_the_title_follows() -> None:
    repo, saved = FakeBlogRepository(), Saved()
    thread = await published(repo)
    revised = await publisher(repo).revision(thread, REVISED, "shorter", None, saved)
    assert [type(s) for s in saved.states] == [RevisionCommitted]
    assert repo.writes[3:] == ["update_file", "update_pull"]
    assert_one_revision(repo, revised)
    assert revised.date == thread.date and revised.path == thread.path


async def test_a_crash_after_the_revision_commit_resumes_without_a_second_commit() -> None:
    repo, saved = FakeBlogRepository(), Saved()
    thread = await published(repo)
    repo.next_write("update_file", "crash")  # committed, nothing saved
    with pytest.raises(Crash):
        await publisher(repo).revision(thread, REVISED, "shorter", None, saved)
    assert saved.states == []
    revised = await publisher(repo).revision(thread, REVISED, "shorter", saved.last_revision)
    assert_one_revision(repo, revised)


@pytest.mark.parametrize("fault", ["lose", "crash"])
async def test_a_revision_interrupted_at_the_title_does_not_commit_again(fault: str) -> None:
    repo, saved = FakeBlogRepository(), Saved()
    thread = await published(repo)
    repo.next_write("update_pull", "lose" if fault == "lose" else "crash")
    with pytest.raises((PublishError, Crash)):
        await publisher(repo).revision(thread, REVISED, "shorter", None, saved)
    resumed = saved.last_revision
    assert resumed is not None
    revised = await publisher(repo).revision(thread, REVISED, "shorter", resumed, saved)
    assert repo.writes.count("update_file") == 1
    assert_one_revision(repo, revised)


async def test_a_lost_answer_to_the_revision_commit_is_adopted_by_the_retry() -> None:
    repo = FakeBlogRepository()
    thread = await published(repo)
    repo.next_write("update_file", "lose")
    with pytest.raises(PublishError):
        await publisher(repo).revision(thread, REVISED, "shorter")
    revised = await publisher(repo).revision(thread, REVISED, "shorter")
    assert_one_revision(repo, revised)


async def test_a_file_changed_by_someone_else_is_not_overwritten() -> None:
    repo = FakeBlogRepository()
    thread = await published(repo)
    repo.push(BRANCH, {PATH: "edited on GitHub"})
    with pytest.raises(PublishError, match="409"):
        await publisher(repo).revision(thread, REVISED, "shorter")
    assert repo.files(BRANCH)[PATH] == "edited on GitHub"


def sample_blog(kind: str) -> dict[str, str]:
    blog = Path(__file__).resolve().parents[1] / "blogs" / kind
    return {
        str(p.relative_to(blog)): p.read_text()
        for p in blog.rglob("*")
        if p.is_file() and p.suffix in {".md", ".yml", ".js", ".json"}
    }


async def test_the_writer_is_mapped_to_the_blogs_author_by_blogbot_yml() -> None:
    files = sample_blog("docusaurus")
    files[".blogbot.yml"] = 'authors:\n  "@nadia_tg": nadia\n'
    repo = FakeBlogRepository()
    repo.push(repo.base, files, "A Docusaurus blog")
    learning = Publisher(
        repository=repo,
        layout=PostLayout(None, None, "blogbot/"),
        clock=lambda: NOW,
        model_name="@cf/test/model",
    )

    mapped = await learning.new_post(DRAFT, "notes", author="nadia_tg")
    unmapped = await learning.new_post(
        replace(DRAFT, title="Another post"), "notes", author="someone_else"
    )

    def authors(thread: PostThread) -> object:
        return frontmatter.loads(repo.files(thread.branch)[thread.path])["authors"]

    assert mapped.path.startswith("blog/")
    assert authors(mapped) == ["nadia"]
    assert authors(unmapped) == ["marco"]  # the newest posts' most frequent: never a new one
