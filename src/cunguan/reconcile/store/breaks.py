"""Breaks (差错), everything done to them, and the adjustments proposed for them."""

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, delete, exists, insert, select, update

from cunguan.core import limits
from cunguan.reconcile.rules.returns import IMPORT_BREAK_PREFIX
from cunguan.reconcile.store.tables import (
    reconcile_adjustments,
    reconcile_break_actions,
    reconcile_breaks,
)

_b = reconcile_breaks.c
_a = reconcile_break_actions.c
_j = reconcile_adjustments.c


def record_found(conn: Connection, account_no: str, as_of: date,
                 rows: Sequence[dict[str, Any]], now: datetime) -> list[int]:
    """A day's run's breaks: new ones opened; ones found before (by an earlier run of the day,
    or an earlier day's: an overdue item carried in transit) are kept as they are worked (same
    key); ones an earlier run of the day found that this run does not, never touched by an
    operator, are dropped (the inputs changed: a late statement line); ones a later day's run
    raised are dated this day, the first to find them. Breaks a statement's
    import kept (R-C15, ``IMPORT_BREAK_PREFIX``) are not the run's: it never drops them.
    Returns the ids of the day's breaks an operator worked that this run no longer finds:
    kept, for the operator to look at again."""
    keys = [row["break_key"] for row in rows]
    touched = exists().where(_a.break_id == _b.break_id)
    days = conn.execute(select(
        _b.break_id, _b.break_key, (_b.state == "open") & (_b.owner == "") & ~touched).where(
        _b.account_no == account_no, _b.as_of == as_of,
        ~_b.break_key.startswith(IMPORT_BREAK_PREFIX, autoescape=True))).tuples().all()
    wanted, step = set(keys), limits.keys_per_statement_max
    stale = [break_id for break_id, key, untouched in days
             if untouched and key not in wanted]
    worked = [break_id for break_id, key, untouched in days
              if not untouched and key not in wanted]
    for start in range(0, len(stale), step):
        conn.execute(delete(reconcile_breaks).where(
            _b.break_id.in_(stale[start:start + step])))
    known = {key for start in range(0, len(keys), step)
             for key in conn.execute(select(_b.break_key).where(
                 _b.break_key.in_(keys[start:start + step]))).scalars()}
    for start in range(0, len(keys), step):   # a later day's run raised it first: a day
        conn.execute(update(reconcile_breaks).where(   # matched late dates it, as in order
            _b.break_key.in_(keys[start:start + step]), _b.as_of > as_of).values(
            as_of=as_of, opened_on=as_of))
    new = [row for row in rows if row["break_key"] not in known]
    if new:
        conn.execute(insert(reconcile_breaks), [
            {**row, "account_no": account_no, "as_of": as_of, "owner": "", "state": "open",
             "opened_on": as_of, "resolved_on": None, "resolution": "", "tenant_id": None,
             "tx_id": None, "updated_at": now} for row in new])
    return worked


def keep(conn: Connection, rows: Sequence[dict[str, Any]], operator: str,
         now: datetime) -> list[int]:
    """Breaks an import keeps (each row's ``note`` says why, as its first action): the ones
    not kept before opened; the ids of all of them, in the rows' order."""
    keys = [row["break_key"] for row in rows]
    known = dict(conn.execute(select(_b.break_key, _b.break_id).where(
        _b.break_key.in_(keys))).tuples().all()) if keys else {}
    for row in rows:
        if row["break_key"] in known:
            continue
        values = {k: v for k, v in row.items() if k != "note"}
        break_id = int(conn.execute(insert(reconcile_breaks).values(
            **values, owner="", state="open", opened_on=row["as_of"], resolved_on=None,
            resolution="", tenant_id=None, tx_id=None, updated_at=now)
            .returning(_b.break_id)).scalar_one())
        act(conn, break_id, "opened", operator, row["note"][:limits.reconcile_note_length_max],
            now)
        known[row["break_key"]] = break_id
    return [known[key] for key in keys]


def kept_line_keys(conn: Connection, account_no: str) -> set[str]:
    """The statement lines of the account that an import kept as breaks (R-C15): decided,
    whatever became of the break, so matching never raises them a second time."""
    rows = conn.execute(select(_b.item_keys).where(
        _b.account_no == account_no,
        _b.break_key.startswith(IMPORT_BREAK_PREFIX, autoescape=True))).scalars()
    return {key.removeprefix("bank:") for keys in rows for key in keys.split(",")}


def get(conn: Connection, break_id: int, *, lock: bool = False) -> Any:
    query = select(reconcile_breaks).where(_b.break_id == break_id)
    return conn.execute(query.with_for_update() if lock else query).first()


def listed(conn: Connection, *, account_no: str | None, state: str | None,
           open_only: bool, rows_max: int) -> list[Any]:
    query = select(reconcile_breaks)
    if account_no is not None:
        query = query.where(_b.account_no == account_no)
    if state is not None:
        query = query.where(_b.state == state)
    elif open_only:
        query = query.where(_b.state.not_in(("resolved", "written_off")))
    return list(conn.execute(query.order_by(_b.opened_on, _b.break_id).limit(rows_max)).all())


def of_day(conn: Connection, account_no: str, as_of: date) -> list[Any]:
    return list(conn.execute(select(reconcile_breaks).where(
        _b.account_no == account_no, _b.as_of == as_of).order_by(_b.break_id)).all())


def open_on(conn: Connection, account_no: str, as_of: date) -> list[Any]:
    """Breaks opened by ``as_of`` and not resolved by then."""
    return list(conn.execute(select(reconcile_breaks).where(
        _b.account_no == account_no, _b.opened_on <= as_of,
        (_b.resolved_on.is_(None)) | (_b.resolved_on > as_of)).order_by(_b.break_id)).all())


def change(conn: Connection, break_id: int, values: dict[str, Any]) -> None:
    conn.execute(update(reconcile_breaks).where(_b.break_id == break_id).values(**values))


def act(conn: Connection, break_id: int, kind: str, operator: str, note: str,
        at: datetime) -> None:
    conn.execute(insert(reconcile_break_actions).values(
        break_id=break_id, kind=kind, operator=operator, note=note, at=at))


def actions(conn: Connection, break_id: int) -> list[Any]:
    return list(conn.execute(select(reconcile_break_actions).where(
        _a.break_id == break_id).order_by(_a.action_id)).all())


def insert_adjustment(conn: Connection, row: dict[str, Any]) -> int:
    result = conn.execute(insert(reconcile_adjustments).values(**row)
                          .returning(_j.adjustment_id))
    return int(result.scalar_one())


def adjustments(conn: Connection, break_id: int) -> list[Any]:
    return list(conn.execute(select(reconcile_adjustments).where(
        _j.break_id == break_id).order_by(_j.adjustment_id)).all())


def live_adjustment(conn: Connection, break_id: int) -> Any:
    """The break's adjustment not rejected (proposed, approved or posted), or None."""
    return conn.execute(select(reconcile_adjustments).where(
        _j.break_id == break_id, _j.state != "rejected").order_by(
        _j.adjustment_id.desc()).limit(1)).first()


def change_adjustment(conn: Connection, adjustment_id: int, values: dict[str, Any]) -> None:
    conn.execute(update(reconcile_adjustments).where(
        _j.adjustment_id == adjustment_id).values(**values))
