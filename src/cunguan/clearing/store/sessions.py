"""SQL of sessions, their positions and settlement, and of events."""

import json
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from cunguan.clearing.store.tables import (
    clearing_events,
    clearing_session_positions,
    clearing_sessions,
)
from cunguan.core import limits
from cunguan.db import bulk


def insert_session(conn: Connection, system_id: str, work_date: date, session_no: int, *,
                   positions: Mapping[str, int], debits_fen: int, credits_fen: int, items: int,
                   settles_on: date, now: datetime) -> None:
    conn.execute(insert(clearing_sessions).values(
        system_id=system_id, work_date=work_date, session_no=session_no, status="submitted",
        net_debits_fen=debits_fen, net_credits_fen=credits_fen, items=items,
        settles_on=settles_on, submitted_at=now))
    rows = [{"system_id": system_id, "work_date": work_date, "session_no": session_no,
             "bank_code": bank, "position_fen": position}
            for bank, position in sorted(positions.items()) if position]
    if rows:
        conn.execute(insert(clearing_session_positions), rows)


def session(conn: Connection, system_id: str, work_date: date, session_no: int) -> Any:
    c = clearing_sessions.c
    return conn.execute(select(clearing_sessions).where(
        c.system_id == system_id, c.work_date == work_date, c.session_no == session_no)).first()


def sessions(conn: Connection, system_id: str, work_date: date | None = None) -> list[Any]:
    c = clearing_sessions.c
    query = select(clearing_sessions).where(c.system_id == system_id)
    if work_date is not None:
        query = query.where(c.work_date == work_date)
    return list(conn.execute(query.order_by(c.work_date, c.session_no)).all())


def unsettled(conn: Connection, system_id: str, on_or_before: date) -> list[Any]:
    c = clearing_sessions.c
    return list(conn.execute(select(clearing_sessions).where(
        c.system_id == system_id, c.status == "submitted", c.settles_on <= on_or_before)
        .order_by(c.work_date, c.session_no).with_for_update()).all())


def positions(conn: Connection, system_id: str, work_date: date, session_no: int
              ) -> list[Any]:
    c = clearing_session_positions.c
    return list(conn.execute(select(clearing_session_positions).where(
        c.system_id == system_id, c.work_date == work_date, c.session_no == session_no)
        .order_by(c.bank_code)).all())


def mark_positions_settled(conn: Connection, system_id: str, work_date: date,
                           session_no: int, banks: list[str]) -> None:
    if not banks:
        return
    c = clearing_session_positions.c
    conn.execute(update(clearing_session_positions).where(
        c.system_id == system_id, c.work_date == work_date, c.session_no == session_no,
        c.bank_code.in_(banks)).values(settled=True))


def mark_session_settled(conn: Connection, system_id: str, work_date: date, session_no: int,
                         now: datetime) -> None:
    c = clearing_sessions.c
    conn.execute(update(clearing_sessions).where(
        c.system_id == system_id, c.work_date == work_date, c.session_no == session_no)
        .values(status="settled", settled_at=now))


def insert_events(conn: Connection, system_id: str, kind: str,
                  events: list[tuple[str, dict[str, Any]]], now: datetime) -> None:
    bulk.insert_rows(conn, clearing_events, [
        {"system_id": system_id, "kind": kind, "bank_code": bank,
         "details": json.dumps(details, sort_keys=True), "at": now}
        for bank, details in events])


def events(conn: Connection, system_id: str, bank_code: str | None = None, *,
           after: int = 0, limit: int = limits.events_per_page_max) -> list[Any]:
    """A page of events (a bank's own, or all), oldest first, after the cursor ``after``."""
    c = clearing_events.c
    query = select(clearing_events).where(c.system_id == system_id, c.event_id > after)
    if bank_code is not None:
        query = query.where(c.bank_code == bank_code)
    return list(conn.execute(query.order_by(c.event_id).limit(limit)).all())
