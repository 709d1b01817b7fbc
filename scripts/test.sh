#!/usr/bin/env bash
# Set up everything the tests need on a fresh Debian machine, lint (ruff), then run the tests.
# Usage: ./scripts/test.sh [pytest args…]
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v chromium >/dev/null || need_apt+=(chromium)
command -v zbarimg >/dev/null || need_apt+=(zbar-tools)
command -v pdftotext >/dev/null || need_apt+=(poppler-utils)   # forms printed to PDF (pages, text); scanned PDFs opened (pdfinfo)
command -v scanimage >/dev/null || need_apt+=(sane-utils)
command -v espeak-ng >/dev/null || need_apt+=(espeak-ng)     # the calling display's voice clips
command -v haproxy >/dev/null || need_apt+=(haproxy)         # the load balancer of the province test (tests/test_province.py)
command -v npm >/dev/null || need_apt+=(npm)                 # axe-core for the browser tests
[ -x /usr/lib/postgresql/15/bin/initdb ] || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need_apt+=(postgresql)
if [ ${#need_apt[@]} -gt 0 ]; then
    echo "== apt-get install ${need_apt[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
fi
echo "== pip install -e .[dev]"
.venv/bin/pip install -q --disable-pip-version-check -e '.[dev]'

# axe-core (accessibility checks in the browser tests), injected into pages from this local file
NPM_CACHE="${MOTCUA_NPM_CACHE:-$HOME/.cache/motcua-npm}"
if [ ! -f "$NPM_CACHE/node_modules/axe-core/axe.min.js" ]; then
    echo "== npm install axe-core into $NPM_CACHE"
    mkdir -p "$NPM_CACHE"
    npm install --silent --no-audit --no-fund --prefix "$NPM_CACHE" axe-core
fi

echo "== ruff check"
.venv/bin/ruff check --no-cache .

echo "== pytest"
exec .venv/bin/python -m pytest "$@"
