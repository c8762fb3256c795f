"""Matching a day end to end on both backends (R-B2 (1), (2)): a statement built from the
ledger's own movements matches with no break; re-running the day is a replay; an item the bank
has not shown yet is carried in transit and arrives the next day."""

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import Engine, func, select

from cunguan.ledger.model import Transfer
from cunguan.reconcile.rules.matching import MatchPolicy
from cunguan.reconcile.rules.refusals import ReconcileError, Refusal
from cunguan.reconcile.rules.statements import Direction
from cunguan.reconcile.store.tables import (
    reconcile_breaks,
    reconcile_in_transit,
    reconcile_matches,
)
from tests.helpers import DAY, SUMMARY, TENANT
from tests.reconcile.integration.helpers import BANK_ACCOUNT, OPERATOR, line, statement, world

IN, OUT = Direction.CREDIT, Direction.DEBIT


def _count(engine: Engine, table: object) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]


def test_r_b2_a_day_built_from_the_ledger_matches_with_no_break(engine: Engine) -> None:
    w = world(engine)
    w.ledger.execute(TENANT, [Transfer("R1", SUMMARY, "U1", 10_000, "recharge"),
                              Transfer("R2", SUMMARY, "U2", 7_000, "recharge"),
                              Transfer("W1", "U1", SUMMARY, 2_500, "withdrawal")])
    lines = [line(1, IN, 10_000, ref="R1"), line(2, IN, 7_000, ref="R2"),
             line(3, OUT, 2_500, ref="W1")]
    w.recon.import_statement(statement("ST1", 0, lines), file_sha256="a" * 64,
                             operator=OPERATOR)
    run = w.recon.match_day(BANK_ACCOUNT, DAY, operator=OPERATOR)
    assert (run.bank_lines, run.book_items, run.matched) == (3, 3, 6)
    assert (run.breaks, run.in_transit, run.replayed) == (0, 0, False)
    again = w.recon.match_day(BANK_ACCOUNT, DAY, operator=OPERATOR)
    assert again.replayed and again.matched == 6
    assert _count(engine, reconcile_matches) == 6
    assert _count(engine, reconcile_breaks) == 0


def test_r_b2_an_item_in_transit_is_carried_and_arrives_the_next_day(engine: Engine) -> None:
    w = world(engine)
    w.ledger.execute(TENANT, [Transfer("R1", SUMMARY, "U1", 10_000, "recharge"),
                              Transfer("W1", "U1", SUMMARY, 2_500, "withdrawal")])
    w.recon.import_statement(statement("ST1", 0, [line(1, IN, 10_000, ref="R1")]),
                             file_sha256="a" * 64, operator=OPERATOR)
    first = w.recon.match_day(BANK_ACCOUNT, DAY, operator=OPERATOR)
    assert (first.matched, first.breaks, first.in_transit) == (2, 0, 1)
    with engine.connect() as conn:
        carried = conn.execute(select(reconcile_in_transit)).one()
    assert (carried.side, carried.direction, carried.amount_fen) == ("book", "debit", 2_500)
    next_day = DAY + timedelta(days=1)
    w.recon.import_statement(statement("ST2", 10_000, [line(1, OUT, 2_500, ref="W1",
                                                            day=next_day)], day=next_day),
                             file_sha256="b" * 64, operator=OPERATOR)
    second = w.recon.match_day(BANK_ACCOUNT, next_day, operator=OPERATOR)
    assert (second.bank_lines, second.book_items) == (1, 1)   # the carried item
    assert (second.matched, second.breaks, second.in_transit) == (2, 0, 0)
    with engine.connect() as conn:
        arrived = conn.execute(select(reconcile_in_transit)).one()
    assert arrived.arrived_on == next_day
    rerun = w.recon.match_day(BANK_ACCOUNT, next_day, operator=OPERATOR)
    assert rerun.replayed


