#!/usr/bin/env bash
# Installs what the browser test needs: Debian's Chromium (/usr/bin/chromium) and playwright-core
# from the committed lock file. Never downloads a browser build of its own. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")"

CHROMIUM=/usr/bin/chromium
if [ ! -x "$CHROMIUM" ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "tests/browser/install.sh: $CHROMIUM is missing; as root run: apt-get update && apt-get install -y chromium" >&2
    exit 1
  fi
  echo "[browser] installing Debian's chromium package" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq chromium >/dev/null
fi

if ! command -v npm >/dev/null; then
  echo "tests/browser/install.sh: npm not found; install Node.js 20 or later first" >&2
  exit 1
fi
# Skip when node_modules already matches the lock file (npm writes its own copy there).
if [ -f node_modules/.package-lock.json ] && [ node_modules/.package-lock.json -nt package-lock.json ] \
   && [ -d node_modules/playwright-core ]; then
  exit 0
fi
# playwright-core downloads nothing on install; the variable only makes sure of it.
PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund
