"""R-B2: matching a day again, late, ends where matching every day in order would have. A
day's carried items depend on every day before it, so a day matched again on changed inputs
matches the later days again after it (handlers/matching.py). Checked on SQLite: each example
builds two databases, one matched with a late posting, one with the posting there from the
start, and compares what they recorded."""

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select

from cunguan.ledger.model import Transfer
from cunguan.reconcile.rules.statements import Direction
from cunguan.reconcile.store.tables import (
    reconcile_breaks,
    reconcile_in_transit,
    reconcile_matches,
)
from tests.conftest import fresh_engine
from tests.helpers import DAY, SUMMARY, TENANT
from tests.reconcile.integration.helpers import BANK_ACCOUNT, OPERATOR, line, statement, world

DAYS = 3
#: (reference, amount in fen, on the books?, the bank's day or None)
Money = tuple[str, int, bool, int | None]
_money = st.tuples(st.sampled_from(["A", "B", "C", ""]), st.sampled_from([500, 1_000, 1_001]),
                   st.booleans(), st.one_of(st.none(), st.integers(0, DAYS - 1)))


def _post(w: Any, money: Sequence[Money], first_no: int) -> None:
    transfers = [Transfer(f"R{first_no + i}", SUMMARY, "U1", amount, "recharge")
                 for i, (_, amount, on_books, _) in enumerate(money) if on_books]
    if transfers:
        w.ledger.execute(TENANT, transfers)


def _statements(w: Any, money: Sequence[Money]) -> None:
    opening = 0
    for k in range(DAYS):
        day = DAY + timedelta(days=k)
        lines = [line(n + 1, Direction.CREDIT, amount, ref=ref, day=day)
                 for n, (ref, amount, _, bank_day) in enumerate(
                     m for m in money if m[3] == k)]
        made = statement(f"ST{k}", opening, lines, day=day)
        w.recon.import_statement(made, file_sha256=f"{k}" * 64, operator=OPERATOR)
        opening = made.closing_balance_fen


def _match(w: Any, first: date) -> None:
    for k in range((first - DAY).days, DAYS):
        w.recon.match_day(BANK_ACCOUNT, DAY + timedelta(days=k), operator=OPERATOR)


def _recorded(engine: Engine) -> tuple[set[Any], ...]:
    t, m, b = reconcile_in_transit.c, reconcile_matches.c, reconcile_breaks.c
    with engine.connect() as conn:
        return (set(conn.execute(select(t.side, t.item_key, t.first_seen, t.arrived_on,
                                        t.overdue))),
                set(conn.execute(select(m.side, m.item_key, m.as_of, m.rule))),
                set(conn.execute(select(b.break_class, b.item_keys, b.state, b.as_of,
                                        b.difference_fen))))


@settings(max_examples=12, deadline=None)
@given(st.lists(_money, min_size=1, max_size=6), st.lists(_money, min_size=1, max_size=3))
def test_r_b2_a_day_matched_again_late_ends_as_matching_in_order_would(
        early: list[Money], late: list[Money]) -> None:
    late = [(ref, amount, True, None) for ref, amount, _, _ in late]   # postings only
    with fresh_engine("sqlite") as engine_late, fresh_engine("sqlite") as engine_order:
        w = world(engine_late)
        _post(w, early, 0)
        _statements(w, early)
        _match(w, DAY)
        _post(w, late, len(early))                       # dated D, found after D+2 matched
        again = w.recon.match_day(BANK_ACCOUNT, DAY, operator=OPERATOR)
        assert again.later_days_matched_again == tuple(
            DAY + timedelta(days=k) for k in range(1, DAYS))
        v = world(engine_order)
        _post(v, early, 0)
        _post(v, late, len(early))
        _statements(v, early)
        _match(v, DAY)
        assert _recorded(engine_late) == _recorded(engine_order)
