"""The operators' reconciliation over the signed API, on SQLite and PostgreSQL: a custody
statement uploaded reverses the returned payout (R-C15) and keeps what it cannot act on as a
break; the day matched; the break listed, assigned, noted, adjusted by a maker and approved by
another operator (the maker refused ``checker_is_maker``); the day's checks run (R-B2, R-B3)
and the report set downloaded as XLSX and PDF (R-B5). Platforms get 403 on all of it."""

import io
from collections.abc import Iterator

import openpyxl
import pytest
from sqlalchemy import Engine

from cunguan.custody.rules import accounts as chart
from cunguan.reconcile.formats import writers
from cunguan.reconcile.handlers.service import ReconcileService
from cunguan.reconcile.rules import register
from cunguan.reconcile.rules.statements import Direction, LineStatus, Statement, StatementLine
from tests.api_helpers import Api, api_for
from tests.custody_helpers import MONDAY, PASSWORD, PLATFORM, icbc_card

ACCOUNT = "0200001234567890123"
R = "/v1/operator/reconcile"


@pytest.fixture
def api(engine: Engine) -> Iterator[Api]:
    with api_for(engine) as found:
        yield found


def _returned(no: int, amount_fen: int, ref: str) -> StatementLine:
    return StatementLine(no, MONDAY, MONDAY, Direction.CREDIT, amount_fen, f"B{no:05d}",
                         end_to_end_ref=ref, status=LineStatus.REVERSED, original_ref=ref)


def _statement(*lines: StatementLine) -> bytes:
    closing = 1_000_000 + sum(item.signed_fen for item in lines)
    return writers.mt940(Statement("mt940", "CUS20261123", ACCOUNT, "CNY", MONDAY, MONDAY,
                                   1_000_000, closing, lines), "ICBKCNBJ")


def test_r_c15_r_b2_r_b5_operator_reconciles_a_day_over_the_api(api: Api) -> None:
    platform = api.onboard(PLATFORM)
    custody = api.bank.custody
    user = api.open_user(PLATFORM, 1)
    assert custody.recharge(PLATFORM, "rc-1", user, icbc_card(1), 500_000,
                            password=PASSWORD).ok
    assert custody.withdraw(PLATFORM, "wd-1", user, icbc_card(1), 100_000,
                            password=PASSWORD).ok
    assert custody.channel_result(PLATFORM, "ch-1", "wd-1", succeeded=True).ok
    ReconcileService(api.bank.engine, api.bank.ledger, clock=api.clock).add_account(
        register.bank_account(ACCOUNT, "ICBC", "custody", tenant_id=PLATFORM,
                              mirrors=[chart.SUMMARY]), operator="ops-alice")
    data = _statement(_returned(1, 100_000, "wd-1"), _returned(2, 1_234, "wd-404"))
    uploaded = api.operator.upload(f"{R}/statements?format=mt940", {"file": ("s.sta", data)})
    assert uploaded.status == 200, uploaded.body
    assert (uploaded.body["reversed"], uploaded.body["breaks"]) == (1, 1)
    assert [o["kind"] for o in uploaded.body["outcomes"]] == ["reversed", "unknown_withdrawal"]
    assert custody.withdrawal(PLATFORM, "wd-1")["status"] == "reversed"

    matched = api.operator.post(f"{R}/accounts/{ACCOUNT}/days/{MONDAY}/match", {})
    assert matched.status == 200, matched.body
    data = matched.body["data"]   # the kept line is decided: left out of matching
    assert (data["bank_lines"], data["matched"], data["replayed"]) == (1, 2, False)
    again = api.operator.post(f"{R}/accounts/{ACCOUNT}/days/{MONDAY}/match", {})
    assert again.body["data"]["replayed"]
    listed = api.operator.get(f"{R}/breaks?account={ACCOUNT}")
    assert listed.status == 200, listed.body
    kept = [b for b in listed.body["data"] if b["break_key"].startswith("stmt.")]
    assert [(b["break_class"], b["amount_fen"]) for b in kept] == [("bank_only", 1_234)]
    path = f"{R}/breaks/{kept[0]['break_id']}"

    assert api.operator.post(f"{path}/assign", {"owner": "ops-dave"}).status == 200
    noted = api.operator.post(f"{path}/notes", {"text": "bank returned an unknown payout"})
    assert noted.status == 200 and noted.body["data"]["owner"] == "ops-dave"
    proposed = api.operator.post(f"{path}/adjustment", {
        "kind": "correction", "debit_account_no": chart.SUMMARY,
        "credit_account_no": chart.UNALLOCATED, "amount_fen": 1_234, "memo": "park it"})
    assert proposed.status == 200, proposed.body
    assert proposed.body["data"]["state"] == "adjustment_proposed"
    maker = api.operator.post(f"{path}/approval", {})
    assert (maker.status, maker.body["code"]) == (422, "checker_is_maker")
    other = api.bank.access.issue("operator")
    checker = api.client(other.key_id, other.secret)
    posted = checker.post(f"{path}/approval", {})
    assert posted.status == 200 and posted.body["data"]["state"] == "posted", posted.body
    replay = checker.post(f"{path}/approval", {})
    assert replay.status == 200 and replay.replayed and replay.body["data"]["replayed"]
    assert api.operator.get(path).body["data"]["state"] == "resolved"
    missing = api.operator.post(f"{path}/notes", {})
    assert (missing.status, missing.body["code"]) == (422, "field_invalid")
    assert api.operator.get(f"{R}/breaks/999999").status == 404

    for method, url in (("post", f"{R}/accounts/{ACCOUNT}/days/{MONDAY}/match"),
                        ("get", f"{R}/breaks"), ("post", f"{path}/approval"),
                        ("post", f"{R}/platforms/{PLATFORM}/checks/{MONDAY}"),
                        ("get", f"{R}/platforms/{PLATFORM}/reports/{MONDAY}")):
        call = getattr(platform, method)
        assert (call(url, {}) if method == "post" else call(url)).status == 403, url


def test_r_b2_r_b3_r_b5_operator_runs_checks_and_downloads_reports(api: Api) -> None:
    api.onboard(PLATFORM)
    ReconcileService(api.bank.engine, api.bank.ledger, clock=api.clock).add_account(
        register.bank_account(ACCOUNT, "ICBC", "custody", tenant_id=PLATFORM,
                              mirrors=[chart.SUMMARY]), operator="ops-alice")
    uploaded = api.operator.upload(f"{R}/statements?format=mt940",
                                   {"file": ("s.sta", _statement())})
    assert uploaded.status == 200 and uploaded.body["outcomes"] == [], uploaded.body
    checks = api.operator.post(f"{R}/platforms/{PLATFORM}/checks/{MONDAY}", {})
    assert checks.status == 200, checks.body
    assert checks.body["data"]["day"] == MONDAY.isoformat()
    assert {i["code"] for i in checks.body["data"]["identities"]}
    book = api.operator.get(f"{R}/platforms/{PLATFORM}/reports/{MONDAY}")
    assert book.status == 200, book.body
    workbook = openpyxl.load_workbook(io.BytesIO(book.body))
    assert len(workbook.sheetnames) >= 13
    pdf = api.operator.get(f"{R}/platforms/{PLATFORM}/reports/2026-11?format=pdf")
    assert pdf.status == 200 and pdf.body.startswith(b"%PDF")
    bad = api.operator.get(f"{R}/platforms/{PLATFORM}/reports/2026-13")
    assert (bad.status, bad.body["code"]) == (422, "field_invalid")

