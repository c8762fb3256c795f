"""Reconciliation end to end on a fresh database (``cunguan demo reconcile``): a custody
platform's day T and T+1, its custody account at ICBC and its quick-pay channel.

Day T: the platform pays in its own funds, four users open accounts and recharge by quick pay,
four withdrawals are paid. The bank's statement of T shows two of the payouts and the funding;
it also shows an offline transfer the books will only record on T+1, and it lacks the third
payout (the bank books it on T+1) and the fourth (it never comes: lost at the bank). Matched:
the two items of each side that did not arrive wait in transit.

Day T+1: the channel's settlement file for T is imported: custody settles the recharges
(R-C15), and the channel took 0.01 yuan more fee on one of them than the books expected — a
``fee_mismatch`` break, adjusted by a maker and approved by a checker (the maker refused as
checker). The bank's statement of T+1 returns the second payout (退汇: the import reverses the
withdrawal through custody, once), shows the late payout and the channel's money (0.01 yuan
short). Matched again: the two items in transit arrive; the lost payout, past T+N (T+0 for
payouts), is raised; the channel's credit, 0.01 yuan short of the net custody settled, and that
settlement wait in transit (the engine pairs exact amounts only), until the operator pairs them
by hand citing the written-off fee break (人工勾对): they arrived. Then R-B2's checks, R-B3's
identities and the R-B5 report set for both days, written to a directory: every identity holds
on both days with every term (the quick-pay channel's money in transit, 渠道在途资金, is its own
term: the channel's account is no reserve bank account); day T has no finding, T+1 exactly the
lost payout raised ``book_only`` (docs/REPORTS.md, "The reconciliation demo's days").

Every figure comes from the services' own answers; ``run`` returns them so a test can check the
days (tests/e2e/test_reconcile_demo.py). Statement files are written in the shipped formats
(MT940, ``channel:quickpay``) beside the reports and imported from their bytes.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from stdnum import luhn
from stdnum.cn import ric

from cunguan.core.clock import CST, FixedClock
from cunguan.custody.handlers.lending_service import LendingService
from cunguan.db.connection import Engine
from cunguan.ledger.service import LedgerService
from cunguan.platform.day_service import DayService
from cunguan.reconcile.formats import writers
from cunguan.reconcile.handlers.service import ReconcileService
from cunguan.reconcile.rules import register
from cunguan.reconcile.rules.matching import MatchPolicy
from cunguan.reconcile.rules.statements import Direction, LineStatus, Statement, StatementLine

TENANT = "DEMO-RC"
T = date(2026, 12, 7)
T1 = date(2026, 12, 8)
CUSTODY_ACCOUNT = "0200001234567890123"
CHANNEL_ACCOUNT = "6222600000000001234"
MERCHANT = "M100200300"
PASSWORD = "246810"
MAKER, CHECKER = "ops-alice", "ops-bob"
#: The custody chart's accounts the demo names (custody's rules are not reconciliation's to
#: import): the summary account the custody account mirrors, the channel's transit account,
#: the platform's own account.
SUMMARY, CHANNEL, OWN = "SUMMARY", "CHANNEL", "OWN"
#: Payouts arrive the day they are paid (T+0); receipts within a day (T+1).
POLICY = MatchPolicy(arrival_days_credit=1, arrival_days_debit=0)
FUNDING_FEN = 100_000_000
RECHARGES_FEN = (2_000_000, 1_500_000, 800_000, 500_000)
PAYOUTS = {"WD-PAID": 300_000, "WD-RETURNED": 450_000, "WD-LATE": 120_000,
           "WD-LOST": 80_000}
OFFLINE_FEN = 250_000


@dataclass
class DemoDays:
    """What happened, as the services answered."""

    steps: list[tuple[str, str]] = field(default_factory=list)
    imports: list[dict[str, Any]] = field(default_factory=list)
    matches: list[dict[str, Any]] = field(default_factory=list)
    breaks: list[dict[str, Any]] = field(default_factory=list)
    checks: list[dict[str, Any]] = field(default_factory=list)
    reports: list[Path] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    fee_break: dict[str, Any] = field(default_factory=dict)
    paired: dict[str, Any] = field(default_factory=dict)

    def note(self, what: str, outcome: object) -> None:
        self.steps.append((what, str(outcome)))


def _id_no(seq: int) -> str:
    body = f"11010519900307{seq % 1000:03d}"[:17]
    return next(body + d for d in "0123456789X" if ric.is_valid(body + d))


def card(seq: int) -> str:
    body = f"622202{seq:012d}"
    return body + luhn.calc_check_digit(body)


def _line(no: int, day: date, direction: Direction, amount_fen: int, ref: str, *,
          status: LineStatus = LineStatus.BOOKED, fee_fen: int = 0,
          booked: date | None = None, text: str = "") -> StatementLine:
    return StatementLine(no, day, booked or day, direction, amount_fen,
                         f"ICBC{day:%m%d}{no:05d}", end_to_end_ref=ref, status=status,
                         fee_fen=fee_fen, description=text,
                         original_ref=ref if status is not LineStatus.BOOKED else "")


class _Script:
    def __init__(self, engine: Engine, out_dir: Path) -> None:
        self.clock = FixedClock(datetime.combine(T, time(9, 0), CST))
        self.ledger = LedgerService(engine, clock=self.clock)
        self.custody = LendingService(engine, self.ledger, clock=self.clock)
        self.recon = ReconcileService(engine, self.ledger, clock=self.clock,
                                      custody=self.custody)
        self.days = DayService(engine, clock=self.clock)
        self.out = out_dir
        self.run = DemoDays()
        self.opening_fen = 0

    def at(self, on: date, hh: int) -> None:
        self.clock.advance(datetime.combine(on, time(hh, 0), CST) - self.clock())

    def ok(self, what: str, result: Any) -> Any:
        self.run.note(what, "ok" if result.ok else result.code)
        if not result.ok:
            raise RuntimeError(f"{what}: {result.code} {result.message}")
        return result

    # -- day T ---------------------------------------------------------------------------
    def day_t(self) -> None:
        c = self.custody
        c.onboard_platform(TENANT, "Demo reconciliation platform", T)
        for account in (register.bank_account(CUSTODY_ACCOUNT, "ICBC 工商银行", "custody",
                                              tenant_id=TENANT, mirrors=[SUMMARY]),
                        register.bank_account(CHANNEL_ACCOUNT, "QuickPay 快捷支付", "channel",
                                              tenant_id=TENANT, mirrors=[CHANNEL])):
            self.recon.add_account(account, operator=MAKER)
        self.ok("platform pays in its own funds (PF-1)",
                c.fund_platform(TENANT, "PF-1", OWN, FUNDING_FEN))
        for seq, amount in enumerate(RECHARGES_FEN, start=1):
            self.ok(f"user u{seq} opens", c.open_user(
                TENANT, f"open-u{seq}", user_id=f"u{seq}", role="lender", name=f"用户{seq}",
                id_kind="resident_id", id_no=_id_no(seq),  # type: ignore[arg-type]
                mobile=f"1380000{seq:04d}", card_no=card(seq), password=PASSWORD))
            self.ok(f"u{seq} recharges by quick pay (RC-{seq})", c.recharge(
                TENANT, f"RC-{seq}", f"u{seq}", card(seq), amount, password=PASSWORD))
        self.at(T, 14)
        for seq, (no, amount) in enumerate(PAYOUTS.items(), start=1):
            self.ok(f"u{seq} withdraws ({no})", c.withdraw(TENANT, no, f"u{seq}", card(seq),
                                                           amount, password=PASSWORD))
            self.ok(f"the channel pays {no}", c.channel_result(TENANT, f"CH-{no}", no,
                                                               succeeded=True))
        lines = [_line(1, T, Direction.CREDIT, FUNDING_FEN, "PF-1", text="OWN FUNDS"),
                 _line(2, T, Direction.DEBIT, PAYOUTS["WD-PAID"], "WD-PAID", text="PAYOUT"),
                 _line(3, T, Direction.DEBIT, PAYOUTS["WD-RETURNED"], "WD-RETURNED",
                       text="PAYOUT"),
                 _line(4, T, Direction.CREDIT, OFFLINE_FEN, "OT-1", text="TRANSFER U1")]
        self.statement(T, lines)
        self.match(T)

    # -- day T+1 -------------------------------------------------------------------------
    def day_t1(self) -> None:
        self.at(T1, 0)
        self.clock.advance(timedelta(minutes=5))
        close = self.days.close(TENANT, T)
        self.run.note(f"day {T} closed", close.outcome)
        self.at(T1, 9)
        self.ok("the bank credits the offline transfer (OT-1)",
                self.custody.offline_transfer(TENANT, "OT-1", card(1), OFFLINE_FEN))
        self.channel_file()
        self.fee_adjustment()
        net_fen = self.run.imports[-1]["settled_net_fen"]
        paid_fen = net_fen - 1
        lines = [_line(1, T1, Direction.DEBIT, PAYOUTS["WD-LATE"], "WD-LATE", text="PAYOUT"),
                 _line(2, T1, Direction.CREDIT, PAYOUTS["WD-RETURNED"], "WD-RETURNED",
                       status=LineStatus.REVERSED, text="RETURN AC04 CLOSED ACCOUNT"),
                 _line(3, T1, Direction.CREDIT, paid_fen, "QP20261208", text="QUICKPAY")]
        self.statement(T1, lines)
        self.match(T1)
        self.explain_channel_breaks()
        self.pair_channel_settlement(paid_fen, net_fen)

    def channel_file(self) -> None:
        """The channel's file for T, settled T+1: one fee 0.01 yuan above the booked one."""
        lines = []
        for seq, amount in enumerate(RECHARGES_FEN, start=1):
            status = self.custody.request_status(TENANT, f"RC-{seq}")
            fee_fen = int(status["result"]["channel_fee_fen"])  # type: ignore[index]
            lines.append(_line(seq, T, Direction.CREDIT, amount, f"RC-{seq}",
                               fee_fen=fee_fen + (1 if seq == 2 else 0)))
        statement = Statement("channel:quickpay", "q", CHANNEL_ACCOUNT, "CNY", T, T1, 0,
                              sum(i.amount_fen for i in lines), tuple(lines),
                              balances_stated=False)
        self.imported(f"quickpay_{T1:%Y%m%d}.txt", writers.quickpay(statement, MERCHANT),
                      "channel:quickpay")

    def statement(self, day: date, lines: list[StatementLine]) -> None:
        closing = self.opening_fen + sum(i.signed_fen for i in lines)
        statement = Statement("mt940", f"CUS{day:%Y%m%d}", CUSTODY_ACCOUNT, "CNY", day, day,
                              self.opening_fen, closing, tuple(lines))
        self.opening_fen = closing
        self.imported(f"icbc_{day:%Y%m%d}.sta",
                      writers.mt940(statement, "ICBKCNBJ", number=day.day), "mt940")

    def imported(self, name: str, data: bytes, format_name: str) -> None:
        path = self.out / "statements" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        self.run.files.append(path)
        done = self.recon.import_file(path.read_bytes(), format_name, operator=MAKER)
        again = self.recon.import_file(path.read_bytes(), format_name, operator=CHECKER)
        settled = [o.expected_fen for o in done.outcomes if o.kind in ("settled",
                                                                        "settlement_mismatch")]
        self.run.imports.append({
            "file": name, "lines": done.lines, "reversed": done.reversed,
            "settled_days": done.settled_days, "breaks": done.breaks,
            "outcomes": [(o.line_key, str(o.kind), o.reference) for o in done.outcomes],
            "replayed_again": again.replayed, "again": [str(o.kind) for o in again.outcomes],
            "settled_net_fen": settled[0] if settled else 0})

    def match(self, day: date) -> None:
        run = self.recon.match_day(CUSTODY_ACCOUNT, day, operator=MAKER, policy=POLICY)
        self.run.matches.append({"day": day, "bank_lines": run.bank_lines,
                                 "book_items": run.book_items, "matched": run.matched,
                                 "breaks": run.breaks, "in_transit": run.in_transit})

    def _break(self, account_no: str, break_class: str) -> dict[str, Any]:
        return next(b for b in self.recon.breaks(account_no=account_no)
                    if b["break_class"] == break_class)

    def fee_adjustment(self) -> None:
        """The fee break worked by a maker and a checker: the platform bears the 0.01."""
        fee = self._break(CHANNEL_ACCOUNT, "fee_mismatch")
        break_id = fee["break_id"]
        self.recon.assign(break_id, MAKER, operator=MAKER)
        self.recon.note(break_id, "the channel charged 0.01 yuan more than its contract",
                        operator=MAKER)
        self.recon.propose(break_id, kind="write_off", debit_account_no=OWN,
                           credit_account_no=SUMMARY, amount_fen=-fee["difference_fen"],
                           memo="channel fee difference borne by the platform",
                           operator=MAKER)
        try:
            self.recon.approve(break_id, operator=MAKER)
            refused = "approved"
        except Exception as exc:   # the rule refuses by name
            refused = getattr(exc, "code", type(exc).__name__)
        self.run.note("the maker approves her own adjustment", refused)
        posted = self.recon.approve(break_id, operator=CHECKER)
        self.run.note("the checker approves it", posted["state"])
        self.run.fee_break = {**self.recon.break_detail(break_id), "refused": refused,
                              "posted": posted}

    def explain_channel_breaks(self) -> None:
        """The day's other breaks of the same 0.01: cleared, citing the fee break."""
        cause = f"the channel's 0.01 yuan fee, adjusted on break {self.run.fee_break['break_id']}"
        for account_no, break_class in ((CHANNEL_ACCOUNT, "amount_mismatch"),):
            found = [b for b in self.recon.breaks(account_no=account_no)
                     if b["break_class"] == break_class and abs(b["difference_fen"]) == 1]
            for b in found:
                self.recon.assign(b["break_id"], CHECKER, operator=CHECKER)
                self.recon.resolve(b["break_id"], cause, operator=CHECKER)
                self.run.note(f"break {b['break_id']} ({account_no}, {break_class}) cleared",
                              "resolved")

    def pair_channel_settlement(self, paid_fen: int, net_fen: int) -> None:
        """The channel's credit and the settlement custody booked are the same money, 0.01
        yuan apart: the engine pairs exact amounts only and leaves both in transit, so the
        operator pairs them by hand citing the written-off fee break (人工勾对). Left in
        transit they would count the 0.01 twice in R-B3 — once in the books (the write-off),
        once as in transit — and be raised bank_only and book_only past T+1."""
        transit = self.recon.reserve_day(TENANT, T1).in_transit
        bank = [i.key for i in transit if i.side == "bank" and i.amount_fen == paid_fen]
        book = [i.key for i in transit if i.side == "book" and i.amount_fen == net_fen]
        paired = self.recon.pair_in_transit(CUSTODY_ACCOUNT, T1, bank_keys=bank,
                                            book_keys=book,
                                            explained_by=self.run.fee_break["break_id"],
                                            operator=CHECKER)
        self.run.note(f"the channel's credit paired with custody's settlement "
                      f"({paired['difference_fen']} fen, break {paired['explained_by']})",
                      paired["group_id"])
        self.run.paired = paired

    # -- checks and reports ----------------------------------------------------------------
    def close(self) -> None:
        self.run.breaks = self.recon.breaks(open_only=False)
        for day in (T, T1):
            found = self.recon.run_checks(TENANT, day)
            self.run.checks.append({
                "day": day, "due_by": found.due_by,
                "identities": [(i.title, i.account_no, i.left_fen, i.right_fen, i.holds)
                               for i in found.identities],
                "terms": {str(i.code): {t.name: t.signed_fen for t in (*i.left, *i.right)}
                          for i in found.identities if not i.account_no},
                "findings": [(f.rule, f.check, str(f.severity), f.amount_fen, f.message)
                             for f in found.findings]})
            written = self.recon.write_reports(TENANT, day, day, self.out / "reports",
                                               monthly=False, pdf=True)
            self.run.reports.extend(written.paths)


def run(engine: Engine, out_dir: Path) -> DemoDays:
    """Days T and T+1 on ``engine`` (migrated, empty), files written under ``out_dir``."""
    script = _Script(engine, out_dir)
    script.day_t()
    script.day_t1()
    script.close()
    return script.run
