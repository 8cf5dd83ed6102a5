"""The sample blogs of tests/blogs as the fake GitHub's main branch, and one post sent through
the real bot process into one of them (tests/e2e/test_blog_kinds.py, and the build tier's
tests/build/test_pull_requests_build.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.fakes.base import RecordedRequest
from tests.fakes.github import FakeGitHub
from tests.fakes.telegram import BotMessage, FakeTelegram
from tests.fakes.workers_ai import FakeWorkersAI
from tests.helpers_chat import model_post, send_and_wait

SAMPLE_BLOGS = Path(__file__).resolve().parent / "blogs"
KINDS = (
    sorted(p.name for p in SAMPLE_BLOGS.iterdir() if p.is_dir()) if SAMPLE_BLOGS.is_dir() else []
)

# The model's post: a title no generator mangles (no quotes, colons or ampersands) and a body
# whose sentences appear nowhere else, so the built page can be found by them.
TITLE = "Reading the harbour tide gauge"
SLUG = "reading-the-harbour-tide-gauge"
FIRST = "Gauge 7741 on the north mole logged a seiche of forty centimetres in the inner harbour."
SECOND = "The keepers now read gauge 7741 twice a night and pin the figures to the office door."
BODY = f"{FIRST}\n\n{SECOND}"
TAGS = ("testing", "pipelines")  # words several sample blogs already use (tags, categories)
MODEL_REPLY = model_post(TITLE, BODY, tags=", ".join(TAGS))
REQUEST = "Notes: tide gauge 7741 showed a forty centimetre seiche; keepers now read it nightly."

_MODEL_CALL = re.compile(r"/ai/run/|/ai/v1/chat/completions$")


def blog_files(kind: str) -> dict[str, str]:
    """Every text file of the sample blog `kind`, by repository path (binary files left out)."""
    root = SAMPLE_BLOGS / kind
    files: dict[str, str] = {}
    for path in sorted(root.rglob("*")):
        if not path.is_file():
            continue
        data = path.read_bytes()
        if b"\0" in data:
            continue
        try:
            files[path.relative_to(root).as_posix()] = data.decode("utf-8")
        except UnicodeDecodeError:
            continue
    return files


@contextmanager
def sample_blog_github(kind: str) -> Iterator[FakeGitHub]:
    """The fake GitHub whose main branch holds the sample blog `kind`."""
    with FakeGitHub(files=blog_files(kind)) as fake:
        yield fake
    assert not fake.errors, f"GitHub contract violations: {fake.errors}"


@dataclass(frozen=True)
class PublishedPost:
    reply: BotMessage  # the bot's answer naming the pull request
    branch: str
    added: dict[str, str]  # files the branch adds: path -> text
    changed: dict[str, str]  # files of main the branch changes: path -> new text
    prompt: str  # the user message of the model call
    before_model: list[RecordedRequest]  # every GitHub request before the model was asked
    detection: list[RecordedRequest]  # those after the writer's message: learning the blog

    @property
    def path(self) -> str:
        assert len(self.added) == 1, f"the pull request adds {sorted(self.added)}"
        return next(iter(self.added))

    @property
    def text(self) -> str:
        return self.added[self.path]

    def detection_summary(self) -> str:
        calls = [f"{r.method} {_short(r)}" for r in self.detection]
        return f"{len(self.detection)} GitHub requests ({len(self.before_model)} since start): " + (
            ", ".join(calls)
        )


def _short(request: RecordedRequest) -> str:
    path = re.sub(r"^/repos/[^/]+/[^/]+", "", request.path) or request.path
    return re.sub(r"[0-9a-f]{40}", "<sha>", path)


def publish_one_post(
    telegram: FakeTelegram, workers_ai: FakeWorkersAI, github: FakeGitHub
) -> PublishedPost:
    """The writer sends REQUEST, the model answers MODEL_REPLY; waits for pull request #1."""
    workers_ai.queue_reply(MODEL_REPLY)
    before = len(github.requests)
    reply = send_and_wait(telegram, REQUEST, "Pull request #1")
    assert "Pull request #1" in reply.text, reply.text
    [pull] = github.pulls()
    branch = pull["head"]
    main, head = github.files("main"), github.files(branch)
    added = {p: t for p, t in head.items() if p not in main}
    changed = {p: t for p, t in head.items() if p in main and main[p] != t}
    assert not [p for p in main if p not in head], "the pull request deletes files"

    [model_call] = [r for r in workers_ai.requests if _MODEL_CALL.search(r.path)]
    [run] = workers_ai.run_requests()
    user = [m for m in run["messages"] if m["role"] == "user"]
    prompt = str(user[-1]["content"]) if user else ""
    requests = list(github.requests)
    before_model = [r for r in requests if r.at < model_call.at]
    return PublishedPost(
        reply=reply,
        branch=branch,
        added=added,
        changed=changed,
        prompt=prompt,
        before_model=before_model,
        detection=[r for r in requests[before:] if r.at < model_call.at],
    )