def test_r_b2_a_line_only_the_bank_has_past_t_plus_n_is_a_break_found_once(engine: Engine
                                                                          ) -> None:
    w = world(engine)
    w.recon.import_statement(statement("ST1", 0, [line(1, IN, 4_200, ref="X9")]),
                             file_sha256="a" * 64, operator=OPERATOR)
    run = w.recon.match_day(BANK_ACCOUNT, DAY, operator=OPERATOR)
    assert (run.matched, run.breaks, run.in_transit) == (0, 0, 1)
    for days in (1, 2, 3):                      # T+1 for money in: overdue from T+2
        later = DAY + timedelta(days=days)
        w.recon.match_day(BANK_ACCOUNT, later, operator=OPERATOR)
    found = w.recon.breaks()
    assert [(b["break_class"], b["amount_fen"], b["difference_fen"]) for b in found] == [
        ("bank_only", 4_200, 4_200)]


def test_r_b2_matching_an_unregistered_account_is_refused(engine: Engine) -> None:
    w = world(engine)
    with pytest.raises(ReconcileError) as refused:
        w.recon.match_day("404", DAY, operator=OPERATOR)
    assert refused.value.code == Refusal.ACCOUNT_NOT_REGISTERED


def test_r_b2_a_day_matched_again_after_a_late_statement_replaces_its_run(engine: Engine
                                                                         ) -> None:
    w = world(engine)
    w.ledger.execute(TENANT, [Transfer("R1", SUMMARY, "U1", 10_000, "recharge")])
    early = w.recon.match_day(BANK_ACCOUNT, DAY, operator=OPERATOR)
    assert (early.bank_lines, early.matched, early.in_transit) == (0, 0, 1)
    w.recon.import_statement(statement("ST1", 0, [line(1, IN, 10_000, ref="R1")]),
                             file_sha256="a" * 64, operator=OPERATOR)
    late = w.recon.match_day(BANK_ACCOUNT, DAY, operator=OPERATOR)
    assert not late.replayed
    assert (late.bank_lines, late.matched, late.in_transit, late.breaks) == (1, 2, 0, 0)
    assert _count(engine, reconcile_in_transit) == 0
    assert _count(engine, reconcile_matches) == 2


def test_r_b2_a_days_hand_pairs_are_made_again_when_it_is_matched_again(engine: Engine
                                                                        ) -> None:
    """An operator's pair survives a run on changed inputs while its items are still in
    transit; a run that matches them itself drops it, and says so."""
    w = world(engine)
    strict = MatchPolicy(date_tolerance_days=0)       # the value dates differ by a day
    w.ledger.execute(TENANT, [Transfer("R1", SUMMARY, "U1", 10_000, "recharge")])
    late_value = replace(line(1, IN, 10_000, ref="ZZ"), value_date=DAY + timedelta(days=1))
    w.recon.import_statement(statement("ST1", 0, [late_value]), file_sha256="a" * 64,
                             operator=OPERATOR)
    first = w.recon.match_day(BANK_ACCOUNT, DAY, operator=OPERATOR, policy=strict)
    assert (first.matched, first.in_transit) == (0, 2)
    paired = w.recon.pair_in_transit(BANK_ACCOUNT, DAY, bank_keys=["S1L1"],
                                     book_keys=["P1/SUMMARY/1"], operator=OPERATOR)
    w.ledger.execute(TENANT, [Transfer("R2", SUMMARY, "U2", 7_000, "recharge")])  # new input
    again = w.recon.match_day(BANK_ACCOUNT, DAY, operator=OPERATOR, policy=strict)
    assert not again.replayed and again.in_transit == 3          # the engine's own view
    assert (again.pairs_kept, again.pairs_dropped) == ((paired["group_id"],), ())
    assert _open(engine) == {("book", "P1/SUMMARY/2")}           # only R2 still waits
    assert _manual(engine) == {("bank", "S1L1"), ("book", "P1/SUMMARY/1")}
    loose = w.recon.match_day(BANK_ACCOUNT, DAY, operator=OPERATOR)   # matches them itself
    assert (loose.pairs_kept, loose.pairs_dropped) == ((), (paired["group_id"],))
    assert loose.matched == 2 and _manual(engine) == set()
    assert _open(engine) == {("book", "P1/SUMMARY/2")}


def _open(engine: Engine) -> set[tuple[str, str]]:
    t = reconcile_in_transit.c
    with engine.connect() as conn:
        return {(r.side, r.item_key) for r in conn.execute(
            select(t.side, t.item_key).where(t.arrived_on.is_(None)))}


