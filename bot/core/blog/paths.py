"""What the repository's file list alone says: which files are posts, the folder they share,
the pattern of their names, and which of them are the newest.

Paths cost nothing (one recursive tree read), so file-name conventions are learned from every
post, not only from the few whose content is read.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import PurePosixPath

__all__ = [
    "POST_EXTENSIONS",
    "date_in_path",
    "guess_posts_dir",
    "is_under",
    "name_pattern",
    "newest_first",
    "post_files",
    "posts_in",
]

POST_EXTENSIONS = (".md", ".mdx", ".markdown")
# Build output, dependencies, themes and templates: never where the blog's own posts are.
_SKIP = {
    "node_modules",
    ".git",
    ".github",
    "_site",
    "public",
    "resources",
    "vendor",
    "themes",
    "_includes",
    "_layouts",
    "layouts",
    "dist",
    "build",
    ".docusaurus",
    "_drafts",
    "archetypes",
    "scaffolds",
    ".venv",
}
_NOT_POSTS = {"readme", "changelog", "license", "contributing", "code_of_conduct", "security"}
_FAVOURED = {"posts", "post", "_posts", "blog", "articles", "news", "writing", "entries"}
_YEAR = re.compile(r"^(?:19|20)\d{2}$")
_TWO = re.compile(r"^\d{2}$")
_DATED = re.compile(r"^(?P<date>\d{4}-\d{2}-\d{2})(?P<sep>[-_])(?P<rest>.+)$")
_PATH_DATE = re.compile(r"(?<!\d)(\d{4})[-/](\d{2})(?:[-/](\d{2}))?(?!\d)")


def is_under(path: str, folder: str) -> bool:
    return not folder or path == folder or path.startswith(folder.rstrip("/") + "/")


def post_files(paths: Iterable[str]) -> list[str]:
    """Markdown files that could be posts: not READMEs, section lists or build output."""
    found = []
    for path in paths:
        pure = PurePosixPath(path)
        if pure.suffix.lower() not in POST_EXTENSIONS or len(pure.parts) < 2:
            continue
        if any(part in _SKIP for part in pure.parts[:-1]):
            continue
        if pure.stem.lower() in _NOT_POSTS or pure.stem.startswith("_"):
            continue
        found.append(path)
    return found


def _folder_of(path: str) -> str:
    """The posts folder a post file belongs to: above its bundle folder and year/month folders."""
    parts = list(PurePosixPath(path).parts[:-1])
    if PurePosixPath(path).stem == "index" and parts:
        parts.pop()  # the page bundle's own folder
    while parts and (_YEAR.match(parts[-1]) or (_TWO.match(parts[-1]) and len(parts) > 1)):
        parts.pop()
    return "/".join(parts)


def guess_posts_dir(
    paths: Iterable[str],
    roots: Sequence[str] = ("",),
    folder_name: str | None = None,
    *,
    favoured_only: bool = False,
) -> tuple[str, int] | None:
    """The folder holding the most posts below one of `roots`, favouring names like `posts`.

    Returns the folder and how many posts it holds, or None. `folder_name` restricts the
    choice to folders with that name (Jekyll's `_posts`); `favoured_only` to folders named
    like a blog's (posts, blog...).
    """
    counts: Counter[str] = Counter()
    for path in post_files(paths):
        folder = _folder_of(path)
        if folder_name is not None:
            parts = folder.split("/")
            if folder_name not in parts:
                continue
            folder = "/".join(parts[: parts.index(folder_name) + 1])
        if favoured_only and PurePosixPath(folder).name.lower() not in _FAVOURED:
            continue
        if folder and any(is_under(folder, root) for root in roots):
            counts[folder] += 1
    if not counts:
        return None

    def score(item: tuple[str, int]) -> tuple[int, int]:
        folder, count = item
        favoured = PurePosixPath(folder).name.lower() in _FAVOURED
        return (count * (3 if favoured else 1), -len(folder))

    return max(counts.items(), key=score)


def posts_in(paths: Iterable[str], posts_dir: str) -> list[str]:
    """Post files below `posts_dir`, in subfolders too, but not the folder's own index page."""
    folder = posts_dir.strip("/")
    own_index = {f"{folder}/index{ext}" for ext in POST_EXTENSIONS}
    return [p for p in post_files(paths) if is_under(p, folder) and p not in own_index]


def name_pattern(relative: str) -> str | None:
    """The file name template a post's path (relative to the posts folder) follows, if any."""
    parts = list(PurePosixPath(relative).parts)
    last = PurePosixPath(parts[-1])
    bundle = last.stem == "index" and len(parts) >= 2
    name = parts[-2] if bundle else last.stem
    dirs = parts[:-2] if bundle else parts[:-1]
    labels = iter(("{year}", "{month}", "{day}"))
    template_dirs: list[str] = []
    for folder in dirs:
        if not (_YEAR.match(folder) if not template_dirs else _TWO.match(folder)):
            return None  # category folders and the like: no pattern to follow
        template_dirs.append(next(labels, None) or "")
    if "" in template_dirs:
        return None
    dated = _DATED.match(name)
    stem = f"{{date}}{dated['sep']}{{slug}}" if dated else "{slug}"
    leaf = f"{stem}/index{last.suffix}" if bundle else f"{stem}{last.suffix}"
    return "/".join([*template_dirs, leaf])


def date_in_path(path: str) -> str:
    """The date a path carries (YYYY-MM-DD, or YYYY-MM), or "" (sorts before every date)."""
    matches = list(_PATH_DATE.finditer(path))
    if not matches:
        return ""
    return "-".join(part for part in matches[-1].groups() if part)


def newest_first(paths: Iterable[str]) -> list[str]:
    """Dated paths newest first, then the undated ones (in reverse name order: no better clue)."""
    return sorted(paths, key=lambda p: (date_in_path(p), p), reverse=True)
