#!/usr/bin/env bash
# The whole test suite on a fresh machine: set up, start the services the tests need, then
# lint (ruff), type-check (mypy), check the layer contracts (import-linter) and run pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
if [ "${CLUSTERHUB_SKIP_POSTGRES:-0}" != 1 ] && [ -z "${CLUSTERHUB_TEST_POSTGRES_URL:-}" ]; then
  CLUSTERHUB_TEST_POSTGRES_URL=$(./scripts/ensure-postgres.sh)
  export CLUSTERHUB_TEST_POSTGRES_URL
fi
./scripts/ensure-browser.sh >/dev/null  # Debian's chromium for the dashboard's browser tests
export PATH="$PWD/.venv/bin:$PATH"
echo "== ruff"; ruff check src tests benchmarks; ruff format --check src tests benchmarks
echo "== mypy"; mypy
echo "== import-linter"; lint-imports
echo "== pytest"; pytest "$@"