def _manual(engine: Engine) -> set[tuple[str, str]]:
    m = reconcile_matches.c
    with engine.connect() as conn:
        return {(r.side, r.item_key) for r in conn.execute(
            select(m.side, m.item_key).where(m.rule == "manual"))}


def test_r_b2_a_carried_item_put_in_a_break_leaves_transit_and_is_raised_once(
        engine: Engine) -> None:
    """R1 waits in transit, then a line of its reference 0.10 short arrives: one
    amount_mismatch. Before, R1 also stayed in transit, was carried on, and was raised a
    second time as book_only once overdue — the same money in two breaks."""
    w = world(engine)
    w.ledger.execute(TENANT, [Transfer("R1", SUMMARY, "U1", 10_000, "recharge")])
    assert w.recon.match_day(BANK_ACCOUNT, DAY, operator=OPERATOR).in_transit == 1
    day1 = DAY + timedelta(days=1)
    w.recon.import_statement(statement("ST1", 0, [line(1, IN, 9_990, ref="R1", day=day1)],
                                       day=day1), file_sha256="a" * 64, operator=OPERATOR)
    for k in range(1, 5):
        run = w.recon.match_day(BANK_ACCOUNT, DAY + timedelta(days=k), operator=OPERATOR)
        assert run.in_transit == 0
    assert _open(engine) == set()
    assert [(b["break_class"], b["difference_fen"]) for b in w.recon.breaks()] == [
        ("amount_mismatch", -10)]


def test_r_b2_matching_a_day_again_matches_the_days_after_it_again(engine: Engine) -> None:
    """R1 waits on D and arrives on D+1. A posting dated D turns up later and D is matched
    again: D+1, matched already, is matched again after it, so R1 stays arrived on D+1.
    Before, D's new run reopened R1 and D+1's record still said it had arrived."""
    w = world(engine)
    w.ledger.execute(TENANT, [Transfer("R1", SUMMARY, "U1", 10_000, "recharge")])
    w.recon.match_day(BANK_ACCOUNT, DAY, operator=OPERATOR)
    day1 = DAY + timedelta(days=1)
    w.recon.import_statement(statement("ST1", 0, [line(1, IN, 10_000, ref="R1", day=day1)],
                                       day=day1), file_sha256="a" * 64, operator=OPERATOR)
    assert w.recon.match_day(BANK_ACCOUNT, day1, operator=OPERATOR).matched == 2
    assert _open(engine) == set()
    w.ledger.execute(TENANT, [Transfer("R2", SUMMARY, "U2", 7_000, "recharge")])  # dated D
    again = w.recon.match_day(BANK_ACCOUNT, DAY, operator=OPERATOR)
    assert not again.replayed and again.later_days_matched_again == (day1,)
    assert _open(engine) == {("book", "P1/SUMMARY/2")}    # R1 arrived on D+1, still
    assert w.recon.match_day(BANK_ACCOUNT, day1, operator=OPERATOR).replayed


def test_r_b2_a_worked_break_a_later_run_no_longer_finds_is_kept_and_named(
        engine: Engine) -> None:
    """A line only the bank has is raised bank_only on D+2 and an operator takes it up; the
    posting it was waiting for turns up (dated D), D is matched again and the line matches on
    D. The worked break is kept as it is, and the run names it."""
    w = world(engine)
    w.recon.import_statement(statement("ST1", 0, [line(1, IN, 4_200, ref="X9")]),
                             file_sha256="a" * 64, operator=OPERATOR)
    for k in range(3):
        w.recon.match_day(BANK_ACCOUNT, DAY + timedelta(days=k), operator=OPERATOR)
    [raised] = w.recon.breaks()
    w.recon.assign(raised["break_id"], "ops-bob", operator=OPERATOR)
    w.ledger.execute(TENANT, [Transfer("X9", SUMMARY, "U1", 4_200, "recharge")])
    again = w.recon.match_day(BANK_ACCOUNT, DAY, operator=OPERATOR)
    assert again.matched == 2 and again.worked_breaks_not_found == (raised["break_id"],)
    assert [b["break_id"] for b in w.recon.breaks()] == [raised["break_id"]]   # kept, open
