"""Finance plans' rows (R-C19): plans and the holdings users buy of them."""

from typing import Any

from sqlalchemy import Connection, insert, select

from cunguan.custody.store import rows as keyed
from cunguan.custody.store.tables import custody_plan_holdings, custody_plans
from cunguan.db.bulk import update_rows


def insert_plan(conn: Connection, **values: Any) -> None:
    conn.execute(insert(custody_plans).values(**values))


def insert_holding(conn: Connection, **values: Any) -> None:
    conn.execute(insert(custody_plan_holdings).values(**values))


def holding(conn: Connection, tenant_id: str, holding_id: str) -> Any:
    """The holding, unlocked, or None."""
    h = custody_plan_holdings.c
    return conn.execute(select(custody_plan_holdings).where(
        h.tenant_id == tenant_id, h.holding_id == holding_id)).first()


def set_holding(conn: Connection, tenant_id: str, holding_id: str, **values: Any) -> None:
    update_rows(conn, custody_plan_holdings, ("tenant_id", "holding_id"),
                [{"tenant_id": tenant_id, "holding_id": holding_id, **values}])


def plan(conn: Connection, tenant_id: str, plan_id: str) -> Any:
    """The plan (locked on PostgreSQL), or None."""
    return keyed.row(conn, custody_plans, tenant_id, "plan_id", plan_id, lock=True)


def plan_exists(conn: Connection, tenant_id: str, plan_id: str) -> bool:
    return keyed.exists(conn, custody_plans, tenant_id, "plan_id", plan_id)


def locked_holding(conn: Connection, tenant_id: str, holding_id: str) -> Any:
    """The holding (locked on PostgreSQL), or None."""
    return keyed.row(conn, custody_plan_holdings, tenant_id, "holding_id", holding_id,
                     lock=True)
