"""R-B2: a fresh-eyes review of matching a day again late (handlers/matching.py: ``_decided``,
``_run_day``, the cascade over ``store.runs_after``; manual_pairs.py: ``remake``).

What holds is proved here: a late re-run ends as matching in order would, with hand pairs made
on later days, mismatches, tolerance policies changed on the re-run day and late statement
lines on a later day; a recorded policy always reads back; a carried item in a pair's break
leaves transit while an overdue one stays; worked and import-kept breaks survive the cascade.
It found five defects. Four are fixed and tested below: a break is dated by the first day to
raise it (a skipped day matched late, or a shorter T+N), a hand pair on a day that later days
were matched without is refused, and of two lines with one bank reference the first seen
stays (it was the first by key text: S10L1 before S9L1). One remains, a strict xfail with its
reason: the ageing of a carried item after a re-run."""

import string
from collections.abc import Sequence
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select

from cunguan.core import limits
from cunguan.ledger.model import Transfer
from cunguan.reconcile.handlers.matching import _policy, _policy_text
from cunguan.reconcile.rules.matching import MatchPolicy
from cunguan.reconcile.rules.refusals import ReconcileError
from cunguan.reconcile.rules.statements import Direction, LineStatus
from cunguan.reconcile.store import matches as match_rows
from cunguan.reconcile.store.tables import (
    reconcile_breaks,
    reconcile_in_transit,
    reconcile_match_runs,
    reconcile_matches,
)
from tests.conftest import fresh_engine
from tests.helpers import DAY, SUMMARY, TENANT
from tests.reconcile.integration.helpers import (
    BANK_ACCOUNT,
    OPERATOR,
    World,
    line,
    statement,
    world,
)

IN = Direction.CREDIT
DAYS = [DAY + timedelta(days=k) for k in range(5)]
STRICT = MatchPolicy(date_tolerance_days=0)


def _transit(engine: Engine) -> dict[tuple[str, str], Any]:
    t = reconcile_in_transit.c
    with engine.connect() as conn:
        return {(r.side, r.item_key): r for r in conn.execute(select(reconcile_in_transit)
                                                             .order_by(t.side, t.item_key))}


def _breaks(engine: Engine) -> list[Any]:
    with engine.connect() as conn:
        return list(conn.execute(select(reconcile_breaks).order_by(
            reconcile_breaks.c.break_id)))


def _matches(engine: Engine) -> list[tuple[str, str, date, str]]:
    m = reconcile_matches.c
    with engine.connect() as conn:
        return sorted((r.side, r.item_key, r.as_of, r.rule) for r in conn.execute(
            select(m.side, m.item_key, m.as_of, m.rule)))


def _policies(engine: Engine) -> dict[date, MatchPolicy]:
    """Each recorded run's policy, read back as the cascade reads it."""
    r = reconcile_match_runs.c
    with engine.connect() as conn:
        return {row.as_of: _policy(row.policy) for row in conn.execute(select(r.as_of,
                                                                               r.policy))}


def _recharge(w: World, request_no: str, amount_fen: int) -> None:
    w.ledger.execute(TENANT, [Transfer(request_no, SUMMARY, "U1", amount_fen, "recharge")])


# -- a late re-run ends as matching in order would: with hand pairs, mismatches, policies -------

_REFS = ["R0", "R1", "R2", "", "X"]
_TOLERANT = [MatchPolicy(), STRICT, MatchPolicy(amount_tolerance_fen=1),
             MatchPolicy(date_tolerance_days=0, amount_tolerance_fen=1)]
#: (reference, amount, bank day) of a statement line
Line = tuple[str, int, int]


def _statements(w: World, lines: Sequence[Line], last: int) -> int:
    opening = 0
    for k in range(last + 1):
        made = statement(f"ST{k}", opening, [
            line(n + 1, IN, amount, ref=ref, day=DAYS[k])
            for n, (ref, amount, _) in enumerate(x for x in lines if x[2] == k)], day=DAYS[k])
        w.recon.import_statement(made, file_sha256=f"{k}" * 64, operator=OPERATOR)
        opening = made.closing_balance_fen
    return opening


