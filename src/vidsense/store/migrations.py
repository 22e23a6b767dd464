"""The schema, as an ordered list of versions, applied in one place when a store opens.

Each :class:`Migration` is a list of single SQL statements. A statement is either portable SQL
with ``{type}`` placeholders filled from the :class:`Dialect` (write a literal brace as ``{{``),
or a mapping ``{dialect name: statement or list of statements}`` for what differs between
databases (full-text search, triggers); an empty list means "nothing to do on this database".
Both backends (:data:`SQLITE`, :data:`POSTGRESQL`) take their schema from this one list.

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
    lock: str | None = None
    """A statement run first in the migration transaction to serialize concurrent migrators
    (PostgreSQL: an advisory lock; SQLite's ``BEGIN IMMEDIATE`` already is one)."""


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

POSTGRESQL = Dialect(
    name="postgresql",
    types={
        "serial": "BIGSERIAL PRIMARY KEY",
        "monotonic": "BIGSERIAL PRIMARY KEY",  # sequences never hand out an id twice
        "float": "DOUBLE PRECISION",
        "json": "TEXT",
        "blob": "BYTEA",
        "time": "TEXT",
    },
    begin_write="BEGIN",
    param="%s",
    lock="SELECT pg_advisory_xact_lock(7253451020116451)",  # one migrator per database
)

DIALECTS: dict[str, Dialect] = {SQLITE.name: SQLITE, POSTGRESQL.name: POSTGRESQL}

TS_CONFIG = "vidsense_text"
"""PostgreSQL's text search configuration for segments: Snowball English stemming (as SQLite's
``porter`` tokenizer) and, unlike the built-in ``english``, no stop words, so every word of a
query counts, as it does in FTS5."""

FTS_SCOPE = "'kind' || replace({row}kind, '_', '') || ' index' || {row}index_id"
"""SQLite: the scope column of a segment's full-text row (migration 6; ``{row}`` is ``new.``,
``old.`` or empty): the words ``kind<KIND>`` (underscores dropped: FTS5 splits words at them) and
``index<INDEX ID>``; :func:`vidsense.store.sqlite.fts_scope` matches them."""

FTS_SCOPE_WORD = "'scope' || replace({row}kind, '_', '') || {row}index_id || '0'"
"""SQLite: the scope column of a segment's full-text row since migration 8 (``{row}`` is
``new.``, ``old.`` or empty): one word per index and kind, ``scope<KIND><INDEX ID>0``
(underscores dropped: FTS5 splits words at them; the final digit keeps the porter stemmer off
it, as no suffix rule ends in a digit); :func:`vidsense.store.sqlite.fts_scope` matches it."""

FTS_INDEXED = "{row}text != ''"
"""SQLite: which segments have a full-text row since migration 8 (those with text)."""

Step = str | Mapping[str, str | Sequence[str]]


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
                END""",
                "postgresql": [
                    """CREATE FUNCTION vectors_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
                    BEGIN
                        UPDATE vector_spaces SET epoch = epoch + 1
                        WHERE index_id = OLD.index_id AND space = OLD.space;
                        RETURN NULL;
                    END $$""",
                    """CREATE TRIGGER vectors_deleted AFTER DELETE ON vectors
                    FOR EACH ROW EXECUTE FUNCTION vectors_deleted()""",
                ],
            },
            # Full-text search. SQLite: an external-content FTS5 table kept in step by triggers.
            # PostgreSQL: a generated tsvector column with a GIN index.
            {
                "sqlite": """CREATE VIRTUAL TABLE segments_fts USING fts5(
                    text, content='segments', content_rowid='seq',
                    tokenize='porter unicode61 remove_diacritics 2'
                )""",
                "postgresql": [
                    f"""CREATE TEXT SEARCH DICTIONARY {TS_CONFIG}_stem
                    (TEMPLATE = snowball, Language = english)""",
                    f"CREATE TEXT SEARCH CONFIGURATION {TS_CONFIG} (COPY = simple)",
                    f"""ALTER TEXT SEARCH CONFIGURATION {TS_CONFIG}
                    ALTER MAPPING FOR asciiword, word, numword, asciihword, hword, numhword,
                        hword_asciipart, hword_part, hword_numpart
                    WITH {TS_CONFIG}_stem""",
                    f"""ALTER TABLE segments ADD COLUMN tsv tsvector
                    GENERATED ALWAYS AS (to_tsvector('{TS_CONFIG}'::regconfig, text)) STORED""",
                    "CREATE INDEX segments_tsv ON segments USING GIN (tsv)",
                    "CREATE INDEX segments_by_index ON segments(index_id, kind)",
                ],
            },
            {
                "sqlite": """CREATE TRIGGER segments_ai AFTER INSERT ON segments BEGIN
                    INSERT INTO segments_fts(rowid, text) VALUES (new.seq, new.text);
                END""",
                "postgresql": [],
            },
            {
                "sqlite": """CREATE TRIGGER segments_ad AFTER DELETE ON segments BEGIN
                    INSERT INTO segments_fts(segments_fts, rowid, text)
                    VALUES ('delete', old.seq, old.text);
                END""",
                "postgresql": [],
            },
            {
                "sqlite": """CREATE TRIGGER segments_au AFTER UPDATE OF text ON segments BEGIN
                    INSERT INTO segments_fts(segments_fts, rowid, text)
                    VALUES ('delete', old.seq, old.text);
                    INSERT INTO segments_fts(rowid, text) VALUES (new.seq, new.text);
                END""",
                "postgresql": [],
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
    Migration(
        3,
        "written answers cached per video and request, dropped when evidence is replaced",
        [
            """CREATE TABLE writings (
                video_id TEXT NOT NULL REFERENCES videos(id) ON DELETE CASCADE,
                key TEXT NOT NULL,
                body {json} NOT NULL,
                created_at {time} NOT NULL,
                PRIMARY KEY (video_id, key)
            )""",
        ],
    ),
    Migration(
        4,
        "skills (versioned bundles) and durable jobs that are not indexing",
        [
            # One row per version; every version of a skill shares its id and name.
            """CREATE TABLE skills (
                seq {serial},
                id TEXT NOT NULL,
                name TEXT NOT NULL,
                version INTEGER NOT NULL,
                description TEXT NOT NULL,
                schema {json},
                bundle_key TEXT NOT NULL,
                sha256 TEXT NOT NULL,
                size BIGINT NOT NULL,
                created_at {time} NOT NULL,
                updated_at {time} NOT NULL,
                UNIQUE (id, version),
                UNIQUE (name, version)
            )""",
            "CREATE INDEX skills_by_created ON skills(created_at)",
            """CREATE TABLE jobs (
                seq {serial},
                id TEXT NOT NULL UNIQUE,
                kind TEXT NOT NULL,
                status TEXT NOT NULL,
                request {json} NOT NULL,
                result {json},
                error_code TEXT,
                error_message TEXT,
                progress {float} NOT NULL DEFAULT 0,
                attempts INTEGER NOT NULL DEFAULT 0,
                lease_owner TEXT,
                lease_until {time},
                created_at {time} NOT NULL,
                updated_at {time} NOT NULL,
                completed_at {time}
            )""",
            "CREATE INDEX jobs_by_status ON jobs(status, seq)",
            "CREATE INDEX jobs_by_created ON jobs(kind, created_at)",
        ],
    ),
    # Self-contained (it touches no table of another migration but the ones it references), so
    # it can take another number when migrations of parallel work are merged.
    Migration(
        5,
        "faces seen in videos, grouped into people per index (opt-in, biometric data)",
        [
            """CREATE TABLE people (
                seq {serial},
                id TEXT NOT NULL UNIQUE,
                index_id TEXT NOT NULL REFERENCES indexes(id) ON DELETE CASCADE,
                name TEXT,
                thumbnail {blob},
                centroid {blob} NOT NULL,
                face_count INTEGER NOT NULL DEFAULT 0,
                video_count INTEGER NOT NULL DEFAULT 0,
                created_at {time} NOT NULL,
                updated_at {time} NOT NULL
            )""",
            "CREATE INDEX people_by_index ON people(index_id, seq)",
            """CREATE TABLE faces (
                seq {serial},
                id TEXT NOT NULL UNIQUE,
                video_id TEXT NOT NULL REFERENCES videos(id) ON DELETE CASCADE,
                index_id TEXT NOT NULL,
                person_id TEXT REFERENCES people(id) ON DELETE CASCADE,
                shot_index INTEGER NOT NULL,
                time {float} NOT NULL,
                start_time {float} NOT NULL,
                end_time {float} NOT NULL,
                box {json} NOT NULL,
                score {float} NOT NULL,
                embedding {blob} NOT NULL,
                chip {blob}
            )""",
            "CREATE INDEX faces_by_video ON faces(video_id, time)",
            "CREATE INDEX faces_by_person ON faces(person_id)",
            "CREATE INDEX faces_by_index ON faces(index_id, video_id)",
        ],
    ),
    Migration(
        6,
        "the models (or engines) an index was created with, as they were named",
        ["ALTER TABLE indexes ADD COLUMN models {json}"],
    ),
    # Self-contained (it touches only the full-text table of migration 1), so it can take
    # another number when migrations of parallel work are merged.
    Migration(
        7,
        "full-text search scoped by index and segment kind (SQLite)",
        [
            # FTS5 matched every index's segments of every kind, then the join to `segments`
            # threw the others away: a search paid for words in all the other indexes and kinds.
            # A second column holds a segment's scope as two words, `kind<KIND>` and
            # `index<INDEX ID>` (FTS_SCOPE), so a search matches only in its own index and kinds.
            {
                "sqlite": [
                    "DROP TRIGGER segments_ai",
                    "DROP TRIGGER segments_ad",
                    "DROP TRIGGER segments_au",
                    "DROP TABLE segments_fts",
                    f"""CREATE VIEW segments_search AS
                    SELECT seq, text, {FTS_SCOPE.format(row="")} AS scope FROM segments""",
                    """CREATE VIRTUAL TABLE segments_fts USING fts5(
                        text, scope, content='segments_search', content_rowid='seq',
                        tokenize='porter unicode61 remove_diacritics 2'
                    )""",
                    "INSERT INTO segments_fts(segments_fts) VALUES ('rebuild')",
                    f"""CREATE TRIGGER segments_ai AFTER INSERT ON segments BEGIN
                        INSERT INTO segments_fts(rowid, text, scope)
                        VALUES (new.seq, new.text, {FTS_SCOPE.format(row="new.")});
                    END""",
                    f"""CREATE TRIGGER segments_ad AFTER DELETE ON segments BEGIN
                        INSERT INTO segments_fts(segments_fts, rowid, text, scope)
                        VALUES ('delete', old.seq, old.text, {FTS_SCOPE.format(row="old.")});
                    END""",
                    f"""CREATE TRIGGER segments_au AFTER UPDATE OF text, kind, index_id
                    ON segments BEGIN
                        INSERT INTO segments_fts(segments_fts, rowid, text, scope)
                        VALUES ('delete', old.seq, old.text, {FTS_SCOPE.format(row="old.")});
                        INSERT INTO segments_fts(rowid, text, scope)
                        VALUES (new.seq, new.text, {FTS_SCOPE.format(row="new.")});
                    END""",
                ],
                "postgresql": [],
            },
        ],
    ),
    # Self-contained (it touches only the full-text table of migration 7), so it can take
    # another number when migrations of parallel work are merged.
    Migration(
        8,
        "full-text scope as one word per index and kind; segments without text left out (SQLite)",
        [
            # bm25() counts the rows of every phrase of a query once per statement (its IDF),
            # the scope phrases too, though they weigh nothing: the `index<ID>` word of
            # migration 7 is in every segment of the index (shots included), so each search
            # counted them all. One word per index and kind costs only the rows of that kind,
            # and segments without text (shots) are not in the table at all.
            {
                "sqlite": [
                    "DROP TRIGGER segments_ai",
                    "DROP TRIGGER segments_ad",
                    "DROP TRIGGER segments_au",
                    "DROP TABLE segments_fts",
                    "DROP VIEW segments_search",
                    f"""CREATE VIEW segments_search AS
                    SELECT seq, text, {FTS_SCOPE_WORD.format(row="")} AS scope FROM segments
                    WHERE {FTS_INDEXED.format(row="")}""",
                    """CREATE VIRTUAL TABLE segments_fts USING fts5(
                        text, scope, content='segments_search', content_rowid='seq',
                        tokenize='porter unicode61 remove_diacritics 2'
                    )""",
                    "INSERT INTO segments_fts(segments_fts) VALUES ('rebuild')",
                    f"""CREATE TRIGGER segments_ai AFTER INSERT ON segments
                    WHEN {FTS_INDEXED.format(row="new.")} BEGIN
                        INSERT INTO segments_fts(rowid, text, scope)
                        VALUES (new.seq, new.text, {FTS_SCOPE_WORD.format(row="new.")});
                    END""",
                    f"""CREATE TRIGGER segments_ad AFTER DELETE ON segments
                    WHEN {FTS_INDEXED.format(row="old.")} BEGIN
                        INSERT INTO segments_fts(segments_fts, rowid, text, scope)
                        VALUES ('delete', old.seq, old.text, {FTS_SCOPE_WORD.format(row="old.")});
                    END""",
                    f"""CREATE TRIGGER segments_au AFTER UPDATE OF text, kind, index_id
                    ON segments BEGIN
                        INSERT INTO segments_fts(segments_fts, rowid, text, scope)
                        SELECT 'delete', old.seq, old.text, {FTS_SCOPE_WORD.format(row="old.")}
                        WHERE {FTS_INDEXED.format(row="old.")};
                        INSERT INTO segments_fts(rowid, text, scope)
                        SELECT new.seq, new.text, {FTS_SCOPE_WORD.format(row="new.")}
                        WHERE {FTS_INDEXED.format(row="new.")};
                    END""",
                ],
                "postgresql": [],
            },
        ],
    ),
]

LATEST_VERSION = MIGRATIONS[-1].version


class Cursor(Protocol):
    def fetchone(self) -> Any: ...


class Connection(Protocol):
    """The DB-API subset :func:`migrate` needs (autocommit mode: it sends BEGIN itself)."""

    def execute(self, sql: str, parameters: Sequence[object] = ..., /) -> Cursor: ...


def render(step: Step, dialect: Dialect) -> list[str]:
    """The SQL statements of one step for ``dialect`` (none, one or several)."""
    if isinstance(step, str):
        return [step.format_map(dialect.types)]
    try:
        sql = step[dialect.name]
    except KeyError:
        first = next(iter(step.values()))
        raise NotImplementedError(
            f"migration step has no {dialect.name} version: {str(first)[:60]!r}"
        ) from None
    return [sql] if isinstance(sql, str) else list(sql)


def migrate(
    conn: Connection, dialect: Dialect, migrations: Sequence[Migration] = MIGRATIONS
) -> int:
    """Apply the missing migrations in one transaction; returns the schema version now.

    Raises :class:`~vidsense.errors.VidsenseError` (``schema_too_new``) when the database was
    written by a newer vidsense.
    """
    conn.execute(dialect.begin_write)
    try:
        if dialect.lock:
            conn.execute(dialect.lock)
        conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_version "
            "(version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
        )
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
                for sql in render(step, dialect):
                    conn.execute(sql)
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
