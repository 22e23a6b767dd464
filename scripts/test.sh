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
.venv/bin/python -m pytest "$@"
