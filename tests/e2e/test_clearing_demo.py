"""``cunguan demo clearing``: the BEPS day the issue asks for, checked by its own answers."""

from pathlib import Path

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from cunguan.clearing import demo
from cunguan.core import limits
from cunguan.platform.cli.main import app


def test_r_s3_to_r_s9_the_demo_day_on_both_backends(engine: Engine) -> None:
    day = demo.run(engine)
    outcomes = dict(day.steps)
    assert outcomes["cap breach: 1,500.00 yuan from the smallest bank (cap 1,000.00)"] == "queued"
    assert outcomes["earmark 1,000.00 yuan: the queue is released"] == "netted"
    assert outcomes["real-time 50,000.00 yuan over the small bank's cap"] == "cap_exceeded"
    names = {"reversal", "revoke", "stop-payment", "return"}
    exceptions = {what.split(" (")[0]: answer for what, answer in day.steps
                  if what.split(" (")[0] in names}
    assert exceptions == {"reversal": "reversed", "revoke": "revoked",
                          "stop-payment": "stopped", "return": "returned"}
    timed = [s for s in day.sessions if s["session_no"] < limits.clearing_sessions_per_day_max]
    assert sorted({s["session_no"] for s in timed}) == [0, 1, 2, 3, 4, 5]   # six sessions
    assert all(s["settles_on"] == demo.DAY.isoformat() for s in day.sessions)
    last_pass = {(s["work_date"], s["session_no"]): s["settled"] for s in day.settlements}
    assert set(last_pass) == {(s["work_date"], s["session_no"]) for s in day.sessions}
    assert all(last_pass.values())
    assert day.day_end["passed"] and day.day_end["fees"]
    assert day.holiday["timed_sessions_closed"] == 0
    [holiday_netting] = day.holiday["submitted"]
    assert holiday_netting["settles_on"] == "2026-10-08" and not day.holiday["settled_on_holiday"]
    assert day.holiday["settled_next_working_day"][0]["settled"]
    assert [p for p in day.positions_after if p["position_fen"]] == []


def test_the_demo_command_prints_the_day(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                         ) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["demo", "clearing"])
    assert result.exit_code == 0, result.output
    assert "passed" in result.output and "cap_exceeded" in result.output
    assert "Unsettled positions left: 0" in result.output
    assert (tmp_path / "cunguan-clearing-demo.db").exists()
