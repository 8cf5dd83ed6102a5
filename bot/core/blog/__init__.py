"""A blog's conventions, learned from its repository, and posts written in them.

Pure: no network, no GitHub or Telegram. The adapter lists the repository's tree, reads the
files `files_to_read` names, and passes both to `learn_profile`; `render_for_blog` then writes
each post as the blog's own posts are written. `.blogbot.yml` pins anything (see pinned.py).
"""

from bot.core.blog.learn import default_profile, learn_profile
from bot.core.blog.listing import add_to_listing
from bot.core.blog.pinned import PINNED_FILES
from bot.core.blog.profile import (
    Author,
    BlogConfigError,
    BlogProfile,
    DateStyle,
    Field,
    Overrides,
)
from bot.core.blog.reading import MAX_FILES, files_to_read
from bot.core.blog.render import post_moment, render_for_blog
from bot.core.blog.style import MAX_STYLE_CHARS, style_sample

__all__ = [
    "MAX_FILES",
    "MAX_STYLE_CHARS",
    "PINNED_FILES",
    "Author",
    "BlogConfigError",
    "BlogProfile",
    "DateStyle",
    "Field",
    "Overrides",
    "add_to_listing",
    "default_profile",
    "files_to_read",
    "learn_profile",
    "post_moment",
    "render_for_blog",
    "style_sample",
]
