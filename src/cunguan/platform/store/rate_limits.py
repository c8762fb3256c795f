"""Shared rate-limit counts: one row per bucket and window, counted up by one statement."""

from datetime import datetime

from sqlalchemy import Connection, delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from cunguan.platform.store.tables import api_rate_limits


def count_hit(conn: Connection, bucket: str, window_start: datetime) -> int:
    """Count one hit in the bucket's window; the window's hits with it (one statement, so
    concurrent processes never lose a hit)."""
    insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    statement = insert(api_rate_limits).values(
        bucket=bucket, window_start=window_start, hits=1,
    ).on_conflict_do_update(
        index_elements=["bucket", "window_start"],
        set_={"hits": api_rate_limits.c.hits + 1},
    ).returning(api_rate_limits.c.hits)
    return int(conn.execute(statement).scalar_one())


def forget_before(conn: Connection, window_start: datetime) -> int:
    """Drop the counts of windows before this one: they limit nothing any more."""
    return conn.execute(delete(api_rate_limits).where(
        api_rate_limits.c.window_start < window_start)).rowcount
