"""The server store: PostgreSQL (+ pgvector when the server has it) + a local blob folder.

- Connections come from a pool (``psycopg_pool``; without it, one connection per thread). Every
  operation runs in one transaction; reads run ``REPEATABLE READ READ ONLY`` (one snapshot).
- Task claims use ``SELECT ... FOR UPDATE SKIP LOCKED``: many workers, in many processes and
  machines, share one queue and never get the same task, and never wait on each other's rows.
- Lexical search: a generated ``tsvector`` column with a GIN index, in the ``vidsense_text``
  configuration (Snowball English stems, no stop words; see :mod:`vidsense.store.migrations`),
  ranked with ``ts_rank_cd``. User text is cut into words first and handed to
  ``plainto_tsquery``/``phraseto_tsquery``, so no character of it is query syntax.
- Vectors are rows (replaced atomically with their evidence). With the ``vector`` extension
  (pgvector) each row also has an ``embedding vector`` column and every (index, space) gets a
  partial HNSW index (cosine ops) on it; search without a video filter walks that index, search
  filtered to videos scores their rows exactly. Without pgvector the store falls back to the
  numpy matrix cache the SQLite store uses (:mod:`vidsense.store.vectors`): exact search.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import re
import shutil
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import psycopg
from psycopg import errors as pg_errors
from psycopg.rows import dict_row, tuple_row

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
from vidsense.store.blobs import BlobStore
from vidsense.store.migrations import POSTGRESQL, TS_CONFIG, migrate
from vidsense.store.sqlite import (
    _INDEX_SORT,
    _SHA256,
    _TASK_SORT,
    _VIDEO_SORT,
    _WORD,
    SQLiteStore,
    _json,
    _limit,
    _name,
    _order,
    _paging,
    _seconds,
    _unit_rows,
)
from vidsense.store.vectors import Ids, Matrix, SpaceMatrix, VectorSource, id_ranges

log = logging.getLogger(__name__)

Row = dict[str, Any]
Conn = psycopg.Connection[Row]

_INDEX_SELECT = """
    SELECT i.id, i.name, i.options, i.addons, i.created_at, i.updated_at,
           (SELECT COUNT(*) FROM videos v WHERE v.index_id = i.id) AS video_count,
           (SELECT COALESCE(SUM(v.duration), 0) FROM videos v WHERE v.index_id = i.id)
               AS total_duration
    FROM indexes i
