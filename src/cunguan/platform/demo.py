"""A simulated business day of one lending platform under custody, end to end.

Used by ``make demo`` (on embedded SQLite) and by the tests: openings (one refused, one sent to
manual review), standing authorizations, quick-pay and offline recharges, projects raised by
bids (one with investment red packets), full projects lent, a failed raise, a repayment settled
to the investors, cash red packets, withdrawals on both rails (one refused outside the HVPS
window, one failed by the channel, one returned by the bank statement), replayed and conflicting
serial nos. — then the day close with every check, the summary-account identity included.
"""

import random
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import TypeVar

from cunguan.core import limits
from cunguan.core.calendar import WorkingCalendar
from cunguan.core.clock import CST, FixedClock
from cunguan.custody.handlers.base import CustodyResult
from cunguan.custody.handlers.lending_service import LendingService
from cunguan.custody.rules import accounts as chart
from cunguan.custody.rules.kyc import IdKind
from cunguan.custody.rules.schedules import Method
from cunguan.ledger.service import LedgerService
from cunguan.platform.day_service import DayClose, DayService

TENANT = "DEMO-P2P"
PASSWORD = "246810"
#: argon2id is deliberately slow; two threads use both cores for openings and authorizations.
HASHING_THREADS = 2
#: Card and ID sequence nos. of the people who are not simulated users (the refused minor,
#: the passport holder, an unknown payer): far above any user's, so never anyone's card.
_OUTSIDER_SEQ = 900_000_000

Progress = Callable[[str, int], None]
T = TypeVar("T")


@dataclass
class DemoDay:
    """What the simulated day did, for printing and for tests."""

    accounting_date: date
    outcomes: Counter[str] = field(default_factory=Counter)
    operations: Counter[str] = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)
    balances: dict[str, int] = field(default_factory=dict)
    close: DayClose | None = None

    @property
    def summary_fen(self) -> int:
        return sum(v for k, v in self.balances.items() if k in chart.BANK_HELD)

    @property
    def sub_accounts_fen(self) -> int:
        return sum(v for k, v in self.balances.items() if k not in chart.BANK_HELD)


def _id_no(seq: int, birth: str) -> str:
    from stdnum.cn import ric

    body = f"110105{birth}{seq % 1000:03d}"
    return next(body + d for d in "0123456789X" if ric.is_valid(body + d))


def _card(seq: int) -> str:
    from stdnum import luhn

    body = f"622202{seq:012d}"
    return body + luhn.calc_check_digit(body)


class _Sim:
    def __init__(self, custody: LendingService, day: DemoDay, rng: random.Random,
                 progress: Progress) -> None:
        self.custody, self.day, self.rng, self.progress = custody, day, rng, progress
        self.serial = 0

    def no(self, prefix: str) -> str:
        self.serial += 1
        return f"{prefix}{self.serial:07d}"

    def tally(self, operation: str, result: CustodyResult) -> CustodyResult:
        self.day.operations[operation] += 1
        self.day.outcomes["replayed" if result.replayed else result.code] += 1
        self.progress(operation, 1)
        return result

    def each(self, operation: str, items: Iterable[T],
             act: Callable[[T], CustodyResult], *, threads: int = 1) -> list[CustodyResult]:
        if threads == 1:
            return [self.tally(operation, act(item)) for item in items]
        with ThreadPoolExecutor(threads) as pool:
            return [self.tally(operation, r) for r in pool.map(act, list(items))]


def business_day(today: date, calendar: WorkingCalendar) -> date:
    """The demo runs on a working day so that both payout rails can be shown."""
    return today if calendar.is_working_day(today) else calendar.next_working_day(today)