def _post(w: World, amounts: Sequence[int], first_no: int) -> None:
    if amounts:
        w.ledger.execute(TENANT, [Transfer(f"R{first_no + i}", SUMMARY, "U1", amount,
                                           "recharge") for i, amount in enumerate(amounts)])


def _pairable(engine: Engine, day: date) -> list[tuple[str, str]]:
    """(bank key, book key) of equal amounts open in transit at the day's end."""
    with engine.connect() as conn:
        rows = match_rows.in_transit_on(conn, BANK_ACCOUNT, day)
    return sorted((b.item_key, k.item_key) for b in rows if b.side == "bank"
                  for k in rows if k.side == "book" and b.amount_fen == k.amount_fen)


def _engine_state(engine: Engine) -> tuple[set[Any], ...]:
    """What matching recorded, less the in-transit rows' ageing (last_seen, age_days,
    overdue: see the xfail on ageing below)."""
    t, m, b = reconcile_in_transit.c, reconcile_matches.c, reconcile_breaks.c
    with engine.connect() as conn:
        return (set(conn.execute(select(t.side, t.item_key, t.first_seen, t.arrived_on))),
                set(conn.execute(select(m.side, m.item_key, m.as_of, m.rule, m.group_id))),
                set(conn.execute(select(b.break_class, b.item_keys, b.state, b.as_of,
                                        b.opened_on, b.difference_fen))))


@settings(max_examples=14, deadline=None)
@example(policies=[STRICT] * 3, new_policy=STRICT, book=[1_000], late_book=[],  # dropped
         lines=[("", 1_000, 1)], late_day=1, late_lines=[("R0", 1_000)], pairs=[(1, 0)])
@example(policies=[STRICT] * 3, new_policy=MatchPolicy(), book=[1_000, 500],      # kept
         late_book=[500], lines=[("", 1_000, 1), ("", 500, 2)], late_day=2, late_lines=[],
         pairs=[(1, 0), (2, 0)])
@given(policies=st.lists(st.sampled_from(_TOLERANT), min_size=3, max_size=3),
       new_policy=st.sampled_from(_TOLERANT),
       book=st.lists(st.sampled_from([500, 1_000, 1_001]), min_size=1, max_size=4),
       late_book=st.lists(st.sampled_from([500, 1_000, 1_001]), max_size=2),
       lines=st.lists(st.tuples(st.sampled_from(_REFS), st.sampled_from([500, 1_000, 1_001]),
                                st.integers(0, 2)), min_size=1, max_size=5),
       late_day=st.integers(1, 2),
       late_lines=st.lists(st.tuples(st.sampled_from(_REFS),
                                     st.sampled_from([500, 1_000, 1_001])), max_size=2),
       pairs=st.lists(st.tuples(st.integers(0, 2), st.integers(0, 9)), min_size=1, max_size=3))
