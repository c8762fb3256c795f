"""The outbox's rows as the platform sequences, delivers and shows them (the table itself is the
kernel's, ``cunguan.db.outbox``: every context writes its events there)."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from cunguan.db.bulk import update_rows
from cunguan.db.outbox import outbox_events, outbox_sequencer

_e = outbox_events.c


def _lock_sequencer(conn: Connection, name: str) -> int:
    """The sequencer's last value, its row locked (made, at 0, on first use)."""
    s = outbox_sequencer.c
    query = select(s.last_seq).where(s.name == name)
    if conn.dialect.name == "postgresql":
        query = query.with_for_update()
    last = conn.execute(query).scalar()
    if last is None:
        conn.execute(insert(outbox_sequencer).values(name=name, last_seq=0))
        return 0
    return int(last)


def sequence_page(conn: Connection, sequencer: str, rows_max: int) -> int:
    """Give up to ``rows_max`` visible, unsequenced events the sequencer's next values, in
    event-id order, under its lock; how many."""
    last = _lock_sequencer(conn, sequencer)
    ids = conn.execute(select(_e.event_id).where(_e.seq.is_(None))
                       .order_by(_e.event_id).limit(rows_max)).scalars().all()
    for offset, event_id in enumerate(ids, start=1):
        conn.execute(update(outbox_events).where(_e.event_id == event_id)
                     .values(seq=last + offset))
    conn.execute(update(outbox_sequencer).where(outbox_sequencer.c.name == sequencer)
                 .values(last_seq=last + len(ids)))
    return len(ids)


def events_after(conn: Connection, tenant_id: str, after_seq: int, rows_max: int
                 ) -> Sequence[Any]:
    """The tenant's event rows after the cursor, oldest first."""
    return conn.execute(select(outbox_events).where(
        _e.tenant_id == tenant_id, _e.seq > after_seq,
    ).order_by(_e.seq).limit(rows_max)).all()


def claim_due(conn: Connection, now: datetime, lease_until: datetime, rows_max: int
              ) -> Sequence[Any]:
    """Event rows pending and due by ``now``, oldest due first, leased until ``lease_until``
    (on PostgreSQL rows another worker holds are skipped)."""
    query = (select(outbox_events).where(_e.delivery == "pending", _e.next_attempt_at <= now)
             .order_by(_e.next_attempt_at, _e.event_id).limit(rows_max))
    if conn.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    rows = conn.execute(query).all()
    if rows:
        conn.execute(update(outbox_events).where(
            _e.event_id.in_([row.event_id for row in rows])).values(next_attempt_at=lease_until))
    return rows


def record_outcomes(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Each event's delivery columns, by event id."""
    update_rows(conn, outbox_events, ("event_id",), rows)


def dead_events(conn: Connection, tenant_id: str | None, rows_max: int) -> Sequence[Any]:
    """Dead-lettered event rows (of one tenant, or all), by event id."""
    query = select(outbox_events).where(_e.delivery == "dead")
    if tenant_id is not None:
        query = query.where(_e.tenant_id == tenant_id)
    return conn.execute(query.order_by(_e.event_id).limit(rows_max)).all()


def redeliver(conn: Connection, event_id: int, now: datetime) -> int:
    """A dead-lettered event pending again, due now; how many rows changed (0 or 1)."""
    return conn.execute(update(outbox_events).where(
        _e.event_id == event_id, _e.delivery == "dead",
    ).values(delivery="pending", next_attempt_at=now)).rowcount


def delivery_status(conn: Connection, event_id: int) -> dict[str, Any] | None:
    row = conn.execute(select(_e.delivery, _e.attempts, _e.last_error, _e.delivered_at)
                       .where(_e.event_id == event_id)).first()
    return None if row is None else dict(row._mapping)
