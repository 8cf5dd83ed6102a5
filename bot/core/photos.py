"""Photos in a post: where their files go in the blog's repository and how the post links them.

The model is shown the writer's images and refers to the n-th one as `![alt text](image-n)`
(prompts/images.md). Once the post's path is known, each placeholder becomes a link in the blog's
convention, and each image a file beside it in the same commit:

- a page bundle (`<slug>/index.md`) or a blog that keeps images beside its posts: the image goes
  into the post's folder and is linked by its name, `![alt](3f2a….jpg)`;
- otherwise under the blog's images folder (`images_dir` of .blogbot.yml, or learned), in a folder
  per post: `<images_dir>/<slug>/3f2a….jpg`. Nothing known: `static/images/<slug>/` for Hugo,
  Zola and Docusaurus (whose `static/` folder is served at the site's root), else
  `assets/images/<slug>/`. The link is the URL the site serves: `static/x` becomes `/x`, any other
  path is linked from the site's root (`/assets/images/…`).

An image the model left out is added at the end of the post, its alt text taken from the caption.
Image files are named after their content, so a retry writes the same files again, never twice.
"""

from __future__ import annotations

import asyncio
import base64
import posixpath
import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot.core.attachments import Attachment
from bot.core.blog import BlogProfile
from bot.core.images import PreparedImage, prepare_image
from bot.core.ports import FileSource, ImageInput
from bot.core.posts import PostFile
from bot.core.text import shorten

DEFAULT_REQUEST = "Write a post about this photo."
DEFAULT_REQUEST_MANY = "Write a post about these photos."
_STATIC_SITES = frozenset({"hugo", "zola", "docusaurus"})
_DATED = re.compile(r"^\d{4}-\d{2}-\d{2}-")
_PLACEHOLDER = re.compile(r"!\[([^\]\n]*)\]\(\s*<?image-(\d+)>?\s*\)")


@dataclass(frozen=True)
class PlacedPost:
    """The post with its image links in the blog's convention, and every file to commit."""

    post: PostFile
    files: dict[str, bytes]  # path -> bytes: the post (UTF-8) and its images


def default_request(count: int) -> str:
    """The notes of photos sent without a caption."""
    return DEFAULT_REQUEST if count == 1 else DEFAULT_REQUEST_MANY


def model_input(image: PreparedImage) -> ImageInput:
    """The image as a `data:` URL, the only form every Workers AI vision model accepts."""
    encoded = base64.b64encode(image.content).decode("ascii")
    return ImageInput(f"data:{image.media_type};base64,{encoded}")


def _beside(profile: BlogProfile) -> bool:
    return profile.bundle or profile.images_beside_post


def images_folder(profile: BlogProfile, post_path: str) -> str:
    """The repository folder the images of the post at `post_path` go into."""
    if _beside(profile):
        return posixpath.dirname(post_path)
    if profile.images_dir:
        base = profile.images_dir.strip("/")
    elif profile.generator in _STATIC_SITES:
        base = "static/images"
    else:
        base = "assets/images"
    return posixpath.join(base, _slug(post_path))


def _slug(post_path: str) -> str:
    """The post's name without a leading date (`2026-11-27-x.md` -> `x`)."""
    stem = PostFile(path=post_path, content="", slug="").stem
    return _DATED.sub("", stem) or stem


def image_link(profile: BlogProfile, post_path: str, path: str) -> str:
    """What the post at `post_path` writes in `![alt](…)` for the image at repository `path`."""
    if _beside(profile):
        return posixpath.relpath(path, posixpath.dirname(post_path) or ".")
    if path.startswith("static/"):
        return "/" + path.removeprefix("static/")
    return "/" + path


