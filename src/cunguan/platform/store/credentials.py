"""API credentials and the bank's own signing keys."""

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, insert, select, update
from sqlalchemy.exc import IntegrityError

from cunguan.platform.store.tables import api_bank_keys, api_credentials

_c = api_credentials.c


def insert_credential(conn: Connection, *, key_id: str, tenant_id: str | None, role: str,
                      secret: str, sm2_public_key: str | None, created_at: datetime) -> None:
    """A new credential, active."""
    conn.execute(insert(api_credentials).values(
        key_id=key_id, tenant_id=tenant_id, role=role, secret=secret,
        sm2_public_key=sm2_public_key, status="active", created_at=created_at))


def revoke(conn: Connection, key_id: str) -> int:
    """Revoke the key if it is active; how many rows changed (0 or 1)."""
    return conn.execute(update(api_credentials).where(
        _c.key_id == key_id, _c.status == "active",
    ).values(status="revoked")).rowcount


def newest_active_secret(conn: Connection, tenant_id: str) -> tuple[str, str] | None:
    """(key id, secret) of the platform's newest active credential (a clearing participant's
    key, whose bank code sits in the same column, is never taken for it)."""
    row = conn.execute(select(_c.key_id, _c.secret).where(
        _c.tenant_id == tenant_id, _c.status == "active", _c.role == "platform",
    ).order_by(_c.created_at.desc(), _c.key_id).limit(1)).first()
    return None if row is None else (row[0], row[1])


def credential_rows(conn: Connection, key_ids: Iterable[str]) -> dict[str, Any]:
    """The credentials' rows (key id, role, tenant id, secret, SM2 public key, status) by key
    id; unknown ids are absent."""
    return {row.key_id: row for row in conn.execute(select(
        _c.key_id, _c.role, _c.tenant_id, _c.secret, _c.sm2_public_key, _c.status,
    ).where(_c.key_id.in_(set(key_ids))))}


def bank_key(conn: Connection, algorithm: str) -> tuple[str, str] | None:
    """The bank's (private, public) key pair for ``algorithm``, if made."""
    k = api_bank_keys.c
    row = conn.execute(select(k.private_key, k.public_key).where(
        k.algorithm == algorithm)).first()
    return None if row is None else (row[0], row[1])


def insert_bank_key(engine: Engine, algorithm: str, private_key: str, public_key: str,
                    created_at: datetime) -> bool:
    """Store the bank's key pair in a transaction of its own; False when another worker
    stored one first."""
    try:
        with engine.begin() as conn:
            conn.execute(insert(api_bank_keys).values(
                algorithm=algorithm, private_key=private_key, public_key=public_key,
                created_at=created_at))
    except IntegrityError:
        return False
    return True
