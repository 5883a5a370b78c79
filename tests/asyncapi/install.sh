#!/usr/bin/env bash
# Installs what the AsyncAPI test needs: the official AsyncAPI JSON Schemas (@asyncapi/specs) from the
# committed lock file; tests/integration/test_asyncapi.py validates the served document against
# node_modules/@asyncapi/specs/schemas/3.0.0.json with Python's jsonschema. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")"

if ! command -v npm >/dev/null; then
  echo "tests/asyncapi/install.sh: npm not found; install Node.js 20 or later first" >&2
  exit 1
fi
# Skip when node_modules already matches the lock file (npm writes its own copy there).
if [ -f node_modules/.package-lock.json ] && [ node_modules/.package-lock.json -nt package-lock.json ] \
   && [ -d node_modules/@asyncapi/specs ]; then
  exit 0
fi
npm ci --no-audit --no-fund
