"""The embedded store: one SQLite file (WAL) + a local blob folder + a numpy vector cache.

- Each thread gets its own connection (WAL lets readers run beside the one writer; a busy
  timeout makes writers queue instead of failing). Several processes may open the same file.
- Writes run in ``BEGIN IMMEDIATE`` transactions, which take the write lock up front: a task
  claim reads and updates under that lock, so two workers never get the same task.
- Lexical search is an external-content FTS5 table over ``segments`` kept in step by triggers
  (see :mod:`vidsense.store.migrations`), with the ``porter unicode61`` tokenizer and BM25.
- Vectors are rows in the database (so they are replaced atomically with the evidence they
  describe) and are searched through a persisted numpy matrix per (index, space), see
  :mod:`vidsense.store.vectors`, kept next to the database file in ``<file>-vectors/``.
"""

from __future__ import annotations

import json
import logging
import math
import re
import shutil
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any, Literal, TypeVar

import numpy as np
import numpy.typing as npt

from vidsense.errors import Conflict, InvalidArgument, NotFound, VidsenseError
from vidsense.store.base import (
    SEGMENT_KINDS,
    SPACES,
    TASK_STATUSES,
    IndexRecord,
    IndexSort,
    Keyframe,
    LogoRecord,
    Page,
    Segment,
    SegmentKind,
    SortOption,
    Space,
    Store,
    TaskRecord,
    TaskSort,
    TaskStatus,
    TextMode,
    VectorBatch,
    VideoRecord,
    VideoSort,
    VideoStatus,
    new_id,
    utc_now,
    video_prefix,
)
from vidsense.store.blobs import BlobStore, check_key
from vidsense.store.migrations import SQLITE, migrate
from vidsense.store.vectors import Ids, Matrix, SpaceMatrix, VectorSource, id_ranges

log = logging.getLogger(__name__)

T = TypeVar("T")

_IN_CHUNK = 500  # ids per "IN (...)" list, well under SQLite's variable limit
_WORD = re.compile(r"\w+", re.UNICODE)
_SHA256 = re.compile(r"[0-9a-f]{64}")

_INDEX_SELECT = """
    SELECT i.id, i.name, i.options, i.addons, i.created_at, i.updated_at,
           (SELECT COUNT(*) FROM videos v WHERE v.index_id = i.id) AS video_count,
           (SELECT COALESCE(SUM(v.duration), 0) FROM videos v WHERE v.index_id = i.id)
               AS total_duration
    FROM indexes i
"""
_INDEX_SORT = {"created_at": "i.created_at", "updated_at": "i.updated_at", "index_name": "i.name"}
_VIDEO_SORT = {
    "created_at": "created_at",
    "updated_at": "updated_at",
    "filename": "filename",
    "duration": "duration",
}
_TASK_SORT = {"created_at": "created_at", "updated_at": "updated_at"}
_SEGMENT_COLUMNS = "s.id, s.video_id, s.kind, s.start_time, s.end_time, s.text, s.data"
_KEYFRAME_COLUMNS = "id, video_id, shot_index, time, blob_key"


