"""R-C15 wired into the import: a custody platform's custody account statement, imported
through the ReconcileService (as the CLI and the API do), reverses the withdrawals the bank
returned through custody's own command, and a quick-pay channel's settlement file settles the
recharges it paid for; what custody cannot act on is kept as a break; importing the file again
replays and nothing happens twice. On SQLite and PostgreSQL (the ``engine`` fixture), through
the service and the CLI."""

from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import Engine
from typer.testing import CliRunner

from cunguan.custody.handlers.lending_service import LendingService
from cunguan.custody.rules import accounts as chart
from cunguan.platform.cli.main import app
from cunguan.reconcile.formats import writers
from cunguan.reconcile.handlers.service import ReconcileService
from cunguan.reconcile.rules import register
from cunguan.reconcile.rules.returns import OutcomeKind
from cunguan.reconcile.rules.statements import Direction, LineStatus, Statement, StatementLine
from tests.custody_helpers import PASSWORD, PLATFORM, icbc_card, open_user, services

TUESDAY = date(2026, 11, 24)
CUSTODY_ACCOUNT = "0200001234567890123"
CHANNEL_ACCOUNT = "6222600000000001234"
OPS = "ops-alice"
runner = CliRunner()


def _line(no: int, amount_fen: int, ref: str, *, status: LineStatus = LineStatus.REVERSED,
          direction: Direction = Direction.CREDIT, fee_fen: int = 0,
          original_ref: str = "") -> StatementLine:
    return StatementLine(no, TUESDAY, TUESDAY, direction, amount_fen, f"BANK{no:06d}",
                         end_to_end_ref=ref, status=status, fee_fen=fee_fen,
                         original_ref=original_ref or (ref if status is not LineStatus.BOOKED
                                                       else ""))


def _custody_statement(lines: list[StatementLine], opening_fen: int = 50_000_000) -> bytes:
    closing = opening_fen + sum(item.signed_fen for item in lines)
    return writers.mt940(Statement("mt940", "CUS20261124", CUSTODY_ACCOUNT, "CNY", TUESDAY,
                                   TUESDAY, opening_fen, closing, tuple(lines)), "ICBKCNBJ")


def _books(custody: LendingService) -> dict[str, tuple[int, int]]:
    return {a.account_no: (a.balance_fen, a.frozen_fen)
            for a in custody.ledger.accounts(PLATFORM)}


def _platform(engine: Engine) -> tuple[LendingService, ReconcileService, str]:
    """A platform whose user (500,000 fen) withdrew 100,000 (wd-1) and 200,000 (wd-2), both
    paid; its custody and channel accounts registered."""
    custody, ledger, _, clock = services(engine)
    user = open_user(custody, 1, recharge_fen=500_000)
    for no, amount in (("wd-1", 100_000), ("wd-2", 200_000)):
        assert custody.withdraw(PLATFORM, no, user, icbc_card(1), amount,
                                password=PASSWORD).ok
        assert custody.channel_result(PLATFORM, f"ch-{no}", no, succeeded=True).ok
    recon = ReconcileService(engine, ledger, clock=clock, custody=custody)
    recon.add_account(register.bank_account(CUSTODY_ACCOUNT, "ICBC", "custody",
                                            tenant_id=PLATFORM, mirrors=[chart.SUMMARY]),
                      operator=OPS)
    recon.add_account(register.bank_account(CHANNEL_ACCOUNT, "QuickPay", "channel",
                                            tenant_id=PLATFORM,
                                            mirrors=[chart.CHANNEL_TRANSIT]), operator=OPS)
    return custody, recon, user


