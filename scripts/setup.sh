#!/usr/bin/env bash
# Set up everything the pipeline needs on a fresh Debian machine, idempotently.
#   scripts/setup.sh          system libraries + .venv (enough to build briefs)
#   scripts/setup.sh --test   also the validators the tests run (poppler, qpdf,
#                             Java for EPUBCheck, LibreOffice, Chromium + DAISY Ace)
# System packages are installed with apt-get when running as root; otherwise
# the missing ones are named and the script stops.
set -euo pipefail
cd "$(dirname "$0")/.."

with_tests=0
[ "${1:-}" = "--test" ] && with_tests=1

# fonts-noto-core and fonts-noto-cjk: the faces for scripts other than Latin,
# Greek and Cyrillic (Arabic, Hebrew, Devanagari, Thai, Chinese, Japanese,
# Korean) and the symbol fallbacks (pipeline/fonts.py).
runtime_packages=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fontconfig fonts-noto-core fonts-noto-cjk)
test_packages=(poppler-utils qpdf openjdk-17-jdk-headless libreoffice-writer-nogui chromium nodejs npm)
packages=("${runtime_packages[@]}")
[ "$with_tests" = 1 ] && packages+=("${test_packages[@]}")

missing=()
for pkg in "${packages[@]}"; do
  # nodejs/npm may come from outside Debian (e.g. the machine's own Node.js).
  case "$pkg" in nodejs) command -v node >/dev/null && continue ;; npm) command -v npm >/dev/null && continue ;; esac
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "setup: installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "setup: please install these Debian packages first (as root): ${missing[*]}" >&2
    exit 1
  fi
fi

# Python environment, pinned by requirements.lock; redone only when the pins change.
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
stamp=.venv/.installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ] || [ requirements.lock -nt "$stamp" ]; then
  echo "setup: installing Python packages into .venv"
  .venv/bin/pip install -q --disable-pip-version-check -c requirements.lock -e '.[test]'
  touch "$stamp"
fi

if [ "$with_tests" = 1 ]; then
  # DAISY Ace (EPUB accessibility checker), run against Debian's Chromium.
  if [ ! -x .tools/node_modules/.bin/ace-cli ]; then
    echo "setup: installing DAISY Ace into .tools/"
    mkdir -p .tools
    cp tools/ace/package.json tools/ace/package-lock.json .tools/ 2>/dev/null || cp tools/ace/package.json .tools/
    (cd .tools && PUPPETEER_SKIP_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error 2>/dev/null \
       || PUPPETEER_SKIP_DOWNLOAD=1 npm install --no-audit --no-fund --loglevel=error)
  fi
fi
echo "setup: ready"
