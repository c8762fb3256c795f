"""``cunguan demo``: the simulated business day runs end to end on its own database and closes
cleanly, for every user count it accepts."""

from pathlib import Path

import pytest
from typer.testing import CliRunner

from cunguan.core import limits
from cunguan.db.connection import make_engine
from cunguan.ledger.service import LedgerService
from cunguan.platform.cli.main import app
from cunguan.platform.demo import TENANT

runner = CliRunner()


def test_demo_day_closes_with_every_check_passing_and_no_fresh_refuses_a_second_day(
        tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/demo.db"
    users = str(limits.demo_users_min)   # the fewest it accepts: the whole day still shows
    result = runner.invoke(app, ["--database-url", url, "demo", "--users", users])
    assert result.exit_code == 0, result.output
    assert "PASSED" in result.output
    assert "holds" in result.output  # summary account = Σ sub-accounts
    assert "duplicate_with_different_content" in result.output
    assert "replayed" in result.output
    for story in ("P004 (bullet) raised by", "large one by hvps", "refused: hvps_closed"):
        assert story in result.output
    again = runner.invoke(app, ["--database-url", url, "demo", "--users", users, "--no-fresh"])
    assert again.exit_code == 1, again.output
    assert again.stderr.count("\n") == 1 and "tenant_exists" in again.stderr


@pytest.mark.parametrize("users", [limits.demo_users_min - 1, 20, 0, limits.demo_users_max + 1])
def test_demo_refuses_user_counts_outside_its_limits(tmp_path: Path, users: int) -> None:
    result = runner.invoke(app, ["--database-url", f"sqlite:///{tmp_path}/d.db", "demo",
                                 "--users", str(users)])
    assert result.exit_code == 2, result.output
    assert "field_invalid" in result.stderr and "--users" in result.stderr
    assert result.stderr.count("\n") == 1


def test_demo_writes_its_own_file_never_the_database_of_cunguan_database_url(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = tmp_path / "real.db"
    assert runner.invoke(app, ["--database-url", f"sqlite:///{real}", "db",
                               "upgrade"]).exit_code == 0
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["demo", "--users", str(limits.demo_users_min)],
                           env={"CUNGUAN_DATABASE_URL": f"sqlite:///{real}"})
    assert result.exit_code == 0, result.output
    assert LedgerService(make_engine(f"sqlite:///{real}")).tenants() == []
    demo_file = make_engine(f"sqlite:///{tmp_path}/cunguan-demo.db")
    assert LedgerService(demo_file).tenants() == [TENANT]