def test_r_c15_custody_statement_import_reverses_the_returned_payout_once(
        engine: Engine) -> None:
    custody, recon, user = _platform(engine)
    account = chart.user_account_no(user)
    assert _books(custody)[account] == (199_400, 0)
    data = _custody_statement([_line(1, 200_000, "wd-2"),
                               _line(2, 7_000, "wd-404"),             # names no withdrawal
                               _line(3, 99_999, "wd-1"),              # not the payout's amount
                               _line(4, 30_000, "rc-x", status=LineStatus.BOOKED)])
    done = recon.import_file(data, "mt940", operator=OPS)
    assert not done.replayed and done.lines == 4
    assert [(o.kind, o.reference, o.break_class) for o in done.outcomes] == [
        (OutcomeKind.REVERSED, "wd-2", ""),
        (OutcomeKind.UNKNOWN_WITHDRAWAL, "wd-404", "bank_only"),
        (OutcomeKind.AMOUNT_MISMATCH, "wd-1", "amount_mismatch")]
    assert (done.reversed, done.breaks) == (1, 2)
    assert custody.withdrawal(PLATFORM, "wd-2")["status"] == "reversed"
    assert custody.withdrawal(PLATFORM, "wd-1")["status"] == "succeeded"
    assert _books(custody)[account] == (400_000, 0)     # 200,000 and its 600 fee back
    kept = recon.breaks(account_no=CUSTODY_ACCOUNT)
    assert sorted((b["break_class"], b["amount_fen"], b["difference_fen"], str(b["as_of"]))
                  for b in kept) == [("amount_mismatch", 99_999, -1, "2026-11-24"),
                                     ("bank_only", 7_000, 7_000, "2026-11-24")]
    first = recon.break_detail(kept[0]["break_id"])["actions"]
    assert [a["kind"] for a in first] == ["opened"] and first[0]["operator"] == OPS
    books = _books(custody)
    # the same file again: a replay; custody's reversal replays, no break is kept twice
    again = recon.import_file(data, "mt940", operator="ops-bob")
    assert again.replayed and again.import_id == done.import_id
    assert [o.kind for o in again.outcomes] == [OutcomeKind.ALREADY_REVERSED,
                                                OutcomeKind.UNKNOWN_WITHDRAWAL,
                                                OutcomeKind.AMOUNT_MISMATCH]
    assert again.outcomes[0].request_no == done.outcomes[0].request_no
    assert _books(custody) == books
    assert len(recon.breaks(account_no=CUSTODY_ACCOUNT)) == 2
    # matching keeps the import's breaks (they are not the run's to drop) and leaves their
    # lines out: the other two lines wait in transit, then are raised; the kept ones never
    run = recon.match_day(CUSTODY_ACCOUNT, TUESDAY, operator=OPS)
    assert (run.bank_lines, run.breaks, run.in_transit) == (2, 0, 2)
    keys = {b["break_key"] for b in recon.breaks(account_no=CUSTODY_ACCOUNT)}
    assert {b["break_key"] for b in kept} <= keys
    later = recon.match_day(CUSTODY_ACCOUNT, TUESDAY + timedelta(days=3), operator=OPS)
    assert (later.bank_lines, later.breaks) == (2, 2)
    raised = [b for b in recon.breaks(account_no=CUSTODY_ACCOUNT)
              if not b["break_key"].startswith("stmt.")]
    kept_lines = {b["item_keys"] for b in kept}
    assert {b["item_keys"] for b in raised}.isdisjoint(kept_lines)
    assert sorted(b["amount_fen"] for b in raised) == [30_000, 200_000]


