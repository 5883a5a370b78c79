#!/usr/bin/env bash
# Installs the load generator's Node dependencies from the committed lock file.
set -euo pipefail
cd "$(dirname "$0")"
npm ci --no-audit --no-fund --silent
