"""Update an existing post instead of adding a new one ("you wrote about this before").

The existing file, as it is on the base branch, is revised by the model with the writer's notes
(the revision prompt, asked to bring the post up to date), then committed at its own path on a
new branch from the base, and a pull request is opened. The file keeps its front matter as the
blog wrote it (date, layout, keys the bot does not know); only the body is the model's.

Every step can be redone: the revised draft is kept by the caller before anything is written,
the branch is named after the job, `update_file` recognises its own commit and `create_pull`
its own pull request, so a resumed job finishes what an interrupted one started.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping
from datetime import date, datetime
from pathlib import PurePosixPath
from typing import Any

from bot.core import prompts
from bot.core.blog.matter import split_post
from bot.core.conversation import PostThread, Turn
from bot.core.drafting import Drafter
from bot.core.drafts import Draft, word_count
from bot.core.errors import PublishError
from bot.core.ports import BlogRepository
from bot.core.posts import make_slug
from bot.core.publishing import version_note
from bot.core.similar_posts import SimilarPost
from bot.core.text import shorten

KeepDraft = Callable[[Draft], Awaitable[None]]

_HEADING = re.compile(r"\A\s*#\s+.+\n")


def draft_to_json(draft: Draft) -> dict[str, Any]:
    return {
        "title": draft.title,
        "description": draft.description,
        "tags": list(draft.tags),
        "body": draft.body,
    }


def draft_from_json(data: Mapping[str, Any]) -> Draft:
    return Draft(
        title=str(data["title"]),
        description=str(data["description"]),
        tags=tuple(str(t) for t in data["tags"]),
        body=str(data["body"]),
    )


def update_request(notes: str) -> str:
    return prompts.render("update", notes=notes)


def existing_thread(path: str, text: str, blob_sha: str, title: str, when: str) -> PostThread:
    """The existing post as a thread the model can revise (not a pull request yet)."""
    parsed = split_post(text)
    description = parsed.meta.get("description") or parsed.meta.get("summary") or ""
    tags = parsed.meta.get("tags")
    return PostThread(
        number=0,
        url="",
        branch="",
        path=path,
        file_sha=blob_sha,
        commit_url="",
        date=when,
        title=title,
        description=description if isinstance(description, str) else "",
        tags=[str(t) for t in tags] if isinstance(tags, list) else [],
        body=_HEADING.sub("", parsed.body, count=1).strip(),
        words=word_count(parsed.body),
    )


def post_date(text: str, now: datetime) -> str | None:
    """The date in the post's front matter (`date`, else `pubDate`/`published`), ISO with an
    offset (`now`'s when it has none); None when there is none that reads as a date."""
    meta = {str(k).lower(): v for k, v in split_post(text).meta.items()}
    value = next((meta[k] for k in ("date", "pubdate", "published") if k in meta), None)
    if isinstance(value, dict):  # MkDocs Material: `date: {created: ...}`
        value = value.get("created")
    moment: datetime | None = None
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime(value.year, value.month, value.day)
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            return None
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=now.tzinfo)
    return moment.isoformat(timespec="seconds")


def updated_file(original: str, body: str) -> str:
    """The original file with its body replaced: the front matter stays exactly as it was, and
    a blog that titles its posts with a `# ` heading keeps it."""
    parsed = split_post(original)
    head = original[: len(original) - len(parsed.body)] if parsed.body else original
    heading = _HEADING.match(parsed.body)
    if heading and not _HEADING.match(body):
        head += heading.group(0) + "\n"
    return head + body.strip() + "\n"


class PostUpdater:
    def __init__(
        self,
        *,
        drafter: Drafter,
        repository: BlogRepository,
        branch_prefix: str,
        clock: Callable[[], datetime],
    ) -> None:
        self._drafter = drafter
        self._repository = repository
        self._prefix = branch_prefix
        self._clock = clock

    def branch_name(self, found: SimilarPost, job_id: int) -> str:
        """Named after the post and the job: a branch of that name is this job's own."""
        path = PurePosixPath(found.path)
        stem = path.parent.name if path.stem in {"index", "_index"} else path.stem
        return f"{self._prefix}update-{make_slug(stem)}-{job_id}"

    async def update(
        self,
        found: SimilarPost,
        notes: str,
        *,
        job_id: int,
        kept: Draft | None,
        keep: KeepDraft,
    ) -> PostThread:
        """The pull request updating `found` with `notes`; `kept` is the revised draft of an
        earlier attempt (then the model is not asked again), `keep` saves a new one."""
        base, head_sha = await self._repository.base_head()
        existing = await self._repository.file_at(base, found.path)
        if existing is None:
            raise PublishError(
                f"{found.path} is no longer on {base}, so it cannot be updated. "
                "Send the notes again for a new post."
            )
        original, blob_sha = existing
        now = self._clock()
        dated = post_date(original, now) or now.isoformat(timespec="seconds")
        thread = existing_thread(found.path, original, blob_sha, found.title, dated)
        request = update_request(notes)
        draft = kept
        if draft is None:
            draft = await self._drafter.revise(thread, request)
            await keep(draft)
        branch = self.branch_name(found, job_id)
        created = await self._repository.create_branch(branch, head_sha)
        if not created and await self._repository.branch_head(branch) is None:
            raise PublishError(f"Could not create the branch {branch}.")
        content = updated_file(original, draft.body)
        title = shorten(found.title, 60, one_line=True, trim=" ")
        commit = await self._repository.update_file(
            branch=branch,
            path=found.path,
            content=content,
            file_sha=blob_sha,
            message=f"Update post: {title}",
        )
        pull = await self._repository.create_pull(
            branch=branch, title=f"Update: {found.title}", body=_pull_body(found, draft)
        )
        updated = PostThread(
            number=pull.number,
            url=pull.url,
            branch=branch,
            path=found.path,
            file_sha=commit.file_sha,
            commit_url=commit.commit_url,
            date=dated,  # the post's own: a later revision keeps it
            title=draft.title,
            description=draft.description,
            tags=list(draft.tags),
            body=draft.body,
            words=word_count(draft.body),
            updated_at=now.isoformat(timespec="seconds"),
            history=[Turn("user", notes)],
        )
        updated.history.append(version_note(updated))
        return updated


def _pull_body(found: SimilarPost, draft: Draft) -> str:
    return "\n".join(
        [
            f"**{found.title}**",
            "",
            f"Updates the existing post `{found.path}` with a writer's new notes, instead of "
            "adding a post on the same topic.",
            "",
            f"- Words: {word_count(draft.body)}",
            "",
            "Revised by blogbot; the front matter is unchanged. Please review the facts and "
            "wording before merging.",
        ]
    )
