"""A migration's rows (存量迁移, R-C20): the migration with its control totals, every input row's
outcome, what the platform holds already of what the files bring, and the rows the checker's
approval writes (users, cards, projects, installments, claims)."""

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, insert, select

from cunguan.core import limits
from cunguan.custody.rules.migration import Outcome
from cunguan.custody.store.rows import Table, set_rows
from cunguan.custody.store.tables import (
    custody_cards,
    custody_claims,
    custody_installments,
    custody_migration_rows,
    custody_migrations,
    custody_projects,
    custody_users,
)
from cunguan.db.bulk import insert_rows

#: The tables a migration reads and writes, by the name its files give their rows.
TABLES: dict[str, Table] = {"users": custody_users, "cards": custody_cards,
                            "projects": custody_projects, "installments": custody_installments,
                            "claims": custody_claims}

Rows = Sequence[dict[str, Any]]


def existing(conn: Connection, kind: str, tenant_id: str, column: str, values: Iterable[str],
             **equal: Any) -> dict[str, Any]:
    """The tenant's rows of ``kind`` (a key of ``TABLES``) whose ``column`` is one of
    ``values`` (and whose other columns equal ``equal``), by that value, read a chunk at a
    time."""
    table = TABLES[kind]
    wanted = sorted(set(values))
    found: dict[str, Any] = {}
    step = limits.migration_lookup_chunk_max
    extra = [table.c[name] == value for name, value in equal.items()]
    for start in range(0, len(wanted), step):
        found.update((row[0], row) for row in conn.execute(
            select(table.c[column], *table.c).where(
                table.c.tenant_id == tenant_id, table.c[column].in_(wanted[start:start + step]),
                *extra)))
    return found


def migration(conn: Connection, tenant_id: str, migration_id: str, *, lock: bool) -> Any:
    """The migration's row (locked on PostgreSQL when ``lock``), or None."""
    m = custody_migrations.c
    query = select(custody_migrations).where(m.tenant_id == tenant_id,
                                             m.migration_id == migration_id)
    if lock and conn.dialect.name == "postgresql":
        query = query.with_for_update()
    return conn.execute(query).first()


def add_migration(conn: Connection, row: dict[str, Any], reports: Rows) -> None:
    """A staged migration and its rows' outcomes."""
    conn.execute(insert(custody_migrations).values(**row))
    insert_rows(conn, custody_migration_rows, reports)


def set_migration(conn: Connection, tenant_id: str, migration_id: str, **values: Any) -> None:
    set_rows(conn, custody_migrations, tenant_id, "migration_id",
             [{"migration_id": migration_id, **values}])


def row_reports(conn: Connection, tenant_id: str, migration_id: str) -> list[Any]:
    """Every input row's (file, line, key, outcome, code, message), in no order."""
    m = custody_migration_rows.c
    return list(conn.execute(select(m.file, m.line_no, m.row_key, m.outcome, m.code,
                                    m.message).where(m.tenant_id == tenant_id,
                                                     m.migration_id == migration_id)))


def accepted_payloads(conn: Connection, tenant_id: str, migration_id: str,
                      file: str) -> list[tuple[int, str]]:
    """The (line, payload as JSON text) of the file's rows not rejected, in line order."""
    m = custody_migration_rows.c
    return [(line, payload) for line, payload in conn.execute(
        select(m.line_no, m.payload).where(
            m.tenant_id == tenant_id, m.migration_id == migration_id,
            m.file == file, m.outcome != Outcome.REJECTED.value).order_by(m.line_no))]


def add(conn: Connection, kind: str, rows: Rows) -> None:
    """Rows of ``kind`` (a key of ``TABLES``) written, as the checker's approval applies them."""
    insert_rows(conn, TABLES[kind], rows)
