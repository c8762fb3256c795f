"""Many rows into one table: binary COPY on PostgreSQL, a plain multi-row INSERT elsewhere;
and many rows' new values by key: one UPDATE joining arrays on PostgreSQL.

A set-based command writes thousands of rows to the same few tables (the ledger's lines and
transactions, the request log, the callback outbox, bids, claims …). Through ``executemany``
psycopg sends one Bind/Execute per row; measured in the custody mix, ~19 µs of client time a
row. COPY sends the rows as one stream, in the caller's transaction; in binary format neither
side formats or parses text (text COPY measured ~3 µs a row on the client alone). Each
column's PostgreSQL type comes from the SQLAlchemy table, and ``insert_rows`` applies each
column's bind processing (``UtcDateTime`` refuses naive times and stores UTC), so a row means
the same whichever way it was written.
"""

from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import lru_cache
from operator import itemgetter
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Connection,
    Date,
    DateTime,
    Dialect,
    Integer,
    SmallInteger,
    String,
    Table,
    Update,
    bindparam,
    insert,
    update,
)

from cunguan.core import limits
from cunguan.core.errors import present

Rows = Sequence[Mapping[str, Any]]
#: A table, the columns given, and the rows' values in that order, ready for the driver.
Ready = tuple[Table, tuple[str, ...], Sequence[Sequence[Any]]]
#: A statement and its parameters, for the driver.
Statement = tuple[str, Sequence[Any]]


def insert_rows(conn: Connection, table: Table, rows: Rows) -> None:
    """Insert ``rows`` (dicts with the same keys, named after columns) into ``table``."""
    insert_tables(conn, [(table, rows)])


def insert_tables(conn: Connection, writes: Sequence[tuple[Table, Rows]]) -> None:
    """``insert_rows`` for several tables at once, in order; on PostgreSQL in one round trip
    below ``limits.copy_rows_min`` rows a table (a command's request records and their callback
    events, say)."""
    writes = [(table, rows) for table, rows in writes if rows]
    if conn.dialect.name != "postgresql":
        for table, rows in writes:
            conn.execute(insert(table), list(rows))
        return
    raw = present(conn.connection.driver_connection, "a live connection has its driver")
    ready: list[Ready] = []
    for table, rows in writes:
        columns = tuple(rows[0])
        values = _ready(table, columns, conn.dialect)
        ready.append((table, columns, [values(row) for row in rows]))
    write_pg(raw, ready)


def write_pg(raw: Any, writes: Sequence[Ready], after: Sequence[Statement] = (), *,
             commit: bool = False) -> None:
    """Insert each table's rows, in order, then run ``after`` (and commit if ``commit``), on
    a psycopg connection, in its transaction.

    The statements between COPYs go in one pipeline, the last of them with ``after`` and the
    commit: a single transfer's writes and commit cost one round trip, a set-based call's
    updates and commit one after its COPYs.
    """
    pending: list[Statement] = []
    with raw.cursor() as cur:
        for table, columns, rows in writes:
            if len(rows) >= limits.copy_rows_min:
                _pipelined(raw, cur, pending)   # earlier tables first: their order can matter
                pending = []
                copy_in(cur, table, columns, rows)
            elif rows:
                statement = insert_sql(table.name, columns, "%s")
                pending += [(statement, row) for row in rows]
        _pipelined(raw, cur, [*pending, *after], commit=commit)


def _pipelined(raw: Any, cur: Any, statements: Sequence[Statement], *,
               commit: bool = False) -> None:
    if not statements:
        if commit:
            raw.commit()
        return
    with raw.pipeline():
        for statement, params in statements:
            cur.execute(statement, params)
        if commit:
            raw.commit()


def _ready(table: Table, columns: tuple[str, ...], dialect: Dialect
           ) -> Callable[[Mapping[str, Any]], list[Any]]:
    """A row's values in ``columns`` order, each processed as its column's type binds it."""
    processed = _processors(table, columns, dialect)
    values = itemgetter(*columns)

    def ready(row: Mapping[str, Any]) -> list[Any]:
        found = list(values(row)) if len(columns) > 1 else [values(row)]
        for index, process in processed:
            found[index] = process(found[index])
        return found
    return ready


