"""What the SQL stores (:mod:`vidsense.store.sqlite`, :mod:`vidsense.store.postgres`) share.

:class:`SqlStore` holds the dialect-neutral half of the :class:`~vidsense.store.base.Store`
contract: argument checks, row mapping, pagination and sorting, the task state machine, video
and logo bookkeeping. Its SQL is written with ``?`` placeholders; a backend supplies the
connections and transactions (``_read``/``_write``), turns the placeholders into its own style
(``_sql``) and fills in the few class attributes where the dialects part ways (row locks, the
tie-break column, typed NULL parameters, how a stale task is found).
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import re
import shutil
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, TypeVar

import numpy as np
import numpy.typing as npt

from vidsense.errors import Conflict, InvalidArgument, NotFound
from vidsense.store.base import (
    JOB_ID_PREFIXES,
    JOB_KINDS,
    JOB_STATUSES,
    SEGMENT_KINDS,
    SPACES,
    TASK_STATUSES,
    FaceRecord,
    IndexRecord,
    IndexSort,
    JobKind,
    JobRecord,
    JobStatus,
    Keyframe,
    LogoRecord,
    Page,
    PersonRecord,
    Segment,
    SegmentKind,
    SkillRecord,
    SkillSort,
    SortOption,
    Space,
    Store,
    TaskRecord,
    TaskSort,
    TaskStatus,
    VectorBatch,
    VideoRecord,
    VideoSort,
    VideoStatus,
    format_time,
    new_id,
    utc_now,
    video_prefix,
)
from vidsense.store.blobs import BlobStore, check_key
from vidsense.store.vectors import Matrix, SpaceMatrix

log = logging.getLogger(__name__)

T = TypeVar("T")
Row = Any  # sqlite3.Row or a psycopg dict row: both are read by column name
Conn = Any  # sqlite3.Connection or psycopg.Connection

_IN_CHUNK = 500  # ids per "IN (...)" list, well under SQLite's variable limit
_WORD = re.compile(r"\w+", re.UNICODE)
_SHA256 = re.compile(r"[0-9a-f]{64}")
_ID = re.compile(r"[0-9a-f]{24}")

_INDEX_SELECT = """
    SELECT i.id, i.name, i.options, i.addons, i.models, i.created_at, i.updated_at,
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
_SKILL_SORT = {"created_at": "created_at", "updated_at": "updated_at", "name": "name"}
_SKILL_COLUMNS = (
    "id, name, version, description, schema, bundle_key, sha256, size, created_at, updated_at"
)
_SEGMENT_COLUMNS = "s.id, s.video_id, s.kind, s.start_time, s.end_time, s.text, s.data"
_KEYFRAME_COLUMNS = "id, video_id, shot_index, time, blob_key"
_FACE_COLUMNS = (
    "id, video_id, person_id, shot_index, time, start_time, end_time, box, score, embedding, chip"
)
_PERSON_COLUMNS = "id, index_id, name, face_count, video_count, centroid, created_at, updated_at"
MAX_PERSON_NAME = 200
"""Longest person name (characters)."""


@dataclass(frozen=True)
class _Queue:
    """A table of leased work (indexing tasks, jobs): one lease scheme for both. A row is
    claimable when its status is one of ``waiting``, or ``held`` with an expired lease."""

    table: str
    noun: str
    held: str
    waiting: tuple[str, ...]


_TASKS = _Queue("tasks", "task", "indexing", ("pending",))
_JOBS = _Queue("jobs", "job", "running", ("enqueued", "pending"))
EndRow = Callable[[Conn, Row, Any, str | None, str | None], None]
"""Ends a claimed row: ``(conn, row, status, error_code, error_message)``."""


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
        models=json.loads(row["models"]) if row["models"] else None,
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