def test_r_b2_a_late_rerun_with_hand_pairs_and_policies_ends_as_matching_in_order(
        policies: list[MatchPolicy], new_policy: MatchPolicy, book: list[int],
        late_book: list[int], lines: list[Line], late_day: int,
        late_lines: list[tuple[str, int]], pairs: list[tuple[int, int]]) -> None:
    """World A matches three days in order, an operator pairing open items of equal amounts
    after each day's run; then postings dated D or a statement of a later day turn up late
    and the first day they change is matched again (with another tolerance policy). World B
    has everything from the start and repeats A's pairs at the same points (those it can).
    Both end with the same matches, in-transit items and breaks, and A's re-run keeps
    exactly the pairs B could make."""
    lines = [x for x in lines if x[2] <= late_day]    # statements continue: none after it
    late = [line(50 + n, IN, amount, ref=ref, day=DAYS[late_day])
            for n, (ref, amount) in enumerate(late_lines)]
    first = 0 if late_book else late_day
    with fresh_engine("sqlite") as engine_late, fresh_engine("sqlite") as engine_order:
        a = world(engine_late)
        _post(a, book, 0)
        opening = _statements(a, lines, late_day)
        made: list[tuple[int, str, str, str]] = []
        for k in range(3):
            a.recon.match_day(BANK_ACCOUNT, DAYS[k], operator=OPERATOR, policy=policies[k])
            for day, pick in pairs:
                open_pairs = _pairable(engine_late, DAYS[k]) if day == k else []
                if open_pairs:
                    bank, item = open_pairs[pick % len(open_pairs)]
                    paired = a.recon.pair_in_transit(BANK_ACCOUNT, DAYS[k], bank_keys=[bank],
                                                     book_keys=[item], operator=OPERATOR)
                    made.append((k, bank, item, paired["group_id"]))
        _post(a, late_book, len(book))
        if late:
            a.recon.import_statement(statement("STL", opening, late, day=DAYS[late_day]),
                                     file_sha256="f" * 64, operator=OPERATOR)
        again = a.recon.match_day(BANK_ACCOUNT, DAYS[first], operator=OPERATOR,
                                  policy=new_policy)
        policies = [*policies[:first], new_policy, *policies[first + 1:]]

        b = world(engine_order)
        _post(b, book, 0)
        _post(b, late_book, len(book))
        _statements(b, lines, late_day)
        if late:
            b.recon.import_statement(statement("STL", opening, late, day=DAYS[late_day]),
                                     file_sha256="f" * 64, operator=OPERATOR)
        kept: list[str] = []
        for k in range(3):
            b.recon.match_day(BANK_ACCOUNT, DAYS[k], operator=OPERATOR, policy=policies[k])
            for day, bank, item, group in made:
                if day != k:
                    continue
                try:
                    b.recon.pair_in_transit(BANK_ACCOUNT, DAYS[k], bank_keys=[bank],
                                            book_keys=[item], operator=OPERATOR)
                except ReconcileError:
                    continue
                if k >= first:                          # the days A matched again
                    kept.append(group)
        assert _engine_state(engine_late) == _engine_state(engine_order)
        rerun = not again.replayed
        assert sorted(again.pairs_kept) == (sorted(kept) if rerun else [])
        assert again.later_days_matched_again == (tuple(DAYS[first + 1:3]) if rerun else ())
        assert _policies(engine_late) == dict(zip(DAYS[:3], policies, strict=True))


_SEPARATORS = [c for c in string.printable if c.isprintable() and not c.isalnum()]


@given(st.builds(
    MatchPolicy,
    date_tolerance_days=st.integers(0, limits.match_date_tolerance_days_max),
    amount_tolerance_fen=st.integers(0, limits.match_amount_tolerance_fen_max),
    group_window_days=st.integers(0, limits.match_group_window_days_max),
    group_items_max=st.integers(2, limits.match_group_items_max),
    arrival_days_credit=st.integers(0, limits.match_arrival_days_max),
    arrival_days_debit=st.integers(0, limits.match_arrival_days_max),
    batch_ref_separator=st.sampled_from(_SEPARATORS)))
def test_r_b2_every_recorded_policy_reads_back_as_the_policy_recorded(
        policy: MatchPolicy) -> None:
    """The cascade matches a later day again with ``_policy(row.policy)``: any policy a run
    can record (quote and backslash separators too) reads back equal."""
    assert _policy(_policy_text(policy)) == policy


# -- _decided: which items in a break leave transit ------------------------------------------


