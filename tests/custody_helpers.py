"""Set-up for custody tests: a platform, valid four elements, users, funded accounts."""

from datetime import date, datetime

from sqlalchemy import Engine
from stdnum import luhn
from stdnum.cn import ric

from cunguan.core.clock import CST, FixedClock
from cunguan.custody.handlers.commands import CustodyPolicy
from cunguan.custody.handlers.lending_service import LendingService
from cunguan.custody.rules import accounts as chart
from cunguan.custody.rules.kyc import IdKind
from cunguan.ledger.service import LedgerService
from cunguan.platform.day_service import DayService

PLATFORM = "P2P"
MONDAY = date(2026, 11, 23)
PASSWORD = "246810"


def resident_id(seq: int, birth: str = "19900307") -> str:
    body = f"110105{birth}{seq % 1000:03d}"
    return next(body + d for d in "0123456789X" if ric.is_valid(body + d))


def icbc_card(seq: int) -> str:
    body = f"622202{seq:012d}"
    return body + luhn.calc_check_digit(body)


def services(engine: Engine, *, policy: CustodyPolicy | None = None
             ) -> tuple[LendingService, LedgerService, DayService, FixedClock]:
    clock = FixedClock(datetime(2026, 11, 23, 10, 0, tzinfo=CST))
    ledger = LedgerService(engine, clock=clock)
    custody = LendingService(engine, ledger, clock=clock, policy=policy)
    days = DayService(engine, clock=clock)
    custody.onboard_platform(PLATFORM, "Demo lending platform", MONDAY)
    for account_no in (chart.OWN, chart.MARKETING):
        assert custody.fund_platform(PLATFORM, f"fund-{account_no}", account_no,
                                     10_000_000).ok
    return custody, ledger, days, clock


def open_user(custody: LendingService, seq: int, role: str = "lender",
              recharge_fen: int = 0) -> str:
    user_id = f"u{seq:04d}"
    result = custody.open_user(PLATFORM, f"open-{user_id}", user_id=user_id, role=role,
                               name=f"用户{seq}", id_kind=IdKind.RESIDENT_ID,
                               id_no=resident_id(seq), mobile=f"138{seq:08d}",
                               card_no=icbc_card(seq), password=PASSWORD)
    assert result.ok, result
    if recharge_fen:
        recharged = custody.recharge(PLATFORM, f"rc-{user_id}", user_id, icbc_card(seq),
                                     recharge_fen, password=PASSWORD)
        assert recharged.ok, recharged
    return user_id


def lent_project(custody: LendingService) -> list[str]:
    """P1 (10,000.00 yuan, 12 %, 3 months, equal installments) of borrower u0001, raised by
    lenders u0002 and u0003 (5,000.00 each) and lent; returns the lenders."""
    from cunguan.custody.rules.schedules import Method
    borrower = open_user(custody, 1, "borrower")
    lenders = [open_user(custody, seq, recharge_fen=1_000_000) for seq in (2, 3)]
    assert custody.register_project(
        PLATFORM, "prj", project_id="P1", borrower_user_id=borrower, amount_fen=1_000_000,
        annual_rate="0.12", months=3, method=Method.EQUAL_INSTALLMENT, bid_min_fen=10_000,
        bid_max_fen=1_000_000, bid_step_fen=10_000).ok
    for i, lender in enumerate(lenders):
        assert custody.bid(PLATFORM, f"b-{i}", lender, "P1", 500_000, password=PASSWORD).ok
    assert custody.lend(PLATFORM, "lend", "P1").ok
    return lenders
