"""Match runs, the matches they found, and items in transit carried from day to day."""

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import Connection, delete, insert, or_, select, tuple_, update

from cunguan.core import limits
from cunguan.db import bulk
from cunguan.reconcile.store.tables import (
    reconcile_in_transit,
    reconcile_match_runs,
    reconcile_matches,
)

_r = reconcile_match_runs.c
_m = reconcile_matches.c
_t = reconcile_in_transit.c
#: An item in transit's key.
_KEY = ("side", "item_key")


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
    """A run's (or a hand pair's) matches: COPY on PostgreSQL from ``limits.copy_rows_min``."""
    bulk.insert_rows(conn, reconcile_matches, rows)


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
    """Carried items matched (or decided) on ``as_of``: arrived then. One set-based UPDATE
    (``bulk.update_rows``); a key with no item in transit changes nothing."""
    bulk.update_rows(conn, reconcile_in_transit, _KEY, [
        {"side": side, "item_key": key, "arrived_on": as_of} for side, key in keys])


def carry(conn: Connection, rows: Sequence[dict[str, Any]], as_of: date) -> None:
    """Items still in transit after ``as_of``'s run: carried ones aged, new ones recorded —
    each set in one statement, not one per item."""
    known = _known(conn, [(row["side"], row["item_key"]) for row in rows])
    bulk.update_rows(conn, reconcile_in_transit, _KEY, [
        {"side": row["side"], "item_key": row["item_key"], "last_seen": as_of,
         "age_days": row["age_days"], "overdue": row["overdue"], "arrived_on": None}
        for row in rows if (row["side"], row["item_key"]) in known])
    new = [{**row, "first_seen": as_of, "last_seen": as_of, "arrived_on": None}
           for row in rows if (row["side"], row["item_key"]) not in known]
    bulk.insert_rows(conn, reconcile_in_transit, new)


def _known(conn: Connection, keys: Sequence[tuple[str, str]]) -> set[tuple[str, str]]:
    """Which of ``keys`` have an item in transit (of any day)."""
    step = limits.keys_per_statement_max // 2          # two bound parameters a key
    return {(side, key) for start in range(0, len(keys), step)
            for side, key in conn.execute(select(_t.side, _t.item_key).where(
                tuple_(_t.side, _t.item_key).in_(keys[start:start + step])))}
