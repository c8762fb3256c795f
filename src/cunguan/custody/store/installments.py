"""Installments' rows (R-C12, R-C13): a project's repayment schedule as stored."""

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, select, update

from cunguan.custody.store import lookups
from cunguan.custody.store.tables import custody_installments
from cunguan.db.bulk import Rows, insert_rows, update_rows

#: An installment's key columns.
KEY = ("tenant_id", "project_id", "period")


def of_projects(conn: Connection, tenant_id: str, project_ids: Iterable[str]
                ) -> dict[str, list[Any]]:
    """Each project's schedule, by project, in period order."""
    return lookups.rows_of(conn, custody_installments, tenant_id, "project_id", project_ids,
                           "period")


def of_project(conn: Connection, tenant_id: str, project_id: str) -> list[Any]:
    """One project's schedule, in period order."""
    i = custody_installments.c
    return list(conn.execute(select(custody_installments).where(
        i.tenant_id == tenant_id, i.project_id == project_id).order_by(i.period)))


def insert(conn: Connection, rows: Rows) -> None:
    insert_rows(conn, custody_installments, rows)


def set_many(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    """New values for installments, each row naming its ``KEY``."""
    update_rows(conn, custody_installments, KEY, rows)


def set_one(conn: Connection, tenant_id: str, project_id: str, period: int,
            **values: Any) -> None:
    i = custody_installments.c
    conn.execute(update(custody_installments).where(
        i.tenant_id == tenant_id, i.project_id == project_id, i.period == period,
    ).values(**values))


def principal_owed_fen(conn: Connection, tenant_id: str, project_id: str) -> int:
    """The principal the schedule still has due (due or frozen installments)."""
    i = custody_installments.c
    return int(sum(conn.execute(select(i.principal_fen).where(
        i.tenant_id == tenant_id, i.project_id == project_id,
        i.status.in_(("due", "frozen")))).scalars()))
