"""Blob storage: files (video copies, keyframes, thumbnails) addressed by relative keys.

A key is a relative, ``/``-separated path such as ``<index_id>/<video_id>/keyframes/0001.jpg``.
Keys are validated before any file is touched: no empty key, no absolute path, no ``.`` or
``..`` part, no empty part, no backslash and no NUL; a key that would still land outside the
root (through a symbolic link) is refused too. All of these raise
:class:`~vidsense.errors.InvalidArgument`.

:class:`LocalBlobStore` keeps blobs under one folder; writes go to a temporary file in the target
folder and are renamed into place, so a reader never sees half a file. :class:`FsspecBlobStore`
keeps them in any fsspec filesystem, such as S3-compatible object storage (``s3://bucket/prefix``
through ``s3fs``); :func:`open_blobs` picks one from a folder or URL.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import threading
from abc import ABC, abstractmethod
from collections.abc import Mapping
from pathlib import Path
from typing import Any, BinaryIO

from vidsense.errors import InvalidArgument, NotFound, SourceNotFound, VidsenseError


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
    """Where files live, by key. Implementations: :class:`LocalBlobStore`,
    :class:`FsspecBlobStore`."""

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

    def put_bytes(self, key: str, data: bytes) -> str:
        _write_atomically(self._resolve(key), bytes(data))
        return key

    def put_file(self, key: str, source: Path, *, move: bool = False) -> str:
        target = self._resolve(key)
        source = Path(source)
        if not source.is_file():
            raise SourceNotFound(f"no such file to store: {source}")
        if move:
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.replace(source, target)  # atomic on one filesystem
                return key
            except OSError:
                pass  # another filesystem: copy, then remove the source
        _write_atomically(target, source)
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


def _write_atomically(target: Path, payload: bytes | Path | BinaryIO) -> None:
    """Write ``payload`` to ``target`` through a temporary file renamed into place."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=".tmp-", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            if isinstance(payload, bytes):
                out.write(payload)
            elif isinstance(payload, Path):
                with payload.open("rb") as src:
                    shutil.copyfileobj(src, out, 1024 * 1024)
            else:
                shutil.copyfileobj(payload, out, 1024 * 1024)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp_name, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise


