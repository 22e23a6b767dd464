"""Receiving an uploaded video: streamed to a temporary file in the data folder, hashed on the
way in, and refused as soon as it passes the size limit.

The HTTP layer feeds an :class:`UploadSink` chunk by chunk as the request body arrives (so a
10 GiB upload never sits in memory, nor in the system's temporary folder); the CLI and the
in-process client feed it from a local file. A refused or abandoned upload leaves nothing
behind.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

from vidsense.errors import EmptyMedia, InvalidArgument, SourceTooLarge

CHUNK = 1 << 20
"""Bytes read or written at a time."""


def clean_filename(name: str | None) -> str:
    """The last path part of a client-supplied file name, for display only (never a path)."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in base if ch.isprintable()).strip()
    return base[:255] or "video"


@dataclass(frozen=True)
class StagedFile:
    """A complete upload waiting in the data folder: ``size`` in bytes, ``sha256`` in hex.
    ``filename`` is what the client called it (shown to people, never trusted for the type)."""

    path: Path
    sha256: str
    size: int
    filename: str

    def discard(self) -> None:
        """Delete the staged file (when it turned out to be a duplicate or was refused)."""
        self.path.unlink(missing_ok=True)


class UploadSink:
    """Writes one upload to a temporary file under ``folder``, hashing it (SHA-256) and
    counting bytes; more than ``max_bytes`` bytes raises :class:`SourceTooLarge` (HTTP 413)
    and deletes what was written. Use as a context manager: leaving it by an exception, or
    without :meth:`finish`, deletes the file."""

    def __init__(self, folder: Path, max_bytes: int, filename: str | None = None) -> None:
        if max_bytes <= 0:
            raise InvalidArgument(f"max_bytes must be positive, got {max_bytes}")
        folder.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=".upload-", suffix=".part", dir=folder)
        self.path = Path(name)
        self._file: BinaryIO | None = os.fdopen(fd, "wb")
        self._hash = hashlib.sha256()
        self.size = 0
        self.max_bytes = max_bytes
        self.filename = clean_filename(filename)

    def write(self, chunk: bytes) -> None:
        """Append ``chunk``; refuses (and cleans up) once the total passes ``max_bytes``."""
        if self._file is None:
            raise InvalidArgument("the upload is already finished or aborted")
        self.size += len(chunk)
        if self.size > self.max_bytes:
            self.abort()
            raise SourceTooLarge(
                f"the upload is larger than the limit of {self.max_bytes} bytes "
                "(VIDSENSE_MAX_UPLOAD_BYTES)",
                code="upload_too_large",
            )
        self._hash.update(chunk)
        self._file.write(chunk)

    def write_from(self, source: BinaryIO) -> None:
        """Copy a whole binary stream into the upload."""
        while chunk := source.read(CHUNK):
            self.write(chunk)

    def finish(self) -> StagedFile:
        """Close the file and describe it; an empty upload is refused."""
        if self._file is None:
            raise InvalidArgument("the upload is already finished or aborted")
        self._file.close()
        self._file = None
        if self.size == 0:
            self.path.unlink(missing_ok=True)
            raise EmptyMedia(f"{self.filename or 'the upload'} is empty (0 bytes)")
        return StagedFile(self.path, self._hash.hexdigest(), self.size, self.filename)

    def abort(self) -> None:
        """Stop and delete what was written (safe to call more than once)."""
        if self._file is not None:
            with contextlib.suppress(OSError):
                self._file.close()
            self._file = None
        self.path.unlink(missing_ok=True)

    def __enter__(self) -> UploadSink:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._file is not None or exc_type is not None:
            self.abort()
