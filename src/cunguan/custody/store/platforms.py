"""A platform's custody row: written when it is onboarded, read for its settings."""

from typing import Any

from sqlalchemy import Connection, insert, select

from cunguan.custody.store.tables import custody_platforms


def insert_platform(conn: Connection, row: dict[str, Any]) -> None:
    conn.execute(insert(custody_platforms).values(**row))


def strict_reserved_phone(conn: Connection, tenant_id: str) -> bool:
    """R-A1: the platform's setting: must a card's reserved mobile match the account's?"""
    p = custody_platforms.c
    return bool(conn.execute(select(p.strict_reserved_phone).where(
        p.tenant_id == tenant_id)).scalar())
