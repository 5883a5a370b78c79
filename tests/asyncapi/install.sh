#!/usr/bin/env bash
# Installs what the AsyncAPI test needs from the committed lock file: the official AsyncAPI JSON Schemas
# (@asyncapi/specs; tests/integration/test_asyncapi.py validates the served document against
# schemas/3.0.0.json with Python's jsonschema) and the official parser (@asyncapi/parser, run by
# validate.mjs). Safe to run again.
set -euo pipefail
cd "$(dirname "$0")"

if ! command -v npm >/dev/null; then
  echo "tests/asyncapi/install.sh: npm not found; install Node.js 20 or later first" >&2
  exit 1
fi
# Skip when node_modules already matches the lock file (npm writes its own copy there).
if [ -f node_modules/.package-lock.json ] && [ node_modules/.package-lock.json -nt package-lock.json ] \
   && [ -d node_modules/@asyncapi/specs ] && [ -d node_modules/@asyncapi/parser ]; then
  exit 0
fi
# No install scripts: the only one in the tree (@scarf/scarf, pulled in by Spectral) reports the
# installation to its vendor, which the tests do not need.
SCARF_ANALYTICS=false npm ci --no-audit --no-fund --ignore-scripts
