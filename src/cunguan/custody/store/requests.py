"""The request log (R-C21) and its callback outbox: a custody command's record (its serial no.,
content hash, status and result) and the event its callback is delivered from, written in the
command's own transaction; and the reads that replay a recorded answer."""

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, select

from cunguan.custody.store.lookups import key_in
from cunguan.custody.store.tables import custody_requests
from cunguan.db.bulk import insert_tables
from cunguan.db.outbox import outbox_events

#: One request to record: (request no., content hash, status, result as JSON text, content as
#: its canonical JSON text).
Record = tuple[str, int, str, str, str]

# Statements every command runs, built once: building and keying a statement costs ~5× what
# executing a prebuilt one does (measured: 130 µs against 25 µs on SQLite).
_PRIOR = select(custody_requests.c.content_hash, custody_requests.c.status,
                custody_requests.c.result, custody_requests.c.operation,
                custody_requests.c.content).where(
    custody_requests.c.tenant_id == bindparam("tenant_id"),
    custody_requests.c.request_no == bindparam("request_no"))
_PRIORS_PG, _PRIORS_SQLITE = (
    select(custody_requests.c.request_no).where(key_in(custody_requests, "request_no", pg))
    for pg in (True, False))


def prior(conn: Connection, tenant_id: str, request_no: str) -> Any:
    """The recorded request as (content hash, status, result, operation, content), or None."""
    return conn.execute(_PRIOR, {"tenant_id": tenant_id, "request_no": request_no}).first()


def recorded(conn: Connection, tenant_id: str, request_nos: Iterable[str]) -> set[str]:
    """Which of ``request_nos`` the tenant's request log holds already (one statement)."""
    wanted = sorted(set(request_nos))
    if not wanted:
        return set()
    query = _PRIORS_PG if conn.dialect.name == "postgresql" else _PRIORS_SQLITE
    return set(conn.execute(query, {"tenant_id": tenant_id, "keys": wanted}).scalars())


def record(conn: Connection, tenant_id: str, operation: str, now: datetime,
           rows: Sequence[Record]) -> None:
    """Requests' records and their events in the callback outbox, in the caller's transaction:
    a result is never committed without its callback, nor the reverse."""
    if not rows:
        return
    insert_tables(conn, [(custody_requests, [
        {"tenant_id": tenant_id, "request_no": no, "operation": operation,
         "content_hash": content_hash, "status": status, "result": result,
         "created_at": now, "content": content}
        for no, content_hash, status, result, content in rows]), (outbox_events, [
            {"tenant_id": tenant_id, "operation": operation, "request_no": no,
             "status": status, "payload": result, "created_at": now, "delivery": "pending",
             "attempts": 0, "next_attempt_at": now, "last_error": ""}
            for no, _, status, result, _ in rows])])


def status(conn: Connection, tenant_id: str, request_no: str) -> Any:
    """A request's (operation, status, result, created at), or None."""
    r = custody_requests.c
    return conn.execute(select(r.operation, r.status, r.result, r.created_at).where(
        r.tenant_id == tenant_id, r.request_no == request_no)).first()
