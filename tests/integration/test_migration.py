"""Migration of an existing platform (R-C20): cleansing, one outcome per row, safe re-runs."""

import csv
from pathlib import Path

from sqlalchemy import Engine

from cunguan.custody import accounts as chart
from cunguan.service_layer.migration_service import MigrationService, write_report
from tests.custody_helpers import PASSWORD, PLATFORM, icbc_card, resident_id, services

USERS = [
    ["user_id", "role", "name", "id_kind", "id_no", "mobile", "card_no", "balance"],
    ["m1", "lender", "张一", "resident_id", resident_id(31), "13800000031", icbc_card(31),
     "1,000.00"],
    ["m2", "borrower", "张二", "resident_id", resident_id(32), "13800000032", icbc_card(32),
     "0"],
    ["m3", "lender", "John", "passport", "E7654321", "13800000033", icbc_card(33), "50.00"],
    ["m4", "lender", "小孩", "resident_id", resident_id(34, birth="20150101"), "13800000034",
     icbc_card(34), "10.00"],
    ["m5", "lender", "张五", "resident_id", resident_id(35), "13800000035", "6222021234", "20"],
    ["m6", "lender", "", "resident_id", resident_id(36), "13800000036", icbc_card(36), "5"],
    ["m7", "lender", "张七", "resident_id", resident_id(31), "13800000037", icbc_card(37), "5"],
]
PROJECTS = [["project_id", "borrower_user_id", "amount", "annual_rate", "months", "method",
             "lent_on", "periods_paid"],
            ["OLD1", "m2", "10,000.00", "0.12", "12", "equal_installment", "2026-05-23", "6"],
            ["OLD2", "nobody", "1.00", "0.12", "12", "bullet", "2026-05-23", "0"]]
CLAIMS = [["claim_id", "project_id", "holder_user_id", "principal", "outstanding"],
          ["C1", "OLD1", "m1", "10,000.00", "5,000.00"]]


def _write(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


def test_r_c20_cleansing_outcomes_balances_and_safe_rerun(engine: Engine, tmp_path: Path
                                                          ) -> None:
    custody, ledger, days, _ = services(engine)
    files = {"users": _write(tmp_path / "users.csv", USERS),
             "projects": _write(tmp_path / "projects.csv", PROJECTS),
             "claims": _write(tmp_path / "claims.csv", CLAIMS)}
    migration = MigrationService(custody)
    report = migration.run(PLATFORM, "MIG1", **files)
    outcomes = {(r.file, r.key): (r.outcome, r.code) for r in report}
    assert len(report) == len(USERS) - 1 + len(PROJECTS) - 1 + len(CLAIMS) - 1
    assert outcomes[("users.csv", "m1")] == ("opened", "ok")
    assert outcomes[("users.csv", "m3")] == ("manual_review", "ok")
    assert outcomes[("users.csv", "m4")] == ("rejected", "under_age")
    assert outcomes[("users.csv", "m5")] == ("card_to_replace", "ok")
    assert outcomes[("users.csv", "m6")] == ("rejected", "missing_elements")
    assert outcomes[("users.csv", "m7")] == ("rejected", "person_has_account")
    assert outcomes[("projects.csv", "OLD1")] == ("imported", "ok")
    assert outcomes[("projects.csv", "OLD2")][0] == "rejected"
    assert outcomes[("claims.csv", "C1")] == ("imported", "ok")
    assert ledger.account(PLATFORM, chart.user_account_no("m1")).balance_fen == 100_000
    assert ledger.account(PLATFORM, chart.user_account_no("m5")).balance_fen == 2_000
    assert ledger.account(PLATFORM, chart.UNALLOCATED).balance_fen == 0
    before = {a.account_no: a.balance_fen for a in ledger.accounts(PLATFORM)}
    again = migration.run(PLATFORM, "MIG1", **files)
    assert [(r.key, r.outcome) for r in again] == [(r.key, r.outcome) for r in report]
    assert {a.account_no: a.balance_fen for a in ledger.accounts(PLATFORM)} == before
    write_report(report, tmp_path / "report.csv")
    assert len((tmp_path / "report.csv").read_text().splitlines()) == len(report) + 1
    assert custody.outstanding(PLATFORM, "OLD1")[1] > 0
    assert days.close(PLATFORM).closed


def test_r_c20_activation_sets_the_password_and_replaces_the_card(engine: Engine,
                                                                  tmp_path: Path) -> None:
    custody, _, _, _ = services(engine)
    MigrationService(custody).run(PLATFORM, "MIG2", users=_write(tmp_path / "u.csv", USERS))
    assert custody.red_packet(PLATFORM, "rp-0", "m1", 1).code == "user_not_active"
    assert custody.activate_user(PLATFORM, "act-5", "m5", PASSWORD).code == "card_required"
    assert custody.activate_user(PLATFORM, "act-5b", "m5", PASSWORD, icbc_card(55)).ok
    assert custody.activate_user(PLATFORM, "act-1", "m1", PASSWORD).ok
    assert custody.withdraw(PLATFORM, "wd-1", "m1", icbc_card(31), 10_000,
                            password=PASSWORD).ok
    assert custody.approve_user(PLATFORM, "ap-3", "m3").data["status"] == "pending_activation"
