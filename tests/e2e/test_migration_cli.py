"""``cunguan migration``, end to end on a real SQLite file: a GBK users file staged, a wrong
header refused whole with its line, maker and checker by name, the funding matched."""

from pathlib import Path

import pytest
from typer.testing import CliRunner

from cunguan.platform.cli.main import app
from tests.custody.integration.test_migration import TOTAL_FEN, USERS, csv_bytes

runner = CliRunner()


@pytest.fixture
def db(tmp_path: Path) -> list[str]:
    url = f"sqlite:///{tmp_path}/cli.db"
    assert runner.invoke(app, ["--database-url", url, "db", "init"]).exit_code == 0
    onboard = runner.invoke(app, ["--database-url", url, "custody", "onboard", "-p", "P9",
                                  "--name", "Nine", "--accounting-date", "2026-11-23"])
    assert onboard.exit_code == 0, onboard.output
    return ["--database-url", url, "migration"]


def _run(args: list[str], exit_code: int = 0) -> str:
    result = runner.invoke(app, args)
    assert result.exit_code == exit_code, result.output
    return result.output


def test_r_c20_cli_refuses_a_wrong_header_whole_naming_the_line(db: list[str],
                                                                tmp_path: Path) -> None:
    users = tmp_path / "users.csv"
    users.write_bytes(csv_bytes([["user_id", "role", "nom"], ["m1", "lender", "x"]]))
    out = _run([*db, "stage", "-p", "P9", "-m", "H", "--users", str(users),
                "--report", str(tmp_path / "r.csv")], exit_code=2)
    assert "header_invalid" in out and "line 1" in out and "ok" not in out.lower().split()


def test_r_c20_cli_stages_a_gbk_file_then_maker_and_checker_apply_it(db: list[str],
                                                                     tmp_path: Path) -> None:
    users = tmp_path / "users.csv"
    users.write_bytes(csv_bytes(USERS, "gbk"))
    p = ["-p", "P9", "-m", "M1"]
    staged = _run([*db, "stage", *p, "--users", str(users), "--report",
                   str(tmp_path / "report.csv")])
    assert f"balance total {TOTAL_FEN} fen" in staged
    assert "m4,rejected,under_age" in (tmp_path / "report.csv").read_text(encoding="utf-8")
    _run([*db, "fund", *p, "-r", "in-1", "--amount", "1,070.00"])
    _run([*db, "approve", *p, "-r", "a-1", "--operator", "alice"])
    assert "checker_is_maker" in _run([*db, "approve", *p, "-r", "a-2", "--operator",
                                       "alice"], exit_code=1)
    assert "applied" in _run([*db, "approve", *p, "-r", "a-3", "--operator", "bob"])
    shown = _run([*db, "show", "-p", "P9", "-m", "M1"])
    assert '"checker": "bob"' in shown


def test_cli_a_control_character_in_a_cell_refuses_the_file_with_exit_2(db: list[str],
                                                                         tmp_path: Path) -> None:
    """The refusal is now a result, not a raised error: still bad input (exit 2), one line
    naming the line; the migration id stays free for the corrected file."""
    users = tmp_path / "users.csv"
    users.write_bytes(csv_bytes([USERS[0], USERS[2], [*USERS[1][:2], "张\x00一",
                                                      *USERS[1][3:]]]))
    p = ["-p", "P9", "-m", "C", "--users", str(users), "--report", str(tmp_path / "r.csv")]
    out = _run([*db, "stage", *p], exit_code=2)
    assert "file_invalid" in out and "line 3" in out and "U+0000" in out
    users.write_bytes(csv_bytes(USERS))
    assert f"balance total {TOTAL_FEN} fen" in _run([*db, "stage", *p])


@pytest.mark.parametrize(("args", "field"), [
    (["cancel", "-m", "a b", "-r", "c-1"], "migration_id"),
    (["fund", "-m", "a@b", "-r", "f-1", "--amount", "1.00"], "migration_id"),
    (["approve", "-m", "x" * 49, "-r", "a-1", "--operator", "alice"], "migration_id"),
    (["approve", "-m", "M1", "-r", "a-1", "--operator", " "], "operator"),
    (["reject", "-m", "M1", "-r", "j-1", "--operator", "alice", "--reason", "\x07"],
     "reason"),
    (["cancel", "-m", "M1", "-r", "c d"], "request_no"),
], ids=["cancel-id", "fund-id", "approve-id", "approve-operator", "reject-reason",
        "cancel-request-no"])
def test_cli_migration_steps_answer_a_malformed_option_field_invalid_exit_2(
        db: list[str], args: list[str], field: str) -> None:
    """A malformed migration id was looked up and answered migration_not_found (exit 1); a
    malformed request no. was "bad request no.", naming nothing."""
    out = _run([*db, args[0], "-p", "P9", *args[1:]], exit_code=2)
    assert f"refused field_invalid: {field}:" in out, out


def test_cli_fund_takes_the_payers_account_and_the_statements_reference(
        db: list[str], tmp_path: Path) -> None:
    users = tmp_path / "users.csv"
    users.write_bytes(csv_bytes(USERS))
    p = ["-p", "P9", "-m", "M1"]
    _run([*db, "stage", *p, "--users", str(users), "--report", str(tmp_path / "r.csv")])
    bad = _run([*db, "fund", *p, "-r", "in-1", "--amount", "1,070.00", "--payer-account-no",
                "12ab5678"], exit_code=2)
    assert "refused field_invalid: payer_account_no:" in bad, bad
    funded = _run([*db, "fund", *p, "-r", "in-1", "--amount", "1,070.00",
                   "--payer-account-no", "6222 0212 3456 7890", "--reference", "FT-1"])
    assert "6222021234567890" in funded and "FT-1" in funded, funded