def _chunks(items: Sequence[T], size: int = _IN_CHUNK) -> Iterator[Sequence[T]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _marks(n: int) -> str:
    return ",".join("?" * n)


def _json(value: Any, what: str) -> str:
    try:
        return json.dumps(value, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as e:
        raise InvalidArgument(f"{what} must be JSON-serializable: {e}") from e


def _order(column_map: Mapping[str, str], sort_by: str, sort_option: str) -> tuple[str, str]:
    if sort_by not in column_map:
        raise InvalidArgument(f"sort_by must be one of {', '.join(column_map)}, got {sort_by!r}")
    if sort_option not in ("asc", "desc"):
        raise InvalidArgument(f"sort_option must be asc or desc, got {sort_option!r}")
    return column_map[sort_by], sort_option.upper()


def _paging(page: int, page_limit: int) -> int:
    if page < 1:
        raise InvalidArgument(f"page counts from 1, got {page}")
    if page_limit < 1:
        raise InvalidArgument(f"page_limit must be at least 1, got {page_limit}")
    return (page - 1) * page_limit


def _limit(limit: int) -> int:
    if limit < 1:
        raise InvalidArgument(f"limit must be at least 1, got {limit}")
    return limit


def _name(name: str) -> str:
    if not isinstance(name, str) or not name.strip():
        raise InvalidArgument("index_name must be a non-empty string")
    return name.strip()


def _seconds(value: float, what: str) -> float:
    value = float(value)
    if not math.isfinite(value) or value < 0:
        raise InvalidArgument(f"{what} must be a finite number of seconds >= 0, got {value}")
    return value


def _unit_rows(vectors: npt.NDArray[np.floating[Any]], what: str) -> Matrix:
    matrix = np.asarray(vectors, dtype=np.float32)
    if matrix.ndim != 2 or matrix.shape[1] == 0:
        raise InvalidArgument(f"{what} must be a 2-D array (n, dim), got shape {matrix.shape}")
    if not np.isfinite(matrix).all():
        raise InvalidArgument(f"{what} contain NaN or infinite values")
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    if (norms == 0).any():
        raise InvalidArgument(f"{what} contain an all-zero vector")
    return np.ascontiguousarray(matrix / norms, dtype="<f4")


def _index(row: sqlite3.Row) -> IndexRecord:
    return IndexRecord(
        id=row["id"],
        name=row["name"],
        options=json.loads(row["options"]),
        addons=json.loads(row["addons"]),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        video_count=int(row["video_count"]),
        total_duration=float(row["total_duration"]),
    )


def _video(row: sqlite3.Row) -> VideoRecord:
    return VideoRecord(
        id=row["id"],
        index_id=row["index_id"],
        filename=row["filename"],
        sha256=row["sha256"],
        status=row["status"],
        duration=row["duration"],
        fps=row["fps"],
        width=row["width"],
        height=row["height"],
        size=row["size"],
        metadata=json.loads(row["metadata"]),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


def _task(row: sqlite3.Row) -> TaskRecord:
    return TaskRecord(
        id=row["id"],
        index_id=row["index_id"],
        video_id=row["video_id"],
        status=row["status"],
        progress=row["progress"],
        error_code=row["error_code"],
        error_message=row["error_message"],
        source=json.loads(row["source"]),
        attempts=row["attempts"],
        lease_owner=row["lease_owner"],
        lease_until=row["lease_until"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


def _segment(row: sqlite3.Row) -> Segment:
    return Segment(
        video_id=row["video_id"],
        kind=row["kind"],
        start=row["start_time"],
        end=row["end_time"],
        text=row["text"],
        data=json.loads(row["data"]),
        id=row["id"],
    )


def _keyframe(row: sqlite3.Row) -> Keyframe:
    return Keyframe(
        video_id=row["video_id"],
        shot_index=row["shot_index"],
        time=row["time"],
        blob_key=row["blob_key"],
        id=row["id"],
    )


def fts_query(text: str, mode: TextMode = "any") -> str | None:
    """An FTS5 MATCH expression for plain user ``text``, or None when it has no words.

    Every word becomes a double-quoted string, so characters such as ``"*():^-`` and the
    words ``AND OR NOT NEAR`` are never read as query syntax.
    """
    words = [w.replace('"', '""') for w in _WORD.findall(text)]
    if not words:
        return None
    if mode == "phrase":
        return '"' + " ".join(words) + '"'
    if mode == "all":
        return " ".join(f'"{w}"' for w in words)
    if mode == "any":
        return " OR ".join(f'"{w}"' for w in words)
    raise InvalidArgument(f"mode must be any, all or phrase, got {mode!r}")


class SQLiteStore(Store):
    """The embedded :class:`~vidsense.store.base.Store` on one SQLite file.

    ``max_attempts``: claims a task may take before it fails (default 3).
    ``busy_timeout``: seconds a connection waits for another writer (default 30).
    ``vector_dir``: where the vector cache lives (default: ``<path>-vectors`` beside the file).
    """

    NAME = "sqlite"

    def __init__(
        self,
        path: Path | str,
        blobs: BlobStore,
        *,
        max_attempts: int = 3,
        busy_timeout: float = 30.0,
        vector_dir: Path | None = None,
    ) -> None:
        if max_attempts < 1:
            raise InvalidArgument(f"max_attempts must be at least 1, got {max_attempts}")
        self.path = Path(path).expanduser().resolve()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.blobs = blobs
        self.max_attempts = max_attempts
        self.busy_timeout = busy_timeout
        self.vector_dir = vector_dir or self.path.with_name(self.path.name + "-vectors")
        self._local = threading.local()
        self._connections: dict[threading.Thread, sqlite3.Connection] = {}
        self._connections_lock = threading.Lock()
        self._matrices: dict[tuple[str, str], SpaceMatrix] = {}
        self._matrices_lock = threading.Lock()
        self._closed = False
        self.schema_version = migrate(self._conn(), SQLITE)

    # -- connections and transactions --------------------------------------------------------

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is not None:
            return conn
        if self._closed:
            raise VidsenseError("the store is closed", code="store_closed")
        conn = sqlite3.connect(
            self.path,
            timeout=self.busy_timeout,
            isolation_level=None,  # autocommit; transactions are explicit BEGIN ... COMMIT
            check_same_thread=False,  # used by its own thread only, but closed by close()
        )
        conn.row_factory = sqlite3.Row
        conn.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout * 1000)}")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
        with self._connections_lock:
            for thread in [t for t in self._connections if not t.is_alive()]:
                self._connections.pop(thread).close()
            self._connections[threading.current_thread()] = conn
        self._local.conn = conn
        return conn

    @contextmanager
    def _transaction(self, begin: str) -> Iterator[sqlite3.Connection]:
        conn = self._conn()
        conn.execute(begin)
        try:
            yield conn
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    def _write(self) -> AbstractContextManager[sqlite3.Connection]:
        """A transaction that holds the write lock from its first statement."""
        return self._transaction("BEGIN IMMEDIATE")

    def _read(self) -> AbstractContextManager[sqlite3.Connection]:
        """A read transaction: one consistent snapshot for several statements."""
        return self._transaction("BEGIN")

    def close(self) -> None:
        self._closed = True
        with self._connections_lock:
            for conn in self._connections.values():
                conn.close()
            self._connections.clear()
        self._local = threading.local()

    # -- lookups shared by several operations ------------------------------------------------

    @staticmethod
    def _require_index(conn: sqlite3.Connection, index_id: str) -> None:
        if conn.execute("SELECT 1 FROM indexes WHERE id = ?", (index_id,)).fetchone() is None:
            raise NotFound(f"no index with id {index_id!r}", code="index_not_found")

    @staticmethod
    def _video_row(conn: sqlite3.Connection, video_id: str) -> sqlite3.Row:
        row: sqlite3.Row | None = conn.execute(
            "SELECT * FROM videos WHERE id = ?", (video_id,)
        ).fetchone()
        if row is None:
            raise NotFound(f"no video with id {video_id!r}", code="video_not_found")
        return row

    @staticmethod
    def _task_row(conn: sqlite3.Connection, task_id: str) -> sqlite3.Row:
        row: sqlite3.Row | None = conn.execute(
            "SELECT * FROM tasks WHERE id = ?", (task_id,)
        ).fetchone()
        if row is None:
            raise NotFound(f"no task with id {task_id!r}", code="task_not_found")
        return row

    @staticmethod
    def _index_record(conn: sqlite3.Connection, index_id: str) -> IndexRecord:
        row = conn.execute(_INDEX_SELECT + " WHERE i.id = ?", (index_id,)).fetchone()
        if row is None:
            raise NotFound(f"no index with id {index_id!r}", code="index_not_found")
        return _index(row)

    @staticmethod
    def _name_taken(conn: sqlite3.Connection, name: str, other_than: str = "") -> None:
        row = conn.execute(
            "SELECT id FROM indexes WHERE name = ? AND id != ?", (name, other_than)
        ).fetchone()
        if row is not None:
            raise Conflict(f"an index named {name!r} already exists (id {row['id']})")

    def _delete_blobs(self, prefix: str | None, keys: Iterable[str]) -> None:
        """Delete the folder ``prefix`` and the blobs ``keys`` outside it, after a commit: a
        failure here leaves files behind, never a row naming a missing file."""
        try:
            if prefix is not None:
                self.blobs.delete_prefix(prefix)
            for key in keys:
                if prefix is None or not key.startswith(prefix):
                    self.blobs.delete(key)
        except (OSError, InvalidArgument) as e:
            log.warning("could not delete blobs (%s): %s", prefix or "keyframes", e)

    # -- indexes -----------------------------------------------------------------------------

    def create_index(
        self, name: str, options: Sequence[str] = (), addons: Sequence[str] = ()
    ) -> IndexRecord:
        name = _name(name)
        index_id, now = new_id(), utc_now()
        with self._write() as conn:
            self._name_taken(conn, name)
            conn.execute(
                "INSERT INTO indexes (id, name, options, addons, created_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (
                    index_id,
                    name,
                    _json(list(options), "options"),
                    _json(list(addons), "addons"),
                    now,
                    now,
                ),
            )
            return self._index_record(conn, index_id)

    def get_index(self, index_id: str) -> IndexRecord:
        with self._read() as conn:
            return self._index_record(conn, index_id)

    def list_indexes(
        self,
        *,
        page: int = 1,
        page_limit: int = 10,
        sort_by: IndexSort = "created_at",
        sort_option: SortOption = "desc",
    ) -> Page[IndexRecord]:
        offset = _paging(page, page_limit)
        column, direction = _order(_INDEX_SORT, sort_by, sort_option)
        with self._read() as conn:
            total = conn.execute("SELECT COUNT(*) FROM indexes").fetchone()[0]
            rows = conn.execute(
                f"{_INDEX_SELECT} ORDER BY {column} {direction}, i.rowid {direction} "
                "LIMIT ? OFFSET ?",
                (page_limit, offset),
            ).fetchall()
        return Page([_index(r) for r in rows], total, page, page_limit)

    def update_index(self, index_id: str, *, name: str) -> IndexRecord:
        name = _name(name)
        with self._write() as conn:
            self._require_index(conn, index_id)
            self._name_taken(conn, name, other_than=index_id)
            conn.execute(
                "UPDATE indexes SET name = ?, updated_at = ? WHERE id = ?",
                (name, utc_now(), index_id),
            )
            return self._index_record(conn, index_id)

    def delete_index(self, index_id: str) -> None:
        with self._write() as conn:
            self._require_index(conn, index_id)
            keys = [
                r[0]
                for r in conn.execute(
                    "SELECT blob_key FROM keyframes WHERE index_id = ?", (index_id,)
                )
            ]
            conn.execute("DELETE FROM indexes WHERE id = ?", (index_id,))
        with self._matrices_lock:
            for space in SPACES:
                matrix = self._matrices.pop((index_id, space), None)
                if matrix is not None:
                    matrix.drop_files()
        self._delete_blobs(f"{index_id}/", keys)
        shutil.rmtree(self.vector_dir / index_id, ignore_errors=True)

    # -- videos ------------------------------------------------------------------------------

    def create_video(
        self,
        index_id: str,
        *,
        filename: str,
        sha256: str,
        duration: float,
        fps: float = 0.0,
        width: int = 0,
        height: int = 0,
        size: int = 0,
        metadata: Mapping[str, Any] | None = None,
        status: VideoStatus = "pending",
    ) -> VideoRecord:
        sha256 = str(sha256).lower()
        if not _SHA256.fullmatch(sha256):
            raise InvalidArgument("sha256 must be 64 hexadecimal characters")
        if status not in TASK_STATUSES:
            raise InvalidArgument(f"status must be one of {', '.join(TASK_STATUSES)}")
        if min(width, height, size) < 0 or not math.isfinite(fps) or fps < 0:
            raise InvalidArgument("fps, width, height and size must not be negative")
        meta = _json(dict(metadata or {}), "metadata")
        video_id, now = new_id(), utc_now()
        with self._write() as conn:
            self._require_index(conn, index_id)
            conn.execute(
                "INSERT INTO videos (id, index_id, filename, sha256, status, duration, fps, "
                "width, height, size, metadata, created_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    video_id,
                    index_id,
                    filename,
                    sha256,
                    status,
                    _seconds(duration, "duration"),
                    float(fps),
                    int(width),
                    int(height),
                    int(size),
                    meta,
                    now,
                    now,
                ),
            )
            return _video(self._video_row(conn, video_id))

    def get_video(self, video_id: str, *, index_id: str | None = None) -> VideoRecord:
        with self._read() as conn:
            video = _video(self._video_row(conn, video_id))
        if index_id is not None and video.index_id != index_id:
            raise NotFound(
                f"no video with id {video_id!r} in index {index_id!r}", code="video_not_found"
            )
        return video

    def list_videos(
        self,
        index_id: str,
        *,
        page: int = 1,
        page_limit: int = 10,
        sort_by: VideoSort = "created_at",
        sort_option: SortOption = "desc",
    ) -> Page[VideoRecord]:
        offset = _paging(page, page_limit)
        column, direction = _order(_VIDEO_SORT, sort_by, sort_option)
        with self._read() as conn:
            self._require_index(conn, index_id)
            total = conn.execute(
                "SELECT COUNT(*) FROM videos WHERE index_id = ?", (index_id,)
            ).fetchone()[0]
            rows = conn.execute(
                f"SELECT * FROM videos WHERE index_id = ? "
                f"ORDER BY {column} {direction}, rowid {direction} LIMIT ? OFFSET ?",
                (index_id, page_limit, offset),
            ).fetchall()
        return Page([_video(r) for r in rows], total, page, page_limit)

    def update_video(
        self,
        video_id: str,
        *,
        filename: str | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> VideoRecord:
        meta = None if metadata is None else _json(dict(metadata), "metadata")
        with self._write() as conn:
            self._video_row(conn, video_id)
            conn.execute(
                "UPDATE videos SET filename = COALESCE(?, filename), "
                "metadata = COALESCE(?, metadata), updated_at = ? WHERE id = ?",
                (filename, meta, utc_now(), video_id),
            )
            return _video(self._video_row(conn, video_id))

    def set_video_status(self, video_id: str, status: VideoStatus) -> VideoRecord:
        if status not in TASK_STATUSES:
            raise InvalidArgument(f"status must be one of {', '.join(TASK_STATUSES)}")
        with self._write() as conn:
            self._video_row(conn, video_id)
            conn.execute(
                "UPDATE videos SET status = ?, updated_at = ? WHERE id = ?",
                (status, utc_now(), video_id),
            )
            return _video(self._video_row(conn, video_id))

    def delete_video(self, video_id: str) -> None:
        with self._write() as conn:
            index_id = self._video_row(conn, video_id)["index_id"]
            keys = [
                r[0]
                for r in conn.execute(
                    "SELECT blob_key FROM keyframes WHERE video_id = ?", (video_id,)
                )
            ]
            conn.execute("DELETE FROM videos WHERE id = ?", (video_id,))
        self._delete_blobs(video_prefix(index_id, video_id), keys)

    def find_video_by_hash(self, index_id: str, sha256: str) -> VideoRecord | None:
        with self._read() as conn:
            self._require_index(conn, index_id)
            row = conn.execute(
                "SELECT * FROM videos WHERE index_id = ? AND sha256 = ? "
                "ORDER BY created_at, rowid LIMIT 1",
                (index_id, str(sha256).lower()),
            ).fetchone()
        return None if row is None else _video(row)

    # -- evidence ----------------------------------------------------------------------------

    def replace_evidence(
        self,
        video_id: str,
        segments: Sequence[Segment],
        keyframes: Sequence[Keyframe] = (),
        vectors: Sequence[VectorBatch] = (),
    ) -> None:
        # Everything that can be checked without the database is checked before it is touched.
        segment_rows = [self._segment_params(video_id, s) for s in segments]
        keyframe_rows = [self._keyframe_params(video_id, k) for k in keyframes]
        owners = [s.id for s in segments] + [k.id for k in keyframes]
        if len(set(owners)) != len(owners):
            raise InvalidArgument("segment and keyframe ids must be unique")
        batches = self._check_batches(vectors, set(owners))
        new_keys = {k.blob_key for k in keyframes}
        with self._write() as conn:
            index_id = self._video_row(conn, video_id)["index_id"]
            old_keys = [
                r[0]
                for r in conn.execute(
                    "SELECT blob_key FROM keyframes WHERE video_id = ?", (video_id,)
                )
            ]
            conn.execute("DELETE FROM vectors WHERE video_id = ?", (video_id,))
            conn.execute("DELETE FROM segments WHERE video_id = ?", (video_id,))
            conn.execute("DELETE FROM keyframes WHERE video_id = ?", (video_id,))
            try:
                conn.executemany(
                    "INSERT INTO segments (id, video_id, index_id, kind, start_time, end_time, "
                    "text, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [(r[0], video_id, index_id, *r[1:]) for r in segment_rows],
                )
                conn.executemany(
                    "INSERT INTO keyframes (id, video_id, index_id, shot_index, time, blob_key) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    [(r[0], video_id, index_id, *r[1:]) for r in keyframe_rows],
                )
            except sqlite3.IntegrityError as e:
                raise InvalidArgument(
                    f"a segment or keyframe id is already used by another video: {e}"
                ) from e
            for space, batch_owners, matrix in batches:
                self._insert_vectors(conn, index_id, video_id, space, batch_owners, matrix)
        stale = [k for k in old_keys if k not in new_keys]
        if stale:
            self._delete_blobs(None, stale)

    @staticmethod
    def _segment_params(video_id: str, s: Segment) -> tuple[Any, ...]:
        if s.video_id != video_id:
            raise InvalidArgument(f"segment {s.id} belongs to video {s.video_id}, not {video_id}")
        if s.kind not in SEGMENT_KINDS:
            raise InvalidArgument(
                f"segment kind must be one of {', '.join(SEGMENT_KINDS)}, got {s.kind!r}"
            )
        start, end = _seconds(s.start, "segment start"), _seconds(s.end, "segment end")
        if end < start:
            raise InvalidArgument(f"segment {s.id} ends ({end}) before it starts ({start})")
        if not isinstance(s.text, str):
            raise InvalidArgument(f"segment {s.id} text must be a string")
        return (s.id, s.kind, start, end, s.text, _json(s.data, "segment data"))

    @staticmethod
    def _keyframe_params(video_id: str, k: Keyframe) -> tuple[Any, ...]:
        if k.video_id != video_id:
            raise InvalidArgument(f"keyframe {k.id} belongs to video {k.video_id}, not {video_id}")
        if int(k.shot_index) < 0:
            raise InvalidArgument(f"keyframe {k.id} shot_index must be >= 0")
        return (k.id, int(k.shot_index), _seconds(k.time, "keyframe time"), check_key(k.blob_key))

    @staticmethod
    def _check_batches(
        batches: Sequence[VectorBatch], owners: set[str] | None
    ) -> list[tuple[str, list[str], Matrix]]:
        checked: list[tuple[str, list[str], Matrix]] = []
        seen: set[tuple[str, str]] = set()
        for batch in batches:
            if batch.space not in SPACES:
                raise InvalidArgument(f"vector space must be one of {', '.join(SPACES)}")
            matrix = _unit_rows(batch.vectors, f"{batch.space} vectors")
            batch_owners = [str(o) for o in batch.owners]
            if len(batch_owners) != matrix.shape[0]:
                raise InvalidArgument(
                    f"{len(batch_owners)} owners for {matrix.shape[0]} {batch.space} vectors"
                )
            for owner in batch_owners:
                if owners is not None and owner not in owners:
                    raise InvalidArgument(f"vector owner {owner} is not a segment or keyframe")
                if (owner, batch.space) in seen:
                    raise InvalidArgument(f"two {batch.space} vectors for {owner}")
                seen.add((owner, batch.space))
            checked.append((batch.space, batch_owners, matrix))
        return checked

    @staticmethod
    def _insert_vectors(
        conn: sqlite3.Connection,
        index_id: str,
        video_id: str,
        space: str,
        owners: Sequence[str],
        matrix: Matrix,
    ) -> None:
        dim = int(matrix.shape[1])
        row = conn.execute(
            "SELECT dim FROM vector_spaces WHERE index_id = ? AND space = ?", (index_id, space)
        ).fetchone()
        if row is None:
            conn.execute(
                "INSERT INTO vector_spaces (index_id, space, dim) VALUES (?, ?, ?)",
                (index_id, space, dim),
            )
        elif row["dim"] != dim:
            in_use = conn.execute(
                "SELECT 1 FROM vectors WHERE index_id = ? AND space = ? LIMIT 1", (index_id, space)
            ).fetchone()
            if in_use:
                raise InvalidArgument(
                    f"the index holds {space} vectors of dimension {row['dim']}; got {dim} "
                    "(re-embed every video of the index with one model)"
                )
            conn.execute(
                "UPDATE vector_spaces SET dim = ?, epoch = epoch + 1 "
                "WHERE index_id = ? AND space = ?",
                (dim, index_id, space),
            )
        conn.executemany(
            "INSERT INTO vectors (index_id, video_id, owner_id, space, vector) "
            "VALUES (?, ?, ?, ?, ?)",
            (
                (index_id, video_id, owner, space, matrix[i].tobytes())
                for i, owner in enumerate(owners)
            ),
        )
        conn.execute(
            "UPDATE vector_spaces SET max_id = MAX(max_id, "
            "(SELECT COALESCE(MAX(id), 0) FROM vectors WHERE index_id = ? AND space = ?)) "
            "WHERE index_id = ? AND space = ?",
            (index_id, space, index_id, space),
        )

    def segments(self, video_id: str, kind: SegmentKind | None = None) -> list[Segment]:
        if kind is not None and kind not in SEGMENT_KINDS:
            raise InvalidArgument(f"kind must be one of {', '.join(SEGMENT_KINDS)}")
        with self._read() as conn:
            self._video_row(conn, video_id)
            rows = conn.execute(
                f"SELECT {_SEGMENT_COLUMNS} FROM segments s WHERE s.video_id = ? "
                "AND (? IS NULL OR s.kind = ?) ORDER BY s.start_time, s.end_time, s.seq",
                (video_id, kind, kind),
            ).fetchall()
        return [_segment(r) for r in rows]

    def keyframes(self, video_id: str) -> list[Keyframe]:
        with self._read() as conn:
            self._video_row(conn, video_id)
            rows = conn.execute(
                f"SELECT {_KEYFRAME_COLUMNS} FROM keyframes WHERE video_id = ? "
                "ORDER BY time, shot_index, seq",
                (video_id,),
            ).fetchall()
        return [_keyframe(r) for r in rows]

    def get_segments(self, ids: Sequence[str]) -> dict[str, Segment]:
        found: dict[str, Segment] = {}
        with self._read() as conn:
            for part in _chunks(list(dict.fromkeys(ids))):
                for row in conn.execute(
                    f"SELECT {_SEGMENT_COLUMNS} FROM segments s "
                    f"WHERE s.id IN ({_marks(len(part))})",
                    tuple(part),
                ):
                    found[row["id"]] = _segment(row)
        return found

    def get_keyframes(self, ids: Sequence[str]) -> dict[str, Keyframe]:
        found: dict[str, Keyframe] = {}
        with self._read() as conn:
            for part in _chunks(list(dict.fromkeys(ids))):
                for row in conn.execute(
                    f"SELECT {_KEYFRAME_COLUMNS} FROM keyframes WHERE id IN ({_marks(len(part))})",
                    tuple(part),
                ):
                    found[row["id"]] = _keyframe(row)
        return found

    def search_text(
        self,
        index_id: str,
        query: str,
        *,
        kinds: Sequence[SegmentKind] | None = None,
        limit: int = 10,
        video_ids: Sequence[str] | None = None,
        mode: TextMode = "any",
    ) -> list[tuple[Segment, float]]:
        match = fts_query(query, mode)
        sql = (
            f"SELECT {_SEGMENT_COLUMNS}, bm25(segments_fts) AS score "
            "FROM segments_fts JOIN segments s ON s.seq = segments_fts.rowid "
            "WHERE segments_fts MATCH ? AND s.index_id = ?"
        )
        params: list[Any] = [match, index_id]
        if kinds is not None:
            bad = [k for k in kinds if k not in SEGMENT_KINDS]
            if bad:
                raise InvalidArgument(f"kinds must be among {', '.join(SEGMENT_KINDS)}: {bad}")
            sql += f" AND s.kind IN ({_marks(len(kinds))})"
            params += list(kinds)
        if video_ids is not None:
            unique = list(dict.fromkeys(video_ids))
            sql += " AND s.video_id IN (SELECT value FROM json_each(?))"
            params.append(json.dumps(unique))
        sql += " ORDER BY score LIMIT ?"
        params.append(_limit(limit))
        with self._read() as conn:
            self._require_index(conn, index_id)
            if match is None or (kinds is not None and not kinds) or video_ids == []:
                return []
            rows = conn.execute(sql, params).fetchall()
        # bm25() is lower-is-better; flip it so that every score in vidsense grows with quality.
        return [(_segment(r), -float(r["score"])) for r in rows]

    def put_vectors(self, video_id: str, batch: VectorBatch) -> None:
        [(space, owners, matrix)] = self._check_batches([batch], None)
        with self._write() as conn:
            index_id = self._video_row(conn, video_id)["index_id"]
            known: set[str] = set()
            for table in ("segments", "keyframes"):
                known.update(
                    r[0]
                    for r in conn.execute(f"SELECT id FROM {table} WHERE video_id = ?", (video_id,))
                )
            unknown = [o for o in owners if o not in known]
            if unknown:
                raise InvalidArgument(
                    f"{len(unknown)} vector owners are not segments or keyframes of video "
                    f"{video_id}, e.g. {unknown[0]}"
                )
            for part in _chunks(owners):
                conn.execute(
                    f"DELETE FROM vectors WHERE space = ? AND owner_id IN ({_marks(len(part))})",
                    (space, *part),
                )
            self._insert_vectors(conn, index_id, video_id, space, owners, matrix)

    def _matrix(self, index_id: str, space: str, dim: int) -> SpaceMatrix:
        with self._matrices_lock:
            matrix = self._matrices.get((index_id, space))
            if matrix is None or matrix.dim != dim:
                if matrix is not None:
                    matrix.drop_files()
                matrix = SpaceMatrix(self.vector_dir / index_id / space, dim)
                self._matrices[(index_id, space)] = matrix
            return matrix

    @staticmethod
    def _vector_source(
        conn: sqlite3.Connection, index_id: str, space: str, dim: int
    ) -> VectorSource:
        def read(sql: str, params: Sequence[Any], count: int) -> tuple[Ids, Matrix]:
            ids = np.empty(count, dtype=np.int64)
            vectors = np.empty((count, dim), dtype=np.float32)
            cursor = conn.cursor()
            cursor.row_factory = None
            cursor.execute(sql, params)
            n = 0
            while batch := cursor.fetchmany(20_000):
                k = len(batch)
                ids[n : n + k] = [r[0] for r in batch]
                vectors[n : n + k] = np.frombuffer(
                    b"".join(r[1] for r in batch), dtype="<f4"
                ).reshape(k, dim)
                n += k
            return ids[:n], vectors[:n]

        def rows_after(min_id: int) -> tuple[Ids, Matrix]:
            where = "WHERE index_id = ? AND space = ? AND id > ?"
            params = (index_id, space, min_id)
            count = conn.execute(f"SELECT COUNT(*) FROM vectors {where}", params).fetchone()[0]
            return read(f"SELECT id, vector FROM vectors {where} ORDER BY id", params, count)

        def live_ids() -> Ids:
            cursor = conn.cursor()
            cursor.row_factory = None
            cursor.execute(
                "SELECT id FROM vectors WHERE index_id = ? AND space = ? ORDER BY id",
                (index_id, space),
            )
            return np.fromiter((r[0] for r in cursor), dtype=np.int64)

        def rows_by_id(ids: Ids) -> tuple[Ids, Matrix]:
            return read(
                "SELECT id, vector FROM vectors WHERE id IN (SELECT value FROM json_each(?)) "
                "ORDER BY id",
                (json.dumps(ids.tolist()),),
                len(ids),
            )

        return VectorSource(rows_after=rows_after, live_ids=live_ids, rows_by_id=rows_by_id)

    @staticmethod
    def _video_ranges(conn: sqlite3.Connection, space: str, video_ids: list[str]) -> Ids:
        """The vector row ids of these videos as inclusive ``(first, last)`` ranges.

        One write stores all of a video's vectors of a space, so they are usually one run of
        ids: then ``MIN``, ``MAX`` and ``COUNT`` describe it without listing the ids.
        """
        ranges: list[Ids] = []
        listed: list[str] = []
        for video_id in video_ids[:100]:
            first, last, count = conn.execute(
                "SELECT MIN(id), MAX(id), COUNT(*) FROM vectors WHERE video_id = ? AND space = ?",
                (video_id, space),
            ).fetchone()
            if count and last - first + 1 == count:
                ranges.append(np.array([[first, last]], dtype=np.int64))
            elif count:
                listed.append(video_id)
        listed += video_ids[100:]
        if listed:
            cursor = conn.cursor()
            cursor.row_factory = None
            cursor.execute(
                "SELECT id FROM vectors WHERE space = ? AND video_id IN "
                "(SELECT value FROM json_each(?)) ORDER BY id",
                (space, json.dumps(listed)),
            )
            ranges.append(id_ranges(np.fromiter((r[0] for r in cursor), dtype=np.int64)))
        if not ranges:
            return np.empty((0, 2), dtype=np.int64)
        merged = np.concatenate(ranges)
        return merged[np.argsort(merged[:, 0], kind="stable")]

    def search_vectors(
        self,
        index_id: str,
        space: Space,
        query: npt.NDArray[np.floating[Any]],
        *,
        limit: int = 10,
        video_ids: Sequence[str] | None = None,
    ) -> list[tuple[str, float]]:
        if space not in SPACES:
            raise InvalidArgument(f"space must be one of {', '.join(SPACES)}")
        q = _unit_rows(np.asarray(query).reshape(1, -1), "query vector")[0]
        limit = _limit(limit)
        with self._read() as conn:
            self._require_index(conn, index_id)
            state = conn.execute(
                "SELECT dim, epoch, max_id FROM vector_spaces WHERE index_id = ? AND space = ?",
                (index_id, space),
            ).fetchone()
            if state is None or video_ids == []:
                return []
            dim, epoch, max_id = state["dim"], state["epoch"], state["max_id"]
            if q.shape[0] != dim:
                raise InvalidArgument(
                    f"query vector has dimension {q.shape[0]}; the index's {space} vectors "
                    f"have {dim}"
                )
            matrix = self._matrix(index_id, space, dim)
            matrix.refresh(epoch, max_id, self._vector_source(conn, index_id, space, dim))
            ranges = None
            if video_ids is not None:
                ranges = self._video_ranges(conn, space, list(dict.fromkeys(video_ids)))
                if not len(ranges):
                    return []
            hits = matrix.search(q, limit, ranges, max_row=max_id)
            owners = dict(
                conn.execute(
                    "SELECT id, owner_id FROM vectors WHERE id IN (SELECT value FROM json_each(?))",
                    (json.dumps([h[0] for h in hits]),),
                ).fetchall()
            )
        return [(owners[row_id], score) for row_id, score in hits if row_id in owners]

    # -- logos -------------------------------------------------------------------------------

    def add_logo(self, index_id: str, name: str, data: bytes, extension: str) -> LogoRecord:
        name = _name(name)
        ext = re.sub(r"[^a-z0-9]", "", extension.lower())[:8] or "img"
        logo_id, now = new_id(), utc_now()
        key = f"{index_id}/logos/{logo_id}.{ext}"
        with self._read() as conn:
            self._require_index(conn, index_id)
        self.blobs.put_bytes(key, data)
        try:
            with self._write() as conn:
                self._require_index(conn, index_id)
                conn.execute(
                    "INSERT INTO logos (id, index_id, name, blob_key, created_at) "
                    "VALUES (?, ?, ?, ?, ?)",
                    (logo_id, index_id, name, key, now),
                )
        except BaseException:
            self.blobs.delete(key)
            raise
        return LogoRecord(logo_id, index_id, name, key, now)

    def list_logos(self, index_id: str) -> list[LogoRecord]:
        with self._read() as conn:
            self._require_index(conn, index_id)
            rows = conn.execute(
                "SELECT id, index_id, name, blob_key, created_at FROM logos "
                "WHERE index_id = ? ORDER BY seq",
                (index_id,),
            ).fetchall()
        return [LogoRecord(r[0], r[1], r[2], r[3], r[4]) for r in rows]

    def delete_logo(self, index_id: str, logo_id: str) -> None:
        with self._write() as conn:
            self._require_index(conn, index_id)
            row = conn.execute(
                "SELECT blob_key FROM logos WHERE id = ? AND index_id = ?", (logo_id, index_id)
            ).fetchone()
            if row is None:
                raise NotFound(f"logo {logo_id!r} not found in this index", code="logo_not_found")
            conn.execute("DELETE FROM logos WHERE id = ?", (logo_id,))
        self._delete_blobs(None, [row[0]])

    # -- tasks -------------------------------------------------------------------------------

    def enqueue_task(
        self,
        index_id: str,
        source: Mapping[str, Any],
        *,
        video_id: str | None = None,
        status: Literal["validating", "pending"] = "pending",
    ) -> TaskRecord:
        if status not in ("validating", "pending"):
            raise InvalidArgument(f"a new task is validating or pending, not {status!r}")
        task_id, now = new_id(), utc_now()
        src = _json(dict(source), "task source")
        with self._write() as conn:
            self._require_index(conn, index_id)
            if video_id is not None:
                self._video_row(conn, video_id)
            conn.execute(
                "INSERT INTO tasks (id, index_id, video_id, status, source, created_at, "
                "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (task_id, index_id, video_id, status, src, now, now),
            )
            return _task(self._task_row(conn, task_id))

    @staticmethod
    def _task_in(
        conn: sqlite3.Connection, task_id: str, statuses: Sequence[str], doing: str
    ) -> sqlite3.Row:
        row = SQLiteStore._task_row(conn, task_id)
        if row["status"] not in statuses:
            raise Conflict(
                f"cannot {doing} task {task_id}: it is {row['status']}, not "
                f"{' or '.join(statuses)}",
                code="task_state",
            )
        return row

    def mark_task_validated(self, task_id: str) -> TaskRecord:
        with self._write() as conn:
            row = self._task_in(conn, task_id, ("validating",), "mark as validated")
            conn.execute(
                "UPDATE tasks SET status = 'pending', updated_at = ? WHERE seq = ?",
                (utc_now(), row["seq"]),
            )
            return _task(self._task_row(conn, task_id))

    def fail_task(self, task_id: str, code: str, message: str) -> TaskRecord:
        if not code:
            raise InvalidArgument("a failed task needs an error code")
        with self._write() as conn:
            row = self._task_in(conn, task_id, ("validating", "pending"), "fail")
            self._end_task(conn, row, "failed", code, message)
            return _task(self._task_row(conn, task_id))

    def claim_task(self, worker_id: str, lease_seconds: float = 60.0) -> TaskRecord | None:
        if not worker_id:
            raise InvalidArgument("worker_id must not be empty")
        lease_seconds = _seconds(lease_seconds, "lease_seconds")
        with self._write() as conn:
            # Whoever was validating these died before deciding: queue them (see the docstring).
            stale = conn.execute(
                "UPDATE tasks SET status = 'pending', updated_at = ? "
                "WHERE status = 'validating' AND updated_at < ?",
                (utc_now(), utc_now(-lease_seconds)),
            ).rowcount
            if stale:
                log.warning(
                    "%d tasks stayed validating over %g s; queued them", stale, lease_seconds
                )
            while True:
                now = utc_now()
                row = conn.execute(
                    "SELECT * FROM tasks WHERE status = 'pending' "
                    "OR (status = 'indexing' AND lease_until < ?) ORDER BY seq LIMIT 1",
                    (now,),
                ).fetchone()
                if row is None:
                    return None
                if row["attempts"] >= self.max_attempts:
                    self._end_task(
                        conn,
                        row,
                        "failed",
                        "too_many_attempts",
                        f"the task was started {row['attempts']} times without finishing "
                        f"(max_attempts={self.max_attempts}); its worker may crash on it",
                    )
                    continue
                conn.execute(
                    "UPDATE tasks SET status = 'indexing', attempts = attempts + 1, "
                    "lease_owner = ?, lease_until = ?, updated_at = ? WHERE seq = ?",
                    (worker_id, utc_now(lease_seconds), now, row["seq"]),
                )
                return _task(self._task_row(conn, row["id"]))

    def _held_task(self, conn: sqlite3.Connection, task_id: str, worker_id: str) -> sqlite3.Row:
        row = self._task_row(conn, task_id)
        if row["status"] != "indexing" or row["lease_owner"] != worker_id:
            holder = (
                f"is {row['status']}"
                if row["status"] != "indexing"
                else f"was claimed by {row['lease_owner']}"
            )
            raise Conflict(
                f"worker {worker_id} lost the lease on task {task_id}: the task {holder}",
                code="lease_lost",
            )
        return row

    def heartbeat(
        self,
        task_id: str,
        worker_id: str,
        progress: float,
        *,
        lease_seconds: float = 60.0,
        video_id: str | None = None,
    ) -> TaskRecord:
        progress = float(progress)
        if not 0 <= progress <= 100:
            raise InvalidArgument(f"progress is a percentage (0-100), got {progress}")
        with self._write() as conn:
            # A lease that expired but was not claimed by anyone is still this worker's: renewing
            # it is safe, since no other worker holds the task.
            self._held_task(conn, task_id, worker_id)
            if video_id is not None:
                self._video_row(conn, video_id)
            conn.execute(
                "UPDATE tasks SET progress = ?, lease_until = ?, updated_at = ?, "
                "video_id = COALESCE(?, video_id) WHERE id = ?",
                (progress, utc_now(lease_seconds), utc_now(), video_id, task_id),
            )
            return _task(self._task_row(conn, task_id))

    def finish_task(
        self,
        task_id: str,
        worker_id: str,
        status: Literal["ready", "failed"],
        *,
        error_code: str | None = None,
        error_message: str | None = None,
    ) -> TaskRecord:
        if status not in ("ready", "failed"):
            raise InvalidArgument(f"a task finishes ready or failed, not {status!r}")
        if status == "failed" and not error_code:
            raise InvalidArgument("a failed task needs an error_code")
        with self._write() as conn:
            row = self._held_task(conn, task_id, worker_id)
            self._end_task(conn, row, status, error_code, error_message)
            return _task(self._task_row(conn, task_id))

    @staticmethod
    def _end_task(
        conn: sqlite3.Connection,
        row: sqlite3.Row,
        status: Literal["ready", "failed"],
        error_code: str | None,
        error_message: str | None,
    ) -> None:
        now = utc_now()
        conn.execute(
            "UPDATE tasks SET status = ?, progress = CASE WHEN ? = 'ready' THEN 100 "
            "ELSE progress END, error_code = ?, error_message = ?, lease_owner = NULL, "
            "lease_until = NULL, updated_at = ? WHERE seq = ?",
            (status, status, error_code, error_message, now, row["seq"]),
        )
        if row["video_id"] is not None:
            conn.execute(
                "UPDATE videos SET status = ?, updated_at = ? WHERE id = ?",
                (status, now, row["video_id"]),
            )

    def get_task(self, task_id: str) -> TaskRecord:
        with self._read() as conn:
            return _task(self._task_row(conn, task_id))

    def list_tasks(
        self,
        *,
        index_id: str | None = None,
        status: TaskStatus | None = None,
        video_id: str | None = None,
        page: int = 1,
        page_limit: int = 10,
        sort_by: TaskSort = "created_at",
        sort_option: SortOption = "desc",
    ) -> Page[TaskRecord]:
        offset = _paging(page, page_limit)
        column, direction = _order(_TASK_SORT, sort_by, sort_option)
        if status is not None and status not in TASK_STATUSES:
            raise InvalidArgument(f"status must be one of {', '.join(TASK_STATUSES)}")
        where = (
            "WHERE (? IS NULL OR index_id = ?) AND (? IS NULL OR status = ?) "
            "AND (? IS NULL OR video_id = ?)"
        )
        params = (index_id, index_id, status, status, video_id, video_id)
        with self._read() as conn:
            total = conn.execute(f"SELECT COUNT(*) FROM tasks {where}", params).fetchone()[0]
            rows = conn.execute(
                f"SELECT * FROM tasks {where} ORDER BY {column} {direction}, seq {direction} "
                "LIMIT ? OFFSET ?",
                (*params, page_limit, offset),
            ).fetchall()
        return Page([_task(r) for r in rows], total, page, page_limit)
