#!/usr/bin/env bash
# Installs the load generator's and the Node server's dependencies (socket.io-client, socket.io) into
# bench/node_modules.
# Safe to run again: from the committed lock file when there is one (npm ci), else npm install.
set -euo pipefail
cd "$(dirname "$0")"
if ! command -v npm >/dev/null; then
  echo "bench/install.sh: npm not found; install Node.js 18 or later first" >&2
  exit 1
fi
if [ -f package-lock.json ]; then
  # Skip when node_modules already matches the lock file (npm writes its own copy there).
  if [ -f node_modules/.package-lock.json ] && [ node_modules/.package-lock.json -nt package-lock.json ] \
     && [ -d node_modules/socket.io-client ] && [ -d node_modules/socket.io ]; then
    exit 0
  fi
  npm ci --no-audit --no-fund
else
  npm install --no-audit --no-fund
fi
