#!/usr/bin/env bash
# Installs everything (with the dev tools), then runs exactly what CI runs: lint, types, tests.
# Extra arguments go to pytest (e.g. scripts/test.sh -k shots).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install.sh --dev
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
echo "==> ruff"
.venv/bin/ruff check src tests benchmarks
.venv/bin/ruff format --check src tests benchmarks
echo "==> mypy"
.venv/bin/mypy
echo "==> pytest"
# Two test processes, a test module each at a time (module fixtures are built once): most tests
# wait on a server, ffmpeg or a worker process, so two share 2 cores well (the slowest modules
# first: tests/conftest.py's SLOW_MODULES). VIDSENSE_TEST_PROCESSES=0 runs in this process.
.venv/bin/python -m pytest -n "${VIDSENSE_TEST_PROCESSES:-2}" --dist loadfile --no-loadscope-reorder "$@"
