"""Bids' rows (R-C9, R-C10): the frozen bids of projects, and a bid's mark on its bidder."""

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, select, update

from cunguan.custody.store import lookups
from cunguan.custody.store.tables import custody_bids, custody_users
from cunguan.db.bulk import Rows, insert_rows


def insert(conn: Connection, rows: Rows) -> None:
    insert_rows(conn, custody_bids, rows)


def frozen_of(conn: Connection, tenant_id: str, project_ids: Iterable[str]
              ) -> dict[str, list[Any]]:
    """The frozen bids of each of ``project_ids``, by project, each project's by bid id."""
    return lookups.rows_of(conn, custody_bids, tenant_id, "project_id", project_ids, "bid_id",
                           status="frozen")


def frozen(conn: Connection, tenant_id: str, project_id: str) -> list[Any]:
    """One project's frozen bids, by bid id."""
    b = custody_bids.c
    return list(conn.execute(select(custody_bids).where(
        b.tenant_id == tenant_id, b.project_id == project_id, b.status == "frozen",
    ).order_by(b.bid_id)))


def end_frozen(conn: Connection, tenant_id: str, project_ids: Iterable[str],
               status: str) -> None:
    """The projects' frozen bids become ``status`` (lent, released)."""
    b = custody_bids.c
    conn.execute(update(custody_bids).where(
        b.tenant_id == tenant_id, b.project_id.in_(list(project_ids)),
        b.status == "frozen").values(status=status))


def mark_bidders(conn: Connection, tenant_id: str, user_ids: Iterable[str]) -> None:
    """The users have bid (newbie projects take one bid each, R-C9)."""
    # Only the first bid changes a user's row (PostgreSQL writes a new row version for
    # an update that changes nothing).
    u = custody_users.c
    conn.execute(update(custody_users).where(
        u.tenant_id == tenant_id, u.has_bid == 0, u.user_id.in_(set(user_ids))).values(has_bid=1))