def test_r_c15_channel_file_import_settles_the_recharges_once(engine: Engine) -> None:
    custody, recon, _ = _platform(engine)
    open_user(custody, 2, recharge_fen=300_000)
    fee = {no: int(custody.request_status(PLATFORM, no)["result"]["channel_fee_fen"])  # type: ignore[index]
           for no in ("rc-u0001", "rc-u0002")}
    transit = _books(custody)[chart.CHANNEL_TRANSIT][0]
    assert transit == 800_000 - sum(fee.values())
    lines = (_line(1, 500_000, "rc-u0001", status=LineStatus.BOOKED, fee_fen=fee["rc-u0001"]),
             _line(2, 300_000, "rc-u0002", status=LineStatus.BOOKED,
                   fee_fen=fee["rc-u0002"] + 1))      # the channel took 0.01 yuan more
    net = 800_000 - sum(fee.values()) - 1
    data = writers.quickpay(Statement("q", "q", CHANNEL_ACCOUNT, "CNY", TUESDAY, TUESDAY, 0,
                                      net, lines, balances_stated=False), "M100200300")
    done = recon.import_file(data, "channel:quickpay", operator=OPS)
    assert [(o.kind, o.break_class) for o in done.outcomes] == [
        (OutcomeKind.ITEM_CONFIRMED, ""), (OutcomeKind.FEE_MISMATCH, "fee_mismatch"),
        (OutcomeKind.SETTLEMENT_MISMATCH, "amount_mismatch")]
    assert (done.settled_days, done.breaks) == (0, 2)
    assert done.outcomes[1].difference_fen == -1 and done.outcomes[2].difference_fen == -1
    books = _books(custody)
    assert books[chart.CHANNEL_TRANSIT][0] == 0           # custody settled what it booked
    assert custody.request_status(PLATFORM, done.outcomes[2].request_no)["status"] == "ok"  # type: ignore[index]
    classes = sorted(b["break_class"] for b in recon.breaks(account_no=CHANNEL_ACCOUNT))
    assert classes == ["amount_mismatch", "fee_mismatch"]
    again = recon.import_file(data, "channel:quickpay", operator=OPS)
    assert again.replayed and [o.kind for o in again.outcomes] == [
        o.kind for o in done.outcomes]
    assert _books(custody) == books
    assert len(recon.breaks(account_no=CHANNEL_ACCOUNT)) == 2


def test_r_c15_statements_of_other_accounts_ask_custody_for_nothing(engine: Engine) -> None:
    custody, recon, _ = _platform(engine)
    recon.add_account(register.bank_account("95588001", "ICBC", "collection",
                                            tenant_id=PLATFORM, mirrors=[chart.SUMMARY]),
                      operator=OPS)
    books = _books(custody)
    lines = (_line(1, 200_000, "wd-2"),)
    data = writers.mt940(Statement("m", "COL1", "95588001", "CNY", TUESDAY, TUESDAY, 0,
                                   200_000, lines), "ICBKCNBJ")
    done = recon.import_file(data, "mt940", operator=OPS)
    assert done.outcomes == () and _books(custody) == books
    assert custody.withdrawal(PLATFORM, "wd-2")["status"] == "succeeded"


def test_r_c15_cli_import_reverses_and_reports(engine: Engine, tmp_path: Path) -> None:
    custody, _, user = _platform(engine)
    path = tmp_path / "custody.sta"
    path.write_bytes(_custody_statement([_line(1, 100_000, "wd-1"),
                                         _line(2, 5_000, "wd-404")]))
    db = ["--database-url", engine.url.render_as_string(hide_password=False)]
    args = [*db, "reconcile", "import", str(path), "--format", "mt940", "--operator", OPS]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    assert "1 withdrawals reversed" in first.output and "1 kept as breaks" in first.output
    assert "reversed" in first.output and "unknown_withdrawal" in first.output
    assert custody.withdrawal(PLATFORM, "wd-1")["status"] == "reversed"
    books = _books(custody)
    assert books[chart.user_account_no(user)] == (299_400, 0)
    again = runner.invoke(app, args)
    assert again.exit_code == 0 and "replayed" in again.output, again.output
    assert "already_reversed" in again.output
    assert _books(custody) == books
    listed = runner.invoke(app, [*db, "reconcile", "breaks", "list", "--account",
                                 CUSTODY_ACCOUNT, "--json"])
    assert listed.exit_code == 0 and listed.output.count('"bank_only"') == 1, listed.output
