"""Database connections: embedded SQLite by default, PostgreSQL (psycopg 3) in production."""

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, event

from cunguan.core import limits
from cunguan.core.settings import DATABASE_URL_DEFAULT, settings
from cunguan.db.pg_arrays import use_flat_list_dumper

#: The demo and a user's first run use this file in the working directory.
DEFAULT_DATABASE_URL = DATABASE_URL_DEFAULT
DATABASE_URL_ENV = "CUNGUAN_DATABASE_URL"


def as_utc(value: datetime) -> datetime:
    """SQLite gives back naive datetimes; everything stored is UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@lru_cache(maxsize=64)
def sqlite_datetime_text(value: datetime) -> str:
    """A datetime as SQLite stores it (what the registered adapter writes)."""
    # The same text SQLAlchemy writes, so rows written raw and through Core compare and sort alike.
    # Cached: a batch stamps every row with the same time.
    return as_utc(value).strftime("%Y-%m-%d %H:%M:%S.%f")


sqlite3.register_adapter(datetime, sqlite_datetime_text)
sqlite3.register_adapter(date, date.isoformat)


def database_url(explicit: str | None = None) -> str:
    return explicit or settings().database_url or DEFAULT_DATABASE_URL


def normalise_url(url: str) -> str:
    """Accept ``postgresql://`` and ``postgres://`` and use psycopg 3 for both."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # The Python sqlite3 module's own transaction handling is switched off so that BEGIN
    # IMMEDIATE (taken by the store) really starts the transaction: writers queue instead of
    # failing with "database is locked" at commit.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")  # durable commits
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={limits.sqlite_busy_timeout_ms}")
    cursor.close()


#: Execution option that marks a connection as read-only: SQLite then begins a deferred
#: (snapshot) transaction instead of taking the write lock.
READ_ONLY_OPTION = "cunguan_read_only"


def _sqlite_begin(conn: Any) -> None:
    read_only = conn.get_execution_options().get(READ_ONLY_OPTION, False)
    conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


@contextmanager
def read_connection(engine: Engine, *, snapshot: bool = False) -> Iterator[Connection]:
    """A connection for reads. ``snapshot``: every read sees one consistent state."""
    with engine.connect() as conn:
        conn.execution_options(**{READ_ONLY_OPTION: True})
        if snapshot and conn.dialect.name == "postgresql":
            conn.execution_options(isolation_level="REPEATABLE READ")
        yield conn


def make_engine(url: str | None = None, *, pool_size: int = 8) -> Engine:
    resolved = normalise_url(database_url(url))
    if resolved.startswith("sqlite"):
        engine = create_engine(resolved, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    # No pre-ping: it costs a round trip per transaction; stale connections are recycled instead
    # and a failed statement is retried by the service.
    engine = create_engine(resolved, pool_size=pool_size, max_overflow=pool_size,
                           pool_recycle=limits.pool_recycle_s)
    event.listen(engine, "connect", use_flat_list_dumper)
    return engine


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Create or upgrade the schema (``cunguan db init`` / ``cunguan db upgrade``)."""
    command.upgrade(alembic_config(engine), revision)


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


#: ``Connection`` and ``Engine`` are re-exported so that handlers and edges can name them in
#: their signatures while only the database kernel and the stores import SQLAlchemy.
__all__ = ["DATABASE_URL_ENV", "DEFAULT_DATABASE_URL", "READ_ONLY_OPTION", "Connection", "Engine",
           "alembic_config", "as_utc", "current_revision", "database_url", "make_engine",
           "normalise_url", "read_connection", "sqlite_datetime_text", "upgrade"]
