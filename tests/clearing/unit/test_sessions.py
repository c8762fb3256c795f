"""R-S5 and R-S6: sessions, their trial balance, and what settles now or waits."""

from datetime import date, datetime, time

from hypothesis import given
from hypothesis import strategies as st

from cunguan.clearing.rules.caps import NetDebitCap
from cunguan.clearing.rules.netting import Flow, net_arrivals
from cunguan.clearing.rules.parameters import DEFAULT_SESSION_TIMES, BusinessType
from cunguan.clearing.rules.sessions import (
    CUTOVER_SESSION,
    session_index,
    sessions_on,
    settlement_day,
    settlement_step,
    times_change_refusal,
    trial_balance,
)
from cunguan.core.calendar import WorkingCalendar
from cunguan.core.clock import CST

CAL = WorkingCalendar()


def test_r_s5_an_item_belongs_to_the_first_session_after_it_netted() -> None:
    assert session_index(time(9, 59), DEFAULT_SESSION_TIMES) == 0
    assert session_index(time(10, 0), DEFAULT_SESSION_TIMES) == 1
    assert session_index(time(12, 30), DEFAULT_SESSION_TIMES) == 2
    assert session_index(time(16, 0), DEFAULT_SESSION_TIMES) == CUTOVER_SESSION


def test_r_s5_session_times_changed_during_the_day_take_effect_at_once() -> None:
    moved = (time(10), time(11), time(12), time(14))
    assert session_index(time(11, 30), DEFAULT_SESSION_TIMES) == 2
    assert session_index(time(11, 30), moved) == 2
    assert session_index(time(12, 30), moved) == 3


def test_r_s5_an_unbalanced_session_is_not_balanced() -> None:
    assert trial_balance({"a": -5, "b": 5}).balanced
    assert not trial_balance({"a": -5, "b": 4}).balanced


@given(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 3), st.integers(1, 10_000)),
                max_size=50))
def test_r_s5_positions_from_netting_always_pass_the_trial_balance(
        moves: list[tuple[int, int, int]]) -> None:
    banks = ["b0", "b1", "b2", "b3"]
    flows = [Flow(f"f{i}", BusinessType.ORDINARY_CREDIT, banks[p], banks[q], a)
             for i, (p, q, a) in enumerate(moves) if p != q]
    caps = {b: NetDebitCap(credit_line_fen=10**9) for b in banks}
    result = net_arrivals(flows, positions={}, caps=caps, queues={})
    assert trial_balance(result.positions).balanced


def test_r_s6_on_a_legal_holiday_one_netting_settles_on_the_next_working_day() -> None:
    national_day = date(2026, 10, 3)
    assert not CAL.is_working_day(national_day)
    assert sessions_on(national_day, CAL, DEFAULT_SESSION_TIMES) == ()
    settles = settlement_day(national_day, CAL)
    assert settles > national_day and CAL.is_working_day(settles)
    monday = date(2026, 12, 7)
    assert settlement_day(monday, CAL) == monday
    assert sessions_on(monday, CAL, DEFAULT_SESSION_TIMES) == DEFAULT_SESSION_TIMES


def test_r_s6_a_short_bank_waits_and_credits_are_paid_only_when_every_debit_is_in() -> None:
    owed = {"a": 300, "b": 200}
    credits = {"c": 500}
    step = settlement_step(owed, credits, {"a": 1_000, "b": 150})
    assert step.collect == {"a": 300}
    assert step.waiting == {"b": 200}
    assert not step.pay_credits and step.credits == {}
    after = settlement_step({"b": 200}, credits, {"b": 200})
    assert after.collect == {"b": 200} and after.pay_credits and after.credits == {"c": 500}


_CUTS = st.lists(st.integers(8 * 60, 17 * 60).map(lambda m: time(m // 60, m % 60)),
                 max_size=6, unique=True).map(lambda ts: tuple(sorted(ts)))


@given(old=_CUTS, new=_CUTS, now_minute=st.integers(7 * 60, 18 * 60),
       submitted_share=st.floats(0, 1), moments=st.lists(st.integers(0, 24 * 60 - 1)))
def test_r_s5_r_s6_a_change_of_times_allowed_never_reaches_behind_us(
        old: tuple[time, ...], new: tuple[time, ...], now_minute: int, submitted_share: float,
        moments: list[int]) -> None:
    """Allowed changes keep the passed cut-offs, so every item netting from now on lands in a
    session not yet submitted, and items netted before keep their session."""
    day = date(2026, 9, 29)
    now = datetime(2026, 9, 29, now_minute // 60, now_minute % 60, tzinfo=CST)
    passed = [t for t in old if datetime.combine(day, t, CST) <= now]
    submitted = set(range(int(len(passed) * submitted_share)))    # some of those passed
    if times_change_refusal(old, new, day, now, submitted) is not None:
        return
    assert new[:len(passed)] == tuple(passed)
    for minute in moments:
        moment = time(minute // 60, minute % 60)
        if datetime.combine(day, moment, CST) >= now:
            assert session_index(moment, new) not in submitted
        elif session_index(moment, old) < len(passed):
            assert session_index(moment, new) == session_index(moment, old)


def test_r_s5_r_s6_a_change_reaching_a_passed_or_submitted_session_is_refused() -> None:
    day, times = date(2026, 9, 29), DEFAULT_SESSION_TIMES        # 10:00, 11:00, 13:00 …
    now = datetime(2026, 9, 29, 10, 30, tzinfo=CST)
    assert times_change_refusal(times, times[:1] + times[2:], day, now, {0}) is None
    assert "10:00" in (times_change_refusal(times, times[1:], day, now, {0}) or "")
    assert times_change_refusal(times, (time(10, 15), *times[1:]), day, now, set()) \
        is not None                                               # a new cut-off behind us
    # a session submitted before its cut-off (none is today) is kept as well
    assert times_change_refusal(times, times, day, now, {1}) == "session 1 is submitted already"
