"""``cunguan demo reconcile``: the days issue 21 asks for, checked by the services' answers:
a payout returned by the bank reversed by the import (once), a channel fee 0.01 yuan off kept
as a ``fee_mismatch`` break and adjusted by a maker and a checker (the maker refused), two items
in transit arriving the next day, one payout past T+N raised, the reports written."""

import io
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from cunguan.ledger.service import LedgerService
from cunguan.platform.cli.main import app
from cunguan.reconcile import demo
from cunguan.reconcile.handlers.service import ReconcileService
from cunguan.reconcile.rules.refusals import ReconcileError


def test_r_c15_r_b2_r_b5_the_demo_days_on_both_backends(engine: Engine,
                                                         tmp_path: Path) -> None:
    days = demo.run(engine, tmp_path)
    by_file = {row["file"]: row for row in days.imports}
    returned = by_file["icbc_20261208.sta"]
    assert returned["outcomes"][0][1:] == ("reversed", "WD-RETURNED")
    assert returned["replayed_again"] and returned["again"] == ["already_reversed"]
    channel = by_file["quickpay_20261208.txt"]
    assert [kind for _, kind, _ in channel["outcomes"]].count("fee_mismatch") == 1
    fee = days.fee_break
    assert (fee["break_class"], fee["difference_fen"]) == ("fee_mismatch", -1)
    assert fee["refused"] == "checker_is_maker" and fee["posted"]["state"] == "posted"
    assert fee["state"] == "written_off" and fee["tx_id"] is not None
    assert [(a["maker"], a["checker"], a["amount_fen"]) for a in fee["adjustments"]] == [
        (demo.MAKER, demo.CHECKER, 1)]
    t, t1 = days.matches
    assert (t["matched"], t["breaks"], t["in_transit"]) == (6, 0, 3)   # 3 pairs; 3 waiting
    assert (t1["matched"], t1["breaks"]) == (6, 1)    # OT-1 and WD-LATE arrived; the return
    raised = [b for b in days.breaks if b["account_no"] == demo.CUSTODY_ACCOUNT]
    assert [(b["break_class"], b["amount_fen"], b["state"]) for b in raised] == [
        ("book_only", demo.PAYOUTS["WD-LOST"], "open")]
    assert {b["state"] for b in days.breaks if b["account_no"] == demo.CHANNEL_ACCOUNT} == {
        "written_off", "resolved"}
    assert [run["day"] for run in days.checks] == [demo.T, demo.T1]
    assert all(run["identities"] for run in days.checks)
    assert days.paired["difference_fen"] == fee["difference_fen"]
    assert days.paired["explained_by"] == fee["break_id"]
    recon = ReconcileService(engine, LedgerService(engine))
    with pytest.raises(ReconcileError) as again:   # paired once: arrived, no longer open
        recon.pair_in_transit(demo.CUSTODY_ACCOUNT, demo.T1, bank_keys=["S3L9"],
                              book_keys=["DEMO-RC/SUMMARY/7"], explained_by=fee["break_id"],
                              operator=demo.CHECKER)
    assert again.value.code == "in_transit_item_not_open"


