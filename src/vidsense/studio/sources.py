"""What the files a render names may be, and where they are.

A spec names its files by string (a clip's, logo's or narration's ``source``, a ``font``).
:class:`Sources` turns such a name into a local path, and is the only resolver the HTTP layer
gives the render engine, so a request can never read an arbitrary file of the server:

- ``0123...`` (24 hex): a video of the library (its stored copy);
- ``file-0123...``: a file uploaded through ``/v1/files``;
- ``render_...`` / ``video_...``: the output of a finished render or generated video;
- a font file name (``DejaVuSans.ttf``) or path inside one of ``settings.font_dirs``.

In-process callers (the CLI, Python) may also allow plain paths (``allow_paths``).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

from vidsense.errors import InvalidArgument, NotFound
from vidsense.library import Library
from vidsense.store.base import JobKind

VIDEO_ID = re.compile(r"^[0-9a-f]{24}$")
"""A library video id."""
FILE_ID = re.compile(r"^file-[0-9a-f]{24}$")
"""An uploaded file's id (``/v1/files``)."""
OUTPUT_ID = re.compile(r"^(render|video)_[0-9a-f]{24}$")
"""A finished render's or generated video's id."""
FONT_SUFFIXES = (".ttf", ".otf", ".ttc")

FileLookup = Callable[[str], Path]
"""Where an uploaded file's bytes are, by its id (``FileStore.path``)."""


def output_key(job_id: str) -> str:
    """The blob prefix of a render's or generated video's files (``renders/<id>/``)."""
    folder = "renders" if job_id.startswith("render_") else "videos"
    return f"{folder}/{job_id}/"


class Sources:
    """Resolves the names a spec uses (see the module docstring); callable as the render
    engine's ``resolve``. Unknown ids raise ``NotFound`` with their kind's code; names of any
    other shape raise ``InvalidArgument`` (``source_not_allowed``)."""

    def __init__(
        self,
        library: Library,
        *,
        files: FileLookup | None = None,
        allow_paths: bool = False,
        font_dirs: Sequence[Path] | None = None,
    ) -> None:
        self.library = library
        self.files = files
        self.allow_paths = allow_paths
        self.font_dirs = [Path(d) for d in (font_dirs or library.settings.font_dirs)]
        self._fonts: dict[str, Path] | None = None
        self._lock = threading.Lock()

    def __call__(self, name: str) -> Path:
        name = name.strip()
        if VIDEO_ID.match(name):
            video = self.library.video_by_id(name)
            return self.library.video_file(video.index_id, video.id)[0]
        if FILE_ID.match(name):
            if self.files is None:
                raise InvalidArgument(f"uploaded files cannot be used here ({name})")
            return self.files(name)
        if OUTPUT_ID.match(name):
            return self.output(name)
        if name.lower().endswith(FONT_SUFFIXES):
            if self.allow_paths and Path(name).expanduser().is_file():
                return Path(name).expanduser()
            return self.font(name)
        if self.allow_paths:
            return Path(name).expanduser()
        raise InvalidArgument(
            f"{name!r} is not something a render may use: give a library video id, an uploaded "
            "file id (file-...), a render_ or video_ id, or a font file name",
            code="source_not_allowed",
        )

    def output(self, job_id: str) -> Path:
        """The file of a finished render or generated video."""
        kind: JobKind = "render" if job_id.startswith("render_") else "video_generation"
        job = self.library.get_job(job_id, kind)
        result = job.result or {}
        if job.status != "completed" or "file" not in result:
            raise NotFound(
                f"{job_id} has no file yet: it is {job.status}",
                code="render_not_ready" if kind == "render" else "video_not_ready",
            )
        return self.library.blob_path(str(result["file"]))

    def font(self, name: str) -> Path:
        """A font file in one of the font folders, by file name or by a path inside them."""
        path = Path(name)
        if path.is_absolute():
            resolved = path.resolve()
            for folder in self.font_dirs:
                if resolved.is_relative_to(folder.resolve()) and resolved.is_file():
                    return resolved
        else:
            found = self._font_index().get(path.name.lower())
            if found is not None and len(path.parts) == 1:
                return found
        folders = ", ".join(str(d) for d in self.font_dirs)
        raise NotFound(f"no font file {name!r} in {folders}", code="font_not_found")

    def _font_index(self) -> dict[str, Path]:
        with self._lock:
            if self._fonts is None:
                fonts: dict[str, Path] = {}
                for folder in self.font_dirs:
                    if folder.is_dir():
                        for found in sorted(folder.rglob("*")):
                            if found.suffix.lower() in FONT_SUFFIXES and found.is_file():
                                fonts.setdefault(found.name.lower(), found)
                self._fonts = fonts
            return self._fonts
