"""A simulated business day of one lending platform, posted through the ledger.

Used by ``make demo`` (on embedded SQLite) and by the tests: openings, recharges, bids (holds),
a full project lent in one linked batch, a failed raise, red packets, withdrawals (one reversed
by the bank statement), an expired hold, refused and replayed requests — then the day close.
"""

import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from cunguan.core.clock import CST, FixedClock
from cunguan.core.money import apply_rate
from cunguan.ledger.model import (
    AccountFlag,
    AccountSpec,
    Command,
    Freeze,
    Payee,
    Release,
    Result,
    Reverse,
    Settle,
    Side,
    Transfer,
)
from cunguan.service_layer.day_service import DayClose, DayService
from cunguan.service_layer.ledger_service import LedgerService

TENANT = "DEMO-P2P"
SUMMARY, FEE, MARKETING, OWN, RISK = "SUMMARY", "FEE", "MARKETING", "OWN", "RISK"
SERVICE_FEE_RATE = "0.01"
BATCH_SIZE = 500

Progress = Callable[[str, int], None]


@dataclass
class DemoDay:
    """What the simulated day did, for printing and for tests."""

    accounting_date: date
    results: Counter[str] = field(default_factory=Counter)
    by_business_fen: Counter[str] = field(default_factory=Counter)
    close: DayClose | None = None
    summary_fen: int = 0
    sub_accounts_fen: int = 0
    notes: list[str] = field(default_factory=list)


class _Day:
    def __init__(self, ledger: LedgerService, day: DemoDay, rng: random.Random,
                 progress: Progress) -> None:
        self.ledger, self.day, self.rng, self.progress = ledger, day, rng, progress
        self.serial = 0

    def request_no(self, prefix: str) -> str:
        self.serial += 1
        return f"{prefix}{self.serial:08d}"

    def run(self, label: str, commands: list[Command], *, linked: bool = False) -> list[Result]:
        results: list[Result] = []
        for start in range(0, len(commands), BATCH_SIZE):
            chunk = commands[start:start + BATCH_SIZE]
            results.extend(self.ledger.execute(TENANT, chunk, linked=linked))
            self.progress(label, len(chunk))
        for cmd, result in zip(commands, results, strict=True):
            self.day.results[result.reject or ("replayed" if result.replayed else "ok")] += 1
            if result.ok and not result.replayed:
                self.day.by_business_fen[cmd.business_type] += _amount(cmd)
        return results


def _amount(cmd: Command) -> int:
    if isinstance(cmd, (Transfer, Freeze)):
        return cmd.amount_fen
    if isinstance(cmd, Settle):
        return sum(p.amount_fen for p in cmd.payees)
    return 0


def platform_accounts() -> list[AccountSpec]:
    return [
        AccountSpec(SUMMARY, "bank", "custody_summary", "1002", Side.DEBIT),
        AccountSpec(FEE, TENANT, "platform_fee", "2241", Side.CREDIT, AccountFlag.IN_ONLY),
        AccountSpec(MARKETING, TENANT, "platform_marketing", "2242", Side.CREDIT,
                    AccountFlag.OUT_ONLY),
        AccountSpec(OWN, TENANT, "platform_own", "2243", Side.CREDIT),
        AccountSpec(RISK, TENANT, "risk_reserve", "2244", Side.CREDIT),
    ]