def run_business_day(ledger: LedgerService, days: DayService, *, users: int, seed: int = 7,
                     progress: Progress = lambda _label, _n: None) -> DemoDay:
    calendar = WorkingCalendar()
    today = business_day(datetime.now(CST).date(), calendar)
    clock = FixedClock(datetime.combine(today, time(9, 0), CST))
    ledger.clock = days.clock = clock
    custody = LendingService(ledger.engine, ledger, clock=clock, calendar=calendar)
    custody.onboard_platform(TENANT, "Demo lending platform", today)
    day = DemoDay(today)
    sim = _Sim(custody, day, random.Random(seed), progress)
    for account_no, amount_fen in ((chart.OWN, 100_000_000), (chart.MARKETING, 5_000_000),
                                   (chart.RISK_RESERVE, 50_000_000)):
        sim.tally("platform funding", custody.fund_platform(TENANT, sim.no("PF"), account_no,
                                                            amount_fen))
    lenders, borrowers = _open_users(sim, users)
    _money_in(sim, lenders)
    clock.advance(timedelta(hours=1))
    _lending(sim, lenders, borrowers)
    clock.advance(timedelta(hours=2))
    _money_out(sim, lenders, clock)
    _mistakes(sim, lenders)
    clock.advance(timedelta(hours=9))
    clock.advance(timedelta(hours=3))   # 24:00 CST: the simulated day has ended, so it closes
    day.close = days.close(TENANT)
    day.balances = {a.account_no: a.balance_fen for a in ledger.accounts(TENANT)}
    return day