def test_r_b2_a_carried_item_in_a_fee_mismatch_leaves_transit_an_overdue_one_stays(
        engine: Engine) -> None:
    """R1 waits from D and meets a line of its reference with a fee on D+1: one
    fee_mismatch, R1 arrived then, never raised book_only. R2 never arrives: it stays open in
    transit, aged and overdue, its book_only break found once (docs/REPORTS.md: the lost
    payout stays in transit until it is resolved)."""
    w = world(engine)
    _recharge(w, "R1", 10_000)
    _recharge(w, "R2", 7_000)
    w.recon.import_statement(statement("ST0", 0, []), file_sha256="0" * 64, operator=OPERATOR)
    w.recon.match_day(BANK_ACCOUNT, DAYS[0], operator=OPERATOR)
    fee = line(1, IN, 10_000, ref="R1", day=DAYS[1], fee_fen=3)
    w.recon.import_statement(statement("ST1", 0, [fee], day=DAYS[1]), file_sha256="1" * 64,
                             operator=OPERATOR)
    for day in DAYS[1:]:
        w.recon.match_day(BANK_ACCOUNT, day, operator=OPERATOR)
    transit = _transit(engine)
    assert transit["book", "P1/SUMMARY/1"].arrived_on == DAYS[1]
    lost = transit["book", "P1/SUMMARY/2"]
    assert (lost.arrived_on, lost.last_seen, lost.overdue) == (None, DAYS[-1], 1)
    with engine.connect() as conn:
        still = [r.item_key for r in match_rows.open_in_transit(conn, BANK_ACCOUNT)]
    assert still == ["P1/SUMMARY/2"]
    assert sorted((b.break_class, b.item_keys, b.as_of) for b in _breaks(engine)) == [
        ("book_only", "book:P1/SUMMARY/2", DAYS[2]),
        ("fee_mismatch", "bank:S2L1,book:P1/SUMMARY/1", DAYS[1])]


def test_r_b2_a_line_re_sent_by_the_bank_is_the_duplicate_not_the_line_waiting(
        engine: Engine) -> None:
    w = world(engine)
    for n in range(8):                                  # imports 1-8: the waiting line is S9L1
        w.recon.import_statement(statement(f"E{n}", 0, []), file_sha256=f"{n}" * 64,
                                 operator=OPERATOR)
    waiting = replace(line(1, IN, 4_200, ref="Q1"), bank_ref="BR-1")
    w.recon.import_statement(statement("ST0", 0, [waiting]), file_sha256="a" * 64,
                             operator=OPERATOR)
    w.recon.match_day(BANK_ACCOUNT, DAYS[0], operator=OPERATOR)
    copy = replace(line(1, IN, 4_200, ref="Q1", day=DAYS[1]), bank_ref="BR-1")
    w.recon.import_statement(statement("ST1", 4_200, [copy], day=DAYS[1]),
                             file_sha256="b" * 64, operator=OPERATOR)
    for day in DAYS[1:4]:
        w.recon.match_day(BANK_ACCOUNT, day, operator=OPERATOR)
    assert sorted((b.break_class, b.item_keys, b.as_of) for b in _breaks(engine)) == [
        ("bank_only", "bank:S9L1", DAYS[2]), ("duplicate", "bank:S10L1", DAYS[1])]


# -- breaks worked on a later day, returns kept by an import, a changed policy ---------------


