"""The schema, as an ordered list of versions, applied in one place when a store opens.

Each :class:`Migration` is a list of single SQL statements. A statement is either portable SQL
with ``{type}`` placeholders filled from the :class:`Dialect` (write a literal brace as ``{{``),
or a mapping ``{dialect name: statement}`` for what differs between databases (full-text
search, triggers). Adding PostgreSQL means adding a ``Dialect`` to :data:`DIALECTS` and a
``"postgresql"`` entry to each mapping step: nothing else here changes.

The ``schema_version`` table records which versions were applied; :func:`migrate` applies the
missing ones in one transaction, so opening a store twice (or from two processes at once) is
safe, and a database written by a newer vidsense is refused rather than damaged.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from vidsense.errors import VidsenseError
from vidsense.store.base import utc_now


@dataclass(frozen=True)
class Dialect:
    """What differs between SQL databases, for the schema."""

    name: str
    types: Mapping[str, str]
    begin_write: str
    """The statement that starts a transaction holding the write lock from its start."""
    param: str
    """The DB-API parameter placeholder."""


SQLITE = Dialect(
    name="sqlite",
    types={
        "serial": "INTEGER PRIMARY KEY",  # rowid alias; ids may be reused after deletes
        "monotonic": "INTEGER PRIMARY KEY AUTOINCREMENT",  # ids never reused
        "float": "REAL",
        "json": "TEXT",
        "blob": "BLOB",
        "time": "TEXT",
    },
    begin_write="BEGIN IMMEDIATE",
    param="?",
)

DIALECTS: dict[str, Dialect] = {SQLITE.name: SQLITE}

Step = str | Mapping[str, str]


@dataclass(frozen=True)
class Migration:
    """Schema version ``version``: the statements that take the schema there from the one
    before. Applied migrations are never edited; a change is a new version."""

    version: int
    name: str
    steps: Sequence[Step]


MIGRATIONS: list[Migration] = [
    Migration(
        1,
        "indexes, videos, tasks, evidence, full-text search, vectors",
        [
            """CREATE TABLE indexes (
                id TEXT PRIMARY KEY,
                name TEXT NOT NULL UNIQUE,
                options {json} NOT NULL,
                addons {json} NOT NULL,
                created_at {time} NOT NULL,
                updated_at {time} NOT NULL
            )""",
            """CREATE TABLE videos (
                id TEXT PRIMARY KEY,
                index_id TEXT NOT NULL REFERENCES indexes(id) ON DELETE CASCADE,
                filename TEXT NOT NULL,
                sha256 TEXT NOT NULL,
                status TEXT NOT NULL,
                duration {float} NOT NULL,
                fps {float} NOT NULL,
                width INTEGER NOT NULL,
                height INTEGER NOT NULL,
                size BIGINT NOT NULL,
                metadata {json} NOT NULL,
                created_at {time} NOT NULL,
                updated_at {time} NOT NULL
            )""",
            "CREATE INDEX videos_by_index ON videos(index_id, created_at)",
            "CREATE INDEX videos_by_hash ON videos(index_id, sha256)",
            """CREATE TABLE tasks (
                seq {serial},
                id TEXT NOT NULL UNIQUE,
                index_id TEXT NOT NULL REFERENCES indexes(id) ON DELETE CASCADE,
                video_id TEXT REFERENCES videos(id) ON DELETE SET NULL,
                status TEXT NOT NULL,
                progress {float} NOT NULL DEFAULT 0,
                error_code TEXT,
                error_message TEXT,
                source {json} NOT NULL,
                attempts INTEGER NOT NULL DEFAULT 0,
                lease_owner TEXT,
                lease_until {time},
                created_at {time} NOT NULL,
                updated_at {time} NOT NULL
            )""",
            "CREATE INDEX tasks_by_status ON tasks(status, seq)",
            "CREATE INDEX tasks_by_index ON tasks(index_id, created_at)",
            "CREATE INDEX tasks_by_video ON tasks(video_id)",
            """CREATE TABLE segments (
                seq {serial},
                id TEXT NOT NULL UNIQUE,
                video_id TEXT NOT NULL REFERENCES videos(id) ON DELETE CASCADE,
                index_id TEXT NOT NULL,
                kind TEXT NOT NULL,
                start_time {float} NOT NULL,
                end_time {float} NOT NULL,
                text TEXT NOT NULL,
                data {json} NOT NULL
            )""",
            "CREATE INDEX segments_by_video ON segments(video_id, kind, start_time)",
            """CREATE TABLE keyframes (
                seq {serial},
                id TEXT NOT NULL UNIQUE,
                video_id TEXT NOT NULL REFERENCES videos(id) ON DELETE CASCADE,
                index_id TEXT NOT NULL,
                shot_index INTEGER NOT NULL,
                time {float} NOT NULL,
                blob_key TEXT NOT NULL
            )""",
            "CREATE INDEX keyframes_by_video ON keyframes(video_id, time)",
            # Vector row ids never repeat, so a cached copy of a row is valid for as long as a row
            # with that id exists; `epoch` counts deletions in a space, `max_id` its newest row.
            """CREATE TABLE vector_spaces (
                index_id TEXT NOT NULL REFERENCES indexes(id) ON DELETE CASCADE,
                space TEXT NOT NULL,
                dim INTEGER NOT NULL,
                epoch INTEGER NOT NULL DEFAULT 0,
                max_id BIGINT NOT NULL DEFAULT 0,
                PRIMARY KEY (index_id, space)
            )""",
            """CREATE TABLE vectors (
                id {monotonic},
                index_id TEXT NOT NULL,
                video_id TEXT NOT NULL REFERENCES videos(id) ON DELETE CASCADE,
                owner_id TEXT NOT NULL,
                space TEXT NOT NULL,
                vector {blob} NOT NULL,
                UNIQUE (owner_id, space)
            )""",
            "CREATE INDEX vectors_by_space ON vectors(index_id, space, id)",
            "CREATE INDEX vectors_by_video ON vectors(video_id, space)",
            {
                "sqlite": """CREATE TRIGGER vectors_deleted AFTER DELETE ON vectors BEGIN
                    UPDATE vector_spaces SET epoch = epoch + 1
                    WHERE index_id = old.index_id AND space = old.space;
                END"""
            },
            # Full-text search: an external-content FTS5 table kept in step by triggers.
            {
                "sqlite": """CREATE VIRTUAL TABLE segments_fts USING fts5(
                    text, content='segments', content_rowid='seq',
                    tokenize='porter unicode61 remove_diacritics 2'
                )"""
            },
            {
                "sqlite": """CREATE TRIGGER segments_ai AFTER INSERT ON segments BEGIN
                    INSERT INTO segments_fts(rowid, text) VALUES (new.seq, new.text);
                END"""
            },
            {
                "sqlite": """CREATE TRIGGER segments_ad AFTER DELETE ON segments BEGIN
                    INSERT INTO segments_fts(segments_fts, rowid, text)
                    VALUES ('delete', old.seq, old.text);
                END"""
            },
            {
                "sqlite": """CREATE TRIGGER segments_au AFTER UPDATE OF text ON segments BEGIN
                    INSERT INTO segments_fts(segments_fts, rowid, text)
                    VALUES ('delete', old.seq, old.text);
                    INSERT INTO segments_fts(rowid, text) VALUES (new.seq, new.text);
                END"""
            },
        ],
    ),
    Migration(
        2,
        "logo images registered per index",
        [
            """CREATE TABLE logos (
                seq {serial},
                id TEXT NOT NULL UNIQUE,
                index_id TEXT NOT NULL REFERENCES indexes(id) ON DELETE CASCADE,
                name TEXT NOT NULL,
                blob_key TEXT NOT NULL,
                created_at {time} NOT NULL
            )""",
            "CREATE INDEX logos_by_index ON logos(index_id, seq)",
        ],
    ),
]

LATEST_VERSION = MIGRATIONS[-1].version


class Cursor(Protocol):
    def fetchone(self) -> Any: ...


class Connection(Protocol):
    """The DB-API subset :func:`migrate` needs (autocommit mode: it sends BEGIN itself)."""

    def execute(self, sql: str, parameters: Sequence[object] = ..., /) -> Cursor: ...


def render(step: Step, dialect: Dialect) -> str:
    """The SQL text of one step for ``dialect``."""
    if isinstance(step, str):
        return step.format_map(dialect.types)
    try:
        return step[dialect.name]
    except KeyError:
        raise NotImplementedError(
            f"migration step has no {dialect.name} version: {next(iter(step.values()))[:60]!r}"
        ) from None


def migrate(
    conn: Connection, dialect: Dialect, migrations: Sequence[Migration] = MIGRATIONS
) -> int:
    """Apply the missing migrations in one transaction; returns the schema version now.

    Raises :class:`~vidsense.errors.VidsenseError` (``schema_too_new``) when the database was
    written by a newer vidsense.
    """
    conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_version "
        "(version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
    )
    conn.execute(dialect.begin_write)
    try:
        row = conn.execute("SELECT MAX(version) FROM schema_version").fetchone()
        current = int(row[0] or 0) if row is not None else 0
        latest = migrations[-1].version if migrations else 0
        if current > latest:
            raise VidsenseError(
                f"the database schema is version {current}, newer than this vidsense "
                f"understands ({latest}); upgrade vidsense",
                code="schema_too_new",
            )
        for migration in migrations:
            if migration.version <= current:
                continue
            for step in migration.steps:
                conn.execute(render(step, dialect))
            p = dialect.param
            conn.execute(
                f"INSERT INTO schema_version (version, name, applied_at) VALUES ({p}, {p}, {p})",
                (migration.version, migration.name, utc_now()),
            )
            current = migration.version
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return current