def run_business_day(ledger: LedgerService, days: DayService, *, users: int, seed: int = 7,
                     progress: Progress = lambda _label, _n: None) -> DemoDay:
    rng = random.Random(seed)
    today = datetime.now(CST).date()
    clock = FixedClock(datetime.combine(today, time(9, 0), CST))
    ledger.clock = clock
    days.clock = clock
    ledger.create_tenant(TENANT, "Demo lending platform", today)
    lenders = [f"L{i:06d}" for i in range(users - users // 10)]
    borrowers = [f"B{i:06d}" for i in range(users // 10)]
    ledger.open_accounts(TENANT, platform_accounts() + [
        AccountSpec(no, f"user-{no}", "lender" if no[0] == "L" else "borrower", "2011",
                    Side.CREDIT) for no in lenders + borrowers])
    day = DemoDay(today)
    sim = _Day(ledger, day, rng, progress)
    _money_in(sim, lenders, clock)
    _lending(sim, lenders, borrowers, clock)
    _money_out(sim, lenders, clock)
    _mistakes(sim, lenders)
    clock.advance(timedelta(hours=14))  # 23:00: holds due today lapse, then the day closes
    day.results["expired"] += sum(r.ok for r in ledger.expire_holds(TENANT))
    day.close = days.close(TENANT)
    accounts = ledger.accounts(TENANT)
    day.summary_fen = sum(a.balance_fen for a in accounts if a.account_no == SUMMARY)
    day.sub_accounts_fen = sum(a.balance_fen for a in accounts if a.normal_side is Side.CREDIT)
    return day


def _money_in(sim: _Day, lenders: list[str], clock: FixedClock) -> None:
    recharges: list[Command] = [
        Transfer(sim.request_no("RC"), SUMMARY, no, sim.rng.randint(1_000, 200_000) * 100,
                 "recharge") for no in lenders]
    recharges.append(Transfer(sim.request_no("RC"), SUMMARY, MARKETING, 5_000_000,
                              "marketing_topup", funding=True))
    recharges.append(Transfer(sim.request_no("RC"), SUMMARY, RISK, 50_000_000, "recharge"))
    sim.run("recharges", recharges)
    clock.advance(timedelta(hours=1))


def _bids(sim: _Day, lenders: list[str], amount_fen: int, project: str,
          expires_at: datetime | None = None) -> list[Result]:
    bids: list[Command] = []
    raised = 0
    for no in sim.rng.sample(lenders, k=min(len(lenders), 200)):
        share = min(sim.rng.randint(1, 50) * 100_00, amount_fen - raised)
        if share <= 0:
            break
        bids.append(Freeze(sim.request_no("BD"), no, share, f"bid {project}", expires_at, "bid"))
        raised += share
    return [r for r in sim.run(f"bids on {project}", bids) if r.ok]


def _lending(sim: _Day, lenders: list[str], borrowers: list[str], clock: FixedClock) -> None:
    for index, borrower in enumerate(borrowers[:3]):
        project = f"P{index + 1:03d}"
        holds = _bids(sim, lenders, 500_000_00, project)
        clock.advance(timedelta(minutes=30))
        held = {h.hold_id: h for h in (sim.ledger.hold(TENANT, r.tx_id or 0) for r in holds)}
        lend: list[Command] = [
            Settle(sim.request_no("LD"), hold_id, (Payee(borrower, h.amount_fen),), "lend")
            for hold_id, h in held.items()]
        total_fen = sum(h.amount_fen for h in held.values())
        lend.append(Transfer(sim.request_no("SF"), borrower, FEE,
                             apply_rate(total_fen, SERVICE_FEE_RATE), "service_fee"))
        sim.run(f"lending {project} (linked batch)", lend, linked=True)
        sim.day.notes.append(f"project {project} lent {total_fen / 100:,.2f} yuan to {borrower}"
                             f" from {len(held)} bids")
    failed = _bids(sim, lenders, 80_000_00, "P999")
    sim.run("failed raise P999", [Release(sim.request_no("FR"), r.tx_id or 0, "raise failed")
                                  for r in failed])
    sim.day.notes.append(f"project P999 failed its raise: {len(failed)} bid holds released")
    lapsing = clock() + timedelta(hours=6)
    sim.day.notes.append(f"{len(_bids(sim, lenders, 30_000_00, 'P100', lapsing))} bids on P100 "
                         "hold until 17:30 and lapse unlent")


def _money_out(sim: _Day, lenders: list[str], clock: FixedClock) -> None:
    packets: list[Command] = [Transfer(sim.request_no("RP"), MARKETING, no, 888, "red_packet")
                              for no in sim.rng.sample(lenders, k=min(50, len(lenders)))]
    sim.run("cash red packets", packets)
    clock.advance(timedelta(hours=2))
    takers = sim.rng.sample(lenders, k=min(40, len(lenders)))
    holds = sim.run("withdrawals requested", [Freeze(sim.request_no("WD"), no, 500_00,
                                                     "withdrawal in flight", None, "withdrawal")
                                              for no in takers])
    paid = sim.run("withdrawals paid out", [
        Settle(sim.request_no("WP"), r.tx_id or 0, (Payee(SUMMARY, 500_00),), "withdrawal")
        for r in holds if r.ok])
    first = next(r for r in paid if r.ok)
    sim.run("withdrawal returned by the bank statement",
            [Reverse(sim.request_no("RV"), first.tx_id or 0, "payout returned by payee bank")])


def _mistakes(sim: _Day, lenders: list[str]) -> None:
    """Requests a real platform sends by mistake; each is refused or replayed by name."""
    replay = Transfer(sim.request_no("DX"), lenders[0], lenders[1], 100, "transfer")
    sim.run("a transfer", [replay])
    sim.run("refused and replayed requests", [
        replay,
        Transfer(replay.request_no, lenders[0], lenders[1], 999, "transfer"),
        Transfer(sim.request_no("DX"), lenders[0], lenders[1], 10**12, "transfer"),
        Transfer(sim.request_no("DX"), FEE, lenders[1], 100, "transfer"),
        Transfer(sim.request_no("DX"), lenders[2], MARKETING, 100, "transfer"),
        Transfer(sim.request_no("DX"), lenders[2], lenders[2], 100, "transfer"),
    ])