def _open_users(sim: _Sim, users: int) -> tuple[list[str], list[str]]:
    borrowers_count = max(limits.demo_borrowers_min, users // 10)
    specs = [(i, "borrower" if i < borrowers_count else "lender") for i in range(users)]

    def open_one(spec: tuple[int, str]) -> CustodyResult:
        seq, role = spec
        user_id = f"{role[0].upper()}{seq:05d}"
        birth = f"19{70 + seq % 30:02d}0{1 + seq % 9}1{seq % 9}"
        return sim.custody.open_user(
            TENANT, f"OPEN{seq:06d}", user_id=user_id, role=role, name=f"用户{seq}",
            id_kind=IdKind.RESIDENT_ID, id_no=_id_no(seq, birth), mobile=f"139{seq:08d}",
            card_no=_card(seq), password=PASSWORD, risk_tolerance=1 + seq % 5)

    opened = sim.each("account opening", specs, open_one, threads=HASHING_THREADS)
    ids = [str(r.data["user_id"]) for r in opened if r.ok]
    minor = sim.custody.open_user(TENANT, sim.no("OP"), user_id="MINOR", role="lender",
                                  name="小明", id_kind=IdKind.RESIDENT_ID,
                                  id_no=_id_no(999, "20120101"), mobile="13700000000",
                                  card_no=_card(_OUTSIDER_SEQ + 1), password=PASSWORD)
    sim.tally("account opening", minor)
    foreign = sim.custody.open_user(TENANT, sim.no("OP"), user_id="FOREIGN", role="lender",
                                    name="John Smith", id_kind=IdKind.PASSPORT,
                                    id_no="E12345678", mobile="13700000001",
                                    card_no=_card(_OUTSIDER_SEQ + 2), password=PASSWORD)
    sim.tally("account opening", foreign)
    sim.tally("manual review", sim.custody.approve_user(TENANT, sim.no("AP"), "FOREIGN"))
    sim.day.notes.append(f"{len(ids)} accounts opened; a minor refused ({minor.code}); a "
                         f"passport holder opened {foreign.data.get('status')} and approved")
    lenders = [u for u in ids if u.startswith("L")]
    until = sim.custody.clock() + timedelta(days=365)
    sim.each("standing authorization", lenders, lambda u: sim.custody.authorize(
        TENANT, f"AUTH{u}", u, ("recharge", "bid", "withdraw"), 100_000_000, until, PASSWORD),
        threads=HASHING_THREADS)
    return lenders, [u for u in ids if u.startswith("B")]


def _seq(user_id: str) -> int:
    return int(user_id[1:])


def _money_in(sim: _Sim, lenders: list[str]) -> None:
    sim.each("quick-pay recharge", lenders, lambda u: sim.custody.recharge(
        TENANT, sim.no("RC"), u, _card(_seq(u)), sim.rng.randint(1_000, 200_000) * 100))
    sim.each("offline transfer", lenders[:5], lambda u: sim.custody.offline_transfer(
        TENANT, sim.no("OT"), _card(_seq(u)), 1_000_000))
    sim.tally("offline transfer", sim.custody.offline_transfer(
        TENANT, sim.no("OT"), _card(_OUTSIDER_SEQ + 3), 50_000))


def _raise(sim: _Sim, lenders: list[str], project_id: str, *, packets: bool) -> int:
    bids = 0
    for user in sim.rng.sample(lenders, k=len(lenders)):
        project = sim.custody._read_project(TENANT, project_id)
        left = project.amount_fen - project.raised_fen
        if left == 0:
            break
        amount = min(left, sim.rng.randint(1, 20) * 500_000)
        packet = 10_000 if packets and bids % 3 == 0 and amount > 10_000 else 0
        coupon = "0.01" if packets and bids % 3 == 1 else "0"
        result = sim.tally("bid", sim.custody.bid(TENANT, sim.no("BD"), user, project_id,
                                                  amount, red_packet_fen=packet,
                                                  coupon_rate=coupon))
        bids += result.ok
    return bids


def _lending(sim: _Sim, lenders: list[str], borrowers: list[str]) -> None:
    methods = [Method.EQUAL_INSTALLMENT, Method.EQUAL_PRINCIPAL, Method.INTEREST_FIRST,
               Method.BULLET]
    for index, method in enumerate(methods):
        project_id = f"P{index + 1:03d}"
        sim.tally("project registration", sim.custody.register_project(
            TENANT, sim.no("PR"), project_id=project_id, borrower_user_id=borrowers[index],
            amount_fen=(index + 2) * 10_000_000, annual_rate="0.10", months=6 + 6 * index,
            method=method, bid_min_fen=500_000, bid_max_fen=10_000_000, bid_step_fen=500_000,
            service_fee_rate="0.01", risk_level=1))
        bids = _raise(sim, lenders, project_id, packets=index == 0)
        lent = sim.tally("lending (batch)", sim.custody.lend(TENANT, sim.no("LD"), project_id))
        sim.day.notes.append(f"{project_id} ({method.value}) raised by {bids} bids and lent: "
                             f"{lent.code}")
    sim.tally("project registration", sim.custody.register_project(
        TENANT, sim.no("PR"), project_id="P999", borrower_user_id=borrowers[-1],
        amount_fen=900_000_000, annual_rate="0.09", months=12, method=Method.BULLET,
        bid_min_fen=500_000, bid_max_fen=10_000_000, bid_step_fen=500_000))
    bids = _raise(sim, lenders[:10], "P999", packets=False)
    failed = sim.tally("failed raise", sim.custody.fail_raise(TENANT, sim.no("FR"), "P999"))
    sim.day.notes.append(f"P999 failed its raise: {failed.data.get('released_bids')} of {bids} "
                         "bid holds released")
    borrower = borrowers[0]
    sim.tally("recharge", sim.custody.offline_transfer(TENANT, sim.no("OT"),
                                                       _card(_seq(borrower)), 5_000_000))
    sim.tally("repayment (freeze)", sim.custody.repay(TENANT, sim.no("RP"), "P001",
                                                      password=PASSWORD))
    settled = sim.tally("repayment (batch settle)",
                        sim.custody.settle_repayment(TENANT, sim.no("RS"), "P001"))
    sim.day.notes.append(f"P001 installment 1 repaid early to {settled.data.get('investors')} "
                         "investors")
    _debt_transfer(sim, lenders)
    _finance_plan(sim, lenders, borrowers)


def _finance_plan(sim: _Sim, lenders: list[str], borrowers: list[str]) -> None:
    """A saver buys a 90-day plan; the platform matches part of it into a new project."""
    sim.tally("finance plan", sim.custody.create_plan(TENANT, sim.no("PL"), "M90",
                                                      "季季盈 90 days", "0.05", 90))
    saver = max(lenders, key=lambda u: sim.custody.ledger.account(
        TENANT, chart.user_account_no(u)).available_fen)
    holding = sim.tally("finance plan", sim.custody.purchase_plan(
        TENANT, sim.no("PP"), saver, "M90", 5_000_000))
    sim.tally("project registration", sim.custody.register_project(
        TENANT, sim.no("PR"), project_id="P005",
        borrower_user_id=borrowers[min(4, len(borrowers) - 1)],
        amount_fen=3_000_000, annual_rate="0.08", months=3, method=Method.EQUAL_INSTALLMENT,
        bid_min_fen=500_000, bid_max_fen=3_000_000, bid_step_fen=500_000))
    matched = sim.tally("finance plan", sim.custody.match_plan(
        TENANT, sim.no("MT"), holding.request_no, "P005", 3_000_000))
    lent = sim.tally("lending (batch)", sim.custody.lend(TENANT, sim.no("LD"), "P005"))
    sim.day.notes.append(f"{saver} bought plan M90 for 50,000 yuan; 30,000 matched into P005 "
                         f"({matched.code}) and lent ({lent.code})")


def _debt_transfer(sim: _Sim, lenders: list[str]) -> None:
    """An investor sells a claim on P002 slightly below its outstanding principal."""
    claims = sim.custody.claims(TENANT, "P002")
    if not claims:
        return
    claim = claims[0]
    listing = sim.tally("debt transfer", sim.custody.list_claim(
        TENANT, sim.no("LS"), claim.claim_id, claim.holder_user_id,
        claim.outstanding_fen * 98 // 100))
    buyer = max((u for u in lenders if u != claim.holder_user_id),
                key=lambda u: sim.custody.ledger.account(
                    TENANT, chart.user_account_no(u)).available_fen)
    bought = sim.tally("debt transfer", sim.custody.buy_claim(
        TENANT, sim.no("BY"), listing.request_no, buyer))
    sim.day.notes.append(f"claim {claim.claim_id} sold by {claim.holder_user_id} to {buyer} "
                         f"at 98% of its principal: {bought.code}")


def _money_out(sim: _Sim, lenders: list[str], clock: FixedClock) -> None:
    sim.each("cash red packet", lenders[:30], lambda u: sim.custody.red_packet(
        TENANT, sim.no("RED"), u, 888))
    takers = lenders[:25]
    requests = sim.each("withdrawal", takers, lambda u: sim.custody.withdraw(
        TENANT, f"WD{u}", u, _card(_seq(u)), 50_000))
    big_user = max(lenders, key=lambda u: sim.custody.ledger.account(
        TENANT, chart.user_account_no(u)).available_fen)
    big = sim.tally("withdrawal", sim.custody.withdraw(TENANT, "WD-BIG", big_user,
                                                       _card(_seq(big_user)), 6_000_000))
    ok = [r.request_no for r in [*requests, big] if r.ok]
    sim.each("channel result", ok[1:], lambda no: sim.custody.channel_result(
        TENANT, sim.no("CH"), no, succeeded=True))
    sim.tally("channel result", sim.custody.channel_result(TENANT, sim.no("CH"), ok[0],
                                                           succeeded=False))
    sim.tally("statement reversal", sim.custody.statement_reversal(TENANT, sim.no("RV"),
                                                                   ok[1]))
    sim.day.notes.append(f"{len(ok)} withdrawals: large one by {big.data.get('rail')}, "
                         f"{ok[0]} failed at the channel, {ok[1]} returned by the statement")
    clock.advance(timedelta(hours=6))  # 18:00: HVPS has closed for the day
    late = sim.tally("withdrawal", sim.custody.withdraw(TENANT, "WD-LATE", big_user,
                                                        _card(_seq(big_user)), 5_000_100))
    sim.day.notes.append(f"a 50,001-yuan withdrawal at 18:00 was refused: {late.code}")


def _mistakes(sim: _Sim, lenders: list[str]) -> None:
    """Requests a real platform sends by mistake; each is answered by name."""
    first = sim.custody.red_packet(TENANT, "RED-DUP", lenders[0], 100)
    sim.tally("cash red packet", first)
    sim.tally("cash red packet", sim.custody.red_packet(TENANT, "RED-DUP", lenders[0], 100))
    sim.tally("cash red packet", sim.custody.red_packet(TENANT, "RED-DUP", lenders[1], 100))
    sim.tally("withdrawal", sim.custody.withdraw(TENANT, sim.no("WD"), lenders[2],
                                                 _card(_seq(lenders[3])), 100))
