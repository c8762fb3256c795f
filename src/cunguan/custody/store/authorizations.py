"""Standing authorizations (免密授权): granted, replaced and revoked."""

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import Connection, insert, update

from cunguan.custody.store.tables import custody_authorizations


def replace(conn: Connection, tenant_id: str, user_id: str, kinds: Collection[str],
            max_amount_fen: int, expires_at: datetime) -> None:
    """The user's authorizations of ``kinds``, replacing any the user had of those kinds."""
    a = custody_authorizations.c
    conn.execute(custody_authorizations.delete().where(
        a.tenant_id == tenant_id, a.user_id == user_id, a.kind.in_(kinds)))
    conn.execute(insert(custody_authorizations), [{
        "tenant_id": tenant_id, "user_id": user_id, "kind": kind,
        "max_amount_fen": max_amount_fen, "expires_at": expires_at,
        "status": "active"} for kind in sorted(set(kinds))])


def revoke(conn: Connection, tenant_id: str, user_id: str, kind: str) -> bool:
    """Revoke the user's active authorization of ``kind``; False when there is none."""
    a = custody_authorizations.c
    done = conn.execute(update(custody_authorizations).where(
        a.tenant_id == tenant_id, a.user_id == user_id, a.kind == kind,
        a.status == "active").values(status="revoked"))
    return done.rowcount == 1
