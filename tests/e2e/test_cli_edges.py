"""The command line's edges: one line and one exit code for every problem (0 done, 1 refused
by a business rule, 2 bad input, 3 environment), passwords never on the command line, and the
custody reads."""

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from cunguan.core import signing
from cunguan.db.connection import make_engine
from cunguan.platform.cli.main import app
from tests.conftest import PG_URL, _pg_reachable
from tests.custody_helpers import PASSWORD, PLATFORM, icbc_card, lent_project, services
from tests.e2e.server_helpers import free_port

runner = CliRunner()


@pytest.fixture
def db(tmp_path: Path) -> list[str]:
    url = f"sqlite:///{tmp_path}/cli.db"
    assert runner.invoke(app, ["--database-url", url, "db", "upgrade"]).exit_code == 0
    return ["--database-url", url]


def _answer(args: list[str], exit_code: int, code: str, stdin: str | None = None) -> str:
    """The command exits with ``exit_code`` and says ``code`` in one line on stderr."""
    result = runner.invoke(app, args, input=stdin)
    assert result.exit_code == exit_code, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and code in lines[0], result.stderr
    return lines[0]


COMMANDS_ON_A_DATABASE = (["ledger", "balance", "-t", "P1", "-a", "U1"], ["day", "status",
                          "-t", "P1"], ["worker", "--once"], ["keys", "issue"],
                          ["keys", "revoke", "pk_x"], ["calendar", "show"],
                          ["custody", "status", "-p", "P1", "-r", "R1"])


def test_an_unreachable_postgresql_exits_3_naming_it_for_every_command() -> None:
    url = f"postgresql://postgres@127.0.0.1:{free_port()}/nothing"
    for command in (*COMMANDS_ON_A_DATABASE, ["db", "upgrade"]):
        line = _answer(["--database-url", url, *command], 3, "database_unreachable")
        assert "db upgrade" not in line        # upgrading would not help


def test_a_missing_database_exits_3_and_nothing_is_created(tmp_path: Path) -> None:
    missing = tmp_path / "typo.db"
    for command in COMMANDS_ON_A_DATABASE:
        _answer(["--database-url", f"sqlite:///{missing}", *command], 3, "database_missing")
    assert not missing.exists()
    _answer(["--database-url", f"sqlite:///{tmp_path}/no/such/dir.db", "db", "upgrade"], 3,
            "database_missing")
    empty = tmp_path / "empty.db"
    empty.touch()
    line = _answer(["--database-url", f"sqlite:///{empty}", "ledger", "balance", "-t", "P1",
                    "-a", "U1"], 3, "schema_out_of_date")
    assert "cunguan db upgrade" in line


def test_a_missing_postgresql_database_exits_3_as_missing_not_out_of_date() -> None:
    if _pg_reachable():
        pytest.skip("PostgreSQL unreachable")
    url = make_url(PG_URL).set(database=f"absent_{uuid.uuid4().hex[:8]}")
    for command in (*COMMANDS_ON_A_DATABASE, ["db", "upgrade"]):
        _answer(["--database-url", url.render_as_string(hide_password=False), *command], 3,
                "database_missing")


def test_serve_on_a_missing_database_exits_3_in_one_line(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "cunguan", "--database-url", f"sqlite:///{tmp_path}/x.db",
         "serve", "--port", str(free_port())],
        check=False, capture_output=True, text=True, timeout=60, env=os.environ)
    assert done.returncode == 3, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "database_missing" in done.stderr


def test_bad_dates_amounts_and_numbers_exit_2_naming_the_option(db: list[str]) -> None:
    assert runner.invoke(app, [*db, "ledger", "create-tenant", "-t", "P1", "--name",
                               "One"]).exit_code == 0
    bad = {"--on": ["ledger", "balance", "-t", "P1", "-a", "U1", "--on", "2026-13-01"],
           "--from": ["ledger", "log", "-t", "P1", "-a", "U1", "--from", "yesterday"],
           "--to": ["ledger", "log", "-t", "P1", "-a", "U1", "--to", "2026-02-30"],
           "--accounting-date": ["ledger", "create-tenant", "-t", "P2", "--name", "Two",
                                 "--accounting-date", "2026-1-1"],
           "--expires-at": ["ledger", "freeze", "-t", "P1", "-r", "f", "-a", "U1",
                            "--amount", "1", "--reason", "x", "--expires-at",
                            "2026-11-23T10:00"],
           "--as-of": ["worker", "--once", "--as-of", "soon"],
           "--amount": ["ledger", "transfer", "-t", "P1", "-r", "t", "--debit", "A",
                        "--credit", "B", "--amount", "1.234"],
           "--payee": ["ledger", "settle", "-t", "P1", "-r", "s", "--hold", "1", "--payee",
                       "U2"],
           "--year": ["calendar", "show", "--year", "0"],
           "--rows": ["ledger", "log", "-t", "P1", "-a", "U1", "--rows", "0"],
           "--interval-s": ["worker", "--interval-s", "-1"]}
    for option, command in bad.items():
        line = _answer([*db, *command], 2, "field_invalid")
        assert option in line
    onboard = ["custody", "onboard", "-p", "P9", "--name", "Nine", "--accounting-date",
               "20261123"]
    assert "--accounting-date" in _answer([*db, *onboard], 2, "field_invalid")


def test_keys_revoke_refuses_a_key_that_is_not_active(db: list[str]) -> None:
    _answer([*db, "keys", "revoke", "pk_nonexistent"], 1, "key_not_found")
    issued = runner.invoke(app, [*db, "keys", "issue"])
    key_id = issued.output.split()[1]
    assert runner.invoke(app, [*db, "keys", "revoke", key_id]).exit_code == 0
    _answer([*db, "keys", "revoke", key_id], 1, "key_not_found")


