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

from cunguan.platform.cli.main import app
from cunguan.reconcile import demo


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
