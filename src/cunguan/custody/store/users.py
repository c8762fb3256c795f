"""Custody users' rows: the keys one person holds on a platform (R-C4), new users, their status
and password, and the claims that keep a card bound (R-C5)."""

from collections.abc import Collection
from typing import Any

from sqlalchemy import Connection, func, insert, select, tuple_, update

from cunguan.custody.store.tables import custody_claims, custody_users
from cunguan.db.bulk import insert_rows


def holder_of(conn: Connection, tenant_id: str, id_kind: str, id_no: str) -> str | None:
    """The user on the platform who holds this ID, if any."""
    u = custody_users.c
    taken = conn.execute(select(u.user_id).where(
        u.tenant_id == tenant_id, u.id_kind == id_kind, u.id_no == id_no)).first()
    return None if taken is None else str(taken[0])


def taken_keys(conn: Connection, tenant_id: str, user_ids: Collection[str],
               people: Collection[tuple[str, str]], mobiles: Collection[str]
               ) -> tuple[set[str], dict[tuple[str, str], str], set[str]]:
    """For many openings at once, what the platform's users hold already: of ``user_ids``
    those that exist, of ``people`` ((ID kind, ID no.) each) who holds each, of ``mobiles``
    those taken — one statement each, each on its unique index."""
    u = custody_users.c
    existing = set(conn.execute(select(u.user_id).where(
        u.tenant_id == tenant_id, u.user_id.in_(sorted(user_ids)))).scalars()) \
        if user_ids else set()
    holders = {(row.id_kind, row.id_no): str(row.user_id) for row in conn.execute(
        select(u.user_id, u.id_kind, u.id_no).where(
            u.tenant_id == tenant_id, tuple_(u.id_kind, u.id_no).in_(sorted(people))))} \
        if people else {}
    taken = set(conn.execute(select(u.mobile).where(
        u.tenant_id == tenant_id, u.mobile.in_(sorted(mobiles)))).scalars()) if mobiles else set()
    return existing, holders, taken


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


def insert_users(conn: Connection, rows: list[dict[str, Any]]) -> None:
    insert_rows(conn, custody_users, rows)


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