def test_r_c21_keys_issue_refuses_an_sm2_key_off_the_curve(db: list[str]) -> None:
    onboard = ["custody", "onboard", "-p", "P9", "--name", "Nine", "--accounting-date",
               "2026-11-23"]
    assert runner.invoke(app, [*db, *onboard]).exit_code == 0
    public = signing.sm2_public_key_of(f"{11:064x}")
    off_curve = public[:-1] + ("0" if public[-1] != "0" else "1")
    for bad in (off_curve, "zz" * 64, public + "00"):
        line = _answer([*db, "keys", "issue", "--platform", "P9", "--sm2-public-key", bad],
                       2, "field_invalid")
        assert "sm2_public_key" in line
    issued = runner.invoke(app, [*db, "keys", "issue", "--platform", "P9",
                                 "--sm2-public-key", "04" + public])
    assert issued.exit_code == 0, issued.output


def _platform_with_a_lent_project(engine: Engine) -> list[str]:
    """P1 lent by two lenders; W-1 a withdrawal of lender u0002; returns the lenders."""
    custody, _ledger, _days, _clock = services(engine)
    lenders = lent_project(custody)
    assert custody.withdraw(PLATFORM, "W-1", lenders[0], icbc_card(2), 50_000,
                            password=PASSWORD).ok
    return lenders


def _on(engine: Engine) -> list[str]:
    return ["--database-url", engine.url.render_as_string(hide_password=False)]


def test_passwords_are_asked_or_read_from_stdin_never_taken_as_arguments(
        engine: Engine) -> None:
    _platform_with_a_lent_project(engine)
    db = _on(engine)
    withdraw = [*db, "custody", "withdraw", "-p", PLATFORM, "--user", "u0002", "--card",
                icbc_card(2), "--amount", "10"]
    for command in ("recharge", "withdraw", "bid", "repay", "open-user"):
        assert "--password " not in runner.invoke(app, ["custody", command, "--help"]).output
    on_the_line = runner.invoke(app, [*withdraw, "-r", "w0", "--password", PASSWORD])
    assert on_the_line.exit_code == 2 and "No such option" in on_the_line.output
    typed = runner.invoke(app, [*withdraw, "-r", "w1", "--ask-password"], input=PASSWORD + "\n")
    assert typed.exit_code == 0, typed.output
    assert PASSWORD not in typed.output
    piped = runner.invoke(app, [*withdraw, "-r", "w2", "--password-stdin"],
                          input=PASSWORD + "\n")
    assert piped.exit_code == 0, piped.output
    _answer([*withdraw, "-r", "w3", "--password-stdin"], 1, "password_wrong", stdin="135790\n")
    _answer([*withdraw, "-r", "w4", "--password-stdin"], 2, "field_invalid", stdin="")
    _answer([*withdraw, "-r", "w5", "--password-stdin", "--ask-password"], 2, "field_invalid",
            stdin=PASSWORD + "\n")


def test_refused_results_exit_1_and_bad_fields_2_never_0(engine: Engine) -> None:
    _platform_with_a_lent_project(engine)
    db = _on(engine)
    withdraw = [*db, "custody", "withdraw", "-p", PLATFORM, "--user", "u0002", "--card",
                icbc_card(2)]
    _answer([*withdraw, "-r", "neg", "--amount=-1.00", "--password-stdin"], 2, "field_invalid",
            stdin=PASSWORD + "\n")
    _answer([*withdraw, "-r", "auth", "--amount", "10"], 1, "authorization_required")
    _answer([*withdraw, "-r", "much", "--amount", "1,000,000", "--password-stdin"], 1,
            "exceeds_available", stdin=PASSWORD + "\n")


def test_custody_reads_show_a_project_its_schedule_claims_and_a_withdrawal(
        engine: Engine) -> None:
    lenders = _platform_with_a_lent_project(engine)
    db = _on(engine)
    p = ["-p", PLATFORM]
    shown = runner.invoke(app, [*db, "custody", "project", "show", *p, "P1"])
    assert shown.exit_code == 0 and '"raised_fen": 1000000' in shown.output, shown.output
    plan = runner.invoke(app, [*db, "custody", "project", "schedule", *p, "P1"])
    assert plan.exit_code == 0 and plan.output.count('"period"') == 3, plan.output
    claims = runner.invoke(app, [*db, "custody", "project", "claims", *p, "P1"])
    assert claims.exit_code == 0 and all(u in claims.output for u in lenders), claims.output
    withdrawal = runner.invoke(app, [*db, "custody", "withdrawal", "show", *p, "W-1"])
    assert withdrawal.exit_code == 0 and '"amount_fen": 50000' in withdrawal.output
    assert icbc_card(2) not in withdrawal.output
    _answer([*db, "custody", "project", "show", *p, "P9"], 2, "project_not_found")
    _answer([*db, "custody", "withdrawal", "show", *p, "W-9"], 2, "withdrawal_not_found")


def test_the_services_name_an_unreachable_database_as_such_not_as_an_old_schema(
        tmp_path: Path) -> None:
    from cunguan.core.errors import CunguanError
    from cunguan.ledger.store.calendar import load_calendar

    unreachable = make_engine(f"postgresql://postgres@127.0.0.1:{free_port()}/nothing")
    with pytest.raises(CunguanError) as refused:
        load_calendar(unreachable)
    assert refused.value.code == "database_unreachable"
    empty = make_engine(f"sqlite:///{tmp_path}/empty.db")
    with pytest.raises(CunguanError) as old:
        load_calendar(empty)
    assert old.value.code == "schema_out_of_date"
