"""Storage: metadata, evidence, lexical and vector search, durable tasks, and blobs.

:func:`open_store` is the one place that picks a backend from a URL::

    store = open_store("sqlite:///" + str(data_dir / "vidsense.db"), data_dir / "blobs")

Everything else talks to the :class:`~vidsense.store.base.Store` interface.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from vidsense.errors import InvalidArgument, VidsenseError
from vidsense.store.base import (
    FaceRecord,
    IndexRecord,
    JobRecord,
    Keyframe,
    LogoRecord,
    Page,
    PersonRecord,
    Segment,
    SkillRecord,
    Store,
    TaskRecord,
    VectorBatch,
    VideoRecord,
    new_id,
    utc_now,
    video_prefix,
)
from vidsense.store.blobs import BlobStore, FsspecBlobStore, LocalBlobStore, open_blobs

__all__ = [
    "BlobStore",
    "FaceRecord",
    "FsspecBlobStore",
    "IndexRecord",
    "JobRecord",
    "Keyframe",
    "LocalBlobStore",
    "LogoRecord",
    "Page",
    "PersonRecord",
    "Segment",
    "SkillRecord",
    "Store",
    "TaskRecord",
    "VectorBatch",
    "VideoRecord",
    "new_id",
    "open_blobs",
    "open_store",
    "utc_now",
    "video_prefix",
]


def open_store(
    url: str,
    blobs_root: Path | str,
    *,
    max_attempts: int = 3,
    blobs_url: str | None = None,
    blob_options: Mapping[str, Any] | None = None,
) -> Store:
    """Open (creating and migrating if needed) the store that ``url`` names.

    - ``sqlite:///relative/file.db`` or ``sqlite:////absolute/file.db`` (as SQLAlchemy spells
      them; ``~`` is expanded): the embedded store, with blobs under ``blobs_root``.
    - ``postgresql://user:password@host:port/database`` (``postgres://`` too; libpq query
      parameters such as ``?sslmode=require`` pass through): the server store, needs the
      ``postgres`` extra (psycopg); blobs under ``blobs_root``. pgvector is used when the
      server has it.

    ``max_attempts``: how many times a task may be claimed before it fails. ``blobs_url``
    puts the blobs elsewhere (``s3://bucket/prefix``, with ``blob_options`` as its storage
    options; see :func:`~vidsense.store.blobs.open_blobs`); ``blobs_root`` then holds only
    local downloads of them (and PostgreSQL's vector files beside it).
    """
    root = Path(blobs_root).expanduser()
    blobs = (
        open_blobs(blobs_url, cache_dir=root.with_name(root.name + "-cache"), options=blob_options)
        if blobs_url
        else LocalBlobStore(root)
    )
    scheme = urlsplit(url).scheme.lower()
    if scheme == "sqlite":
        prefix = "sqlite:///"
        path = url[len(prefix) :] if url.lower().startswith(prefix) else ""
        if not path or path == ":memory:":
            raise InvalidArgument(
                f"a sqlite store URL names a file, like sqlite:///vidsense.db; got {url!r}"
            )
        from vidsense.store.sqlite import SQLiteStore

        return SQLiteStore(Path(path).expanduser(), blobs, max_attempts=max_attempts)
    if scheme in ("postgresql", "postgres") or scheme.startswith("postgresql+"):
        try:
            from vidsense.store.postgres import PostgresStore
        except ImportError as e:
            raise VidsenseError(
                "the PostgreSQL store needs psycopg: pip install 'vidsense[postgres]'",
                code="backend_not_available",
            ) from e
        conninfo = "postgresql" + url[len(scheme) :]  # postgresql+psycopg:// -> postgresql://
        return PostgresStore(
            conninfo,
            blobs,
            max_attempts=max_attempts,
            vector_dir=root.with_name(root.name + "-vectors"),
        )
    raise InvalidArgument(
        f"unsupported store URL {url!r}: use sqlite:///path/to/file.db or postgresql://..."
    )
