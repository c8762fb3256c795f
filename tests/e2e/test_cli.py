"""The command line, end to end on a real SQLite file: exit codes and messages at the edge."""

from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cunguan.db.connection import make_engine
from cunguan.ledger.store.calendar import load_calendar
from cunguan.platform.cli.main import app

runner = CliRunner()


@pytest.fixture
def db(tmp_path: Path) -> list[str]:
    url = f"sqlite:///{tmp_path}/cli.db"
    assert runner.invoke(app, ["--database-url", url, "db", "init"]).exit_code == 0
    return ["--database-url", url]


def _ok(args: list[str], stdin: str | None = None) -> str:
    result = runner.invoke(app, args, input=stdin)
    assert result.exit_code == 0, result.output
    return result.output


def test_ledger_commands_end_to_end(db: list[str]) -> None:
    t = ["-t", "P1"]
    _ok([*db, "ledger", "create-tenant", *t, "--name", "One", "--accounting-date",
         "2026-11-23"])
    _ok([*db, "ledger", "open-account", *t, "-a", "SUM", "--owner", "bank", "--role",
         "summary", "--subject", "1002", "--side", "D", "--hot"])
    for user in ("U1", "U2"):
        _ok([*db, "ledger", "open-account", *t, "-a", user, "--owner", user, "--role",
             "lender", "--subject", "2011"])
    _ok([*db, "ledger", "transfer", *t, "-r", "r1", "--debit", "SUM", "--credit", "U1",
         "--amount", "1,000.00", "--business-type", "recharge"])
    replay = _ok([*db, "ledger", "transfer", *t, "-r", "r1", "--debit", "SUM", "--credit",
                  "U1", "--amount", "1,000.00", "--business-type", "recharge"])
    assert "replayed" in replay
    hold = _ok([*db, "ledger", "freeze", *t, "-r", "f1", "-a", "U1", "--amount", "300",
                "--reason", "bid"])
    hold_id = hold.split("hold ")[1].split()[0]
    _ok([*db, "ledger", "settle", *t, "-r", "s1", "--hold", hold_id, "--payee", "U2=250.50"])
    balance = _ok([*db, "ledger", "balance", *t, "-a", "U1"])
    assert "749.50" in balance
    log = _ok([*db, "ledger", "log", *t, "-a", "U1", "--csv"]).splitlines()
    assert log[1].split(",")[2:4] == ["recharge", "posting"]
    assert [row.split(",")[3] for row in log[1:]] == ["posting", "hold", "unhold", "posting"]
    assert "no." in _ok([*db, "ledger", "log", *t, "-a", "U1"])
    assert "749.50" in _ok([*db, "ledger", "balance", *t, "-a", "U1", "--on", "2026-11-23"])
    assert ": 0.00" in _ok([*db, "ledger", "balance", *t, "-a", "U1", "--on", "2026-11-22"])
    close = _ok([*db, "day", "close", *t])
    assert "PASSED" in close
    assert "closed" in _ok([*db, "day", "status", *t])


def test_refusals_exit_non_zero_with_the_code(db: list[str]) -> None:
    t = ["-t", "P1"]
    _ok([*db, "ledger", "create-tenant", *t, "--name", "One"])
    for user in ("U1", "U2"):
        _ok([*db, "ledger", "open-account", *t, "-a", user, "--owner", user, "--role",
             "lender", "--subject", "2011"])
    short = runner.invoke(app, [*db, "ledger", "transfer", *t, "-r", "x", "--debit", "U1",
                                "--credit", "U2", "--amount", "1"])
    assert short.exit_code == 1
    assert "exceeds_available" in short.output
    bad_amount = runner.invoke(app, [*db, "ledger", "transfer", *t, "-r", "x", "--debit", "U1",
                                     "--credit", "U2", "--amount", "1.234"])
    assert bad_amount.exit_code == 2
    no_tenant = runner.invoke(app, [*db, "ledger", "balance", "-t", "NOPE", "-a", "U1"])
    assert no_tenant.exit_code == 2
    assert "account_not_found" in no_tenant.output


def test_custody_commands_end_to_end(db: list[str]) -> None:
    from tests.custody_helpers import icbc_card, resident_id

    p = ["-p", "P9"]
    _ok([*db, "custody", "onboard", *p, "--name", "Nine", "--accounting-date", "2026-11-23"])
    _ok([*db, "custody", "open-user", *p, "-r", "o1", "--user", "u1", "--name", "王五",
         "--id-no", resident_id(5), "--mobile", "13800000005", "--card", icbc_card(5),
         "--password-stdin"], stdin="246810\n")
    unfunded = runner.invoke(app, [*db, "custody", "recharge", *p, "-r", "r0", "--user", "u1",
                                   "--card", icbc_card(5), "--amount", "1000",
                                   "--password-stdin"], input="246810\n")
    assert unfunded.exit_code == 1 and "platform_own_insufficient" in unfunded.output
    _ok([*db, "custody", "fund-platform", *p, "-r", "f1", "--account", "OWN", "--amount",
         "100"])
    out = _ok([*db, "custody", "recharge", *p, "-r", "r1", "--user", "u1", "--card",
               icbc_card(5), "--amount", "1,000.00", "--ask-password"], stdin="246810\n")
    assert "246810" not in out                  # asked with hidden input, never echoed
    assert '"channel_fee_fen": 150' in out
    refused = runner.invoke(app, [*db, "custody", "withdraw", *p, "-r", "w1", "--user", "u1",
                                  "--card", icbc_card(5), "--amount", "5000"])
    assert refused.exit_code == 1 and "authorization_required" in refused.output
    assert '"operation": "recharge"' in _ok([*db, "custody", "status", *p, "-r", "r1"])


def test_r_l7_operators_load_next_years_holiday_notice(db: list[str], tmp_path: Path) -> None:
    notice = tmp_path / "2027.csv"
    notice.write_text("date,working,name\n2027-01-01,0,元旦\n2027-02-20,1,春节调休\n")
    assert "2 days loaded" in _ok([*db, "calendar", "load", "--file", str(notice)])
    shown = _ok([*db, "calendar", "show", "--year", "2027"])
    assert "2027-01-01" in shown and "2027-02-20" in shown
    bad = tmp_path / "bad.csv"
    bad.write_text("date,working\n2027-13-01,0\n")
    refused = runner.invoke(app, [*db, "calendar", "load", "--file", str(bad)])
    assert refused.exit_code == 2 and "calendar_row_invalid" in refused.output
    calendar = load_calendar(make_engine(db[1]))
    assert calendar.is_official(date(2027, 1, 1)) and not calendar.is_working_day(
        date(2027, 1, 1))
    assert calendar.is_working_day(date(2027, 2, 20))  # a Saturday worked in lieu
