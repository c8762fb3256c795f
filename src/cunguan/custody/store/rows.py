"""One of the tenant's rows of a custody table, by a key column: read (locked on PostgreSQL),
asked for, and changed, for the steps every custody command shares."""

import functools
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Select, Table, bindparam, select

from cunguan.db.bulk import update_rows

#: ``Table`` is re-exported so that handlers can name a table's type without SQLAlchemy.
__all__ = ["Table", "exists", "row", "set_rows"]


@functools.lru_cache(maxsize=128)
def _row_query(table: Table, key: str, lock: bool) -> Select[Any]:
    query = select(table).where(table.c.tenant_id == bindparam("tenant_id"),
                                table.c[key] == bindparam("value"))
    return query.with_for_update() if lock else query


def row(conn: Connection, table: Table, tenant_id: str, key: str, value: str, *,
        lock: bool) -> Any:
    """The tenant's row of ``table`` whose ``key`` column is ``value`` (locked on PostgreSQL
    when ``lock``), or None."""
    query = _row_query(table, key, lock and conn.dialect.name == "postgresql")
    return conn.execute(query, {"tenant_id": tenant_id, "value": value}).first()


def exists(conn: Connection, table: Table, tenant_id: str, key: str, value: str) -> bool:
    """Has the tenant a row of ``table`` whose ``key`` is ``value``?"""
    return conn.execute(select(table.c[key]).where(
        table.c.tenant_id == tenant_id, table.c[key] == value)).first() is not None


def set_rows(conn: Connection, table: Table, tenant_id: str, key: str,
             rows: Sequence[dict[str, Any]]) -> None:
    """New values for many of the tenant's rows, each named by its ``key`` column."""
    update_rows(conn, table, ("tenant_id", key), [{"tenant_id": tenant_id, **r} for r in rows])
