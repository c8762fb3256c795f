"""Quick-pay recharges (R-C7): recorded, and settled by the channel T+1."""

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import Connection, func, select, update

from cunguan.custody.store.tables import custody_recharges
from cunguan.db.bulk import insert_rows


def insert_recharges(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    insert_rows(conn, custody_recharges, rows)


def due(conn: Connection, tenant_id: str, settle_on: date) -> tuple[int, int]:
    """(net amount, count) of the recharges not settled yet that the channel settles by
    ``settle_on``: their amounts less the channel's fees."""
    r = custody_recharges.c
    row = conn.execute(select(func.coalesce(func.sum(r.amount_fen - r.fee_fen), 0),
                              func.count()).where(
        r.tenant_id == tenant_id, r.settled == 0, r.settle_on <= settle_on)).one()
    return int(row[0]), int(row[1])


def mark_settled(conn: Connection, tenant_id: str, settle_on: date) -> None:
    r = custody_recharges.c
    conn.execute(update(custody_recharges).where(
        r.tenant_id == tenant_id, r.settled == 0, r.settle_on <= settle_on,
    ).values(settled=1))
