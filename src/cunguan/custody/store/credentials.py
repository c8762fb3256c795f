"""The transaction password's attempts (the hash itself is on the user's row). Standing
authorizations (免密授权) are read set-based by ``lookups.authorizations``."""

from datetime import datetime

from sqlalchemy import Connection, update

from cunguan.custody.store.tables import custody_users


def set_password_attempts(conn: Connection, tenant_id: str, user_id: str, *,
                          failed_attempts: int, locked_until: datetime | None) -> None:
    """The user's wrong attempts in a row, and until when the password is locked."""
    conn.execute(update(custody_users).where(
        custody_users.c.tenant_id == tenant_id, custody_users.c.user_id == user_id,
    ).values(failed_attempts=failed_attempts, locked_until=locked_until))
