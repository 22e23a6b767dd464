"""The library service: indexes of videos, indexing tasks, and the evidence they produced.

Shared by the HTTP server (kept on ``app.state``), the CLI and the in-process
:class:`vidsense.Client`; it never imports the web framework.
"""

from __future__ import annotations

from vidsense.library.options import ADDONS, OPT_IN, OPTIONS, index_addons, index_options
from vidsense.library.service import (
    Library,
    Submission,
    TaskContext,
    TaskInterrupted,
    media_type,
    public_status,
)
from vidsense.library.uploads import StagedFile, UploadSink

__all__ = [
    "ADDONS",
    "OPTIONS",
    "OPT_IN",
    "Library",
    "StagedFile",
    "Submission",
    "TaskContext",
    "TaskInterrupted",
    "UploadSink",
    "index_addons",
    "index_options",
    "media_type",
    "public_status",
]
