"""Withdrawal fees, the money available and the in-batch quota as pure rules (R-C16, R-C17,
custody/rules/withdrawals.py): withdrawals earlier in a set-based call count towards the free
withdrawals and the HVPS daily quota of the later ones."""

from datetime import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cunguan.core.calendar import WorkingCalendar
from cunguan.core.clock import CST
from cunguan.custody.rules.withdrawals import (
    FeePolicy,
    Rail,
    RouteRefused,
    RoutingPolicy,
    WithdrawalRefused,
    WithdrawnSoFar,
    check_withdrawable,
    counted,
    fee_and_payout_fen,
    max_withdrawable,
    route,
    withdrawal_fee,
)

#: A Tuesday morning, inside the HVPS window.
TUESDAY = datetime(2026, 3, 3, 10, 0, tzinfo=CST)


def _batch(amounts_fen: list[int], so_far: WithdrawnSoFar, policy: RoutingPolicy
           ) -> list[tuple[int, Rail] | str]:
    """One user's withdrawals of one call, in order: (fee, rail) or the refusal's code; each
    one that is held counts for the next, as the set-based handler does."""
    out: list[tuple[int, Rail] | str] = []
    for amount_fen in amounts_fen:
        fee_fen, paid_fen = fee_and_payout_fen(amount_fen, so_far.this_month)
        try:
            rail = route(paid_fen, TUESDAY, hvps_used_today_fen=so_far.hvps_today_fen,
                         calendar=WorkingCalendar(), policy=policy)
        except RouteRefused as exc:
            out.append(exc.code)
            continue
        so_far = counted(so_far, paid_fen, rail)
        out.append((fee_fen, rail))
    return out


def test_r_c17_only_the_first_of_the_month_is_free_within_one_call() -> None:
    got = _batch([50_000, 50_000, 50_000], WithdrawnSoFar(), RoutingPolicy())
    assert got == [(0, Rail.SUPER_ONLINE), (300, Rail.SUPER_ONLINE), (300, Rail.SUPER_ONLINE)]


def test_r_c16_hvps_quota_counts_the_payouts_before_in_the_call() -> None:
    """A daily HVPS quota of 150,000.00 yuan, 60,000.00 already sent today: the first
    60,000.00 of the call fits, the second does not; small payouts go by super online
    banking and do not count."""
    policy = RoutingPolicy(hvps_daily_max_fen=15_000_000)
    so_far = WithdrawnSoFar(this_month=1, hvps_today_fen=6_000_000)
    got = _batch([6_000_000, 100_000, 6_000_000], so_far, policy)
    assert got == [(18_000, Rail.HVPS), (300, Rail.SUPER_ONLINE), "hvps_daily_limit"]


@given(paid_fen=st.integers(1, 10**10), month=st.integers(0, 50),
       hvps_fen=st.integers(0, 10**10), rail=st.sampled_from(list(Rail)))
def test_r_c16_r_c17_counted_adds_one_withdrawal_and_only_hvps_money(
        paid_fen: int, month: int, hvps_fen: int, rail: Rail) -> None:
    after = counted(WithdrawnSoFar(month, hvps_fen), paid_fen, rail)
    assert after.this_month == month + 1
    assert after.hvps_today_fen == hvps_fen + (paid_fen if rail is Rail.HVPS else 0)


def test_r_c17_fee_from_the_amount_must_leave_something_to_pay() -> None:
    fees = FeePolicy(fee_from_amount=True)
    assert fee_and_payout_fen(100_000, 1, fees) == (300, 99_700)
    assert fee_and_payout_fen(300, 0, fees) == (0, 300)          # the free one
    with pytest.raises(WithdrawalRefused) as refused:
        fee_and_payout_fen(300, 1, fees)
    assert refused.value.code == "amount_below_fee"


@given(available=st.integers(0, 10**9), amount=st.integers(1, 10**9),
       month=st.integers(0, 3), from_amount=st.booleans())
def test_r_c17_withdrawable_is_refused_naming_what_fits(available: int, amount: int,
                                                        month: int, from_amount: bool) -> None:
    """Refused exactly when the amount (plus the fee, when on top) exceeds the money
    available; the refusal names the largest amount that fits."""
    fees = FeePolicy(fee_from_amount=from_amount)
    fee = withdrawal_fee(amount, month, fees)
    needs = amount + (0 if from_amount else fee)
    try:
        check_withdrawable(available, amount, fee, month, fees)
    except WithdrawalRefused as exc:
        assert needs > available and exc.code == "exceeds_available"
        assert exc.details == {"max_withdrawable_fen": max_withdrawable(available, month, fees)}
    else:
        assert needs <= available
