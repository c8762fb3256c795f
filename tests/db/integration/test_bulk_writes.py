"""The bulk writers (db/bulk.py) leave a table as the row-at-a-time statements would.

``insert_rows`` switches to binary COPY and ``update_rows`` to one UPDATE joining arrays on
PostgreSQL from ``limits.copy_rows_min`` rows; below it, and on SQLite, they go row by row. Each
property here writes the same rows both ways (or against a row-by-row reference) and compares
what the table holds, with nulls, dates, timestamps and keys named more than once.
"""

from datetime import UTC, date, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, delete, select, update

from cunguan.core import limits
from cunguan.custody.store.tables import custody_withdrawals
from cunguan.db.bulk import insert_rows, insert_tables, update_rows

TENANT = "T1"
KEY = ("tenant_id", "request_no")
_DAY = date(2026, 12, 3)
_NOON = datetime(2026, 12, 3, 4, 0, tzinfo=UTC)
_NOS = [f"WD{i}" for i in range(3 * limits.copy_rows_min)]


def _withdrawal(no: str, amount_fen: int) -> dict[str, Any]:
    return {"tenant_id": TENANT, "request_no": no, "user_id": "U1", "card_no": "6222020000000001",
            "amount_fen": amount_fen, "fee_fen": 0, "rail": "super_online", "hold_id": 1,
            "settle_tx_id": None, "status": "processing", "month": "2026-12",
            "business_date": _DAY, "created_at": _NOON}


_changes = st.lists(st.fixed_dictionaries({
    "request_no": st.sampled_from(_NOS),
    "status": st.sampled_from(["succeeded", "failed", "reversed"]),
    "settle_tx_id": st.none() | st.integers(1, 2**62),
    "business_date": st.dates(date(2026, 1, 1), date(2027, 12, 31)),
    "created_at": st.integers(0, 10**6).map(lambda s: _NOON + timedelta(seconds=s)),
}), max_size=3 * limits.copy_rows_min)


def _table(engine: Engine) -> list[tuple[Any, ...]]:
    with engine.connect() as conn:
        rows = conn.execute(select(custody_withdrawals).order_by(
            custody_withdrawals.c.request_no)).all()
    return [tuple(row) for row in rows]


def _reset(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(delete(custody_withdrawals))
        insert_rows(conn, custody_withdrawals, [_withdrawal(no, 100) for no in _NOS])


def test_update_rows_leaves_what_one_update_per_row_leaves(engine: Engine) -> None:
    """Whatever the rows (a key twice: the later values stay), on both backends and on both
    sides of ``limits.copy_rows_min``."""
    @settings(max_examples=40, deadline=None)
    @given(changes=_changes)
    def check(changes: list[dict[str, Any]]) -> None:
        _reset(engine)
        with engine.begin() as conn:
            update_rows(conn, custody_withdrawals, KEY,
                        [{"tenant_id": TENANT, **change} for change in changes])
        bulk = _table(engine)
        _reset(engine)
        with engine.begin() as conn:
            w = custody_withdrawals.c
            for change in changes:
                values = {k: v for k, v in change.items() if k != "request_no"}
                conn.execute(update(custody_withdrawals).where(
                    w.tenant_id == TENANT, w.request_no == change["request_no"]).values(values))
        assert bulk == _table(engine)
    check()


def test_update_rows_touches_no_other_tenant_or_column(engine: Engine) -> None:
    with engine.begin() as conn:
        insert_rows(conn, custody_withdrawals,
                    [_withdrawal(no, 100) for no in _NOS]
                    + [{**_withdrawal(no, 100), "tenant_id": "T2"} for no in _NOS])
        update_rows(conn, custody_withdrawals, KEY, [
            {"tenant_id": TENANT, "request_no": no, "status": "succeeded"} for no in _NOS])
    rows = _table(engine)
    assert {(r[0], r[9]) for r in rows} == {(TENANT, "succeeded"), ("T2", "processing")}
    assert {r[4] for r in rows} == {100}


def test_insert_tables_reads_back_what_was_given(engine: Engine) -> None:
    """Both sides of ``limits.copy_rows_min`` in one call (a pipelined INSERT and a COPY on
    PostgreSQL): nulls, dates and times (stored UTC) come back equal."""
    few = [{**_withdrawal(f"A{i}", i + 1), "settle_tx_id": i or None}
           for i in range(limits.copy_rows_min - 1)]
    many = [{**_withdrawal(f"B{i}", 2**62 - i), "created_at": _NOON + timedelta(minutes=i),
             "settle_tx_id": None if i % 2 else i} for i in range(2 * limits.copy_rows_min)]
    with engine.begin() as conn:
        insert_tables(conn, [(custody_withdrawals, few), (custody_withdrawals, many)])
    columns = list(custody_withdrawals.c.keys())
    expected = sorted(tuple(row[c] for c in columns) for row in few + many)
    assert _table(engine) == expected
