"""A process killed with SIGKILL while it submits BEPS sessions (R-S5, R-S6): each session is
submitted once or not at all — never half, never twice — the positions still sum to zero, and
the next run submits what is left. The submission runs in a subprocess that kills itself at a
named point (``fault_kill_in_clearing_submit``), on PostgreSQL and SQLite."""

import json
import os
import signal
import subprocess
import sys
from collections import Counter
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from cunguan.clearing.store.items import ITEMS_READ
from cunguan.core.clock import CST
from tests.clearing.integration.helpers import BOC, CCB, DAY, ICBC, clearing, credit, later

#: Where the submitting process dies: three points inside its transaction, one after it.
POINTS = ["session_written", "items_submitted", "events_written", "committed"]
CLOSE_AT = datetime(DAY.year, DAY.month, DAY.day, 11, 30, tzinfo=CST)   # sessions 0 and 1 due


def _submit(engine: Engine, kill_at: str = "") -> subprocess.CompletedProcess[str]:
    url = engine.url.render_as_string(hide_password=False)
    env = {**os.environ, "PYTHONPATH": f"{Path.cwd() / 'src'}{os.pathsep}{Path.cwd()}",
           "CUNGUAN_FAULT_KILL_IN_CLEARING_SUBMIT": kill_at}
    return subprocess.run([sys.executable, "-m", "tests.clearing.integration.submit_driver",
                           url, CLOSE_AT.isoformat()], capture_output=True, text=True,
                          timeout=120, env=env, check=False)


def _facts(engine: Engine) -> dict[str, object]:
    with engine.connect() as conn:
        def one(sql: str) -> object:
            return conn.execute(text(sql)).all()
        return {
            "sessions": one("SELECT session_no, items FROM clearing_sessions "
                            "ORDER BY session_no"),
            # the items' states as read (a netted item of a submitted session is submitted)
            "states": sorted(Counter(r.state for r in conn.execute(ITEMS_READ)).items()),
            "legs_sum": one("SELECT session_no, sum(position_fen) FROM "
                            "clearing_session_positions GROUP BY session_no ORDER BY 1"),
            "events": one("SELECT count(*) FROM clearing_events "
                          "WHERE kind = 'session_submitted'"),
            "positions_sum": one("SELECT sum(position_fen) FROM clearing_participants"),
        }


@pytest.mark.parametrize("kill_at", POINTS)
def test_r_s5_r_s6_a_submission_killed_leaves_each_session_submitted_once_or_not_at_all(
        engine: Engine, kill_at: str) -> None:
    service, clock = clearing(engine)
    for bank in (ICBC, CCB, BOC):
        service.set_cap(bank, collateral_fen=0, haircut_bps=0, credit_line_fen=1_000_000)
    service.submit_package(credit("M1", ICBC, CCB, 300_000, 200_000))     # session 0
    service.submit_package(credit("M2", CCB, BOC, 100_000))
    later(clock, hours=1, minutes=30)                                      # 10:30: session 1
    service.submit_package(credit("M3", BOC, ICBC, 50_000, 25_000))
    before = _facts(engine)
    assert before["sessions"] == [] and before["events"] == [(0,)]

    killed = _submit(engine, kill_at)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    after = _facts(engine)
    assert after["positions_sum"] == [(0,)]
    if kill_at == "committed":                     # both sessions in, once
        assert after["sessions"] == [(0, 3), (1, 2)]
        assert after["states"] == [("submitted", 5)] and after["events"] == [(5,)]
        assert after["legs_sum"] == [(0, 0), (1, 0)]
    else:                                          # nothing of either: as before
        assert after == before

    rerun = _submit(engine)
    assert rerun.returncode == 0, rerun.stderr
    assert len(json.loads(rerun.stdout)) == (0 if kill_at == "committed" else 2)
    done = _facts(engine)
    assert done["sessions"] == [(0, 3), (1, 2)] and done["states"] == [("submitted", 5)]
    assert done["events"] == [(5,)] and done["legs_sum"] == [(0, 0), (1, 0)]
    assert done["positions_sum"] == [(0,)]
    assert json.loads(_submit(engine).stdout) == []            # nothing is submitted twice