@lru_cache(maxsize=64)
def insert_sql(table: str, columns: Sequence[str], mark: str) -> str:
    """A one-row INSERT of ``columns``, each value marked ``mark`` (``%s``, ``?``)."""
    return (f"INSERT INTO {table} ({', '.join(columns)}) "
            f"VALUES ({', '.join(mark for _ in columns)})")


def update_rows(conn: Connection, table: Table, keys: tuple[str, ...],
                rows: Sequence[Mapping[str, Any]]) -> None:
    """Give the row of ``table`` that each of ``rows`` names by its ``keys`` columns that row's
    other values (rows share their column names). A key given twice ends with its last row's
    values, as one UPDATE after another would leave it.

    PostgreSQL: one UPDATE joining one array per column to the table by its key, where
    ``executemany`` sends a Bind/Execute per row (measured in the custody mix: ~25-30 µs a
    row, 0.8 s of a 30,000-operation day); elsewhere one per row.
    """
    if not rows:
        return
    columns = tuple(rows[0])
    if conn.dialect.name != "postgresql":
        conn.execute(_update_by_key(table, keys, columns),
                     [{**row, **{f"key_{k}": row[k] for k in keys}} for row in rows])
        return
    latest = list({tuple(row[k] for k in keys): row for row in rows}.values())
    arrays = [[row[column] for row in latest] for column in columns]
    for index, process in _processors(table, columns, conn.dialect):
        arrays[index] = [process(value) for value in arrays[index]]
    raw = present(conn.connection.driver_connection, "a live connection has its driver")
    with raw.cursor() as cur:
        cur.execute(_update_from_arrays(table, keys, columns), arrays)


@lru_cache(maxsize=64)
def _update_by_key(table: Table, keys: tuple[str, ...], columns: tuple[str, ...]) -> Update:
    return update(table).where(
        *(table.c[k] == bindparam(f"key_{k}") for k in keys)).values(
        {c: bindparam(c) for c in columns if c not in keys})


@lru_cache(maxsize=64)
def _update_from_arrays(table: Table, keys: tuple[str, ...], columns: tuple[str, ...]) -> str:
    arrays = ", ".join(f"%s::{kind}[]" for kind in _copy_types(table, columns))
    changed = ", ".join(f"{c} = v.{c}" for c in columns if c not in keys)
    matched = " AND ".join(f"t.{k} = v.{k}" for k in keys)
    return (f"UPDATE {table.name} AS t SET {changed} FROM unnest({arrays}) "
            f"AS v({', '.join(columns)}) WHERE {matched}")


def copy_in(cur: Any, table: Table, columns: tuple[str, ...],
            rows: Iterable[Sequence[Any]]) -> None:
    """Binary COPY of ``rows`` (values in ``columns`` order, ready for the driver) into
    ``table`` on a psycopg cursor, in its connection's transaction."""
    statement = f"COPY {table.name} ({', '.join(columns)}) FROM STDIN (FORMAT BINARY)"
    with cur.copy(statement) as copy:
        copy.set_types(_copy_types(table, columns))
        for row in rows:
            copy.write_row(row)


#: PostgreSQL types of binary COPY fields, by SQLAlchemy type (subclasses first).
_COPY_TYPES = ((BigInteger, "int8"), (SmallInteger, "int2"), (Integer, "int4"),
               (Boolean, "bool"), (Date, "date"), (String, "text"))


@lru_cache(maxsize=64)
def _copy_types(table: Table, columns: tuple[str, ...]) -> tuple[str, ...]:
    names = []
    for column in columns:
        kind = table.c[column].type
        kind = getattr(kind, "impl_instance", kind)   # a TypeDecorator's stored type
        if isinstance(kind, DateTime):
            names.append("timestamptz" if kind.timezone else "timestamp")
            continue
        name = next((n for cls, n in _COPY_TYPES if isinstance(kind, cls)), None)
        if name is None:
            raise TypeError(f"no binary COPY type for {table.name}.{column} ({kind})")
        names.append(name)
    return tuple(names)


@lru_cache(maxsize=64)
def _processors(table: Table, columns: tuple[str, ...], dialect: Dialect
                ) -> tuple[tuple[int, Callable[[Any], Any]], ...]:
    """The columns (by position) whose type processes a value before the driver sees it."""
    found = ((index, table.c[name].type.bind_processor(dialect))
             for index, name in enumerate(columns))
    return tuple((index, process) for index, process in found if process is not None)
