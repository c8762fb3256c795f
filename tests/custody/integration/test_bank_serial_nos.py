"""The bank's own ledger nos. cannot be taken by a platform (issue 18, reviewer's finding).

A month's custody fee was posted as ``custody-fee:2026-11#1`` and a migration's allocations as
``MIG1#3``, in the ledger's per-platform namespace of request nos. A platform could lend a
project under the request no. ``custody-fee:2026-11`` — lending derives ``…#1``, ``…#2`` for
the bids — and from then on every charge of that month was a duplicate with other content:
the bank's fee for the month was lost, silently. The bank's nos. now start with ``#``, which no
platform serial no. may hold.
"""

from datetime import timedelta

from sqlalchemy import Engine

from cunguan.custody.handlers.platform_fees import PlatformFees
from cunguan.custody.rules import accounts as chart
from cunguan.custody.rules.fields import bank_serial_no, serial_no
from cunguan.custody.rules.schedules import Method
from tests.custody_helpers import PASSWORD, PLATFORM, open_user, services


def test_a_platform_lending_under_the_fee_months_name_does_not_stop_the_custody_fee(
        engine: Engine) -> None:
    custody, ledger, days, clock = services(engine)
    borrower = open_user(custody, 1, role="borrower")
    lenders = [open_user(custody, n, recharge_fen=100_000) for n in (2, 3)]
    assert custody.register_project(
        PLATFORM, "prj", project_id="PX", borrower_user_id=borrower, amount_fen=100_000,
        annual_rate="0.08", months=3, method=Method.EQUAL_INSTALLMENT, bid_min_fen=1,
        bid_max_fen=100_000, bid_step_fen=1).ok
    for n, lender in enumerate(lenders):
        assert custody.bid(PLATFORM, f"bid{n}", lender, "PX", 50_000, password=PASSWORD).ok
    assert custody.lend(PLATFORM, "custody-fee:2026-11", "PX").ok   # the old fee no.'s stem
    fees = PlatformFees(engine, ledger)
    fees.set_terms(PLATFORM, monthly_fen=50_000, annual_rate="0")
    clock.advance(timedelta(days=8))
    for _ in range(8):
        assert days.close(PLATFORM).closed
    own_before = ledger.account(PLATFORM, chart.OWN).balance_fen
    charged = fees.charge(PLATFORM, "2026-11")
    assert charged.ok, charged
    assert own_before - ledger.account(PLATFORM, chart.OWN).balance_fen == 50_000


def test_no_platform_serial_no_has_the_form_of_a_bank_no() -> None:
    import pytest

    from cunguan.core.fields import FieldInvalid
    for kind, parts in [("custody-fee", ("2026-11", 1)), ("migration", ("MIG1", 3))]:
        with pytest.raises(FieldInvalid):
            serial_no(bank_serial_no(kind, *parts), "request_no")
