"""Match runs, the matches they found, and items in transit carried from day to day."""

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import Connection, delete, insert, or_, select, update

from cunguan.reconcile.store.tables import (
    reconcile_in_transit,
    reconcile_match_runs,
    reconcile_matches,
)

_r = reconcile_match_runs.c
_m = reconcile_matches.c
_t = reconcile_in_transit.c


def run(conn: Connection, account_no: str, as_of: date) -> Any:
    """The account's run for the day, or None."""
    return conn.execute(select(reconcile_match_runs).where(
        _r.account_no == account_no, _r.as_of == as_of)).first()


def runs(conn: Connection, account_no: str, first: date, last: date) -> list[Any]:
    return list(conn.execute(select(reconcile_match_runs).where(
        _r.account_no == account_no, _r.as_of.between(first, last)).order_by(_r.as_of)).all())


def runs_after(conn: Connection, account_no: str, as_of: date) -> list[Any]:
    """The account's runs of the days after ``as_of``, in order."""
    return list(conn.execute(select(reconcile_match_runs).where(
        _r.account_no == account_no, _r.as_of > as_of).order_by(_r.as_of)).all())


def undo_run(conn: Connection, account_no: str, as_of: date) -> None:
    """Forget what the day's earlier run wrote (its matches, the items it saw first, the
    arrivals it recorded), so a run on changed inputs starts from the day before's state."""
    conn.execute(delete(reconcile_match_runs).where(
        _r.account_no == account_no, _r.as_of == as_of))
    conn.execute(delete(reconcile_matches).where(
        _m.account_no == account_no, _m.as_of == as_of))
    conn.execute(delete(reconcile_in_transit).where(
        _t.account_no == account_no, _t.first_seen == as_of))
    conn.execute(update(reconcile_in_transit).where(
        _t.account_no == account_no, _t.arrived_on == as_of).values(arrived_on=None))


def manual_pairs(conn: Connection, account_no: str, as_of: date
                 ) -> dict[str, list[tuple[str, str]]]:
    """The day's hand pairs: group id → its (side, key)s, bank lines first."""
    pairs: dict[str, list[tuple[str, str]]] = {}
    for row in conn.execute(select(_m.group_id, _m.side, _m.item_key).where(
            _m.account_no == account_no, _m.as_of == as_of, _m.rule == "manual").order_by(
            _m.group_id, _m.side, _m.item_key)):
        pairs.setdefault(row.group_id, []).append((row.side, row.item_key))
    return pairs


def insert_run(conn: Connection, row: dict[str, Any]) -> None:
    conn.execute(insert(reconcile_match_runs).values(**row))


def insert_matches(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        conn.execute(insert(reconcile_matches), list(rows))


def carried(conn: Connection, account_no: str, as_of: date) -> list[Any]:
    """The items in transit from days before ``as_of`` that had not arrived before it."""
    return list(conn.execute(select(reconcile_in_transit).where(
        _t.account_no == account_no, _t.first_seen < as_of,
        or_(_t.arrived_on.is_(None), _t.arrived_on >= as_of)).order_by(_t.side, _t.item_key)
    ).all())


def open_in_transit(conn: Connection, account_no: str) -> list[Any]:
    """The account's items in transit now, oldest first."""
    return list(conn.execute(select(reconcile_in_transit).where(
        _t.account_no == account_no, _t.arrived_on.is_(None)).order_by(
        _t.first_seen, _t.side, _t.item_key)).all())


def in_transit_on(conn: Connection, account_no: str, as_of: date) -> list[Any]:
    """The items in transit at the end of ``as_of``: seen by then, not arrived by then."""
    return list(conn.execute(select(reconcile_in_transit).where(
        _t.account_no == account_no, _t.first_seen <= as_of,
        or_(_t.arrived_on.is_(None), _t.arrived_on > as_of)).order_by(
        _t.first_seen, _t.side, _t.item_key)).all())


def arrived(conn: Connection, keys: Sequence[tuple[str, str]], as_of: date) -> None:
    """Carried items matched on ``as_of``: arrived then."""
    for side, key in keys:
        conn.execute(update(reconcile_in_transit).where(
            _t.side == side, _t.item_key == key).values(arrived_on=as_of))


def carry(conn: Connection, rows: Sequence[dict[str, Any]], as_of: date) -> None:
    """Items still in transit after ``as_of``'s run: new ones recorded, carried ones aged."""
    for row in rows:
        updated = conn.execute(update(reconcile_in_transit).where(
            _t.side == row["side"], _t.item_key == row["item_key"]).values(
            last_seen=as_of, age_days=row["age_days"], overdue=row["overdue"],
            arrived_on=None)).rowcount
        if not updated:
            conn.execute(insert(reconcile_in_transit).values(
                first_seen=as_of, last_seen=as_of, arrived_on=None, **row))
