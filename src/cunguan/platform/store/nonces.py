"""The nonces of signed requests: each recorded once; one recorded before is a replay.

Every signed request writes one, so this is on the API's hot path. On PostgreSQL the batch is
one fixed statement over arrays: a multi-row ``INSERT … VALUES`` built per batch cost ~0.2 ms
of client time a nonce (compiled again for every batch size). Alone (``record_new``) it goes
in one pipeline with its transaction's start; a set-based command's nonces go in the
command's own transaction (``record_new_in``).
"""

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, delete
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from cunguan.core.errors import present
from cunguan.platform.store.tables import api_nonces

_RECORD_PG = ("INSERT INTO api_nonces (key_id, nonce, seen_at) "
              "SELECT * FROM unnest(%s::text[], %s::text[], %s::timestamptz[]) "
              "ON CONFLICT DO NOTHING RETURNING key_id, nonce")
# A nonce lost in a crash reopens replay only of requests signed in the 300 s before it, and
# commands are idempotent by serial no. anyway: not worth an fsync on every request.
_NO_FSYNC_PG = "SET LOCAL synchronous_commit = off"


def record_new(engine: Engine, nonces: list[tuple[str, str]], seen_at: datetime
               ) -> set[tuple[str, str]]:
    """Record the distinct (key id, nonce) pairs, in a transaction of their own; the ones
    that were not recorded before."""
    distinct = _distinct(nonces, seen_at)
    if engine.dialect.name == "postgresql":
        return _record_pg(engine, distinct, seen_at)
    with engine.begin() as conn:
        return _record_sqlite(conn, distinct, seen_at)


def record_new_in(conn: Connection, nonces: list[tuple[str, str]], seen_at: datetime
                  ) -> set[tuple[str, str]]:
    """``record_new`` in the caller's transaction: the nonces are recorded if and only if
    what they guard commits."""
    distinct = _distinct(nonces, seen_at)
    if conn.dialect.name != "postgresql":
        return _record_sqlite(conn, distinct, seen_at)
    raw = present(conn.connection.driver_connection, "a live connection has its driver")
    with raw.cursor() as cur:
        cur.execute(_RECORD_PG, _arrays(distinct, seen_at))
        return _pairs(cur.fetchall())


def _distinct(nonces: list[tuple[str, str]], seen_at: datetime) -> list[tuple[str, str]]:
    if seen_at.tzinfo is None:
        raise ValueError("seen_at must carry its time zone")
    # Sorted: two transactions recording overlapping nonces wait for each other in one order.
    return sorted(set(nonces))


def _arrays(nonces: list[tuple[str, str]], seen_at: datetime) -> tuple[list[Any], ...]:
    return [k for k, _ in nonces], [n for _, n in nonces], [seen_at] * len(nonces)


def _pairs(rows: Any) -> set[tuple[str, str]]:
    """The (key id, nonce) pairs an insert returned: the ones it recorded."""
    return {(row[0], row[1]) for row in rows}


def _record_sqlite(conn: Connection, nonces: list[tuple[str, str]], seen_at: datetime
                   ) -> set[tuple[str, str]]:
    statement = sqlite_insert(api_nonces).values(
        [{"key_id": key_id, "nonce": nonce, "seen_at": seen_at} for key_id, nonce in nonces],
    ).on_conflict_do_nothing().returning(api_nonces.c.key_id, api_nonces.c.nonce)
    return _pairs(conn.execute(statement))


def _record_pg(engine: Engine, nonces: list[tuple[str, str]], seen_at: datetime
               ) -> set[tuple[str, str]]:
    with engine.connect() as conn:
        raw = present(conn.connection.driver_connection, "a live connection has its driver")
        with raw.cursor() as cur:
            with raw.pipeline():   # BEGIN, the setting and the insert: one round trip
                cur.execute(_NO_FSYNC_PG)
                cur.execute(_RECORD_PG, _arrays(nonces, seen_at))
            recorded = _pairs(cur.fetchall())
        raw.commit()
    return recorded


def forget_before(conn: Connection, seen_before: datetime) -> int:
    """Drop the nonces seen before this moment; how many."""
    return conn.execute(delete(api_nonces).where(api_nonces.c.seen_at < seen_before)).rowcount
