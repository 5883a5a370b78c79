#!/usr/bin/env bash
# Installs the SDK's Node dependencies (socket.io-client, esbuild, TypeScript) into
# client-sdk/node_modules from the committed lock file. Safe to run again: it
# does nothing when node_modules already matches the lock file.
set -euo pipefail
cd "$(dirname "$0")"
if ! command -v npm >/dev/null; then
  echo "client-sdk/install.sh: npm not found; install Node.js 18 or later first" >&2
  exit 1
fi
# npm keeps its own copy of the lock file in node_modules after an install: newer means current.
if [ -f node_modules/.package-lock.json ] && [ node_modules/.package-lock.json -nt package-lock.json ] \
   && [ -d node_modules/socket.io-client ] && [ -d node_modules/esbuild ] && [ -d node_modules/typescript ]; then
  exit 0
fi
npm ci --no-audit --no-fund