def test_r_b2_a_break_worked_on_a_later_day_keeps_its_work_through_the_cascade(
        engine: Engine) -> None:
    """R1 and R2 (dated D) are raised book_only on D+2; an operator takes R1's. Both turn up
    in a late statement of D+1: D+1 is matched again, then D+2 after it. R1's worked break
    stays, the same row as worked (for the operator to clear); R2's, untouched, is dropped;
    the matches are those of matching in order."""
    w = world(engine)
    _recharge(w, "R1", 10_000)
    _recharge(w, "R2", 7_000)
    w.recon.import_statement(statement("ST0", 0, []), file_sha256="0" * 64, operator=OPERATOR)
    w.recon.import_statement(statement("ST1", 0, [], day=DAYS[1]), file_sha256="1" * 64,
                             operator=OPERATOR)
    for day in DAYS[:3]:
        w.recon.match_day(BANK_ACCOUNT, day, operator=OPERATOR)
    raised = {b["item_keys"]: b for b in w.recon.breaks()}
    worked = raised["book:P1/SUMMARY/1"]["break_id"]
    w.recon.assign(worked, "ops-dave", operator=OPERATOR)
    late = [line(1, IN, 10_000, ref="R1", day=DAYS[1]), line(2, IN, 7_000, ref="R2",
                                                              day=DAYS[1])]
    w.recon.import_statement(statement("ST1b", 0, late, day=DAYS[1]), file_sha256="2" * 64,
                             operator=OPERATOR)
    again = w.recon.match_day(BANK_ACCOUNT, DAYS[1], operator=OPERATOR)
    assert again.later_days_matched_again == (DAYS[2],)
    assert [(b.break_id, b.state, b.owner, b.as_of) for b in _breaks(engine)] == [
        (worked, "assigned", "ops-dave", DAYS[2])]
    assert _matches(engine) == [
        ("bank", "S3L1", DAYS[1], "reference"), ("bank", "S3L2", DAYS[1], "reference"),
        ("book", "P1/SUMMARY/1", DAYS[1], "reference"),
        ("book", "P1/SUMMARY/2", DAYS[1], "reference")]
    assert {k: r.arrived_on for k, r in _transit(engine).items()} == {
        ("book", "P1/SUMMARY/1"): DAYS[1], ("book", "P1/SUMMARY/2"): DAYS[1]}


def test_r_b2_a_hand_pair_citing_a_resolved_break_is_made_again_by_the_cascade(
        engine: Engine) -> None:
    """R-B2-1 over a cascade: R1's line came 0.01 over (amount_mismatch +1, resolved); on D+1
    a line of 10.01 and R2's 10.00 in transit are paired citing it. A posting dated D turns
    up late: D+1 is matched again after D and the pair is made again, citing the same
    resolved break."""
    w = world(engine)
    _recharge(w, "R1", 1_000)
    _recharge(w, "R2", 1_000)
    w.recon.import_statement(statement("ST0", 0, [line(1, IN, 1_001, ref="R1")]),
                             file_sha256="0" * 64, operator=OPERATOR)
    w.recon.match_day(BANK_ACCOUNT, DAYS[0], operator=OPERATOR, policy=STRICT)
    (mismatch,) = w.recon.breaks()
    assert (mismatch["break_class"], mismatch["difference_fen"]) == ("amount_mismatch", 1)
    w.recon.resolve(mismatch["break_id"], "the bank's 0.01, booked as income",
                    operator=OPERATOR)
    w.recon.import_statement(statement("ST1", 1_001, [line(1, IN, 1_001, day=DAYS[1])],
                                       day=DAYS[1]), file_sha256="1" * 64, operator=OPERATOR)
    w.recon.match_day(BANK_ACCOUNT, DAYS[1], operator=OPERATOR, policy=STRICT)
    paired = w.recon.pair_in_transit(BANK_ACCOUNT, DAYS[1], bank_keys=["S2L1"],
                                     book_keys=["P1/SUMMARY/2"],
                                     explained_by=mismatch["break_id"], operator=OPERATOR)
    _recharge(w, "R3", 500)                                          # dated D, found late
    again = w.recon.match_day(BANK_ACCOUNT, DAYS[0], operator=OPERATOR, policy=STRICT)
    assert again.later_days_matched_again == (DAYS[1],)
    assert (again.pairs_kept, again.pairs_dropped) == ((paired["group_id"],), ())
    assert ("book", "P1/SUMMARY/2", DAYS[1], "manual") in _matches(engine)
    assert [(b.break_id, b.state) for b in _breaks(engine)] == [
        (mismatch["break_id"], "resolved")]


