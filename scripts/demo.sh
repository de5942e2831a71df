#!/usr/bin/env bash
# The main job on a fresh machine: set up, then run `clusterhub demo` on the bundled examples
# with the embedded defaults (SQLite in the user's data folder, in-process solvers).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
exec .venv/bin/clusterhub demo "$@"
