"""BEPS as a payout rail (issue 22, R-C16, R-S1): the routing rule, a pure function — the
cheapest rail that may take a payout, unless the platform asks for urgent."""

from datetime import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cunguan.core import limits
from cunguan.core.calendar import WorkingCalendar
from cunguan.core.clock import CST
from cunguan.core.errors import InvariantViolation
from cunguan.custody.rules.withdrawals import Rail, RoutingPolicy, beps_serial_no, route

CALENDAR = WorkingCalendar()
SATURDAY = datetime(2026, 11, 21, 14, 0, tzinfo=CST)
BEPS_ON = RoutingPolicy(beps_enabled=True, beps_bank_code="402100000018",
                        beps_bank_codes={"ICBC": "102100099996"},
                        super_online_fee_fen=100, beps_fee_fen=20)


def rail(amount_fen: int, policy: RoutingPolicy = BEPS_ON, *, reachable: bool = True,
         urgent: bool = False) -> Rail:
    return route(amount_fen, SATURDAY, hvps_used_today_fen=0, calendar=CALENDAR,
                 policy=policy, beps_reachable=reachable, urgent=urgent)


def test_r_s1_a_small_payout_goes_by_beps_when_it_is_the_cheapest_rail() -> None:
    assert rail(10_000) is Rail.BEPS
    assert rail(limits.custody_beps_withdrawal_max_fen) is Rail.BEPS      # 50,000 yuan
    assert rail(10_000, urgent=True) is Rail.SUPER_ONLINE                 # at once: not batched
    assert rail(10_000, reachable=False) is Rail.SUPER_ONLINE             # card's bank unknown
    dearer = RoutingPolicy(beps_enabled=True, super_online_fee_fen=10, beps_fee_fen=20)
    assert rail(10_000, dearer) is Rail.SUPER_ONLINE                      # the fee decides
    assert rail(10_000, RoutingPolicy(beps_enabled=True)) is Rail.BEPS    # a tie: BEPS
    lower = RoutingPolicy(beps_enabled=True, beps_max_fen=1_000_000)
    assert rail(1_000_001, lower) is Rail.SUPER_ONLINE                   # above its parameter


def test_r_s1_beps_takes_no_payout_above_fifty_thousand_yuan() -> None:
    monday = datetime(2026, 11, 23, 10, 0, tzinfo=CST)
    assert route(limits.custody_beps_withdrawal_max_fen + 1, monday, hvps_used_today_fen=0,
                 calendar=CALENDAR, policy=BEPS_ON, beps_reachable=True) is Rail.HVPS
    with pytest.raises(InvariantViolation):
        RoutingPolicy(beps_max_fen=limits.custody_beps_withdrawal_max_fen + 1)


def test_r_c16_beps_is_a_rail_only_when_enabled_with_the_cards_bank_known() -> None:
    assert BEPS_ON.beps_code_of("ICBC") == "102100099996"
    assert BEPS_ON.beps_code_of("CCB") is None
    assert RoutingPolicy(beps_bank_codes={"ICBC": "102100099996"}).beps_code_of("ICBC") is None


@given(st.integers(1, 20_000_000), st.integers(0, 500), st.integers(0, 500), st.booleans(),
       st.booleans())
def test_r_c16_the_rail_chosen_may_take_the_payout_and_is_never_dearer(
        amount_fen: int, online_fee_fen: int, beps_fee_fen: int, urgent: bool,
        reachable: bool) -> None:
    policy = RoutingPolicy(beps_enabled=True, super_online_fee_fen=online_fee_fen,
                           beps_fee_fen=beps_fee_fen)
    chosen = route(amount_fen, datetime(2026, 11, 23, 10, 0, tzinfo=CST),
                   hvps_used_today_fen=0, calendar=CALENDAR, policy=policy,
                   beps_reachable=reachable, urgent=urgent)
    if chosen is Rail.BEPS:
        assert reachable and not urgent and amount_fen <= policy.beps_max_fen
        assert beps_fee_fen <= online_fee_fen
    elif chosen is Rail.SUPER_ONLINE:
        assert amount_fen <= policy.super_online_max_fen
        beps_could = reachable and not urgent and amount_fen <= policy.beps_max_fen
        assert not beps_could or online_fee_fen < beps_fee_fen
    else:
        assert amount_fen > policy.super_online_max_fen


def test_r_c16_a_beps_serial_no_is_an_end_to_end_id_per_platform_and_withdrawal() -> None:
    first = beps_serial_no("P2P", "wd-1")
    assert len(first) <= limits.clearing_message_id_length_max
    assert first == beps_serial_no("P2P", "wd-1") != beps_serial_no("P2Q", "wd-1")
