"""Which files of the repository to read: `files_to_read`.

The adapter reads the whole tree once (paths only), then the few files named here. Calling
again with what was read refines the choice (the config may name another posts folder); the
second answer lists every file wanted, read or not.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from bot.core.blog.authors import author_files
from bot.core.blog.detect import CMS_CONFIGS, config_files
from bot.core.blog.learn import SAMPLE_POSTS, eleventy_data_files, learn_profile
from bot.core.blog.listing import LISTING_FILES
from bot.core.blog.paths import newest_first, posts_in
from bot.core.blog.pinned import PINNED_FILES
from bot.core.blog.profile import BlogConfigError

__all__ = ["MAX_FILES", "files_to_read"]

MAX_FILES = 10
_ARCHETYPES = ("archetypes/posts.md", "archetypes/post.md", "archetypes/default.md")


def files_to_read(paths: Sequence[str], contents: Mapping[str, str] | None = None) -> list[str]:
    """At most MAX_FILES paths whose content `learn_profile` needs, most telling first:
    `.blogbot.yml`, the CMS config, the generator's config, the authors file, and the newest
    few posts."""
    tree = frozenset(paths)
    known = dict(contents or {})
    try:
        profile = learn_profile(tree, known)
    except BlogConfigError:
        profile = learn_profile(tree, {k: v for k, v in known.items() if k not in PINNED_FILES})
    generator = profile.generator
    wanted = [p for p in PINNED_FILES if p in tree][:1]
    wanted += [p for p in CMS_CONFIGS if p in tree][:1]
    if generator in {"jekyll", "hexo", "unknown"} and "package.json" in tree:
        wanted.append("package.json")  # hexo in its dependencies tells Hexo from Jekyll
    if "config.toml" in tree and generator in {"hugo", "zola"}:
        wanted.append("config.toml")  # base_url tells Zola from Hugo
    wanted += config_files(generator, tree)
    wanted += author_files(generator, tree, profile.posts_dir)
    if generator == "docusaurus" and f"{profile.posts_dir}/tags.yml" in tree:
        wanted.append(f"{profile.posts_dir}/tags.yml")  # the predefined tags
    if generator == "unknown":
        wanted += [p for p in LISTING_FILES if p in tree][:1]  # a README that lists the posts
    if generator == "eleventy":
        wanted += eleventy_data_files(tree, profile.posts_dir)[:1]
    posts = newest_first(posts_in(tree, profile.posts_dir))[:SAMPLE_POSTS]
    if generator == "hugo" and not posts:
        wanted += [p for p in _ARCHETYPES if p in tree][:1]
    others = list(dict.fromkeys(wanted))[: MAX_FILES - len(posts)]
    return others + posts
