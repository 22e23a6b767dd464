"""Storage: metadata, evidence, lexical and vector search, durable tasks, and blobs.

:func:`open_store` is the one place that picks a backend from a URL::

    store = open_store("sqlite:///" + str(data_dir / "vidsense.db"), data_dir / "blobs")

Everything else talks to the :class:`~vidsense.store.base.Store` interface.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from vidsense.errors import InvalidArgument, VidsenseError
from vidsense.store.base import (
    IndexRecord,
    Keyframe,
    LogoRecord,
    Page,
    Segment,
    Store,
    TaskRecord,
    VectorBatch,
    VideoRecord,
    new_id,
    utc_now,
    video_prefix,
)
from vidsense.store.blobs import BlobStore, LocalBlobStore

__all__ = [
    "BlobStore",
    "IndexRecord",
    "Keyframe",
    "LocalBlobStore",
    "LogoRecord",
    "Page",
    "Segment",
    "Store",
    "TaskRecord",
    "VectorBatch",
    "VideoRecord",
    "new_id",
    "open_store",
    "utc_now",
    "video_prefix",
]


def open_store(url: str, blobs_root: Path | str, *, max_attempts: int = 3) -> Store:
    """Open (creating and migrating if needed) the store that ``url`` names.

    - ``sqlite:///relative/file.db`` or ``sqlite:////absolute/file.db`` (as SQLAlchemy spells
      them; ``~`` is expanded): the embedded store, with blobs under ``blobs_root``.
    - ``postgresql://user:password@host:port/database`` (``postgres://`` too; libpq query
      parameters such as ``?sslmode=require`` pass through): the server store, needs the
      ``postgres`` extra (psycopg); blobs under ``blobs_root``. pgvector is used when the
      server has it.

    ``max_attempts``: how many times a task may be claimed before it fails.
    """
    scheme = urlsplit(url).scheme.lower()
    if scheme == "sqlite":
        prefix = "sqlite:///"
        path = url[len(prefix) :] if url.lower().startswith(prefix) else ""
        if not path or path == ":memory:":
            raise InvalidArgument(
                f"a sqlite store URL names a file, like sqlite:///vidsense.db; got {url!r}"
            )
        from vidsense.store.sqlite import SQLiteStore

        return SQLiteStore(
            Path(path).expanduser(), LocalBlobStore(blobs_root), max_attempts=max_attempts
        )
    if scheme in ("postgresql", "postgres") or scheme.startswith("postgresql+"):
        try:
            from vidsense.store.postgres import PostgresStore
        except ImportError as e:
            raise VidsenseError(
                "the PostgreSQL store needs psycopg: pip install 'vidsense[postgres]'",
                code="backend_not_available",
            ) from e
        conninfo = "postgresql" + url[len(scheme) :]  # postgresql+psycopg:// -> postgresql://
        blobs_root = Path(blobs_root).expanduser()
        return PostgresStore(
            conninfo,
            LocalBlobStore(blobs_root),
            max_attempts=max_attempts,
            vector_dir=blobs_root.with_name(blobs_root.name + "-vectors"),
        )
    raise InvalidArgument(
        f"unsupported store URL {url!r}: use sqlite:///path/to/file.db or postgresql://..."
    )
