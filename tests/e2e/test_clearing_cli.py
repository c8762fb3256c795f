"""``cunguan clearing``, end to end on a real SQLite file: a system set up, a package taken
from a JSON file, the session closed and settled, and refusals with their exit codes."""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cunguan.platform.cli.main import app
from tests.clearing.integration.helpers import CCB, ICBC, credit

runner = CliRunner()


def _run(args: list[str], exit_code: int = 0) -> str:
    result = runner.invoke(app, args)
    assert result.exit_code == exit_code, result.output
    return result.output


@pytest.fixture
def db(tmp_path: Path) -> list[str]:
    url = f"sqlite:///{tmp_path}/clearing.db"
    _run(["--database-url", url, "db", "init"])
    base = ["--database-url", url, "clearing"]
    _run([*base, "init", "--date", "2020-01-02", "--sessions", "10:00"])
    for code, name in ((ICBC, "ICBC"), (CCB, "CCB")):
        _run([*base, "participant", code, "--name", name])
    return base


def test_r_s3_r_s4_a_package_from_a_file_nets_within_the_cap_set_in_yuan(
        db: list[str], tmp_path: Path) -> None:
    _run([*db, "cap", ICBC, "--credit-line", "1,000.00"])
    package = credit("M1", ICBC, CCB, 60_000, 30_000)
    package["work_date"] = "2020-01-02"
    path = tmp_path / "m1.json"
    path.write_text(json.dumps(package), encoding="utf-8")
    out = json.loads(_run([*db, "submit", str(path)]))
    assert set(out["items"].values()) == {"netted"}
    again = json.loads(_run([*db, "submit", str(path)]))
    assert again["replayed"] is True
    shown = json.loads(_run([*db, "cap", ICBC]))
    assert shown["position_fen"] == -90_000 and shown["available_cap_fen"] == 10_000
    assert "-90000" in _run([*db, "positions"])


def test_r_s4_a_real_time_item_over_the_cap_exits_1_and_bad_input_exits_2(
        db: list[str], tmp_path: Path) -> None:
    package = credit("RT", ICBC, CCB, 1_000, kind="realtime_credit")
    package["work_date"] = "2020-01-02"
    path = tmp_path / "rt.json"
    path.write_text(json.dumps(package), encoding="utf-8")
    assert "cap_exceeded" in _run([*db, "submit", str(path)], exit_code=1)
    path.write_bytes(b"{\xff")
    assert "field_invalid" in _run([*db, "submit", str(path)], exit_code=2)
    assert "field_invalid" in _run([*db, "participant", "10210009999６", "--name", "x"],
                                   exit_code=2)
    assert "bank_unknown" in _run([*db, "cap", "999999999999"], exit_code=1)
