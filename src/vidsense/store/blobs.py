"""Blob storage: files (video copies, keyframes, thumbnails) addressed by relative keys.

A key is a relative, ``/``-separated path such as ``<index_id>/<video_id>/keyframes/0001.jpg``.
Keys are validated before any file is touched: no empty key, no absolute path, no ``.`` or
``..`` part, no empty part, no backslash and no NUL; a key that would still land outside the
root (through a symbolic link) is refused too. All of these raise
:class:`~vidsense.errors.InvalidArgument`.

:class:`LocalBlobStore` keeps blobs under one folder; writes go to a temporary file in the target
folder and are renamed into place, so a reader never sees half a file.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from abc import ABC, abstractmethod
from pathlib import Path
from typing import BinaryIO

from vidsense.errors import InvalidArgument, NotFound


def check_key(key: str) -> str:
    """Return ``key`` if it is a valid relative blob key, else raise ``InvalidArgument``."""
    if not isinstance(key, str) or not key:
        raise InvalidArgument("blob key must be a non-empty string")
    if "\x00" in key:
        raise InvalidArgument("blob key must not contain NUL")
    if "\\" in key:
        raise InvalidArgument(f"blob key must use '/' separators, not '\\': {key!r}")
    if key.startswith("/") or (len(key) > 1 and key[1] == ":"):
        raise InvalidArgument(f"blob key must be relative: {key!r}")
    parts = key.split("/")
    if any(part in ("", ".", "..") for part in parts):
        raise InvalidArgument(f"blob key must not contain empty, '.' or '..' parts: {key!r}")
    return key


def check_prefix(prefix: str) -> str:
    """Return ``prefix`` as a folder key without its trailing ``/`` (validated like a key)."""
    stripped = prefix[:-1] if isinstance(prefix, str) and prefix.endswith("/") else prefix
    return check_key(stripped)


class BlobStore(ABC):
    """Where files live, by key. Implementations: :class:`LocalBlobStore` (S3 later)."""

    NAME: str

    @abstractmethod
    def put_bytes(self, key: str, data: bytes) -> str:
        """Store ``data`` under ``key`` (replacing any blob there), atomically; returns ``key``."""

    @abstractmethod
    def put_file(self, key: str, source: Path, *, move: bool = False) -> str:
        """Store a copy of the file ``source`` (or move it there when ``move``); returns ``key``."""

    @abstractmethod
    def open(self, key: str) -> BinaryIO:
        """Open the blob for binary reading; ``NotFound`` (``blob_not_found``) if absent."""

    @abstractmethod
    def path(self, key: str) -> Path:
        """A local file path holding the blob (for tools such as ffmpeg); ``NotFound`` if
        absent."""

    @abstractmethod
    def exists(self, key: str) -> bool:
        """True when a blob is stored under ``key``."""

    @abstractmethod
    def delete(self, key: str) -> bool:
        """Delete one blob; True if it existed."""

    @abstractmethod
    def delete_prefix(self, prefix: str) -> int:
        """Delete every blob under the folder ``prefix`` (``a/b`` or ``a/b/``, never ``a/b2``);
        returns how many were deleted."""


class LocalBlobStore(BlobStore):
    """Blobs as files under ``root`` (created if missing)."""

    NAME = "local"

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root).expanduser().resolve()
        self.root.mkdir(parents=True, exist_ok=True)

    def _resolve(self, key: str) -> Path:
        target = (self.root / check_key(key)).resolve()
        if target == self.root or not target.is_relative_to(self.root):
            raise InvalidArgument(f"blob key {key!r} points outside the blob store")
        return target

    def _write_atomically(self, target: Path, payload: bytes | Path) -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=".tmp-", dir=target.parent)
        try:
            with os.fdopen(fd, "wb") as out:
                if isinstance(payload, bytes):
                    out.write(payload)
                else:
                    with payload.open("rb") as src:
                        shutil.copyfileobj(src, out, 1024 * 1024)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp_name, target)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp_name)
            raise

    def put_bytes(self, key: str, data: bytes) -> str:
        self._write_atomically(self._resolve(key), bytes(data))
        return key

    def put_file(self, key: str, source: Path, *, move: bool = False) -> str:
        target = self._resolve(key)
        source = Path(source)
        if not source.is_file():
            raise NotFound(f"no such file to store: {source}", code="file_not_found")
        if move:
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.replace(source, target)  # atomic on one filesystem
                return key
            except OSError:
                pass  # another filesystem: copy, then remove the source
        self._write_atomically(target, source)
        if move:
            source.unlink()
        return key

    def open(self, key: str) -> BinaryIO:
        try:
            return self._resolve(key).open("rb")
        except (FileNotFoundError, IsADirectoryError) as e:
            raise NotFound(f"no blob {key!r}", code="blob_not_found") from e

    def path(self, key: str) -> Path:
        target = self._resolve(key)
        if not target.is_file():
            raise NotFound(f"no blob {key!r}", code="blob_not_found")
        return target

    def exists(self, key: str) -> bool:
        return self._resolve(key).is_file()

    def delete(self, key: str) -> bool:
        try:
            self._resolve(key).unlink()
        except (FileNotFoundError, IsADirectoryError):
            return False
        return True

    def delete_prefix(self, prefix: str) -> int:
        folder = self._resolve(check_prefix(prefix))
        if not folder.is_dir():
            return 0
        count = sum(1 for p in folder.rglob("*") if p.is_file())
        shutil.rmtree(folder, ignore_errors=True)
        return count
