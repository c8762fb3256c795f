"""Projects' rows (R-C8): read set-based, inserted and updated many at a time."""

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, select

from cunguan.custody.store import lookups
from cunguan.custody.store import rows as keyed
from cunguan.custody.store.tables import custody_projects
from cunguan.db.bulk import Rows, insert_rows, update_rows


def by_id(conn: Connection, tenant_id: str, project_ids: Iterable[str], *,
          lock: bool = False) -> dict[str, Any]:
    """The tenant's projects among ``project_ids``, by id; locked on PostgreSQL when
    ``lock``."""
    return lookups.rows_by(conn, custody_projects, tenant_id, "project_id", project_ids,
                           lock=lock)


def one(conn: Connection, tenant_id: str, project_id: str) -> Any:
    """The project, unlocked, or None."""
    p = custody_projects.c
    return conn.execute(select(custody_projects).where(
        p.tenant_id == tenant_id, p.project_id == project_id)).first()


def insert(conn: Connection, rows: Rows) -> None:
    insert_rows(conn, custody_projects, rows)


def set_many(conn: Connection, tenant_id: str, rows: Sequence[dict[str, Any]]) -> None:
    """New values for the tenant's projects, each row naming its ``project_id``."""
    update_rows(conn, custody_projects, ("tenant_id", "project_id"),
                [{"tenant_id": tenant_id, **row} for row in rows])


def project(conn: Connection, tenant_id: str, project_id: str, *, lock: bool) -> Any:
    """The project (locked on PostgreSQL when ``lock``), or None."""
    return keyed.row(conn, custody_projects, tenant_id, "project_id", project_id, lock=lock)