"""
_SEGMENT_COLUMNS = "s.id, s.video_id, s.kind, s.start_time, s.end_time, s.text, s.data"
_KEYFRAME_COLUMNS = "id, video_id, shot_index, time, blob_key"
_HEX_ID = re.compile(r"[0-9a-f]{24}")
_MAX_EF_SEARCH = 1000  # pgvector's limit for hnsw.ef_search


def _index(row: Row) -> IndexRecord:
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


def _video(row: Row) -> VideoRecord:
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


def _task(row: Row) -> TaskRecord:
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


def _segment(row: Row) -> Segment:
    return Segment(
        video_id=row["video_id"],
        kind=row["kind"],
        start=row["start_time"],
        end=row["end_time"],
        text=row["text"],
        data=json.loads(row["data"]),
        id=row["id"],
    )


def _keyframe(row: Row) -> Keyframe:
    return Keyframe(
        video_id=row["video_id"],
        shot_index=row["shot_index"],
        time=row["time"],
        blob_key=row["blob_key"],
        id=row["id"],
    )


def ts_query(text: str, mode: TextMode = "any") -> tuple[str, str] | None:
    """``(SQL expression with one %s, its parameter)`` that builds the tsquery for plain user
    ``text``, or None when it has no words.

    Only the words (``\\w+`` runs) of ``text`` reach PostgreSQL, joined by spaces, and only
    through ``plainto_tsquery``/``phraseto_tsquery``, which read no operators: quotes, ``&|!<>``,
    ``or``, ``-`` and NUL characters are never syntax.
    """
    words = _WORD.findall(text)
    if not words:
        return None
    plain = " ".join(words)
    cfg = f"'{TS_CONFIG}'::regconfig"
    if mode == "phrase":
        return f"phraseto_tsquery({cfg}, %s)", plain
    if mode == "all":
        return f"plainto_tsquery({cfg}, %s)", plain
    if mode == "any":
        # plainto_tsquery ANDs the lexemes; its text form is 'a' & 'b' (lexemes are quoted, and
        # a word never holds '&'), so OR-ing them is a replace of the operator.
        return f"replace(plainto_tsquery({cfg}, %s)::text, ' & ', ' | ')::tsquery", plain
    raise InvalidArgument(f"mode must be any, all or phrase, got {mode!r}")


def _vector_literal(row: npt.NDArray[np.float32]) -> str:
    return "[" + ",".join(repr(float(x)) for x in row) + "]"


def _hnsw_name(index_id: str, space: str) -> str:
    return f"vectors_hnsw_{index_id}_{space}"


class _Connections:
    """A pool of autocommit connections: ``psycopg_pool`` when installed, else one per
    thread."""

    def __init__(self, conninfo: str, max_size: int) -> None:
        self.conninfo = conninfo
        self._kwargs: dict[str, Any] = {"autocommit": True, "row_factory": dict_row}
        self._pool: Any = None
        try:
            from psycopg_pool import ConnectionPool
        except ImportError:  # pragma: no cover - psycopg_pool is in the postgres extra
            self._local = threading.local()
            self._all: list[Conn] = []
            self._lock = threading.Lock()
        else:
            self._pool = ConnectionPool(
                conninfo, min_size=1, max_size=max_size, kwargs=self._kwargs, open=True
            )

    @contextmanager
    def connection(self) -> Iterator[Conn]:
        if self._pool is not None:
            with self._pool.connection() as pooled:
                yield pooled
            return
        conn: Conn | None = getattr(self._local, "conn", None)
        if conn is None or conn.closed:
            conn = psycopg.connect(self.conninfo, **self._kwargs)
            with self._lock:
                self._all.append(conn)
            self._local.conn = conn
        yield conn

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
            return
        with self._lock:
            for conn in self._all:
                conn.close()
            self._all.clear()


class PostgresStore(Store):
    """The :class:`~vidsense.store.base.Store` on a PostgreSQL database (``conninfo``: a
    ``postgresql://`` URL or libpq key=value string).

    ``max_attempts``: claims a task may take before it fails (default 3). ``vector_dir``: the
    numpy vector cache, used only when the server lacks pgvector. ``pool_size``: most
    connections held. ``use_pgvector``: False keeps to the numpy path even when pgvector is
    there (None: use it when it is installed or can be created).
    """

    NAME = "postgresql"

    def __init__(
        self,
        conninfo: str,
        blobs: BlobStore,
        *,
        max_attempts: int = 3,
        vector_dir: Path | None = None,
        pool_size: int = 16,
        use_pgvector: bool | None = None,
    ) -> None:
        if max_attempts < 1:
            raise InvalidArgument(f"max_attempts must be at least 1, got {max_attempts}")
        self.blobs = blobs
        self.max_attempts = max_attempts
        self._closed = False
        try:  # one direct connection first: an unreachable server fails at once, clearly
            conn: Conn = psycopg.connect(conninfo, autocommit=True, row_factory=dict_row)
        except psycopg.OperationalError as e:
            raise VidsenseError(
                f"cannot reach the PostgreSQL store: {e}", code="store_unavailable"
            ) from e
        with conn:
            with conn.cursor(row_factory=tuple_row) as cur:
                self.schema_version = migrate(cur, POSTGRESQL)
            self.pgvector = use_pgvector is not False and self._setup_pgvector(conn)
        self._pool = _Connections(conninfo, pool_size)
        if vector_dir is None:
            digest = hashlib.sha256(conninfo.encode()).hexdigest()[:16]
            vector_dir = Path.home() / ".cache" / "vidsense" / "pg-vectors" / digest
        self.vector_dir = vector_dir
        self._matrices: dict[tuple[str, str], SpaceMatrix] = {}
        self._matrices_lock = threading.Lock()

    @staticmethod
    def _setup_pgvector(conn: Conn) -> bool:
        """Make sure the ``vector`` extension and the ``embedding`` column exist; False (numpy
        fallback) when the server does not have pgvector or we may not create it."""
        try:
            with conn.transaction():
                conn.execute(POSTGRESQL.lock or "SELECT 1")
                if conn.execute("SELECT 1 FROM pg_extension WHERE extname = 'vector'").fetchone():
                    pass
                elif conn.execute(
                    "SELECT 1 FROM pg_available_extensions WHERE name = 'vector'"
                ).fetchone():
                    conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
                else:
                    return False
                conn.execute("ALTER TABLE vectors ADD COLUMN IF NOT EXISTS embedding vector")
            return True
        except psycopg.Error as e:
            log.warning("pgvector is not usable (%s); vectors are searched with numpy", e)
            return False

    # -- connections and transactions --------------------------------------------------------

    @contextmanager
    def _tx(self, read: bool) -> Iterator[Conn]:
        if self._closed:
            raise VidsenseError("the store is closed", code="store_closed")
        with self._pool.connection() as conn, conn.transaction():
            if read:
                conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            yield conn

    def _write(self) -> Any:
        """A read-committed transaction; rows it changes are locked until it ends."""
        return self._tx(read=False)

    def _read(self) -> Any:
        """A read-only transaction on one snapshot."""
        return self._tx(read=True)

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._pool.close()

    # -- lookups shared by several operations ------------------------------------------------

    @staticmethod
    def _one(conn: Conn, sql: str, params: Sequence[Any] = ()) -> Row | None:
        return conn.execute(sql, params).fetchone()

    @staticmethod
    def _scalar(conn: Conn, sql: str, params: Sequence[Any] = ()) -> Any:
        with conn.cursor(row_factory=tuple_row) as cur:
            row = cur.execute(sql, params).fetchone()
        return None if row is None else row[0]

    @staticmethod
    def _column(conn: Conn, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        with conn.cursor(row_factory=tuple_row) as cur:
            return [r[0] for r in cur.execute(sql, params).fetchall()]

    def _require_index(self, conn: Conn, index_id: str, lock: bool = False) -> None:
        sql = "SELECT 1 FROM indexes WHERE id = %s" + (" FOR UPDATE" if lock else "")
        if self._one(conn, sql, (index_id,)) is None:
            raise NotFound(f"no index with id {index_id!r}", code="index_not_found")

    def _video_row(self, conn: Conn, video_id: str, lock: bool = False) -> Row:
        sql = "SELECT * FROM videos WHERE id = %s" + (" FOR UPDATE" if lock else "")
        row = self._one(conn, sql, (video_id,))
        if row is None:
            raise NotFound(f"no video with id {video_id!r}", code="video_not_found")
        return row

    def _task_row(self, conn: Conn, task_id: str, lock: bool = False) -> Row:
        sql = "SELECT * FROM tasks WHERE id = %s" + (" FOR UPDATE" if lock else "")
        row = self._one(conn, sql, (task_id,))
        if row is None:
            raise NotFound(f"no task with id {task_id!r}", code="task_not_found")
        return row

    def _index_record(self, conn: Conn, index_id: str) -> IndexRecord:
        row = self._one(conn, _INDEX_SELECT + " WHERE i.id = %s", (index_id,))
        if row is None:
            raise NotFound(f"no index with id {index_id!r}", code="index_not_found")
        return _index(row)

    def _name_taken(self, conn: Conn, name: str, other_than: str = "") -> None:
        row = self._one(
            conn, "SELECT id FROM indexes WHERE name = %s AND id != %s", (name, other_than)
        )
        if row is not None:
            raise Conflict(f"an index named {name!r} already exists (id {row['id']})")

    def _delete_blobs(self, prefix: str | None, keys: Iterable[str]) -> None:
        """Delete the folder ``prefix`` and the blobs ``keys`` outside it, after a commit."""
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
        opts, adds = _json(list(options), "options"), _json(list(addons), "addons")
        try:
            with self._write() as conn:
                self._name_taken(conn, name)
                conn.execute(
                    "INSERT INTO indexes (id, name, options, addons, created_at, updated_at) "
                    "VALUES (%s, %s, %s, %s, %s, %s)",
                    (index_id, name, opts, adds, now, now),
                )
                return self._index_record(conn, index_id)
        except pg_errors.UniqueViolation as e:  # a concurrent create took the name
            raise Conflict(f"an index named {name!r} already exists") from e

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
            total = self._scalar(conn, "SELECT COUNT(*) FROM indexes")
            rows = conn.execute(
                f"{_INDEX_SELECT} ORDER BY {column} {direction}, i.id {direction} "
                "LIMIT %s OFFSET %s",
                (page_limit, offset),
            ).fetchall()
        return Page([_index(r) for r in rows], int(total), page, page_limit)

    def update_index(self, index_id: str, *, name: str) -> IndexRecord:
        name = _name(name)
        try:
            with self._write() as conn:
                self._require_index(conn, index_id, lock=True)
                self._name_taken(conn, name, other_than=index_id)
                conn.execute(
                    "UPDATE indexes SET name = %s, updated_at = %s WHERE id = %s",
                    (name, utc_now(), index_id),
                )
                return self._index_record(conn, index_id)
        except pg_errors.UniqueViolation as e:
            raise Conflict(f"an index named {name!r} already exists") from e

    def delete_index(self, index_id: str) -> None:
        with self._write() as conn:
            self._require_index(conn, index_id, lock=True)
            keys = self._column(
                conn, "SELECT blob_key FROM keyframes WHERE index_id = %s", (index_id,)
            )
            conn.execute("DELETE FROM indexes WHERE id = %s", (index_id,))  # cascades
            if self.pgvector and _HEX_ID.fullmatch(index_id):
                for space in SPACES:
                    conn.execute(f"DROP INDEX IF EXISTS {_hnsw_name(index_id, space)}")
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
        duration = _seconds(duration, "duration")
        video_id, now = new_id(), utc_now()
        with self._write() as conn:
            self._require_index(conn, index_id)
            conn.execute(
                "INSERT INTO videos (id, index_id, filename, sha256, status, duration, fps, "
                "width, height, size, metadata, created_at, updated_at) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                (
                    video_id,
                    index_id,
                    filename,
                    sha256,
                    status,
                    duration,
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
            total = self._scalar(
                conn, "SELECT COUNT(*) FROM videos WHERE index_id = %s", (index_id,)
            )
            rows = conn.execute(
                f"SELECT * FROM videos WHERE index_id = %s "
                f"ORDER BY {column} {direction}, id {direction} LIMIT %s OFFSET %s",
                (index_id, page_limit, offset),
            ).fetchall()
        return Page([_video(r) for r in rows], int(total), page, page_limit)

    def update_video(
        self,
        video_id: str,
        *,
        filename: str | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> VideoRecord:
        meta = None if metadata is None else _json(dict(metadata), "metadata")
        with self._write() as conn:
            self._video_row(conn, video_id, lock=True)
            conn.execute(
                "UPDATE videos SET filename = COALESCE(%s, filename), "
                "metadata = COALESCE(%s, metadata), updated_at = %s WHERE id = %s",
                (filename, meta, utc_now(), video_id),
            )
            return _video(self._video_row(conn, video_id))

    def set_video_status(self, video_id: str, status: VideoStatus) -> VideoRecord:
        if status not in TASK_STATUSES:
            raise InvalidArgument(f"status must be one of {', '.join(TASK_STATUSES)}")
        with self._write() as conn:
            self._video_row(conn, video_id, lock=True)
            conn.execute(
                "UPDATE videos SET status = %s, updated_at = %s WHERE id = %s",
                (status, utc_now(), video_id),
            )
            return _video(self._video_row(conn, video_id))

    def delete_video(self, video_id: str) -> None:
        with self._write() as conn:
            index_id = self._video_row(conn, video_id, lock=True)["index_id"]
            keys = self._column(
                conn, "SELECT blob_key FROM keyframes WHERE video_id = %s", (video_id,)
            )
            conn.execute("DELETE FROM videos WHERE id = %s", (video_id,))
        self._delete_blobs(video_prefix(index_id, video_id), keys)

    def find_video_by_hash(self, index_id: str, sha256: str) -> VideoRecord | None:
        with self._read() as conn:
            self._require_index(conn, index_id)
            row = self._one(
                conn,
                "SELECT * FROM videos WHERE index_id = %s AND sha256 = %s "
                "ORDER BY created_at, id LIMIT 1",
                (index_id, str(sha256).lower()),
            )
        return None if row is None else _video(row)

    # -- evidence ----------------------------------------------------------------------------

    def replace_evidence(
        self,
        video_id: str,
        segments: Sequence[Segment],
        keyframes: Sequence[Keyframe] = (),
        vectors: Sequence[VectorBatch] = (),
    ) -> None:
        segment_rows = [SQLiteStore._segment_params(video_id, s) for s in segments]
        keyframe_rows = [SQLiteStore._keyframe_params(video_id, k) for k in keyframes]
        for row in segment_rows:
            if "\x00" in row[4]:
                raise InvalidArgument(f"segment {row[0]} text holds a NUL character")
        owners = [s.id for s in segments] + [k.id for k in keyframes]
        if len(set(owners)) != len(owners):
            raise InvalidArgument("segment and keyframe ids must be unique")
        batches = SQLiteStore._check_batches(vectors, set(owners))
        new_keys = {k.blob_key for k in keyframes}
        with self._write() as conn:
            index_id = self._video_row(conn, video_id, lock=True)["index_id"]
            old_keys = self._column(
                conn, "SELECT blob_key FROM keyframes WHERE video_id = %s", (video_id,)
            )
            conn.execute("DELETE FROM vectors WHERE video_id = %s", (video_id,))
            conn.execute("DELETE FROM segments WHERE video_id = %s", (video_id,))
            conn.execute("DELETE FROM keyframes WHERE video_id = %s", (video_id,))
            try:
                with conn.transaction(), conn.cursor() as cur:  # a savepoint
                    cur.executemany(
                        "INSERT INTO segments (id, video_id, index_id, kind, start_time, "
                        "end_time, text, data) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                        [(r[0], video_id, index_id, *r[1:]) for r in segment_rows],
                    )
                    cur.executemany(
                        "INSERT INTO keyframes (id, video_id, index_id, shot_index, time, "
                        "blob_key) VALUES (%s, %s, %s, %s, %s, %s)",
                        [(r[0], video_id, index_id, *r[1:]) for r in keyframe_rows],
                    )
            except pg_errors.UniqueViolation as e:
                raise InvalidArgument(
                    f"a segment or keyframe id is already used by another video: {e}"
                ) from e
            for space, batch_owners, matrix in batches:
                self._insert_vectors(conn, index_id, video_id, space, batch_owners, matrix)
        stale = [k for k in old_keys if k not in new_keys]
        if stale:
            self._delete_blobs(None, stale)

    def _insert_vectors(
        self,
        conn: Conn,
        index_id: str,
        video_id: str,
        space: str,
        owners: Sequence[str],
        matrix: Matrix,
    ) -> None:
        dim = int(matrix.shape[1])
        # The (index, space) row is locked until commit: writers of one space take turns, so
        # vector ids grow in commit order (the numpy cache relies on it).
        created = conn.execute(
            "INSERT INTO vector_spaces (index_id, space, dim) VALUES (%s, %s, %s) "
            "ON CONFLICT (index_id, space) DO NOTHING RETURNING dim",
            (index_id, space, dim),
        ).fetchone()
        row = self._one(
            conn,
            "SELECT dim FROM vector_spaces WHERE index_id = %s AND space = %s FOR UPDATE",
            (index_id, space),
        )
        assert row is not None
        remake_index = created is not None
        if row["dim"] != dim:
            in_use = self._one(
                conn,
                "SELECT 1 FROM vectors WHERE index_id = %s AND space = %s LIMIT 1",
                (index_id, space),
            )
            if in_use:
                raise InvalidArgument(
                    f"the index holds {space} vectors of dimension {row['dim']}; got {dim} "
                    "(re-embed every video of the index with one model)"
                )
            conn.execute(
                "UPDATE vector_spaces SET dim = %s, epoch = epoch + 1 "
                "WHERE index_id = %s AND space = %s",
                (dim, index_id, space),
            )
            remake_index = True
        if self.pgvector and remake_index and _HEX_ID.fullmatch(index_id):
            name = _hnsw_name(index_id, space)
            conn.execute(f"DROP INDEX IF EXISTS {name}")
            conn.execute(
                f"CREATE INDEX {name} ON vectors USING hnsw "
                f"((embedding::vector({dim})) vector_cosine_ops) "
                f"WHERE index_id = '{index_id}' AND space = '{space}'"
            )
        with conn.cursor() as cur:
            if self.pgvector:
                cur.executemany(
                    "INSERT INTO vectors (index_id, video_id, owner_id, space, vector, embedding) "
                    "VALUES (%s, %s, %s, %s, %s, %s::vector)",
                    [
                        (index_id, video_id, owner, space, matrix[i].tobytes(), _vector_literal(m))
                        for i, (owner, m) in enumerate(zip(owners, matrix, strict=True))
                    ],
                )
            else:
                cur.executemany(
                    "INSERT INTO vectors (index_id, video_id, owner_id, space, vector) "
                    "VALUES (%s, %s, %s, %s, %s)",
                    [
                        (index_id, video_id, owner, space, matrix[i].tobytes())
                        for i, owner in enumerate(owners)
                    ],
                )
        conn.execute(
            "UPDATE vector_spaces SET max_id = GREATEST(max_id, "
            "(SELECT COALESCE(MAX(id), 0) FROM vectors WHERE index_id = %s AND space = %s)) "
            "WHERE index_id = %s AND space = %s",
            (index_id, space, index_id, space),
        )

    def segments(self, video_id: str, kind: SegmentKind | None = None) -> list[Segment]:
        if kind is not None and kind not in SEGMENT_KINDS:
            raise InvalidArgument(f"kind must be one of {', '.join(SEGMENT_KINDS)}")
        with self._read() as conn:
            self._video_row(conn, video_id)
            rows = conn.execute(
                f"SELECT {_SEGMENT_COLUMNS} FROM segments s WHERE s.video_id = %s "
                "AND (%s::text IS NULL OR s.kind = %s) ORDER BY s.start_time, s.end_time, s.seq",
                (video_id, kind, kind),
            ).fetchall()
        return [_segment(r) for r in rows]

    def keyframes(self, video_id: str) -> list[Keyframe]:
        with self._read() as conn:
            self._video_row(conn, video_id)
            rows = conn.execute(
                f"SELECT {_KEYFRAME_COLUMNS} FROM keyframes WHERE video_id = %s "
                "ORDER BY time, shot_index, seq",
                (video_id,),
            ).fetchall()
        return [_keyframe(r) for r in rows]

    def get_segments(self, ids: Sequence[str]) -> dict[str, Segment]:
        with self._read() as conn:
            rows = conn.execute(
                f"SELECT {_SEGMENT_COLUMNS} FROM segments s WHERE s.id = ANY(%s)",
                (list(dict.fromkeys(ids)),),
            ).fetchall()
        return {r["id"]: _segment(r) for r in rows}

    def get_keyframes(self, ids: Sequence[str]) -> dict[str, Keyframe]:
        with self._read() as conn:
            rows = conn.execute(
                f"SELECT {_KEYFRAME_COLUMNS} FROM keyframes WHERE id = ANY(%s)",
                (list(dict.fromkeys(ids)),),
            ).fetchall()
        return {r["id"]: _keyframe(r) for r in rows}

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
        built = ts_query(query, mode)
        if kinds is not None:
            bad = [k for k in kinds if k not in SEGMENT_KINDS]
            if bad:
                raise InvalidArgument(f"kinds must be among {', '.join(SEGMENT_KINDS)}: {bad}")
        limit = _limit(limit)
        with self._read() as conn:
            self._require_index(conn, index_id)
            if built is None or (kinds is not None and not kinds) or video_ids == []:
                return []
            expr, plain = built
            sql = (
                f"SELECT {_SEGMENT_COLUMNS}, ts_rank_cd(s.tsv, t.q) AS score "
                f"FROM segments s, (SELECT {expr} AS q) AS t "
                "WHERE s.tsv @@ t.q AND s.index_id = %s"
            )
            params: list[Any] = [plain, index_id]
            if kinds is not None:
                sql += " AND s.kind = ANY(%s)"
                params.append(list(kinds))
            if video_ids is not None:
                sql += " AND s.video_id = ANY(%s)"
                params.append(list(dict.fromkeys(video_ids)))
            sql += " ORDER BY score DESC, s.seq LIMIT %s"
            params.append(limit)
            rows = conn.execute(sql, params).fetchall()
        # ts_rank_cd is 0 for a match without cover density; keep every score > 0.
        return [(_segment(r), float(r["score"]) + 1e-6) for r in rows]

    def put_vectors(self, video_id: str, batch: VectorBatch) -> None:
        [(space, owners, matrix)] = SQLiteStore._check_batches([batch], None)
        with self._write() as conn:
            index_id = self._video_row(conn, video_id, lock=True)["index_id"]
            known = set(
                self._column(
                    conn,
                    "SELECT id FROM segments WHERE video_id = %s "
                    "UNION ALL SELECT id FROM keyframes WHERE video_id = %s",
                    (video_id, video_id),
                )
            )
            unknown = [o for o in owners if o not in known]
            if unknown:
                raise InvalidArgument(
                    f"{len(unknown)} vector owners are not segments or keyframes of video "
                    f"{video_id}, e.g. {unknown[0]}"
                )
            conn.execute(
                "DELETE FROM vectors WHERE space = %s AND owner_id = ANY(%s)",
                (space, list(owners)),
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

    def _vector_source(self, conn: Conn, index_id: str, space: str, dim: int) -> VectorSource:
        def read(sql: str, params: Sequence[Any]) -> tuple[Ids, Matrix]:
            with conn.cursor(row_factory=tuple_row) as cur:
                rows = cur.execute(sql, params).fetchall()
            ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
            vectors = np.frombuffer(b"".join(bytes(r[1]) for r in rows), dtype="<f4")
            return ids, vectors.reshape(len(rows), dim).astype(np.float32)

        def rows_after(min_id: int) -> tuple[Ids, Matrix]:
            return read(
                "SELECT id, vector FROM vectors WHERE index_id = %s AND space = %s AND id > %s "
                "ORDER BY id",
                (index_id, space, min_id),
            )

        def live_ids() -> Ids:
            ids = self._column(
                conn,
                "SELECT id FROM vectors WHERE index_id = %s AND space = %s ORDER BY id",
                (index_id, space),
            )
            return np.asarray(ids, dtype=np.int64)

        def rows_by_id(ids: Ids) -> tuple[Ids, Matrix]:
            return read(
                "SELECT id, vector FROM vectors WHERE id = ANY(%s) ORDER BY id", (ids.tolist(),)
            )

        return VectorSource(rows_after=rows_after, live_ids=live_ids, rows_by_id=rows_by_id)

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
            state = self._one(
                conn,
                "SELECT dim, epoch, max_id FROM vector_spaces WHERE index_id = %s AND space = %s",
                (index_id, space),
            )
            if state is None or video_ids == []:
                return []
            dim, epoch, max_id = int(state["dim"]), int(state["epoch"]), int(state["max_id"])
            if q.shape[0] != dim:
                raise InvalidArgument(
                    f"query vector has dimension {q.shape[0]}; the index's {space} vectors "
                    f"have {dim}"
                )
            videos = None if video_ids is None else list(dict.fromkeys(video_ids))
            if self.pgvector:
                return self._search_pgvector(conn, index_id, space, dim, q, limit, videos)
            matrix = self._matrix(index_id, space, dim)
            matrix.refresh(epoch, max_id, self._vector_source(conn, index_id, space, dim))
            ranges = None
            if videos is not None:
                ids = self._column(
                    conn,
                    "SELECT id FROM vectors WHERE space = %s AND video_id = ANY(%s) ORDER BY id",
                    (space, videos),
                )
                ranges = id_ranges(np.asarray(ids, dtype=np.int64))
                if not len(ranges):
                    return []
            hits = matrix.search(q, limit, ranges, max_row=max_id)
            owners = {
                r["id"]: r["owner_id"]
                for r in conn.execute(
                    "SELECT id, owner_id FROM vectors WHERE id = ANY(%s)", ([h[0] for h in hits],)
                ).fetchall()
            }
        return [(owners[row_id], score) for row_id, score in hits if row_id in owners]

    @staticmethod
    def _search_pgvector(
        conn: Conn,
        index_id: str,
        space: str,
        dim: int,
        q: npt.NDArray[np.float32],
        limit: int,
        videos: list[str] | None,
    ) -> list[tuple[str, float]]:
        literal = _vector_literal(q)
        if videos is None:
            # Walks the (index, space) partial HNSW index: the WHERE clause matches its predicate
            # and the ORDER BY its expression.
            conn.execute(f"SET LOCAL hnsw.ef_search = {min(_MAX_EF_SEARCH, max(40, limit))}")
            rows = conn.execute(
                f"SELECT owner_id, embedding::vector({dim}) <=> %s::vector({dim}) AS distance "
                "FROM vectors WHERE index_id = %s AND space = %s "
                f"ORDER BY embedding::vector({dim}) <=> %s::vector({dim}) LIMIT %s",
                (literal, index_id, space, literal, limit),
            ).fetchall()
        else:
            # A few videos' rows: scored exactly (an HNSW walk would filter after the fact).
            rows = conn.execute(
                "WITH c AS MATERIALIZED (SELECT owner_id, embedding FROM vectors "
                "WHERE index_id = %s AND space = %s AND video_id = ANY(%s)) "
                f"SELECT owner_id, embedding::vector({dim}) <=> %s::vector({dim}) AS distance "
                "FROM c ORDER BY distance, owner_id LIMIT %s",
                (index_id, space, videos, literal, limit),
            ).fetchall()
        return [(r["owner_id"], 1.0 - float(r["distance"])) for r in rows]

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
                    "VALUES (%s, %s, %s, %s, %s)",
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
                "WHERE index_id = %s ORDER BY seq",
                (index_id,),
            ).fetchall()
        return [
            LogoRecord(r["id"], r["index_id"], r["name"], r["blob_key"], r["created_at"])
            for r in rows
        ]

    def delete_logo(self, index_id: str, logo_id: str) -> None:
        with self._write() as conn:
            self._require_index(conn, index_id)
            row = self._one(
                conn,
                "DELETE FROM logos WHERE id = %s AND index_id = %s RETURNING blob_key",
                (logo_id, index_id),
            )
            if row is None:
                raise NotFound(f"logo {logo_id!r} not found in this index", code="logo_not_found")
        self._delete_blobs(None, [row["blob_key"]])

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
                "updated_at) VALUES (%s, %s, %s, %s, %s, %s, %s)",
                (task_id, index_id, video_id, status, src, now, now),
            )
            return _task(self._task_row(conn, task_id))

    def _task_in(self, conn: Conn, task_id: str, statuses: Sequence[str], doing: str) -> Row:
        row = self._task_row(conn, task_id, lock=True)
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
                "UPDATE tasks SET status = 'pending', updated_at = %s WHERE seq = %s",
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
            # SKIP LOCKED: a task being decided right now is left to its validator.
            stale = conn.execute(
                "UPDATE tasks SET status = 'pending', updated_at = %s WHERE seq IN ("
                "SELECT seq FROM tasks WHERE status = 'validating' AND updated_at < %s "
                "FOR UPDATE SKIP LOCKED)",
                (utc_now(), utc_now(-lease_seconds)),
            ).rowcount
            if stale:
                log.warning(
                    "%d tasks stayed validating over %g s; queued them", stale, lease_seconds
                )
            while True:
                now = utc_now()
                row = self._one(
                    conn,
                    "SELECT * FROM tasks WHERE status = 'pending' "
                    "OR (status = 'indexing' AND lease_until < %s) "
                    "ORDER BY seq LIMIT 1 FOR UPDATE SKIP LOCKED",
                    (now,),
                )
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
                    "lease_owner = %s, lease_until = %s, updated_at = %s WHERE seq = %s",
                    (worker_id, utc_now(lease_seconds), now, row["seq"]),
                )
                return _task(self._task_row(conn, row["id"]))

    def _held_task(self, conn: Conn, task_id: str, worker_id: str) -> Row:
        row = self._task_row(conn, task_id, lock=True)
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
            self._held_task(conn, task_id, worker_id)
            if video_id is not None:
                self._video_row(conn, video_id)
            conn.execute(
                "UPDATE tasks SET progress = %s, lease_until = %s, updated_at = %s, "
                "video_id = COALESCE(%s, video_id) WHERE id = %s",
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
        conn: Conn,
        row: Row,
        status: Literal["ready", "failed"],
        error_code: str | None,
        error_message: str | None,
    ) -> None:
        now = utc_now()
        conn.execute(
            "UPDATE tasks SET status = %s, progress = CASE WHEN %s = 'ready' THEN 100 "
            "ELSE progress END, error_code = %s, error_message = %s, lease_owner = NULL, "
            "lease_until = NULL, updated_at = %s WHERE seq = %s",
            (status, status, error_code, error_message, now, row["seq"]),
        )
        if row["video_id"] is not None:
            conn.execute(
                "UPDATE videos SET status = %s, updated_at = %s WHERE id = %s",
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
            "WHERE (%s::text IS NULL OR index_id = %s) AND (%s::text IS NULL OR status = %s) "
            "AND (%s::text IS NULL OR video_id = %s)"
        )
        params = (index_id, index_id, status, status, video_id, video_id)
        with self._read() as conn:
            total = self._scalar(conn, f"SELECT COUNT(*) FROM tasks {where}", params)
            rows = conn.execute(
                f"SELECT * FROM tasks {where} ORDER BY {column} {direction}, seq {direction} "
                "LIMIT %s OFFSET %s",
                (*params, page_limit, offset),
            ).fetchall()
        return Page([_task(r) for r in rows], int(total), page, page_limit)
