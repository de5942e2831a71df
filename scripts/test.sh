#!/usr/bin/env bash
# The whole test suite on a fresh machine: set up, start the services the tests need, then
# lint (ruff), type-check (mypy), check the layer contracts (import-linter) and run pytest.
# pytest runs on every core (pytest-xdist; CLUSTERHUB_TEST_WORKERS=N sets the number of workers,
# 0 runs in this process); extra arguments go to pytest: ./scripts/test.sh -m "not slow".
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
# --dist loadgroup hands out one test at a time in the order tests/conftest.py sets (the slow
# ones first, longest first), so the two attack suites start at once on different workers.
workers=${CLUSTERHUB_TEST_WORKERS:-$(nproc)}
echo "== pytest ($workers workers)"; pytest -n "$workers" --dist loadgroup "$@"
