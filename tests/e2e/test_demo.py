"""``cunguan demo``: the simulated business day runs end to end and closes cleanly."""

from pathlib import Path

from typer.testing import CliRunner

from cunguan.cli.main import app


def test_demo_day_closes_with_every_check_passing(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/demo.db"
    result = CliRunner().invoke(app, ["--database-url", url, "demo", "--users", "60"])
    assert result.exit_code == 0, result.output
    assert "PASSED" in result.output
    assert "holds" in result.output  # summary account = Σ sub-accounts
    assert "duplicate_with_different_content" in result.output
    assert "replayed" in result.output
