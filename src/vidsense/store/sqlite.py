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
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from vidsense.errors import InvalidArgument, NotFound, VidsenseError
from vidsense.store.base import (
    SEGMENT_KINDS,
    SPACES,
    Keyframe,
    Segment,
    SegmentKind,
    Space,
    TextMode,
    VectorBatch,
)
from vidsense.store.blobs import BlobStore
from vidsense.store.migrations import SQLITE, migrate
from vidsense.store.sql import (
    _KEYFRAME_COLUMNS,
    _SEGMENT_COLUMNS,
    _WORD,
    SqlStore,
    _chunks,
    _keyframe,
    _limit,
    _marks,
    _segment,
    _unit_rows,
)
from vidsense.store.vectors import Ids, Matrix, SpaceMatrix, VectorSource, id_ranges

log = logging.getLogger(__name__)


def fts_query(text: str, mode: TextMode = "any") -> str | None:
    """An FTS5 MATCH expression for plain user ``text``, or None when it has no words.

    Every word becomes a double-quoted string, so characters such as ``"*():^-`` and the
    words ``AND OR NOT NEAR`` are never read as query syntax.
    """
    found = _WORD.findall(text)
    if mode != "phrase":  # a word twice adds nothing but work
        found = list(dict.fromkeys(w.lower() for w in found))
    words = [w.replace('"', '""') for w in found]
    if not words:
        return None
    if mode == "phrase":
        return '"' + " ".join(words) + '"'
    if mode == "all":
        return " ".join(f'"{w}"' for w in words)
    if mode == "any":
        return " OR ".join(f'"{w}"' for w in words)
    raise InvalidArgument(f"mode must be any, all or phrase, got {mode!r}")


def fts_scope(index_id: str, kinds: Sequence[str] | None) -> str:
    """The FTS5 expression matching the scope column (migration 8,
    :data:`~vidsense.store.migrations.FTS_SCOPE_WORD`) of ``index_id``'s segments of ``kinds``
    (of every kind when None)."""
    words = [
        f'"scope{kind.replace("_", "")}{index_id}0"'
        for kind in dict.fromkeys(SEGMENT_KINDS if kinds is None else kinds)
    ]
    return f"scope : ({' OR '.join(words)})"


class SQLiteStore(SqlStore):
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

    # -- evidence ----------------------------------------------------------------------------

    _DUPLICATE_ID = (sqlite3.IntegrityError,)

    def _insert_vectors(
        self,
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
        words = fts_query(query, mode)
        if kinds is not None:
            bad = [k for k in kinds if k not in SEGMENT_KINDS]
            if bad:
                raise InvalidArgument(f"kinds must be among {', '.join(SEGMENT_KINDS)}: {bad}")
        with self._read() as conn:
            self._require_index(conn, index_id)
            if words is None or (kinds is not None and not kinds) or video_ids == []:
                return []
            # The words match the text column only, within the index's segments of ``kinds``
            # (the scope column); bm25 weighs the text column alone.
            match = f"{fts_scope(index_id, kinds)} AND text : ({words})"
            hits = "SELECT rowid AS seq, bm25(segments_fts, 1.0, 0.0) AS score FROM segments_fts "
            hits += "WHERE segments_fts MATCH ?"
            params: list[Any] = [match]
            if video_ids is None:  # best first in the index alone, then read those rows
                hits += " ORDER BY score LIMIT ?"
                params.append(_limit(limit))
                where = ""
            else:  # the videos may hold few of the index's hits: keep theirs, then the best
                unique = list(dict.fromkeys(video_ids))
                where = " WHERE s.video_id IN (SELECT value FROM json_each(?))"
                params.append(json.dumps(unique))
            sql = (
                f"WITH hits AS ({hits}) SELECT {_SEGMENT_COLUMNS}, hits.score FROM hits "
                f"JOIN segments s ON s.seq = hits.seq{where} ORDER BY hits.score LIMIT ?"
            )
            params.append(_limit(limit))
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