def link_images(
    text: str, links: Sequence[str], captions: Sequence[str], *, fallback_alt: str = "Photo"
) -> str:
    """`text` with each `![alt](image-n)` pointing at `links[n-1]`; images it never mentions
    appended at the end (alt: their caption, else `fallback_alt`). Unknown numbers are dropped."""
    used: set[int] = set()

    def replace(match: re.Match[str]) -> str:
        number = int(match.group(2))
        if not 1 <= number <= len(links):
            return ""
        used.add(number)
        alt = match.group(1).strip() or _alt(captions, number - 1, fallback_alt)
        return f"![{alt}]({links[number - 1]})"

    linked = _PLACEHOLDER.sub(replace, text)
    missing = [n for n in range(1, len(links) + 1) if n not in used]
    if not missing:
        return linked
    extra = "\n\n".join(
        f"![{_alt(captions, n - 1, fallback_alt)}]({links[n - 1]})" for n in missing
    )
    return linked.rstrip("\n") + "\n\n" + extra + "\n"


def _alt(captions: Sequence[str], index: int, fallback: str) -> str:
    caption = captions[index] if index < len(captions) else ""
    if not caption.strip():
        return fallback
    return shorten(caption, 120, one_line=True, trim=" ").replace("[", "(").replace("]", ")")


def place_images(
    profile: BlogProfile,
    post: PostFile,
    images: Sequence[PreparedImage],
    captions: Sequence[str] = (),
) -> PlacedPost:
    """The post linking `images` in the blog's convention, and the files of one commit."""
    paths = image_paths(profile, post.path, images)
    links = [image_link(profile, post.path, path) for path in paths]
    content = link_images(post.content, links, captions)
    placed = PostFile(path=post.path, content=content, slug=post.slug)
    files = {post.path: content.encode("utf-8")}
    files.update(zip(paths, (image.content for image in images), strict=True))
    return PlacedPost(placed, files)


def image_paths(profile: BlogProfile, post_path: str, images: Sequence[PreparedImage]) -> list[str]:
    folder = images_folder(profile, post_path)
    return [posixpath.join(folder, image.name) for image in images]


def linked_body(
    profile: BlogProfile,
    post_path: str,
    body: str,
    images: Sequence[PreparedImage],
    captions: Sequence[str] = (),
) -> str:
    """The draft's body as the post holds it: with the images' links (what a revision shows
    the model)."""
    if not images:
        return body
    links = [image_link(profile, post_path, p) for p in image_paths(profile, post_path, images)]
    return link_images(body, links, captions)


@dataclass(frozen=True)
class Photos:
    """The writer's images for a post, made safe, with the caption each came with."""

    images: tuple[PreparedImage, ...]
    captions: tuple[str, ...] = ()

    def placed(self, profile: BlogProfile, post: PostFile) -> PlacedPost:
        return place_images(profile, post, self.images, self.captions)

    def body(self, profile: BlogProfile, post_path: str, body: str) -> str:
        return linked_body(profile, post_path, body, self.images, self.captions)

    def model_inputs(self) -> list[ImageInput]:
        return [model_input(image) for image in self.images]


DEFAULT_IMAGE_MAX_SIDE = 1600
DEFAULT_IMAGE_MAX_BYTES = 20 * 2**20


class PhotoReader:
    """The writer's photos fetched and made safe to publish (bot.core.images); the same
    photos give the same bytes and names every time, so a resumed job fetches them again."""

    def __init__(
        self,
        files: FileSource,
        *,
        max_side: int = DEFAULT_IMAGE_MAX_SIDE,
        max_bytes: int = DEFAULT_IMAGE_MAX_BYTES,
    ) -> None:
        self.files = files
        self.max_side = max_side
        self.max_bytes = max_bytes

    async def read(self, photos: Sequence[Attachment]) -> Photos:
        """Raises an ImageRefused (its sentence for the writer) for an image that cannot be
        published, before anything is written."""
        prepared = []
        for photo in photos:
            data = await self.files.download(photo.file_id, what=photo.what)
            prepared.append(
                await asyncio.to_thread(
                    prepare_image, data, max_side=self.max_side, max_bytes=self.max_bytes
                )
            )
        unique = {image.name: image for image in prepared}  # the same photo sent twice: once
        pairs = zip(prepared, photos, strict=True)
        captions = {image.name: photo.caption or "" for image, photo in pairs}
        return Photos(tuple(unique.values()), tuple(captions[name] for name in unique))