def test_r_b2_r_b3_the_demo_days_reconcile_but_for_what_was_planted(engine: Engine,
                                                                    tmp_path: Path) -> None:
    """Issue 21: every R-B3 identity holds on T and T+1 with every term shown, and R-B2 finds
    exactly what was planted: nothing on T (the items in transit are within T+N and listed in
    report 9), on T+1 the payout the bank lost, raised book_only past T+0."""
    days = demo.run(engine, tmp_path)
    t, t1 = days.checks
    for run in (t, t1):
        assert [holds for *_, holds in run["identities"]] == [True] * 5, run["identities"]
    assert t["findings"] == []
    assert [(rule, check, amount) for rule, check, _, amount, _ in t1["findings"]] == [
        ("R-B2(1)", "item_match", -demo.PAYOUTS["WD-LOST"])]
    assert "book_only" in t1["findings"][0][4]
    net_fen = sum(demo.RECHARGES_FEN) - 7_200     # the channel's fees the books expected
    lost, late = demo.PAYOUTS["WD-LOST"], demo.PAYOUTS["WD-LATE"]
    assert t["terms"]["r_b3_balance"] == {
        "bank_balance": 99_500_000, "customer_balance": 3_850_000, "cash_reserve_held": 0,
        "prepaid_advanced": 0, "untransferred_interest": 0, "untransferred_fee_income": 0,
        "own_funds": demo.FUNDING_FEN - 7_200, "in_transit": demo.OFFLINE_FEN + late + lost,
        "channel_in_transit": -net_fen, "other": 0}
    moved = t1["terms"]["r_b3_movement"]
    assert (moved["bank_movement"], moved["customer_movement"], moved["own_funds_deposited"],
            moved["in_transit"], moved["channel_in_transit"], moved["internal_transfer"]) == (
        5_122_799, demo.OFFLINE_FEN + demo.PAYOUTS["WD-RETURNED"], -1,
        lost - (demo.OFFLINE_FEN + late + lost), net_fen, 0)
    assert t1["terms"]["r_b3_balance"]["in_transit"] == lost
    assert t1["terms"]["r_b3_balance"]["channel_in_transit"] == 0
    paid, unpaid = "银行已收、机构未收", "机构已付、银行未付"   # report 9, each day's end
    expected = ([(paid, demo.OFFLINE_FEN, ""), (unpaid, late, "CH-WD-LATE"),
                 (unpaid, lost, "CH-WD-LOST")], [(unpaid, lost, "CH-WD-LOST")])
    for path, items in zip([p for p in days.reports if p.suffix == ".xlsx"], expected,
                           strict=True):
        book = openpyxl.load_workbook(io.BytesIO(path.read_bytes()))
        sheet = next(book[n] for n in book.sheetnames if n.startswith("9 "))
        rows = [(r[1], round(r[6] * 100), r[5]) for r in sheet.iter_rows(values_only=True)
                if r[1] in (paid, unpaid)]
        assert rows == items
    assert sorted(p.suffix for p in days.reports) == [".pdf", ".pdf", ".xlsx", ".xlsx"]
    book = openpyxl.load_workbook(io.BytesIO(days.reports[0].read_bytes()))
    assert len(book.sheetnames) >= 13
    assert all(p.read_bytes().startswith(b"%PDF") for p in days.reports if p.suffix == ".pdf")


def test_the_demo_command_prints_the_days(tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["demo", "reconcile"])
    assert result.exit_code == 0, result.output
    for seen in ("checker_is_maker", "WD-RETURNED", "replayed", "fee_mismatch", "book_only",
                 "written_off", "R-B3 identities"):
        assert seen in result.output, seen
    assert (tmp_path / "cunguan-reconcile-demo.db").exists()
    assert len(list((tmp_path / "cunguan-reconcile-demo" / "reports").iterdir())) == 4


def test_r_b2_the_cli_pairs_items_in_transit_by_hand_and_refuses_what_is_not_open(
        engine: Engine, tmp_path: Path) -> None:
    days = demo.run(engine, tmp_path)
    db = ["--database-url", engine.url.render_as_string(hide_password=False)]
    pair = [*db, "reconcile", "pair", "--account", demo.CUSTODY_ACCOUNT, "--date", "2026-12-08",
            "--bank", "S3L9", "--book", "DEMO-RC/SUMMARY/7", "--explained-by",
            str(days.fee_break["break_id"]), "--operator", demo.CHECKER]
    again = CliRunner().invoke(app, pair)
    assert again.exit_code == 1 and "in_transit_item_not_open" in again.output, again.output
    alone = CliRunner().invoke(app, [*db, "reconcile", "pair", "--account",
                                     demo.CUSTODY_ACCOUNT, "--date", "2026-12-08", "--bank",
                                     "S3L9", "--book", "DEMO-RC/SUMMARY/5", "--operator",
                                     demo.CHECKER])
    assert alone.exit_code == 1 and "in_transit_item_not_open" in alone.output, alone.output
    # S3L9 arrived; WD-LOST's item is open, but a pair needs both sides open
