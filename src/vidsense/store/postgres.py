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
import logging
import re
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import psycopg
from psycopg import errors as pg_errors
from psycopg.rows import dict_row, tuple_row

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
from vidsense.store.migrations import POSTGRESQL, TS_CONFIG, migrate
from vidsense.store.sql import (
    _KEYFRAME_COLUMNS,
    _SEGMENT_COLUMNS,
    _WORD,
    SqlStore,
    _keyframe,
    _limit,
    _segment,
    _unit_rows,
)
from vidsense.store.vectors import Ids, Matrix, SpaceMatrix, VectorSource, id_ranges

log = logging.getLogger(__name__)

Row = dict[str, Any]
Conn = psycopg.Connection[Row]

_HEX_ID = re.compile(r"[0-9a-f]{24}")
_MAX_EF_SEARCH = 1000  # pgvector's limit for hnsw.ef_search


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


class PostgresStore(SqlStore):
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

    # -- the dialect ----------------------------------------------------------------------------

    _FOR_UPDATE = " FOR UPDATE"
    _SKIP_LOCKED = " FOR UPDATE SKIP LOCKED"
    _ROW_ORDER = "id"
    _NULLABLE = "?::text"
    _UNIQUE_VIOLATION = (pg_errors.UniqueViolation,)

    def _sql(self, sql: str) -> str:
        return sql.replace("?", "%s")

    def _scalar(self, conn: Conn, sql: str, params: Sequence[Any] = ()) -> Any:
        with conn.cursor(row_factory=tuple_row) as cur:
            row = cur.execute(self._sql(sql), params).fetchone()
        return None if row is None else row[0]

    def _column(self, conn: Conn, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        with conn.cursor(row_factory=tuple_row) as cur:
            return [r[0] for r in cur.execute(self._sql(sql), params).fetchall()]

    def _drop_index_extras(self, conn: Conn, index_id: str) -> None:
        if self.pgvector and _HEX_ID.fullmatch(index_id):
            for space in SPACES:
                conn.execute(f"DROP INDEX IF EXISTS {_hnsw_name(index_id, space)}")

    # -- evidence ----------------------------------------------------------------------------

    _DUPLICATE_ID = (pg_errors.UniqueViolation,)

    def _insert_many(self, conn: Conn, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        # A savepoint, so a duplicate id leaves the outer transaction usable for the error.
        with conn.transaction(), conn.cursor() as cur:
            cur.executemany(self._sql(sql), rows)

    def _check_segment_text(self, segment_id: str, text: str) -> None:
        if "\x00" in text:
            raise InvalidArgument(f"segment {segment_id} text holds a NUL character")

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
        [(space, owners, matrix)] = self._check_batches([batch], None)
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
        rows: list[Any] = []
        if videos is None:
            # Walks the (index, space) partial HNSW index: the WHERE clause matches its predicate
            # and the ORDER BY its expression. The walk is approximate and skips rows deleted
            # since the last vacuum, so it can come back short; then every row is scored.
            conn.execute(f"SET LOCAL hnsw.ef_search = {min(_MAX_EF_SEARCH, max(100, 4 * limit))}")
            rows = conn.execute(
                f"SELECT owner_id, embedding::vector({dim}) <=> %s::vector({dim}) AS distance "
                "FROM vectors WHERE index_id = %s AND space = %s "
                f"ORDER BY embedding::vector({dim}) <=> %s::vector({dim}) LIMIT %s",
                (literal, index_id, space, literal, limit),
            ).fetchall()
        if videos is not None or len(rows) < limit:
            # A few videos' rows, or a short walk: scored exactly.
            rows = conn.execute(
                "WITH c AS MATERIALIZED (SELECT owner_id, embedding FROM vectors "
                "WHERE index_id = %s AND space = %s "
                "AND (%s::text[] IS NULL OR video_id = ANY(%s))) "
                f"SELECT owner_id, embedding::vector({dim}) <=> %s::vector({dim}) AS distance "
                "FROM c ORDER BY distance, owner_id LIMIT %s",
                (index_id, space, videos, videos, literal, limit),
            ).fetchall()
        return [(r["owner_id"], 1.0 - float(r["distance"])) for r in rows]

    # -- logos -------------------------------------------------------------------------------
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
