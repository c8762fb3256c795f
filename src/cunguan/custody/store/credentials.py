"""A user's consent to a payment: the transaction password's attempts (the hash itself is on
the user's row) and standing authorizations (免密授权)."""

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, select, update

from cunguan.custody.store.tables import custody_authorizations, custody_users

_AUTHORIZATION = select(custody_authorizations.c.max_amount_fen,
                        custody_authorizations.c.expires_at).where(
    custody_authorizations.c.tenant_id == bindparam("tenant_id"),
    custody_authorizations.c.user_id == bindparam("user_id"),
    custody_authorizations.c.kind == bindparam("kind"),
    custody_authorizations.c.status == "active")


def set_password_attempts(conn: Connection, tenant_id: str, user_id: str, *,
                          failed_attempts: int, locked_until: datetime | None) -> None:
    """The user's wrong attempts in a row, and until when the password is locked."""
    conn.execute(update(custody_users).where(
        custody_users.c.tenant_id == tenant_id, custody_users.c.user_id == user_id,
    ).values(failed_attempts=failed_attempts, locked_until=locked_until))


def authorization(conn: Connection, tenant_id: str, user_id: str, kind: str) -> Any:
    """The user's active authorization of ``kind`` as (max amount in fen, expires at), or
    None."""
    return conn.execute(_AUTHORIZATION, {"tenant_id": tenant_id, "user_id": user_id,
                                         "kind": kind}).first()