def test_r_b2_a_return_kept_by_its_import_stays_decided_through_the_cascade(
        engine: Engine) -> None:
    """A returned line on D+1 naming no withdrawal is kept as a break by its import (R-C15).
    D is matched again late: D+1 and D+2 are matched again after it, the line is neither
    carried nor raised a second time, and the import's break stays as it was."""
    w = world(engine)
    _recharge(w, "R1", 10_000)
    w.recon.import_statement(statement("ST0", 0, [line(1, IN, 10_000, ref="R1")]),
                             file_sha256="0" * 64, operator=OPERATOR)
    returned = line(1, IN, 3_000, ref="WX", day=DAYS[1], status=LineStatus.RETURNED)
    w.recon.import_statement(statement("ST1", 10_000, [returned], day=DAYS[1]),
                             file_sha256="1" * 64, operator=OPERATOR)
    for day in DAYS[:3]:
        w.recon.match_day(BANK_ACCOUNT, day, operator=OPERATOR)
    before = [(b.break_id, b.break_key, b.item_keys, b.as_of) for b in _breaks(engine)]
    assert [row[2:] for row in before] == [("bank:S2L1", DAYS[1])]
    _recharge(w, "R2", 7_000)                                        # dated D, found late
    again = w.recon.match_day(BANK_ACCOUNT, DAYS[0], operator=OPERATOR)
    assert again.later_days_matched_again == (DAYS[1], DAYS[2])
    assert ("bank", "S2L1") not in _transit(engine)
    after = [(b.break_id, b.break_key, b.item_keys, b.as_of) for b in _breaks(engine)]
    assert after[0] == before[0]
    assert [(b.break_class, b.item_keys) for b in _breaks(engine)][1:] == [
        ("book_only", "book:P1/SUMMARY/2")]


def test_r_b2_a_day_matched_again_with_another_policy_leaves_later_days_theirs(
        engine: Engine) -> None:
    """D is matched again with a strict date policy while D+1 (matched with the defaults) and
    D+2 (with a tolerance) exist: D records the new policy and leaves the pair one day apart
    in transit, the later days keep theirs and are matched again with them (D+1's defaults
    pair it); the same call again is a replay."""
    w = world(engine)
    _recharge(w, "R1", 10_000)
    tolerant = MatchPolicy(amount_tolerance_fen=5)
    next_value = replace(line(1, IN, 10_000, ref="ZZ"), value_date=DAYS[1])
    w.recon.import_statement(statement("ST0", 0, [next_value]), file_sha256="0" * 64,
                             operator=OPERATOR)
    w.recon.match_day(BANK_ACCOUNT, DAYS[0], operator=OPERATOR)
    w.recon.match_day(BANK_ACCOUNT, DAYS[1], operator=OPERATOR)
    w.recon.match_day(BANK_ACCOUNT, DAYS[2], operator=OPERATOR, policy=tolerant)
    assert _matches(engine)[0][2:] == (DAYS[0], "amount_date")      # one day apart
    again = w.recon.match_day(BANK_ACCOUNT, DAYS[0], operator=OPERATOR, policy=STRICT)
    assert not again.replayed and again.later_days_matched_again == (DAYS[1], DAYS[2])
    assert [m[2:] for m in _matches(engine)] == [(DAYS[1], "amount_date")] * 2  # D+1's own
    assert _policies(engine) == {
        DAYS[0]: STRICT, DAYS[1]: MatchPolicy(), DAYS[2]: tolerant}
    assert w.recon.match_day(BANK_ACCOUNT, DAYS[0], operator=OPERATOR, policy=STRICT).replayed


# -- defects the review found: four fixed (breaks dated by the first day to raise them, a hand
# pair refused on a day later days were matched without, the first seen of two lines kept),
# one left as a strict xfail ------------------------------------------------------------------


def test_r_b2_a_skipped_day_matched_late_dates_the_overdue_break_it_raises_first(
        engine: Engine) -> None:
    w = world(engine)
    _recharge(w, "R1", 10_000)                          # money in: overdue from D+2
    for k in (0, 1, 3):                                 # D+2 skipped, then matched
        w.recon.match_day(BANK_ACCOUNT, DAYS[k], operator=OPERATOR)
    filled = w.recon.match_day(BANK_ACCOUNT, DAYS[2], operator=OPERATOR)
    assert filled.breaks == 1 and filled.later_days_matched_again == (DAYS[3],)
    assert [(b.break_class, b.as_of, b.opened_on) for b in _breaks(engine)] == [
        ("book_only", DAYS[2], DAYS[2])]