class FsspecBlobStore(BlobStore):
    """Blobs in an fsspec filesystem under ``url`` (``s3://bucket/prefix``, ``memory://x``, ...).

    ``options`` are the filesystem's storage options (for s3fs: ``endpoint_url``, ``key``,
    ``secret``, ``client_kwargs``; the standard ``AWS_*`` variables work too). Each object is
    written whole, so a reader never sees half a blob. :meth:`path` downloads the blob into
    ``cache_dir`` (tools such as ffmpeg need a local file) and downloads it again only when it
    changed; moving such a downloaded file with ``put_file(..., move=True)`` moves its blob.
    """

    NAME = "fsspec"

    def __init__(
        self, url: str, cache_dir: Path | str, options: Mapping[str, Any] | None = None
    ) -> None:
        try:
            import fsspec
        except ImportError as e:  # pragma: no cover - fsspec comes with the s3 extra
            raise VidsenseError(
                "blob storage at a URL needs fsspec: pip install 'vidsense[s3]'",
                code="backend_not_available",
            ) from e
        storage = dict(options or {})
        if url.startswith(("s3://", "s3a://")):
            # Several processes share the bucket: never answer from a stale listing.
            storage.setdefault("use_listings_cache", False)
        try:
            self.fs, root = fsspec.core.url_to_fs(url, **storage)
        except ImportError as e:
            raise VidsenseError(
                f"blob storage at {url} needs its fsspec backend: pip install 'vidsense[s3]' "
                f"for s3:// ({e})",
                code="backend_not_available",
            ) from e
        self.url = url
        self.root = str(root).rstrip("/")
        self.cache_dir = Path(cache_dir).expanduser().resolve()
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        self._stamps: dict[str, str] = {}
        self._lock = threading.Lock()

    def _full(self, key: str) -> str:
        return f"{self.root}/{check_key(key)}"

    def _cached(self, key: str) -> Path:
        return self.cache_dir / check_key(key)

    def _forget(self, key: str) -> None:
        with self._lock:
            self._stamps.pop(key, None)
        with contextlib.suppress(FileNotFoundError, IsADirectoryError):
            self._cached(key).unlink()

    def put_bytes(self, key: str, data: bytes) -> str:
        self.fs.pipe_file(self._full(key), bytes(data))
        self._forget(key)
        return key

    def put_file(self, key: str, source: Path, *, move: bool = False) -> str:
        source = Path(source)
        if not source.is_file():
            raise SourceNotFound(f"no such file to store: {source}")
        self.fs.put_file(str(source), self._full(key))
        moved_from: str | None = None
        if move:
            resolved = source.resolve()
            if resolved.is_relative_to(self.cache_dir):
                moved_from = resolved.relative_to(self.cache_dir).as_posix()
            source.unlink()
        if moved_from is not None and moved_from != key:
            self.delete(moved_from)  # a file path() handed out: moving it moves its blob
        self._forget(key)
        return key

    def open(self, key: str) -> BinaryIO:
        try:
            handle: BinaryIO = self.fs.open(self._full(key), "rb")
        except (FileNotFoundError, IsADirectoryError) as e:
            raise NotFound(f"no blob {key!r}", code="blob_not_found") from e
        return handle

    def path(self, key: str) -> Path:
        full = self._full(key)
        try:
            info = self.fs.info(full)
        except FileNotFoundError as e:
            raise NotFound(f"no blob {key!r}", code="blob_not_found") from e
        if info.get("type") != "file":
            raise NotFound(f"no blob {key!r}", code="blob_not_found")
        stamp = str(
            info.get("ETag") or info.get("etag") or (info.get("size"), info.get("LastModified"))
        )
        local = self._cached(key)
        with self._lock:
            if local.is_file() and self._stamps.get(key) == stamp:
                return local
        with self.fs.open(full, "rb") as remote:
            _write_atomically(local, remote)
        with self._lock:
            self._stamps[key] = stamp
        return local

    def exists(self, key: str) -> bool:
        return bool(self.fs.isfile(self._full(key)))

    def delete(self, key: str) -> bool:
        full = self._full(key)
        self._forget(key)
        if not self.fs.isfile(full):
            return False
        self.fs.rm_file(full)
        return True

    def delete_prefix(self, prefix: str) -> int:
        folder = self._full(check_prefix(prefix))
        found = [str(p) for p in self.fs.find(folder + "/")]
        inside = [p for p in found if p.startswith(folder + "/")]
        if inside:
            self.fs.rm(inside)
        shutil.rmtree(self._cached(check_prefix(prefix)), ignore_errors=True)
        with self._lock:
            for key in [k for k in self._stamps if k.startswith(check_prefix(prefix) + "/")]:
                del self._stamps[key]
        return len(inside)


def open_blobs(
    where: Path | str,
    *,
    cache_dir: Path | str | None = None,
    options: Mapping[str, Any] | None = None,
) -> BlobStore:
    """The blob store at ``where``: a local folder (a path, or a ``file://`` URL) or an fsspec
    URL such as ``s3://bucket/prefix`` (``options`` are its storage options; downloads for
    :meth:`BlobStore.path` go to ``cache_dir``, by default a temporary folder)."""
    text = str(where)
    if isinstance(where, Path) or "://" not in text:
        return LocalBlobStore(where)
    if text.startswith("file://"):
        return LocalBlobStore(text[len("file://") :])
    cache = cache_dir if cache_dir is not None else tempfile.mkdtemp(prefix="vidsense-blobs-")
    return FsspecBlobStore(text, cache, options)