def _skill(row: Row) -> SkillRecord:
    return SkillRecord(
        id=row["id"],
        name=row["name"],
        version=int(row["version"]),
        description=row["description"],
        schema=None if row["schema"] is None else json.loads(row["schema"]),
        bundle_key=row["bundle_key"],
        sha256=row["sha256"],
        size=int(row["size"]),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


def _job(row: Row) -> JobRecord:
    return JobRecord(
        id=row["id"],
        kind=row["kind"],
        status=row["status"],
        request=json.loads(row["request"]),
        result=None if row["result"] is None else json.loads(row["result"]),
        error_code=row["error_code"],
        error_message=row["error_message"],
        progress=row["progress"],
        attempts=row["attempts"],
        lease_owner=row["lease_owner"],
        lease_until=row["lease_until"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        completed_at=row["completed_at"],
    )


def _version(version: int | None) -> int | None:
    if version is None:
        return None
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise InvalidArgument(f"a skill version is a whole number from 1, got {version!r}")
    return version


def _moment(text: str | None, what: str) -> str | None:
    """An ISO-8601 time (``Z`` or an offset; naive means UTC) as the store writes times."""
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError as e:
        raise InvalidArgument(f"{what} must be an ISO-8601 time, got {text!r}") from e
    return format_time(moment if moment.tzinfo else moment.replace(tzinfo=UTC))


def _kind(kind: str) -> JobKind:
    if kind not in JOB_KINDS:
        raise InvalidArgument(f"a job kind is one of {', '.join(JOB_KINDS)}, got {kind!r}")
    return kind  # type: ignore[return-value]


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


def _face(row: Row) -> FaceRecord:
    box = json.loads(row["box"])
    return FaceRecord(
        video_id=row["video_id"],
        shot_index=row["shot_index"],
        time=row["time"],
        start=row["start_time"],
        end=row["end_time"],
        box=(float(box[0]), float(box[1]), float(box[2]), float(box[3])),
        score=row["score"],
        embedding=np.frombuffer(bytes(row["embedding"]), dtype="<f4").astype(np.float32),
        chip=bytes(row["chip"] or b""),
        person_id=row["person_id"],
        id=row["id"],
    )


def _person(row: Row) -> PersonRecord:
    return PersonRecord(
        id=row["id"],
        index_id=row["index_id"],
        name=row["name"],
        face_count=int(row["face_count"]),
        video_count=int(row["video_count"]),
        centroid=np.frombuffer(bytes(row["centroid"]), dtype="<f4").astype(np.float32),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


class SqlStore(Store):
    """The shared body of the SQL stores; see the module docstring for the hooks."""

    blobs: BlobStore
    max_attempts: int
    vector_dir: Path
    _matrices: dict[tuple[str, str], SpaceMatrix]
    _matrices_lock: Any

    #: appended to a row lookup that must lock the row until commit
    _FOR_UPDATE = ""
    #: appended to a queue read that must skip rows other transactions hold
    _SKIP_LOCKED = ""
    #: the column that breaks ties in an ORDER BY, so pages never overlap
    _ROW_ORDER = "rowid"
    #: a placeholder for a parameter compared with NULL (PostgreSQL needs its type)
    _NULLABLE = "?"
    #: what the driver raises when a unique constraint is violated (mapped to Conflict)
    _UNIQUE_VIOLATION: tuple[type[Exception], ...] = ()
    #: what the driver raises when an inserted evidence id is taken by another video
    _DUPLICATE_ID: tuple[type[Exception], ...] = ()

    # -- hooks -------------------------------------------------------------------------------

    def _write(self) -> AbstractContextManager[Conn]:
        raise NotImplementedError

    def _read(self) -> AbstractContextManager[Conn]:
        raise NotImplementedError

    def _sql(self, sql: str) -> str:
        """``sql`` (written with ``?`` placeholders) in the driver's placeholder style."""
        return sql

    def _insert_many(self, conn: Conn, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        """Insert ``rows`` with one statement (``sql`` written with ``?`` placeholders)."""
        conn.executemany(self._sql(sql), rows)

    def _check_segment_text(self, segment_id: str, text: str) -> None:
        """Refuse text the backend cannot store (PostgreSQL: NUL characters)."""

    def _insert_vectors(
        self,
        conn: Conn,
        index_id: str,
        video_id: str,
        space: str,
        owners: Sequence[str],
        matrix: Matrix,
    ) -> None:
        raise NotImplementedError

    def _execute(self, conn: Conn, sql: str, params: Sequence[Any] = ()) -> Any:
        return conn.execute(self._sql(sql), params)

    def _one(self, conn: Conn, sql: str, params: Sequence[Any] = ()) -> Row | None:
        return self._execute(conn, sql, params).fetchone()

    def _all(self, conn: Conn, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        rows: list[Row] = self._execute(conn, sql, params).fetchall()
        return rows

    def _scalar(self, conn: Conn, sql: str, params: Sequence[Any] = ()) -> Any:
        row = self._one(conn, sql, params)
        return None if row is None else row[0]

    def _column(self, conn: Conn, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        return [r[0] for r in self._all(conn, sql, params)]

    def _drop_index_extras(self, conn: Conn, index_id: str) -> None:
        """Inside the transaction that deletes index ``index_id``: drop what the backend keeps
        for it outside the tables (nothing by default)."""

    # -- lookups shared by several operations ------------------------------------------------

    def _require_index(self, conn: Conn, index_id: str, lock: bool = False) -> None:
        sql = "SELECT 1 FROM indexes WHERE id = ?" + (self._FOR_UPDATE if lock else "")
        if self._one(conn, sql, (index_id,)) is None:
            raise NotFound(f"no index with id {index_id!r}", code="index_not_found")

    def _video_row(self, conn: Conn, video_id: str, lock: bool = False) -> Row:
        sql = "SELECT * FROM videos WHERE id = ?" + (self._FOR_UPDATE if lock else "")
        row = self._one(conn, sql, (video_id,))
        if row is None:
            raise NotFound(f"no video with id {video_id!r}", code="video_not_found")
        return row

    def _queued_row(self, conn: Conn, queue: _Queue, key: str, lock: bool = False) -> Row:
        sql = f"SELECT * FROM {queue.table} WHERE id = ?" + (self._FOR_UPDATE if lock else "")
        row = self._one(conn, sql, (key,))
        if row is None:
            raise NotFound(f"no {queue.noun} with id {key!r}", code=f"{queue.noun}_not_found")
        return row

    def _task_row(self, conn: Conn, task_id: str, lock: bool = False) -> Row:
        return self._queued_row(conn, _TASKS, task_id, lock)

    def _in_status(
        self, conn: Conn, queue: _Queue, key: str, statuses: Sequence[str], doing: str
    ) -> Row:
        """The row, locked, if its status is one of ``statuses``; else ``Conflict``
        (``task_state`` / ``job_state``)."""
        row = self._queued_row(conn, queue, key, lock=True)
        if row["status"] not in statuses:
            raise Conflict(
                f"cannot {doing} {queue.noun} {key}: it is {row['status']}, not "
                f"{' or '.join(statuses)}",
                code=f"{queue.noun}_state",
            )
        return row

    def _held(self, conn: Conn, queue: _Queue, key: str, worker_id: str) -> Row:
        """The row, locked, if ``worker_id`` holds its lease; else ``Conflict``
        (``lease_lost``)."""
        row = self._queued_row(conn, queue, key, lock=True)
        if row["status"] != queue.held or row["lease_owner"] != worker_id:
            holder = (
                f"is {row['status']}"
                if row["status"] != queue.held
                else f"was claimed by {row['lease_owner']}"
            )
            raise Conflict(
                f"worker {worker_id} lost the lease on {queue.noun} {key}: the {queue.noun} "
                f"{holder}",
                code="lease_lost",
            )
        return row

    def _claim(
        self,
        conn: Conn,
        queue: _Queue,
        worker_id: str,
        lease_seconds: float,
        end: EndRow,
        only: str = "",
        params: Sequence[Any] = (),
    ) -> str | None:
        """Inside a write transaction: lease the oldest claimable row (``only``: more
        conditions, with ``params``) to ``worker_id``; its id, or None. A row claimed
        ``max_attempts`` times is ended ``failed`` (``too_many_attempts``) instead."""
        waiting = ", ".join(f"'{status}'" for status in queue.waiting)
        while True:
            now = utc_now()
            row = self._one(
                conn,
                f"SELECT * FROM {queue.table} WHERE (status IN ({waiting}) "
                f"OR (status = '{queue.held}' AND lease_until < ?)){only} "
                f"ORDER BY seq LIMIT 1{self._SKIP_LOCKED}",
                (now, *params),
            )
            if row is None:
                return None
            if row["attempts"] >= self.max_attempts:
                end(
                    conn,
                    row,
                    "failed",
                    "too_many_attempts",
                    f"the {queue.noun} was started {row['attempts']} times without finishing "
                    f"(max_attempts={self.max_attempts}); its worker may crash on it",
                )
                continue
            self._execute(
                conn,
                f"UPDATE {queue.table} SET status = '{queue.held}', attempts = attempts + 1, "
                "lease_owner = ?, lease_until = ?, updated_at = ? WHERE seq = ?",
                (worker_id, utc_now(lease_seconds), now, row["seq"]),
            )
            return str(row["id"])

    def _index_record(self, conn: Conn, index_id: str) -> IndexRecord:
        row = self._one(conn, _INDEX_SELECT + " WHERE i.id = ?", (index_id,))
        if row is None:
            raise NotFound(f"no index with id {index_id!r}", code="index_not_found")
        return _index(row)

    def _name_taken(self, conn: Conn, name: str, other_than: str = "") -> None:
        row = self._one(
            conn, "SELECT id FROM indexes WHERE name = ? AND id != ?", (name, other_than)
        )
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

    # -- indexes -----------------------------------------------------------------------------

    def create_index(
        self,
        name: str,
        options: Sequence[str] = (),
        addons: Sequence[str] = (),
        models: Sequence[Mapping[str, Any]] | None = None,
    ) -> IndexRecord:
        name = _name(name)
        index_id, now = new_id(), utc_now()
        opts, adds = _json(list(options), "options"), _json(list(addons), "addons")
        named = _json([dict(m) for m in models], "models") if models is not None else None
        try:
            with self._write() as conn:
                self._name_taken(conn, name)
                self._execute(
                    conn,
                    "INSERT INTO indexes (id, name, options, addons, models, created_at, "
                    "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (index_id, name, opts, adds, named, now, now),
                )
                return self._index_record(conn, index_id)
        except self._UNIQUE_VIOLATION as e:  # (PostgreSQL) a concurrent create took the name
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
        name: str | None = None,
    ) -> Page[IndexRecord]:
        offset = _paging(page, page_limit)
        column, direction = _order(_INDEX_SORT, sort_by, sort_option)
        where = f"WHERE ({self._NULLABLE} IS NULL OR i.name = ?)"
        with self._read() as conn:
            total = self._scalar(conn, f"SELECT COUNT(*) FROM indexes i {where}", (name, name))
            rows = self._execute(
                conn,
                f"{_INDEX_SELECT} {where} "
                f"ORDER BY {column} {direction}, i.{self._ROW_ORDER} {direction} LIMIT ? OFFSET ?",
                (name, name, page_limit, offset),
            ).fetchall()
        return Page([_index(r) for r in rows], int(total), page, page_limit)

    def update_index(self, index_id: str, *, name: str) -> IndexRecord:
        name = _name(name)
        try:
            with self._write() as conn:
                self._require_index(conn, index_id, lock=True)
                self._name_taken(conn, name, other_than=index_id)
                self._execute(
                    conn,
                    "UPDATE indexes SET name = ?, updated_at = ? WHERE id = ?",
                    (name, utc_now(), index_id),
                )
                return self._index_record(conn, index_id)
        except self._UNIQUE_VIOLATION as e:
            raise Conflict(f"an index named {name!r} already exists") from e

    def delete_index(self, index_id: str) -> None:
        with self._write() as conn:
            self._require_index(conn, index_id, lock=True)
            keys = self._column(
                conn, "SELECT blob_key FROM keyframes WHERE index_id = ?", (index_id,)
            )
            self._execute(conn, "DELETE FROM indexes WHERE id = ?", (index_id,))  # cascades
            self._drop_index_extras(conn, index_id)
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
        video_id: str | None = None,
    ) -> VideoRecord:
        if video_id is not None and not _ID.fullmatch(video_id):
            raise InvalidArgument("a video id is 24 hexadecimal characters")
        sha256 = str(sha256).lower()
        if not _SHA256.fullmatch(sha256):
            raise InvalidArgument("sha256 must be 64 hexadecimal characters")
        if status not in TASK_STATUSES:
            raise InvalidArgument(f"status must be one of {', '.join(TASK_STATUSES)}")
        if min(width, height, size) < 0 or not math.isfinite(fps) or fps < 0:
            raise InvalidArgument("fps, width, height and size must not be negative")
        meta = _json(dict(metadata or {}), "metadata")
        duration = _seconds(duration, "duration")
        video_id, now = video_id or new_id(), utc_now()
        with self._write() as conn:
            self._require_index(conn, index_id)
            if self._one(conn, "SELECT id FROM videos WHERE id = ?", (video_id,)) is not None:
                raise Conflict(f"a video with id {video_id} exists already")
            self._execute(
                conn,
                "INSERT INTO videos (id, index_id, filename, sha256, status, duration, fps, "
                "width, height, size, metadata, created_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
        filename: str | None = None,
    ) -> Page[VideoRecord]:
        offset = _paging(page, page_limit)
        column, direction = _order(_VIDEO_SORT, sort_by, sort_option)
        where = f"WHERE index_id = ? AND ({self._NULLABLE} IS NULL OR filename = ?)"
        params = (index_id, filename, filename)
        with self._read() as conn:
            self._require_index(conn, index_id)
            total = self._scalar(conn, f"SELECT COUNT(*) FROM videos {where}", params)
            rows = self._execute(
                conn,
                f"SELECT * FROM videos {where} "
                f"ORDER BY {column} {direction}, {self._ROW_ORDER} {direction} LIMIT ? OFFSET ?",
                (*params, page_limit, offset),
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
            self._execute(
                conn,
                "UPDATE videos SET filename = COALESCE(?, filename), "
                "metadata = COALESCE(?, metadata), updated_at = ? WHERE id = ?",
                (filename, meta, utc_now(), video_id),
            )
            return _video(self._video_row(conn, video_id))

    def set_video_status(self, video_id: str, status: VideoStatus) -> VideoRecord:
        if status not in TASK_STATUSES:
            raise InvalidArgument(f"status must be one of {', '.join(TASK_STATUSES)}")
        with self._write() as conn:
            self._video_row(conn, video_id, lock=True)
            self._execute(
                conn,
                "UPDATE videos SET status = ?, updated_at = ? WHERE id = ?",
                (status, utc_now(), video_id),
            )
            return _video(self._video_row(conn, video_id))

    def delete_video(self, video_id: str) -> None:
        with self._write() as conn:
            index_id = self._video_row(conn, video_id, lock=True)["index_id"]
            keys = self._column(
                conn, "SELECT blob_key FROM keyframes WHERE video_id = ?", (video_id,)
            )
            people = self._video_people(conn, video_id)
            self._execute(conn, "DELETE FROM videos WHERE id = ?", (video_id,))  # and its faces
            self._refresh_people(conn, people)
        self._delete_blobs(video_prefix(index_id, video_id), keys)

    def find_video_by_hash(self, index_id: str, sha256: str) -> VideoRecord | None:
        with self._read() as conn:
            self._require_index(conn, index_id)
            row = self._one(
                conn,
                "SELECT * FROM videos WHERE index_id = ? AND sha256 = ? "
                f"ORDER BY created_at, {self._ROW_ORDER} LIMIT 1",
                (index_id, str(sha256).lower()),
            )
        return None if row is None else _video(row)

    # -- evidence ----------------------------------------------------------------------------

    def segments(self, video_id: str, kind: SegmentKind | None = None) -> list[Segment]:
        if kind is not None and kind not in SEGMENT_KINDS:
            raise InvalidArgument(f"kind must be one of {', '.join(SEGMENT_KINDS)}")
        with self._read() as conn:
            self._video_row(conn, video_id)
            rows = self._execute(
                conn,
                f"SELECT {_SEGMENT_COLUMNS} FROM segments s WHERE s.video_id = ? "
                f"AND ({self._NULLABLE} IS NULL OR s.kind = ?) "
                "ORDER BY s.start_time, s.end_time, s.seq",
                (video_id, kind, kind),
            ).fetchall()
        return [_segment(r) for r in rows]

    def keyframes(self, video_id: str) -> list[Keyframe]:
        with self._read() as conn:
            self._video_row(conn, video_id)
            rows = self._execute(
                conn,
                f"SELECT {_KEYFRAME_COLUMNS} FROM keyframes WHERE video_id = ? "
                "ORDER BY time, shot_index, seq",
                (video_id,),
            ).fetchall()
        return [_keyframe(r) for r in rows]

    def replace_evidence(
        self,
        video_id: str,
        segments: Sequence[Segment],
        keyframes: Sequence[Keyframe] = (),
        vectors: Sequence[VectorBatch] = (),
        faces: Sequence[FaceRecord] = (),
    ) -> None:
        # Everything that can be checked without the database is checked before it is touched.
        segment_rows = [self._segment_params(video_id, s) for s in segments]
        keyframe_rows = [self._keyframe_params(video_id, k) for k in keyframes]
        face_rows = [self._face_params(video_id, f) for f in faces]
        for row in segment_rows:
            self._check_segment_text(row[0], row[4])
        owners = [s.id for s in segments] + [k.id for k in keyframes]
        if len(set(owners)) != len(owners):
            raise InvalidArgument("segment and keyframe ids must be unique")
        batches = self._check_batches(vectors, set(owners))
        new_keys = {k.blob_key for k in keyframes}
        with self._write() as conn:
            index_id = self._video_row(conn, video_id, lock=True)["index_id"]
            old_keys = self._column(
                conn, "SELECT blob_key FROM keyframes WHERE video_id = ?", (video_id,)
            )
            for table in ("vectors", "segments", "keyframes", "writings"):
                self._execute(conn, f"DELETE FROM {table} WHERE video_id = ?", (video_id,))
            try:
                self._insert_many(
                    conn,
                    "INSERT INTO segments (id, video_id, index_id, kind, start_time, end_time, "
                    "text, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [(r[0], video_id, index_id, *r[1:]) for r in segment_rows],
                )
                self._insert_many(
                    conn,
                    "INSERT INTO keyframes (id, video_id, index_id, shot_index, time, blob_key) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    [(r[0], video_id, index_id, *r[1:]) for r in keyframe_rows],
                )
            except self._DUPLICATE_ID as e:
                raise InvalidArgument(
                    f"a segment or keyframe id is already used by another video: {e}"
                ) from e
            for space, batch_owners, matrix in batches:
                self._insert_vectors(conn, index_id, video_id, space, batch_owners, matrix)
            touched = self._video_people(conn, video_id)
            self._execute(conn, "DELETE FROM faces WHERE video_id = ?", (video_id,))
            if face_rows:
                self._check_face_dim(conn, index_id, faces)
                wanted = {str(f.person_id) for f in faces if f.person_id is not None}
                self._create_people(conn, index_id, wanted)
                try:
                    self._insert_many(
                        conn,
                        "INSERT INTO faces (index_id, video_id, id, person_id, shot_index, time, "
                        "start_time, end_time, box, score, embedding, chip) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        [(index_id, video_id, *row) for row in face_rows],
                    )
                except self._DUPLICATE_ID as e:
                    raise InvalidArgument(f"a face id is already used by another video: {e}") from e
                touched |= wanted
            self._refresh_people(conn, touched)
        stale = [k for k in old_keys if k not in new_keys]
        if stale:
            self._delete_blobs(None, stale)

    def video_vectors(self, video_id: str, space: Space) -> tuple[list[str], Matrix]:
        with self._read() as conn:
            self._video_row(conn, video_id)
            rows = self._execute(
                conn,
                "SELECT owner_id, vector FROM vectors WHERE video_id = ? AND space = ? ORDER BY id",
                (video_id, space),
            ).fetchall()
        owners = [str(r["owner_id"]) for r in rows]
        if not rows:
            return owners, np.zeros((0, 0), dtype=np.float32)
        matrix = np.stack([np.frombuffer(bytes(r["vector"]), dtype=np.float32) for r in rows])
        return owners, matrix

    def cached_writing(self, video_id: str, key: str) -> dict[str, Any] | None:
        with self._read() as conn:
            row = self._one(
                conn, "SELECT body FROM writings WHERE video_id = ? AND key = ?", (video_id, key)
            )
        if row is None:
            return None
        body: dict[str, Any] = json.loads(row["body"])
        return body

    def keep_writing(self, video_id: str, key: str, body: Mapping[str, Any]) -> None:
        text = _json(dict(body), "writing")
        with self._write() as conn:
            self._video_row(conn, video_id, lock=True)
            self._execute(
                conn, "DELETE FROM writings WHERE video_id = ? AND key = ?", (video_id, key)
            )
            self._execute(
                conn,
                "INSERT INTO writings (video_id, key, body, created_at) VALUES (?, ?, ?, ?)",
                (video_id, key, text, utc_now()),
            )

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
    def _face_params(video_id: str, f: FaceRecord) -> tuple[Any, ...]:
        if f.video_id != video_id:
            raise InvalidArgument(f"face {f.id} belongs to video {f.video_id}, not {video_id}")
        if int(f.shot_index) < 0:
            raise InvalidArgument(f"face {f.id} shot_index must be >= 0")
        at = _seconds(f.time, "face time")
        start, end = _seconds(f.start, "face start"), _seconds(f.end, "face end")
        if not start <= end:
            raise InvalidArgument(f"face {f.id} ends ({end}) before it starts ({start})")
        box = [float(v) for v in f.box]
        if len(box) != 4 or not all(0.0 <= v <= 1.0 for v in box):
            raise InvalidArgument(f"face {f.id} box must be 4 fractions of the picture (0-1)")
        vector = np.asarray(f.embedding, dtype="<f4")
        if vector.ndim != 1 or not len(vector) or not np.isfinite(vector).all():
            raise InvalidArgument(f"face {f.id} embedding must be a finite 1-D vector")
        if f.person_id is not None and not _ID.fullmatch(str(f.person_id)):
            raise InvalidArgument(f"face {f.id} person_id must be 24 hexadecimal characters")
        return (
            f.id,
            f.person_id,
            int(f.shot_index),
            at,
            start,
            end,
            _json(box, "face box"),
            float(f.score),
            vector.tobytes(),
            bytes(f.chip),
        )

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

    def _matrix(self, index_id: str, space: str, dim: int) -> SpaceMatrix:
        with self._matrices_lock:
            matrix = self._matrices.get((index_id, space))
            if matrix is None or matrix.dim != dim:
                if matrix is not None:
                    matrix.drop_files()
                matrix = SpaceMatrix(self.vector_dir / index_id / space, dim)
                self._matrices[(index_id, space)] = matrix
            return matrix

    # -- faces and people --------------------------------------------------------------------

    def _video_people(self, conn: Conn, video_id: str) -> set[str]:
        return {
            str(p)
            for p in self._column(
                conn,
                "SELECT DISTINCT person_id FROM faces WHERE video_id = ? AND person_id IS NOT NULL",
                (video_id,),
            )
        }

    def _check_face_dim(self, conn: Conn, index_id: str, faces: Sequence[FaceRecord]) -> None:
        dims = {len(np.asarray(f.embedding).reshape(-1)) for f in faces}
        row = self._one(conn, "SELECT embedding FROM faces WHERE index_id = ? LIMIT 1", (index_id,))
        if row is not None:
            dims.add(len(bytes(row["embedding"])) // 4)
        if len(dims) > 1:
            raise InvalidArgument(
                f"face embeddings of one index must have one dimension, got {sorted(dims)}"
            )

    def _create_people(self, conn: Conn, index_id: str, person_ids: set[str]) -> None:
        """Create the people among ``person_ids`` that do not exist yet (counts come later)."""
        now = utc_now()
        for person_id in sorted(person_ids):
            row = self._one(conn, "SELECT index_id FROM people WHERE id = ?", (person_id,))
            if row is None:
                self._execute(
                    conn,
                    "INSERT INTO people (id, index_id, centroid, created_at, updated_at) "
                    "VALUES (?, ?, ?, ?, ?)",
                    (person_id, index_id, b"", now, now),
                )
            elif row["index_id"] != index_id:
                raise InvalidArgument(f"person {person_id} belongs to another index")

    def _refresh_people(self, conn: Conn, person_ids: Iterable[str]) -> None:
        """Recompute the centroid, counts and thumbnail of people from their faces; delete
        the people left without faces."""
        now = utc_now()
        for person_id in sorted(set(person_ids)):
            rows = self._all(
                conn,
                "SELECT video_id, score, embedding, chip FROM faces WHERE person_id = ? "
                "ORDER BY score DESC, seq",
                (person_id,),
            )
            if not rows:
                self._execute(conn, "DELETE FROM people WHERE id = ?", (person_id,))
                continue
            vectors = np.stack([np.frombuffer(bytes(r["embedding"]), dtype="<f4") for r in rows])
            centroid = vectors.mean(axis=0).astype("<f4")
            self._execute(
                conn,
                "UPDATE people SET centroid = ?, face_count = ?, video_count = ?, thumbnail = ?, "
                "updated_at = ? WHERE id = ?",
                (
                    centroid.tobytes(),
                    len(rows),
                    len({r["video_id"] for r in rows}),
                    bytes(rows[0]["chip"] or b""),
                    now,
                    person_id,
                ),
            )

    def _person_row(self, conn: Conn, index_id: str, person_id: str, lock: bool = False) -> Row:
        sql = f"SELECT {_PERSON_COLUMNS} FROM people WHERE id = ? AND index_id = ?"
        row = self._one(conn, sql + (self._FOR_UPDATE if lock else ""), (person_id, index_id))
        if row is None:
            raise NotFound(
                f"no person with id {person_id!r} in index {index_id!r}", code="person_not_found"
            )
        return row

    def faces(
        self, index_id: str, *, video_id: str | None = None, person_id: str | None = None
    ) -> list[FaceRecord]:
        n = self._NULLABLE
        with self._read() as conn:
            self._require_index(conn, index_id)
            columns = ", ".join(f"f.{c}" for c in _FACE_COLUMNS.split(", "))
            rows = self._all(
                conn,
                f"SELECT {columns} FROM faces f JOIN videos v ON v.id = f.video_id "
                f"WHERE f.index_id = ? AND ({n} IS NULL OR f.video_id = ?) "
                f"AND ({n} IS NULL OR f.person_id = ?) "
                "ORDER BY v.created_at, v.id, f.time, f.seq",
                (index_id, video_id, video_id, person_id, person_id),
            )
        return [_face(r) for r in rows]

    def people(self, index_id: str) -> list[PersonRecord]:
        with self._read() as conn:
            self._require_index(conn, index_id)
            rows = self._all(
                conn,
                f"SELECT {_PERSON_COLUMNS} FROM people WHERE index_id = ? "
                "ORDER BY face_count DESC, seq",
                (index_id,),
            )
        return [_person(r) for r in rows]

    def get_person(self, index_id: str, person_id: str) -> PersonRecord:
        with self._read() as conn:
            return _person(self._person_row(conn, index_id, person_id))

    def person_thumbnail(self, index_id: str, person_id: str) -> bytes:
        with self._read() as conn:
            self._person_row(conn, index_id, person_id)
            data = self._scalar(conn, "SELECT thumbnail FROM people WHERE id = ?", (person_id,))
        return bytes(data or b"")

    def rename_person(self, index_id: str, person_id: str, name: str | None) -> PersonRecord:
        if name is not None:
            if not isinstance(name, str) or not name.strip():
                raise InvalidArgument("a person's name must be a non-empty string (or null)")
            name = " ".join(name.split())
            if len(name) > MAX_PERSON_NAME or "\x00" in name:
                raise InvalidArgument(
                    f"a person's name is at most {MAX_PERSON_NAME} characters, without NUL"
                )
        with self._write() as conn:
            self._person_row(conn, index_id, person_id, lock=True)
            self._execute(
                conn,
                "UPDATE people SET name = ?, updated_at = ? WHERE id = ?",
                (name, utc_now(), person_id),
            )
            return _person(self._person_row(conn, index_id, person_id))

    def delete_person(self, index_id: str, person_id: str) -> None:
        with self._write() as conn:
            self._person_row(conn, index_id, person_id, lock=True)
            self._execute(conn, "DELETE FROM faces WHERE person_id = ?", (person_id,))
            self._execute(conn, "DELETE FROM people WHERE id = ?", (person_id,))

    def assign_people(self, index_id: str, assignment: Mapping[str, str]) -> None:
        moves = {str(f): str(p) for f, p in assignment.items()}
        bad = [p for p in moves.values() if not _ID.fullmatch(p)]
        if bad:
            raise InvalidArgument(f"person ids must be 24 hexadecimal characters, got {bad[0]!r}")
        with self._write() as conn:
            self._require_index(conn, index_id, lock=True)
            before: dict[str, str | None] = {}
            for part in _chunks(list(moves)):
                for row in self._all(
                    conn,
                    f"SELECT id, person_id FROM faces WHERE index_id = ? AND id IN "
                    f"({_marks(len(part))})",
                    (index_id, *part),
                ):
                    before[row["id"]] = row["person_id"]
            unknown = [f for f in moves if f not in before]
            if unknown:
                raise InvalidArgument(
                    f"{len(unknown)} faces are not in index {index_id}, e.g. {unknown[0]}"
                )
            self._create_people(conn, index_id, set(moves.values()))
            changed = {f: p for f, p in moves.items() if before[f] != p}
            for face_id, person_id in changed.items():
                self._execute(
                    conn, "UPDATE faces SET person_id = ? WHERE id = ?", (person_id, face_id)
                )
            touched = set(moves.values()) | {str(p) for p in before.values() if p is not None}
            self._refresh_people(conn, touched)

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
                self._execute(
                    conn,
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
            rows = self._execute(
                conn,
                "SELECT id, index_id, name, blob_key, created_at FROM logos "
                "WHERE index_id = ? ORDER BY seq",
                (index_id,),
            ).fetchall()
        return [
            LogoRecord(r["id"], r["index_id"], r["name"], r["blob_key"], r["created_at"])
            for r in rows
        ]

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
            self._execute(
                conn,
                "INSERT INTO tasks (id, index_id, video_id, status, source, created_at, "
                "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (task_id, index_id, video_id, status, src, now, now),
            )
            return _task(self._task_row(conn, task_id))

    def mark_task_validated(self, task_id: str) -> TaskRecord:
        with self._write() as conn:
            row = self._in_status(conn, _TASKS, task_id, ("validating",), "mark as validated")
            self._execute(
                conn,
                "UPDATE tasks SET status = 'pending', updated_at = ? WHERE seq = ?",
                (utc_now(), row["seq"]),
            )
            return _task(self._task_row(conn, task_id))

    def fail_task(self, task_id: str, code: str, message: str) -> TaskRecord:
        if not code:
            raise InvalidArgument("a failed task needs an error code")
        with self._write() as conn:
            row = self._in_status(conn, _TASKS, task_id, ("validating", "pending"), "fail")
            self._end_task(conn, row, "failed", code, message)
            return _task(self._task_row(conn, task_id))

    def claim_task(self, worker_id: str, lease_seconds: float = 60.0) -> TaskRecord | None:
        if not worker_id:
            raise InvalidArgument("worker_id must not be empty")
        lease_seconds = _seconds(lease_seconds, "lease_seconds")
        with self._write() as conn:
            # Whoever was validating these died before deciding: queue them (see the docstring).
            # With SKIP LOCKED (PostgreSQL) a task being decided right now is left to its
            # validator.
            stale = self._execute(
                conn,
                "UPDATE tasks SET status = 'pending', updated_at = ? WHERE seq IN ("
                "SELECT seq FROM tasks WHERE status = 'validating' AND updated_at < ? "
                f"{self._SKIP_LOCKED})",
                (utc_now(), utc_now(-lease_seconds)),
            ).rowcount
            if stale:
                log.warning(
                    "%d tasks stayed validating over %g s; queued them", stale, lease_seconds
                )
            claimed = self._claim(conn, _TASKS, worker_id, lease_seconds, self._end_task)
            return None if claimed is None else _task(self._task_row(conn, claimed))

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
            self._held(conn, _TASKS, task_id, worker_id)
            if video_id is not None:
                self._video_row(conn, video_id)
            self._execute(
                conn,
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
            row = self._held(conn, _TASKS, task_id, worker_id)
            self._end_task(conn, row, status, error_code, error_message)
            return _task(self._task_row(conn, task_id))

    def _end_task(
        self,
        conn: Conn,
        row: Row,
        status: Literal["ready", "failed"],
        error_code: str | None,
        error_message: str | None,
    ) -> None:
        now = utc_now()
        self._execute(
            conn,
            "UPDATE tasks SET status = ?, progress = CASE WHEN ? = 'ready' THEN 100 "
            "ELSE progress END, error_code = ?, error_message = ?, lease_owner = NULL, "
            "lease_until = NULL, updated_at = ? WHERE seq = ?",
            (status, status, error_code, error_message, now, row["seq"]),
        )
        if row["video_id"] is not None:
            self._execute(
                conn,
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
        status: TaskStatus | Sequence[TaskStatus] | None = None,
        video_id: str | None = None,
        page: int = 1,
        page_limit: int = 10,
        sort_by: TaskSort = "created_at",
        sort_option: SortOption = "desc",
    ) -> Page[TaskRecord]:
        offset = _paging(page, page_limit)
        column, direction = _order(_TASK_SORT, sort_by, sort_option)
        statuses = [status] if isinstance(status, str) else list(status or [])
        if any(s not in TASK_STATUSES for s in statuses):
            raise InvalidArgument(f"status must be one of {', '.join(TASK_STATUSES)}")
        n = self._NULLABLE
        where = f"WHERE ({n} IS NULL OR index_id = ?) AND ({n} IS NULL OR video_id = ?)"
        params: tuple[Any, ...] = (index_id, index_id, video_id, video_id)
        if statuses:
            where += f" AND status IN ({', '.join('?' for _ in statuses)})"
            params += tuple(statuses)
        with self._read() as conn:
            total = self._scalar(conn, f"SELECT COUNT(*) FROM tasks {where}", params)
            rows = self._execute(
                conn,
                f"SELECT * FROM tasks {where} ORDER BY {column} {direction}, seq {direction} "
                "LIMIT ? OFFSET ?",
                (*params, page_limit, offset),
            ).fetchall()
        return Page([_task(r) for r in rows], int(total), page, page_limit)

    # -- skills ------------------------------------------------------------------------------

    def _skill_row(self, conn: Conn, skill_id: str, version: int | None = None) -> Row:
        sql = f"SELECT {_SKILL_COLUMNS} FROM skills WHERE id = ?"
        params: tuple[Any, ...] = (skill_id,)
        if version is not None:
            sql += " AND version = ?"
            params += (version,)
        row = self._one(conn, sql + " ORDER BY version DESC LIMIT 1", params)
        if row is None:
            raise NotFound(_no_skill("id", skill_id, version), code="skill_not_found")
        return row

    def create_skill(
        self, name: str, description: str, schema: Mapping[str, Any] | None, bundle: bytes
    ) -> SkillRecord:
        if not isinstance(name, str) or not name.strip():
            raise InvalidArgument("a skill needs a name", param="name")
        if not bundle:
            raise InvalidArgument("a skill's bundle must not be empty")
        name = name.strip()
        shape = None if schema is None else _json(dict(schema), "the skill's schema")
        skill_id, now = f"skill_{new_id()}", utc_now()
        key = f"skills/{skill_id}/{new_id()}.zip"
        digest = hashlib.sha256(bundle).hexdigest()
        self.blobs.put_bytes(key, bundle)
        try:
            with self._write() as conn:
                row = self._one(conn, "SELECT id FROM skills WHERE name = ? LIMIT 1", (name,))
                if row is not None:
                    raise Conflict(
                        f"a skill named {name!r} already exists (id {row['id']}); update it to "
                        "add a version",
                        code="skill_exists",
                    )
                self._execute(
                    conn,
                    "INSERT INTO skills (id, name, version, description, schema, bundle_key, "
                    "sha256, size, created_at, updated_at) VALUES (?, ?, 1, ?, ?, ?, ?, ?, ?, ?)",
                    (skill_id, name, description, shape, key, digest, len(bundle), now, now),
                )
                return _skill(self._skill_row(conn, skill_id, 1))
        except self._UNIQUE_VIOLATION as e:  # (PostgreSQL) a concurrent create took the name
            self.blobs.delete(key)
            raise Conflict(f"a skill named {name!r} already exists", code="skill_exists") from e
        except BaseException:
            self.blobs.delete(key)
            raise

    def add_skill_version(
        self, skill_id: str, description: str, schema: Mapping[str, Any] | None, bundle: bytes
    ) -> SkillRecord:
        if not bundle:
            raise InvalidArgument("a skill's bundle must not be empty")
        shape = None if schema is None else _json(dict(schema), "the skill's schema")
        with self._read() as conn:
            self._skill_row(conn, skill_id)
        key = f"skills/{skill_id}/{new_id()}.zip"
        digest = hashlib.sha256(bundle).hexdigest()
        self.blobs.put_bytes(key, bundle)
        try:
            with self._write() as conn:
                # Every update locks the skill's first version (it never changes), then reads
                # the newest number: an update that held the lock before has committed its own.
                first = self._one(
                    conn,
                    "SELECT name, created_at FROM skills WHERE id = ? ORDER BY version "
                    f"LIMIT 1{self._FOR_UPDATE}",
                    (skill_id,),
                )
                if first is None:
                    raise NotFound(_no_skill("id", skill_id), code="skill_not_found")
                version = int(
                    self._scalar(conn, "SELECT MAX(version) FROM skills WHERE id = ?", (skill_id,))
                )
                self._execute(
                    conn,
                    "INSERT INTO skills (id, name, version, description, schema, bundle_key, "
                    "sha256, size, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        skill_id,
                        first["name"],
                        version + 1,
                        description,
                        shape,
                        key,
                        digest,
                        len(bundle),
                        first["created_at"],
                        utc_now(),
                    ),
                )
                return _skill(self._skill_row(conn, skill_id, version + 1))
        except self._UNIQUE_VIOLATION as e:
            self.blobs.delete(key)
            raise Conflict(
                f"skill {skill_id} was updated by someone else at the same time; try again",
                code="skill_exists",
            ) from e
        except BaseException:
            self.blobs.delete(key)
            raise

    def get_skill(self, skill_id: str, version: int | None = None) -> SkillRecord:
        version = _version(version)
        with self._read() as conn:
            return _skill(self._skill_row(conn, skill_id, version))

    def find_skill(self, name: str, version: int | None = None) -> SkillRecord:
        version = _version(version)
        sql = f"SELECT {_SKILL_COLUMNS} FROM skills WHERE name = ?"
        params: tuple[Any, ...] = (name,)
        if version is not None:
            sql += " AND version = ?"
            params += (version,)
        with self._read() as conn:
            row = self._one(conn, sql + " ORDER BY version DESC LIMIT 1", params)
        if row is None:
            raise NotFound(_no_skill("name", name, version), code="skill_not_found")
        return _skill(row)

    def list_skills(
        self,
        *,
        limit: int = 25,
        offset: int = 0,
        order_by: SkillSort = "created_at",
        descending: bool = True,
        latest_only: bool = False,
    ) -> list[SkillRecord]:
        limit, offset = _window(limit, offset)
        column, direction = _order(_SKILL_SORT, order_by, "desc" if descending else "asc")
        where = (
            "WHERE version = (SELECT MAX(s2.version) FROM skills s2 WHERE s2.id = skills.id)"
            if latest_only
            else ""
        )
        with self._read() as conn:
            rows = self._all(
                conn,
                f"SELECT {_SKILL_COLUMNS} FROM skills {where} "
                f"ORDER BY {column} {direction}, seq {direction} LIMIT ? OFFSET ?",
                (limit, offset),
            )
        return [_skill(r) for r in rows]

    # -- jobs --------------------------------------------------------------------------------

    def _job_row(self, conn: Conn, job_id: str, lock: bool = False) -> Row:
        return self._queued_row(conn, _JOBS, job_id, lock)

    def submit_job(
        self,
        kind: JobKind,
        request: Mapping[str, Any],
        *,
        status: Literal["enqueued", "paused"] = "enqueued",
    ) -> JobRecord:
        kind = _kind(kind)
        if status not in ("enqueued", "paused"):
            raise InvalidArgument(f"a new job is enqueued or paused, not {status!r}")
        job_id, now = f"{JOB_ID_PREFIXES[kind]}_{new_id()}", utc_now()
        body = _json(dict(request), "the job's request")
        with self._write() as conn:
            self._execute(
                conn,
                "INSERT INTO jobs (id, kind, status, request, created_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (job_id, kind, status, body, now, now),
            )
            return _job(self._job_row(conn, job_id))

    def claim_job(
        self,
        worker_id: str,
        lease_seconds: float = 60.0,
        *,
        kinds: Sequence[JobKind] | None = None,
    ) -> JobRecord | None:
        if not worker_id:
            raise InvalidArgument("worker_id must not be empty")
        lease_seconds = _seconds(lease_seconds, "lease_seconds")
        wanted = None if kinds is None else [_kind(k) for k in kinds]
        if wanted == []:
            return None
        only = "" if wanted is None else f" AND kind IN ({_marks(len(wanted))})"
        with self._write() as conn:
            claimed = self._claim(
                conn, _JOBS, worker_id, lease_seconds, self._end_job, only, wanted or ()
            )
            return None if claimed is None else _job(self._job_row(conn, claimed))

    def heartbeat_job(
        self, job_id: str, worker_id: str, progress: float, *, lease_seconds: float = 60.0
    ) -> JobRecord:
        progress = float(progress)
        if not 0 <= progress <= 100:
            raise InvalidArgument(f"progress is a percentage (0-100), got {progress}")
        lease_seconds = _seconds(lease_seconds, "lease_seconds")
        with self._write() as conn:
            row = self._held(conn, _JOBS, job_id, worker_id)
            self._execute(
                conn,
                "UPDATE jobs SET progress = ?, lease_until = ?, updated_at = ? WHERE seq = ?",
                (progress, utc_now(lease_seconds), utc_now(), row["seq"]),
            )
            return _job(self._job_row(conn, job_id))

    def release_job(self, job_id: str, worker_id: str) -> JobRecord:
        with self._write() as conn:
            row = self._held(conn, _JOBS, job_id, worker_id)
            self._execute(
                conn,
                "UPDATE jobs SET status = 'pending', lease_owner = NULL, lease_until = NULL, "
                "updated_at = ? WHERE seq = ?",
                (utc_now(), row["seq"]),
            )
            return _job(self._job_row(conn, job_id))

    def finish_job(
        self,
        job_id: str,
        worker_id: str,
        status: Literal["completed", "failed"],
        *,
        result: Mapping[str, Any] | None = None,
        error_code: str | None = None,
        error_message: str | None = None,
    ) -> JobRecord:
        if status not in ("completed", "failed"):
            raise InvalidArgument(f"a job finishes completed or failed, not {status!r}")
        if status == "failed" and not error_code:
            raise InvalidArgument("a failed job needs an error_code")
        body = None if result is None else _json(dict(result), "the job's result")
        with self._write() as conn:
            row = self._held(conn, _JOBS, job_id, worker_id)
            self._end_job(conn, row, status, error_code, error_message, body)
            return _job(self._job_row(conn, job_id))

    def fail_job(self, job_id: str, code: str, message: str) -> JobRecord:
        if not code:
            raise InvalidArgument("a failed job needs an error code")
        with self._write() as conn:
            row = self._in_status(conn, _JOBS, job_id, ("enqueued", "pending", "paused"), "fail")
            self._end_job(conn, row, "failed", code, message)
            return _job(self._job_row(conn, job_id))

    def cancel_job(self, job_id: str, message: str) -> JobRecord:
        with self._write() as conn:
            row = self._in_status(
                conn, _JOBS, job_id, ("enqueued", "pending", "paused", "running"), "cancel"
            )
            self._end_job(conn, row, "failed", "cancelled", message)
            return _job(self._job_row(conn, job_id))

    def delete_job(self, job_id: str) -> JobRecord:
        with self._write() as conn:
            row = self._job_row(conn, job_id, lock=True)
            self._execute(conn, "DELETE FROM jobs WHERE seq = ?", (row["seq"],))
            return _job(row)

    def _end_job(
        self,
        conn: Conn,
        row: Row,
        status: Literal["completed", "failed"],
        error_code: str | None,
        error_message: str | None,
        result: str | None = None,
    ) -> None:
        now = utc_now()
        self._execute(
            conn,
            "UPDATE jobs SET status = ?, result = ?, progress = CASE WHEN ? = 'completed' "
            "THEN 100 ELSE progress END, error_code = ?, error_message = ?, lease_owner = NULL, "
            "lease_until = NULL, updated_at = ?, completed_at = ? WHERE seq = ?",
            (status, result, status, error_code, error_message, now, now, row["seq"]),
        )

    def pause_job(self, job_id: str) -> JobRecord:
        return self._move_job(job_id, ("enqueued", "pending"), "paused", "pause")

    def resume_job(self, job_id: str) -> JobRecord:
        return self._move_job(job_id, ("paused",), "enqueued", "resume")

    def _move_job(
        self, job_id: str, statuses: Sequence[str], to: JobStatus, doing: str
    ) -> JobRecord:
        with self._write() as conn:
            row = self._in_status(conn, _JOBS, job_id, statuses, doing)
            self._execute(
                conn,
                "UPDATE jobs SET status = ?, updated_at = ? WHERE seq = ?",
                (to, utc_now(), row["seq"]),
            )
            return _job(self._job_row(conn, job_id))

    def get_job(self, job_id: str, kind: JobKind | None = None) -> JobRecord:
        with self._read() as conn:
            row = self._one(conn, "SELECT * FROM jobs WHERE id = ?", (job_id,))
        if row is None or (kind is not None and row["kind"] != kind):
            what = kind or "job"
            raise NotFound(f"no {what} {job_id!r}", code=f"{what}_not_found")
        return _job(row)

    def list_jobs(
        self,
        *,
        kind: JobKind | None = None,
        status: JobStatus | None = None,
        created_after: str | None = None,
        created_before: str | None = None,
        skip: int = 0,
        limit: int = 10,
        descending: bool = True,
    ) -> list[JobRecord]:
        limit, skip = _window(limit, skip)
        if kind is not None:
            _kind(kind)
        if status is not None and status not in JOB_STATUSES:
            raise InvalidArgument(f"status must be one of {', '.join(JOB_STATUSES)}")
        after = _moment(created_after, "created_after")
        before = _moment(created_before, "created_before")
        n = self._NULLABLE
        where = (
            f"WHERE ({n} IS NULL OR kind = ?) AND ({n} IS NULL OR status = ?) "
            f"AND ({n} IS NULL OR created_at >= ?) AND ({n} IS NULL OR created_at < ?)"
        )
        params = (kind, kind, status, status, after, after, before, before)
        direction = "DESC" if descending else "ASC"
        with self._read() as conn:
            rows = self._all(
                conn,
                f"SELECT * FROM jobs {where} ORDER BY created_at {direction}, seq {direction} "
                "LIMIT ? OFFSET ?",
                (*params, limit, skip),
            )
        return [_job(r) for r in rows]


def _no_skill(by: str, key: str, version: int | None = None) -> str:
    if version is None:
        return f"no skill with {by} {key!r}"
    return f"no version {version} of the skill with {by} {key!r}"


def _window(limit: int, offset: int) -> tuple[int, int]:
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 1000:
        raise InvalidArgument(f"limit must be between 1 and 1000, got {limit!r}", param="limit")
    if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
        raise InvalidArgument(f"skip/offset must be 0 or more, got {offset!r}", param="offset")
    return limit, offset
