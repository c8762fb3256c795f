"""``cunguan day close`` at the edge (R-L7): a retry says the day is closed, exit 0; a day not
over yet is refused by name, exit 1. The CLI runs on the system clock, so the dates here are
taken from it: yesterday and today in CST."""

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cunguan.core.clock import CST
from cunguan.platform.cli.main import app

runner = CliRunner()


@pytest.fixture
def db(tmp_path: Path) -> list[str]:
    url = f"sqlite:///{tmp_path}/day.db"
    assert runner.invoke(app, ["--database-url", url, "db", "init"]).exit_code == 0
    return ["--database-url", url]


def test_r_l7_day_close_retried_says_closed_and_a_day_not_over_is_refused(
        db: list[str]) -> None:
    today = datetime.now(CST).date()
    yesterday = today - timedelta(days=1)
    t = ["-t", "P1"]
    made = runner.invoke(app, [*db, "ledger", "create-tenant", *t, "--name", "One",
                               "--accounting-date", yesterday.isoformat()])
    assert made.exit_code == 0, made.output
    closed = runner.invoke(app, [*db, "day", "close", *t])
    assert closed.exit_code == 0 and "PASSED" in closed.output, closed.output
    for _ in range(2):
        again = runner.invoke(app, [*db, "day", "close", *t])
        assert again.exit_code == 0, again.output
        assert f"day {yesterday} is already closed" in again.output
    named = runner.invoke(app, [*db, "day", "close", *t, "--date", yesterday.isoformat()])
    assert named.exit_code == 0 and "already closed" in named.output
    early = runner.invoke(app, [*db, "day", "close", *t, "--date", today.isoformat()])
    assert early.exit_code == 1 and "day_not_ended" in early.output, early.output
    status = runner.invoke(app, [*db, "day", "status", *t])
    assert str(today) in status.output and "open" in status.output
    bad = runner.invoke(app, [*db, "day", "close", *t, "--date", "2026-13-01"])
    assert bad.exit_code == 2 and "field_invalid" in bad.output
