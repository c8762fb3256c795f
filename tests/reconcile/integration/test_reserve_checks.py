"""The reserve-fund checks and reports from the database on both backends (R-B2, R-B3,
R-B5): a day whose statement, ledger and in-transit items agree is clean with every identity
holding; a bank line the books do not explain is found and stored (a re-run replaces the day's
findings); the report set's totals are the ledger's, in XLSX and PDF, by the CLI."""

import json
from decimal import Decimal
from pathlib import Path

import openpyxl
from sqlalchemy import Engine
from typer.testing import CliRunner

from cunguan.ledger.model import Transfer
from cunguan.platform.cli.main import app
from cunguan.reconcile.rules.statements import Direction
from tests.helpers import DAY, SUMMARY, TENANT
from tests.reconcile.integration.helpers import (
    BANK_ACCOUNT,
    OPERATOR,
    World,
    line,
    statement,
    world,
)

IN, OUT = Direction.CREDIT, Direction.DEBIT
runner = CliRunner()


def _day_with_one_payout_in_transit(engine: Engine, received_fen: int = 10_000) -> World:
    w = world(engine)
    w.ledger.execute(TENANT, [Transfer("R1", SUMMARY, "U1", 10_000, "recharge"),
                              Transfer("F1", SUMMARY, "FEE", 5_000, "platform_funding"),
                              Transfer("W1", "U1", SUMMARY, 2_500, "withdrawal")])
    lines = [line(1, IN, received_fen, ref="R1"), line(2, IN, 5_000, ref="F1")]
    w.recon.import_statement(statement("ST1", 0, lines), file_sha256="a" * 64,
                             operator=OPERATOR)
    w.recon.match_day(BANK_ACCOUNT, DAY, operator=OPERATOR)
    return w


def test_r_b2_a_day_that_agrees_is_clean_and_every_identity_holds(engine: Engine) -> None:
    w = _day_with_one_payout_in_transit(engine)
    run = w.recon.run_checks(TENANT, DAY)
    assert run.findings == () and run.clean
    assert {i.code for i in run.identities} >= {"r_b3_movement", "r_b3_balance"}
    assert all(i.holds for i in run.identities)
    assert run.due_by > DAY
    assert w.recon.findings(TENANT, DAY) == []


def test_r_b2_a_receipt_the_bank_credited_differently_is_found_and_stored(engine: Engine
                                                                         ) -> None:
    w = _day_with_one_payout_in_transit(engine, received_fen=10_001)
    run = w.recon.run_checks(TENANT, DAY)
    movement = next(i for i in run.identities if i.code == "r_b3_movement")
    assert movement.difference_fen == 1
    stored = w.recon.findings(TENANT, DAY)
    assert {f["rule"] for f in stored} >= {"R-B2(1)", "R-B2(4)"}
    assert any("amount_mismatch" in f["message"] for f in stored)
    assert len(stored) == len(run.findings)
    again = w.recon.run_checks(TENANT, DAY)
    assert len(w.recon.findings(TENANT, DAY)) == len(again.findings)   # replaced, not added
    db = ["--database-url", engine.url.render_as_string(hide_password=False), "reconcile"]
    cli = runner.invoke(app, [*db, "checks", "-p", TENANT, "--date", DAY.isoformat(), "--json"])
    assert cli.exit_code == 1 and "amount_mismatch" in cli.output, cli.output


def test_r_b5_reports_by_the_cli_total_the_ledger(engine: Engine, tmp_path: Path) -> None:
    w = _day_with_one_payout_in_transit(engine)
    db = ["--database-url", engine.url.render_as_string(hide_password=False), "reconcile"]
    checked = runner.invoke(app, [*db, "checks", "-p", TENANT, "--date", DAY.isoformat()])
    assert checked.exit_code == 0, checked.output
    as_json = runner.invoke(app, [*db, "checks", "-p", TENANT, "--date", DAY.isoformat(),
                                  "--json"])
    shown = json.loads(as_json.output)
    assert shown["findings"] == [] and all(i["holds"] for i in shown["identities"])
    made = runner.invoke(app, [*db, "reports", "-p", TENANT, "--date", DAY.isoformat(),
                               "--out", str(tmp_path), "--pdf"])
    assert made.exit_code == 0, made.output
    xlsx, pdf = tmp_path / "reserve_P1_20261123.xlsx", tmp_path / "reserve_P1_20261123.pdf"
    assert pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 1_000
    sheet = openpyxl.load_workbook(xlsx)["5"]
    total = next(row for row in sheet.iter_rows(values_only=True) if row[0] == "合计")
    closing_fen = sum(a.balance_fen for a in w.ledger.accounts(TENANT)
                      if a.account_no.startswith("U"))
    assert Decimal(str(total[7])) * 100 == closing_fen == 7_500
    both = runner.invoke(app, [*db, "reports", "-p", TENANT, "--date", DAY.isoformat(),
                               "--month", "2026-11", "--out", str(tmp_path)])
    assert both.exit_code == 2 and "field_invalid" in both.output
    monthly = runner.invoke(app, [*db, "reports", "-p", TENANT, "--month", "2026-11",
                                  "--out", str(tmp_path)])
    assert monthly.exit_code == 0, monthly.output
    assert (tmp_path / "reserve_P1_202611.xlsx").stat().st_size > 0


def test_r_b5_the_reserve_report_pdf_renders_to_non_empty_pages(engine: Engine) -> None:
    """The PDF (as an operator downloads it) rendered to PNG by PDFium: every page has ink
    (not one colour), and the cover page carries more than a border."""
    import io

    import pypdfium2

    w = _day_with_one_payout_in_transit(engine)
    name, content = w.recon.render_report(TENANT, DAY.isoformat(), "pdf")
    assert name == "reserve_P1_20261123.pdf"
    pdf = pypdfium2.PdfDocument(content)
    assert len(pdf) >= 14    # a cover and a page per report at least
    for index in range(len(pdf)):
        image = pdf[index].render(scale=1).to_pil().convert("L")
        png = io.BytesIO()
        image.save(png, format="PNG")
        assert png.getvalue().startswith(b"\x89PNG")
        low, high = image.getextrema()
        assert low < high, f"page {index + 1} is one colour"
        inked = sum(count for value, count in enumerate(image.histogram()) if value < 200)
        assert inked > 500, f"page {index + 1} has {inked} dark pixels"
