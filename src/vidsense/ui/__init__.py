"""The web UI: hand-written HTML, CSS and ES modules under ``static/``, served by
``vidsense serve`` at ``/`` (the page) and ``/ui/...`` (its assets). No build step: the files
here are what the browser runs."""

from __future__ import annotations

from pathlib import Path

STATIC_DIR = Path(__file__).parent / "static"
"""Where the page and its assets live (packaged with the wheel)."""
