"""Is the database there, reachable and migrated? Asked once, before a command or a server
starts, so each problem is named for what it is (and what to do) instead of surfacing later
as a driver traceback or as a misleading "run cunguan db upgrade".

Codes (docs/ERRORS.md): ``database_unreachable`` (no server answers, or it refuses the login),
``database_missing`` (the server answers but has no such database; a SQLite file or its
directory is not there), ``schema_out_of_date`` (the database is there but not migrated to
this version's head).
"""

from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from cunguan.core.errors import CunguanError
from cunguan.db.connection import (
    alembic_config,
    current_revision,
    database_url,
    make_engine,
    normalise_url,
)

#: Words in a driver's message that mean "this database (or table) is not there".
_MISSING_DATABASE = ("does not exist", "unable to open database file")
_MISSING_TABLE = ("no such table", "undefinedtable", "relation")


def shown(url: str) -> str:
    """The URL as it may be printed: without its password."""
    return make_url(normalise_url(url)).render_as_string(hide_password=True)


def first_line(exc: BaseException) -> str:
    """The driver's own message, first line only (SQLAlchemy appends a background link)."""
    cause = getattr(exc, "orig", None) or exc
    return (str(cause).strip().splitlines() or [type(cause).__name__])[0]


def database_problem(exc: DBAPIError, url: str) -> CunguanError:
    """Name what a driver error says about the database: missing, not migrated, or
    unreachable (anything else that stops a connection)."""
    message = first_line(exc)
    lowered = message.lower()
    if any(word in lowered for word in _MISSING_TABLE) and "database" not in lowered:
        return schema_out_of_date(url, "its tables are missing")
    if any(word in lowered for word in _MISSING_DATABASE):
        return CunguanError("database_missing",
                            f"{shown(url)}: {message}: create the database, then run "
                            "cunguan db upgrade", url=shown(url))
    return CunguanError("database_unreachable", f"{shown(url)}: {message}", url=shown(url))


def schema_out_of_date(url: str, why: str) -> CunguanError:
    return CunguanError("schema_out_of_date",
                        f"{shown(url)}: {why}: run cunguan db upgrade", url=shown(url))


def _sqlite_file(url: str) -> Path | None:
    parsed = make_url(url)
    if not parsed.drivername.startswith("sqlite") or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def head_revision(engine: Engine) -> str | None:
    return ScriptDirectory.from_config(alembic_config(engine)).get_current_head()


def reachable_engine(url: str | None = None) -> Engine:
    """An engine on a database that answers; a SQLite file may be missing (``cunguan db
    upgrade`` creates it) but not its directory. Nothing is created here."""
    resolved = normalise_url(database_url(url))
    sqlite_file = _sqlite_file(resolved)
    if sqlite_file is not None and not sqlite_file.parent.is_dir():
        raise CunguanError("database_missing",
                           f"{shown(resolved)}: no directory {sqlite_file.parent}",
                           url=shown(resolved))
    engine = make_engine(resolved)
    if sqlite_file is None:
        try:
            with engine.connect():
                pass
        except DBAPIError as exc:
            engine.dispose()
            raise database_problem(exc, resolved) from exc
    return engine


def ready_engine(url: str | None = None) -> Engine:
    """An engine on a database that is there and migrated to this version's head."""
    resolved = normalise_url(database_url(url))
    sqlite_file = _sqlite_file(resolved)
    if sqlite_file is not None and not sqlite_file.is_file():
        raise CunguanError("database_missing",
                           f"{shown(resolved)}: no database file {sqlite_file}: run cunguan db "
                           "upgrade to create it (or check --database-url, CUNGUAN_DATABASE_URL)",
                           url=shown(resolved))
    engine = reachable_engine(resolved)
    try:
        revision = current_revision(engine)
    except DBAPIError as exc:
        engine.dispose()
        raise database_problem(exc, resolved) from exc
    head = head_revision(engine)
    if revision != head:
        engine.dispose()
        found = f"the schema is at {revision}" if revision else "it has no schema"
        raise schema_out_of_date(resolved, f"{found}, this version needs {head}")
    return engine
