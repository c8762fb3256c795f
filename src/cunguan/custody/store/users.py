"""Custody users' rows: the keys one person holds on a platform (R-C4), new users, their status
and password, and the claims that keep a card bound (R-C5)."""

from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from cunguan.custody.store.tables import custody_claims, custody_users


def holder_of(conn: Connection, tenant_id: str, id_kind: str, id_no: str) -> str | None:
    """The user on the platform who holds this ID, if any."""
    u = custody_users.c
    taken = conn.execute(select(u.user_id).where(
        u.tenant_id == tenant_id, u.id_kind == id_kind, u.id_no == id_no)).first()
    return None if taken is None else str(taken[0])


def mobile_taken(conn: Connection, tenant_id: str, mobile: str) -> bool:
    u = custody_users.c
    return conn.execute(select(u.user_id).where(u.tenant_id == tenant_id,
                                                u.mobile == mobile)).first() is not None


def user_exists(conn: Connection, tenant_id: str, user_id: str) -> bool:
    u = custody_users.c
    return conn.execute(select(u.user_id).where(u.tenant_id == tenant_id,
                                                u.user_id == user_id)).first() is not None


def insert_user(conn: Connection, row: dict[str, Any]) -> None:
    conn.execute(insert(custody_users).values(**row))


def set_user(conn: Connection, tenant_id: str, user_id: str, **values: Any) -> None:
    u = custody_users.c
    conn.execute(update(custody_users).where(
        u.tenant_id == tenant_id, u.user_id == user_id).values(**values))


def open_claims(conn: Connection, tenant_id: str, user_id: str) -> int:
    """How many claims the user holds or has listed for transfer."""
    k = custody_claims.c
    return int(conn.execute(select(func.count()).where(
        k.tenant_id == tenant_id, k.holder_user_id == user_id,
        k.status.in_(("holding", "listed")))).scalar_one())