def test_r_b2_a_day_matched_again_with_a_shorter_t_plus_n_dates_the_break_on_it(
        engine: Engine) -> None:
    w = world(engine)
    _recharge(w, "R1", 10_000)
    for day in DAYS[:3]:
        w.recon.match_day(BANK_ACCOUNT, day, operator=OPERATOR)
    again = w.recon.match_day(BANK_ACCOUNT, DAYS[1], operator=OPERATOR,
                              policy=MatchPolicy(arrival_days_credit=0))
    assert again.breaks == 1
    assert [(b.as_of, b.opened_on) for b in _breaks(engine)] == [(DAYS[1], DAYS[1])]


def test_r_b2_a_hand_pair_on_a_day_cannot_take_an_item_a_later_day_matched(
        engine: Engine) -> None:
    w = world(engine)
    _recharge(w, "R1", 10_000)
    early = replace(line(1, IN, 10_000, ref="ZZ"), value_date=DAYS[1])
    w.recon.import_statement(statement("ST0", 0, [early]), file_sha256="0" * 64,
                             operator=OPERATOR)
    w.recon.match_day(BANK_ACCOUNT, DAYS[0], operator=OPERATOR, policy=STRICT)
    w.recon.import_statement(statement("ST1", 10_000, [line(1, IN, 10_000, ref="R1",
                                                            day=DAYS[1])], day=DAYS[1]),
                             file_sha256="1" * 64, operator=OPERATOR)
    w.recon.match_day(BANK_ACCOUNT, DAYS[1], operator=OPERATOR, policy=STRICT)
    assert ("book", "P1/SUMMARY/1", DAYS[1], "reference") in _matches(engine)
    with pytest.raises(ReconcileError) as refused:       # D+1 was matched without it
        w.recon.pair_in_transit(BANK_ACCOUNT, DAYS[0], bank_keys=["S1L1"],
                                book_keys=["P1/SUMMARY/1"], operator=OPERATOR)
    assert refused.value.code == "in_transit_pair_day_passed"
    keys = [(side, key) for side, key, _, _ in _matches(engine)]
    assert len(keys) == len(set(keys)), f"matched twice: {_matches(engine)}"


@pytest.mark.xfail(strict=True, reason=(
    "store/matches.py undo_run forgets the day's matches, new items and arrivals but not "
    "the ageing its run wrote on carried items (last_seen, age_days, overdue): a carried "
    "item the day's new run matches keeps the old run's 'overdue, seen D+1' where matching "
    "in order leaves 'seen D, age 0, not overdue' (nothing reads these columns today)"))
def test_r_b2_a_carried_item_a_day_matched_again_matches_keeps_the_day_befores_ageing(
        engine: Engine) -> None:
    w = world(engine)
    soon = MatchPolicy(arrival_days_credit=0)
    _recharge(w, "R1", 10_000)
    w.recon.import_statement(statement("ST0", 0, []), file_sha256="0" * 64, operator=OPERATOR)
    w.recon.match_day(BANK_ACCOUNT, DAYS[0], operator=OPERATOR, policy=soon)
    w.recon.match_day(BANK_ACCOUNT, DAYS[1], operator=OPERATOR, policy=soon)   # overdue
    w.recon.import_statement(statement("ST1", 0, [line(1, IN, 10_000, ref="R1",
                                                       day=DAYS[1])], day=DAYS[1]),
                             file_sha256="1" * 64, operator=OPERATOR)
    again = w.recon.match_day(BANK_ACCOUNT, DAYS[1], operator=OPERATOR, policy=soon)
    assert again.matched == 2 and _breaks(engine) == []
    item = _transit(engine)["book", "P1/SUMMARY/1"]
    assert (item.arrived_on, item.last_seen, item.age_days, item.overdue) == (
        DAYS[1], DAYS[0], 0, 0)
