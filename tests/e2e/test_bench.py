"""Smoke test of the benchmark: `python -m bench --quick` runs and its results make sense.

It runs the command end to end (fakes, the real bot process, the table, the JSON) and checks what
holds on any machine: every section is there, every message got its answer with a pull request
link, each new post opened one pull request, the API calls per message are the known ones, the
fakes saw no contract problem, the model input section compares the same requests without and
with the blog's style excerpt and counts the GitHub reads spent learning the blog, and the media
section counts the GitHub calls of a new post with 1 and with 3 photos and times each voice note
up to its transcript. Timings and
memory are not judged: a quick run on a busy machine says nothing about them; the full
`python -m bench` run does.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bench.metrics import METRIC_IDS

REPO_ROOT = Path(__file__).resolve().parents[2]

# `--quick`: 4 sequential messages (2 users: a new post, then a revision), then 1 user alone and
# 3 users at once, each with a new post; revisions by those 3 fill up the 12 jobs.
SEQUENTIAL_MESSAGES = 4
CONCURRENT_USERS = 3
NEW_POSTS = SEQUENTIAL_MESSAGES // 2 + 1 + CONCURRENT_USERS
# Then a fresh bot writes to tests/blogs/hugo-toml (3 posts): new post, revision, new post,
# revision, the same requests as the sequential messages to the bare default repository.
STYLE_MESSAGES = 4
STYLE_BLOG_POSTS = 3
STYLE_MAX_CHARS = 1500  # the excerpt's cap (bot/core/blog/style.py)
STYLE_ADDED_LIMIT = 600  # tokens the excerpt may add to a new post
TREE_READ = "GET /git/trees/{sha}"
FILE_READ = "GET /contents/{path}"

# The known API calls of one message, getUpdates aside. GitHub: a new post reads the base branch,
# creates the branch, writes the file and opens the pull request; a revision reads the pull
# request before drafting (its state, and its head: a maintainer's commits) and again right
# before committing (merged meanwhile?), writes the file and sets the PR's title and body in one
# PATCH. Telegram: the status message, the typing action, and the edit that turns the status
# into the answer. The live updates (draft
# updates, stream and status edits, typing renewals) are counted apart, each throttled.
GITHUB_CALLS_NEW_POST = 4
GITHUB_CALLS_REVISION = 4
TELEGRAM_CALLS_PER_MESSAGE = 3
# Rows about what the bot does, not how fast: they hold on any machine.
CORRECTNESS_ROWS = (
    "github_calls_new_post",
    "github_calls_revision",
    "telegram_calls_per_message",
    "telegram_stream_edits_per_second",
    "telegram_draft_updates_per_second",
    "style_excerpt_added_tokens",
    "blog_learning_later_calls",
    "github_calls_post_1_images",
    "github_calls_post_3_images",
)
# Phase 7: a new post with k photos costs the base branch read, k blobs, the tree, the commit,
# the branch created at it and the pull request; 3 voice notes in --quick.
POST_WITH_IMAGES = {"GET /branches/{branch}": 1, "POST /git/trees": 1, "POST /git/commits": 1}
POST_WITH_IMAGES |= {"POST /git/refs": 1, "POST /pulls": 1}
VOICE_NOTES = 3
VERDICTS = {True: "PASS", False: "**MISS**", None: "info"}

# The benchmark's quick run: the slow tier (.ci/run runs it).
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], str]:
    """(the JSON results, the printed table) of one `python -m bench --quick`."""
    out = tmp_path_factory.mktemp("bench") / "results.json"
    result = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--json", str(out)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
    return json.loads(out.read_text(encoding="utf-8")), result.stdout


def test_every_section_and_metric_is_reported(quick_run: tuple[dict[str, Any], str]) -> None:
    data, _ = quick_run
    assert list(data) == ["machine", "settings", "metrics", "details", "fake_errors"]
    assert list(data["details"]) == [
        "overhead",
        "github",
        "telegram",
        "concurrency",
        "memory",
        "startup",
        "model_input",
        "media",
    ]
    metrics = data["metrics"]
    assert [m["id"] for m in metrics] == list(METRIC_IDS)
    for metric in metrics:
        assert isinstance(metric["value"], int | float), metric
        assert math.isfinite(metric["value"]), metric
        assert metric["pass"] in (True, False, None), metric
        assert metric["target"], metric
    settings = data["settings"]
    assert settings["quick"] is True
    assert (settings["messages"], settings["users"]) == (SEQUENTIAL_MESSAGES, CONCURRENT_USERS)
    assert settings["memory_jobs"] >= 12
    assert data["details"]["memory"]["jobs"] == settings["memory_jobs"]
    assert data["machine"]["nproc"] >= 1 and data["machine"]["python"]
    assert data["fake_errors"] == []


def test_every_message_got_its_pull_request(quick_run: tuple[dict[str, Any], str]) -> None:
    details = quick_run[0]["details"]
    assert details["overhead"]["messages"] == SEQUENTIAL_MESSAGES
    assert details["overhead"]["by_kind"]["new"]["messages"] == SEQUENTIAL_MESSAGES // 2
    assert details["overhead"]["by_kind"]["revision"]["messages"] == SEQUENTIAL_MESSAGES // 2
    concurrency = details["concurrency"]
    assert concurrency["users"] == CONCURRENT_USERS
    assert len(concurrency["reply_s"]) == CONCURRENT_USERS
    assert len(concurrency["first_reaction_s"]) == CONCURRENT_USERS
    assert concurrency["one_user_pr_opened_s"] is not None
    assert concurrency["last_pr_opened_s"] is not None
    # One pull request per new post, none for a revision.
    assert details["github"]["pull_requests_opened"] == NEW_POSTS


def test_api_calls_per_message_are_the_known_ones(quick_run: tuple[dict[str, Any], str]) -> None:
    data, _ = quick_run
    github = data["details"]["github"]
    # The first post after start-up may make one-off calls; every later one makes exactly these.
    assert github["new_post_totals"][1:] == [GITHUB_CALLS_NEW_POST] * (SEQUENTIAL_MESSAGES // 2 - 1)
    assert sum(github["new_post_typical"].values()) == GITHUB_CALLS_NEW_POST
    assert github["new_post_typical"]["POST /pulls"] == 1
    first = github["new_post_first_after_start"]
    assert all(first.get(call, 0) >= n for call, n in github["new_post_typical"].items()), first
    assert github["revision_totals"] == [GITHUB_CALLS_REVISION] * (SEQUENTIAL_MESSAGES // 2)
    assert sum(github["revision_typical"].values()) == GITHUB_CALLS_REVISION
    assert "POST /pulls" not in github["revision_typical"]
    telegram = data["details"]["telegram"]
    assert telegram["per_message_totals"] == [TELEGRAM_CALLS_PER_MESSAGE] * SEQUENTIAL_MESSAGES
    assert sum(telegram["per_message_typical"].values()) == TELEGRAM_CALLS_PER_MESSAGE
    # Every message streamed its draft into the private chat and said it was publishing.
    assert all(n >= 1 for n in telegram["draft_updates"]), telegram
    # "Publishing to GitHub…": one edit, unless the answer overtook it.
    assert set(telegram["status_edits"]) <= {0, 1} and any(telegram["status_edits"]), telegram
    assert len(telegram["first_text_after_first_token_s"]) == SEQUENTIAL_MESSAGES
    values = {m["id"]: m["value"] for m in data["metrics"]}
    assert values["github_calls_new_post"] == GITHUB_CALLS_NEW_POST
    assert values["github_calls_revision"] == GITHUB_CALLS_REVISION
    assert values["telegram_calls_per_message"] == TELEGRAM_CALLS_PER_MESSAGE


def test_no_correctness_row_is_missed(quick_run: tuple[dict[str, Any], str]) -> None:
    verdicts = {m["id"]: m["pass"] for m in quick_run[0]["metrics"]}
    assert {row: verdicts[row] for row in CORRECTNESS_ROWS} == dict.fromkeys(CORRECTNESS_ROWS, True)


def test_the_table_shows_every_metric_with_its_verdict(
    quick_run: tuple[dict[str, Any], str],
) -> None:
    data, table = quick_run
    assert "| Metric | Value | Target | Result | Notes |" in table
    rows = [line for line in table.splitlines() if line.startswith("| ")]
    for metric in data["metrics"]:
        [row] = [r for r in rows if r.startswith(f"| {metric['group']}: {metric['label']} |")]
        cells = [cell.strip() for cell in row.strip("|").split(" | ")]
        assert cells[2] == metric["target"], row
        assert cells[3] == VERDICTS[metric["pass"]], row
    assert "| Kind | Step | Call | Own time before it, p50 | p95 |" in table
    assert any(r.startswith("| new | 1 | ") for r in rows)
    assert any(r.startswith("| revision | 1 | ") for r in rows)
    assert "| Repository | Message | n | Input tokens |" in table
    for repository in ("default (no posts)", "tests/blogs/hugo-toml"):
        for message in ("new post", "revision"):
            assert any(r.startswith(f"| {repository} | {message} | 2 | ") for r in rows), message


def test_the_style_excerpt_is_all_that_grows_a_new_posts_input(
    quick_run: tuple[dict[str, Any], str],
) -> None:
    data, _ = quick_run
    detail = data["details"]["model_input"]
    before, after = detail["before"], detail["after"]
    assert before["files"] == ["README.md", "content/posts/.gitkeep"]
    assert after["repository"] == "tests/blogs/hugo-toml"
    posts = [path for path in after["files"] if path.startswith("content/posts/")]
    assert len(posts) == STYLE_BLOG_POSTS, after["files"]
    assert (before["messages"], after["messages"]) == (SEQUENTIAL_MESSAGES, STYLE_MESSAGES)
    for side in (before, after):
        for kind in ("new", "revision"):
            part = side[kind]
            assert part["messages"] == 2, (kind, part)
            for tokens, chars, body in zip(
                part["input_tokens"], part["input_chars"], part["body_chars"], strict=True
            ):
                # The fake counts a token as 3/4 of a word: a few characters each.
                assert 0 < tokens < chars < body, part
                assert 2 < chars / tokens < 8, part
        # A revision sends the post itself: more than the notes of a new post, no excerpt.
        assert min(side["revision"]["input_tokens"]) > max(side["new"]["input_tokens"])
        assert side["revision"]["style_chars"] == [0, 0]
    # Before: no posts, no excerpt. After: every new post quotes one or two of the blog's posts.
    assert before["new"]["style_chars"] == [0, 0]
    assert before["new"]["style_posts"] == []
    assert all(0 < chars <= STYLE_MAX_CHARS for chars in after["new"]["style_chars"])
    assert 1 <= len(after["new"]["style_posts"]) <= 2
    assert set(after["new"]["style_posts"]) <= set(posts)
    # The same requests (same topics, in order): the excerpt is what the after side adds.
    pairs = list(zip(after["new"]["input_tokens"], before["new"]["input_tokens"], strict=True))
    assert all(a > b for a, b in pairs), pairs
    assert detail["style_added_tokens"] == [a - b for a, b in pairs]
    added_tokens = zip(detail["style_added_tokens"], after["new"]["style_tokens"], strict=True)
    for added, excerpt in added_tokens:
        assert excerpt < added <= STYLE_ADDED_LIMIT  # the excerpt plus prompts/style.md
    chars = zip(after["new"]["input_chars"], before["new"]["input_chars"], strict=True)
    assert all(a > b for a, b in chars)
    assert all(added > 0 for added in detail["style_added_chars"])
    assert detail["style_added_tokens_at_cap"] <= STYLE_ADDED_LIMIT
    values = {m["id"]: m["value"] for m in data["metrics"]}
    assert (
        values["model_input_new_post_after_tokens"] > values["model_input_new_post_before_tokens"]
    )
    assert values["style_excerpt_added_tokens"] == max(detail["style_added_tokens"])
    assert values["model_input_revision_tokens"] == before["revision"]["input_tokens"][0]


def test_the_blog_is_learned_on_the_first_message_only(
    quick_run: tuple[dict[str, Any], str],
) -> None:
    data, _ = quick_run
    detail = data["details"]["model_input"]
    before, after = detail["before"], detail["after"]
    for side in (before, after):
        reads = side["learning_reads"]
        # The first message reads the tree once and some files; later ones read nothing more
        # (the base head has not moved: no pull request is merged).
        assert reads[0] > 0 and reads[1:] == [0] * (len(reads) - 1), reads
        first = side["learning_first_message"]
        assert set(first) == {TREE_READ, FILE_READ}, first
        assert first[TREE_READ] == 1
        assert sum(first.values()) == reads[0]
        # Learning is what makes the first message dearer than a later new post.
        extra = side["first_message_extra_calls"]
        assert all(extra.get(call, 0) >= n for call, n in first.items()), (extra, first)
    # A blog with posts costs more file reads: its config and the posts it quotes.
    assert after["learning_first_message"][FILE_READ] >= 1 + len(after["new"]["style_posts"])
    assert after["learning_first_message"][FILE_READ] <= len(after["files"])
    assert after["learning_reads"][0] > before["learning_reads"][0]
    values = {m["id"]: m["value"] for m in data["metrics"]}
    assert values["blog_learning_first_message_calls"] == after["learning_reads"][0]
    assert values["blog_learning_later_calls"] == 0


def test_a_post_with_k_photos_costs_k_plus_5_calls_and_voice_notes_are_timed(
    quick_run: tuple[dict[str, Any], str],
) -> None:
    data, table = quick_run
    media = data["details"]["media"]
    for k in (1, 3):
        assert media["posts"][str(k)] == {**POST_WITH_IMAGES, "POST /git/blobs": k}
        assert media["post_totals"][str(k)] == k + 5
    assert media["voice_notes"] == VOICE_NOTES
    calls = media["voice_calls_to_transcript"]
    # Up to the transcript: the status message, getFile, the download, the speech model, the
    # edit that shows what was heard (the typing action too).
    for call in ("sendMessage", "getFile", "file download", "POST /ai/run/{speech model}"):
        assert calls.get(call) == 1, calls
    assert calls.get("editMessageText", 0) >= 1, calls
    assert len(media["voice_overhead_ms"]) == VOICE_NOTES
    # The injected latency (the speech model's own time included) is below the time it took.
    assert media["voice_injected_ms_p50"] > media["voice_speech_model_ms"] > 0
    assert media["voice_to_transcript_ms_p50"] > media["voice_injected_ms_p50"]
    values = {m["id"]: m["value"] for m in data["metrics"]}
    assert values["voice_overhead_p50_ms"] > 0
    assert "| 7. Media: GitHub calls, new post with 3 images | 8 calls | ≤ 8 | PASS |" in table


def test_neurons_per_post_come_from_the_answers_usage(
    quick_run: tuple[dict[str, Any], str],
) -> None:
    """Every new post and revision has its neurons from the fake's realistic usage (a post of
    about 450 words, 4/3 token a word, at Gemma 4's price); the free day divides by them."""
    data, _ = quick_run
    rows = {m["id"]: m["value"] for m in data["metrics"]}
    neurons = data["details"]["model_input"]["neurons"]
    assert len(neurons["new"]) == SEQUENTIAL_MESSAGES // 2 + STYLE_MESSAGES // 2
    assert len(neurons["revision"]) == SEQUENTIAL_MESSAGES // 2 + STYLE_MESSAGES // 2
    # 450 words out are 600 tokens, 16.4 neurons; the input adds a few more.
    assert 16 < rows["neurons_new_post"] < 40
    assert rows["neurons_revision"] > rows["neurons_new_post"]  # it reads the post too
    assert rows["posts_per_day_free_neurons"] == 10_000 // rows["neurons_new_post"]
