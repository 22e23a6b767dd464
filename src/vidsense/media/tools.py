"""Running the ffmpeg command-line tools, with their failures turned into vidsense errors."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Sequence

from vidsense.errors import ToolFailed


def require_tool(name: str) -> str:
    """Path of an ffmpeg-family executable, or an error that says how to install it."""
    path = shutil.which(name)
    if path is None:
        raise ToolFailed(
            f"{name} is not installed; run scripts/install.sh (or: apt-get install ffmpeg)",
            code="tool_missing",
        )
    return path


def run_tool(
    args: Sequence[str], *, timeout: float | None = None
) -> subprocess.CompletedProcess[bytes]:
    """Run ``args`` (argv[0] is looked up on PATH) and return the finished process.

    The caller decides what a non-zero exit means; only a missing tool or a timeout raise here.
    """
    argv = [require_tool(args[0]), *args[1:]]
    try:
        return subprocess.run(argv, capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as e:
        raise ToolFailed(f"{args[0]} took longer than {timeout:.0f} s") from e


_BOOKKEEPING = re.compile(
    r"^(?:\[[^\]]*\]\s*)?(?:Last message repeated \d+ times|Conversion failed!)$"
)
"""Lines ffmpeg ends with that say nothing of the problem."""


def last_error_line(stderr: bytes, path: str | None = None) -> str:
    """The last non-empty line ffmpeg printed that names the problem (not "Last message
    repeated 463 times"), without the file path it starts with."""
    lines = [ln.strip() for ln in stderr.decode("utf-8", "replace").splitlines() if ln.strip()]
    named = [ln for ln in lines if not _BOOKKEEPING.match(ln)] or lines
    line = named[-1] if named else "no message"
    if path and line.startswith(f"{path}: "):
        line = line[len(path) + 2 :]
    return line
