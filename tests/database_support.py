"""Store URLs for tests that run on every database backend (SQLite and PostgreSQL).

PostgreSQL cases run when ``VIDSENSE_TEST_DATABASE_URL`` names a reachable server
(``scripts/postgres.sh start`` prints one), each in a fresh schema dropped afterwards; without
one they are skipped with a message saying how to get one.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

DATABASES = ["sqlite", "postgresql"]
PG_URL = os.environ.get("VIDSENSE_TEST_DATABASE_URL", "")
PG_HOWTO = (
    "PostgreSQL tests need a server: run `scripts/postgres.sh start` and "
    "`export VIDSENSE_TEST_DATABASE_URL=$(scripts/postgres.sh url)`"
)


def pg_admin() -> Any:
    """A connection to the test server, or a skip saying how to get one."""
    if not PG_URL:
        pytest.skip(f"VIDSENSE_TEST_DATABASE_URL is not set. {PG_HOWTO}")
    try:
        import psycopg
    except ImportError:
        pytest.skip("psycopg is not installed (pip install -e '.[postgres]')")
    try:
        return psycopg.connect(PG_URL, autocommit=True, connect_timeout=5)
    except psycopg.Error as e:
        pytest.skip(f"cannot reach VIDSENSE_TEST_DATABASE_URL ({e}). {PG_HOWTO}")


@contextmanager
def database_url(kind: str, data_dir: Path) -> Iterator[str]:
    """A store URL of ``kind`` (``sqlite``: a file in ``data_dir``; ``postgresql``: a fresh
    schema on the test server, dropped on exit)."""
    if kind == "sqlite":
        yield f"sqlite:///{data_dir / 'vidsense.db'}"
        return
    if kind != "postgresql":
        raise AssertionError(kind)
    admin = pg_admin()
    schema = f"test_{secrets.token_hex(6)}"
    with admin:
        admin.execute(f"CREATE SCHEMA {schema}")
        try:
            options = quote(f"-c search_path={schema},public")
            yield f"{PG_URL}{'&' if '?' in PG_URL else '?'}options={options}"
        finally:
            admin.execute(f"DROP SCHEMA {schema} CASCADE")
