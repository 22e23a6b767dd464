"""The library service: indexes of videos, indexing tasks, and the evidence they produced.

Shared by the HTTP server (kept on ``app.state``), the CLI and the in-process
:class:`vidsense.Client`; it never imports the web framework.
"""

from __future__ import annotations

from vidsense.library.service import (
    Library,
    Submission,
    TaskContext,
    check_data_dir,
    media_type,
)
from vidsense.library.uploads import StagedFile, UploadSink

__all__ = [
    "Library",
    "StagedFile",
    "Submission",
    "TaskContext",
    "UploadSink",
    "check_data_dir",
    "media_type",
]
