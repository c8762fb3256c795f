"""Withdrawals (R-C15..R-C17): recorded, read by no. and changed, and what each user has
withdrawn so far that counts towards the next one's fee and rail."""

from collections.abc import Collection, Iterable, Sequence
from datetime import date
from typing import Any

from sqlalchemy import Connection, func, select

from cunguan.core import limits
from cunguan.custody.store import lookups
from cunguan.custody.store import rows as keyed
from cunguan.custody.store.tables import custody_users, custody_withdrawals
from cunguan.db.bulk import insert_rows

#: The withdrawals that count: not failed, refused or reversed.
_LIVE = ("pending_review", "processing", "succeeded")


def insert_withdrawals(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    insert_rows(conn, custody_withdrawals, rows)


def withdrawal(conn: Connection, tenant_id: str, withdrawal_no: str) -> Any:
    """The withdrawal of this no. (locked on PostgreSQL), or None."""
    return keyed.row(conn, custody_withdrawals, tenant_id, "request_no", withdrawal_no,
                     lock=True)


def by_no(conn: Connection, tenant_id: str, withdrawal_nos: Iterable[str]) -> dict[str, Any]:
    """The withdrawals of these nos. (locked on PostgreSQL), by no."""
    return lookups.rows_by(conn, custody_withdrawals, tenant_id, "request_no", withdrawal_nos,
                           lock=True)


def set_withdrawals(conn: Connection, tenant_id: str, rows: Sequence[dict[str, Any]]) -> None:
    """New values for withdrawals, each named by its ``request_no``."""
    keyed.set_rows(conn, custody_withdrawals, tenant_id, "request_no", rows)


def in_flight(conn: Connection, tenant_id: str, rail: str) -> list[str]:
    """The nos. of a platform's withdrawals processing by ``rail``, oldest first."""
    w = custody_withdrawals.c
    return list(conn.execute(select(w.request_no).where(
        w.tenant_id == tenant_id, w.rail == rail, w.status == "processing")
        .order_by(w.created_at, w.request_no).limit(limits.page_rows_max)).scalars())


def so_far(conn: Connection, tenant_id: str, user_ids: Collection[str], month: str,
           today: date, free_per_month: int) -> tuple[dict[str, int], dict[str, int]]:
    """Per user: withdrawals this month (for the free ones, R-C17) and the amount sent by
    HVPS today (its daily quota, R-C16), counting those not failed or refused.

    The month's count stops at the free allowance (past it every withdrawal pays the
    same), so a user's thousandth withdrawal of the month reads as few rows as the second.
    """
    w, u = custody_withdrawals.c, custody_users.c
    live = w.status.in_(_LIVE)
    firsts = select(w.request_no).where(
        w.tenant_id == u.tenant_id, w.user_id == u.user_id, w.month == month, live,
    ).limit(free_per_month).correlate(custody_users).subquery()
    counted = select(func.count()).select_from(firsts).scalar_subquery()
    counts = {user: int(n) for user, n in conn.execute(
        select(u.user_id, counted).where(u.tenant_id == tenant_id, u.user_id.in_(user_ids)))
        if n}
    hvps_fen = {user: int(fen) for user, fen in conn.execute(
        select(w.user_id, func.sum(w.amount_fen)).where(
            w.tenant_id == tenant_id, w.user_id.in_(user_ids), live, w.rail == "hvps",
            w.business_date == today).group_by(w.user_id))}
    return counts, hvps_fen

