"""Batch windows (R-C11): windows, per-item results, re-triggering, and a worker killed with
SIGKILL mid-batch then restarted — every item applied exactly once."""

import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, text

from cunguan.core.clock import CST
from cunguan.custody.handlers.batches import ITEMS_PER_TRANSACTION, BatchService
from cunguan.custody.handlers.lending_service import LendingService
from cunguan.custody.rules.schedules import Method
from cunguan.custody.rules.windows import WindowPolicy, next_window
from cunguan.db.connection import make_engine, read_connection, upgrade
from tests.custody_helpers import PASSWORD, PLATFORM, open_user, services


def test_r_c11_next_window_respects_pre_processing() -> None:
    at = datetime(2026, 11, 23, 9, 29, tzinfo=CST)
    assert next_window(at) == datetime(2026, 11, 23, 10, 0, tzinfo=CST)
    assert next_window(at + timedelta(minutes=2)) == datetime(2026, 11, 23, 12, 0, tzinfo=CST)
    late = datetime(2026, 11, 23, 21, 45, tzinfo=CST)
    assert next_window(late) == datetime(2026, 11, 24, 8, 0, tzinfo=CST)
    hourly = WindowPolicy(every=timedelta(hours=1), pre_processing=timedelta(minutes=10))
    assert next_window(at, hourly) == datetime(2026, 11, 23, 10, 0, tzinfo=CST)


def _full_projects(custody: LendingService, count: int) -> list[str]:
    borrower = open_user(custody, 900, role="borrower")
    lender = open_user(custody, 901, recharge_fen=count * 10_000)
    assert custody.authorize(PLATFORM, "auth-901", lender, ("bid",), 10_000,
                             custody.clock() + timedelta(days=1), PASSWORD).ok
    projects = []
    for n in range(count):
        project = f"Q{n:03d}"
        assert custody.register_project(
            PLATFORM, f"reg-{project}", project_id=project, borrower_user_id=borrower,
            amount_fen=10_000, annual_rate="0.1", months=1, method=Method.BULLET,
            bid_min_fen=10_000, bid_max_fen=10_000, bid_step_fen=10_000,
            service_fee_rate="0.01").ok
        assert custody.bid(PLATFORM, f"bid-{project}", lender, project, 10_000).ok
        projects.append(project)
    return projects


def test_r_c11_batch_runs_in_its_window_with_per_item_results(engine: Engine) -> None:
    custody, _, _, clock = services(engine)
    projects = _full_projects(custody, 3)
    batches = BatchService(custody)
    submitted = batches.submit(PLATFORM, "LB-1", "lend", [*projects, "NOPE"])
    assert submitted.data["window_at"].startswith("2026-11-23T12:00")  # 10:00 + 30 min gone
    assert batches.run_due(clock()) == 0  # not yet
    clock.advance(timedelta(hours=2))
    assert batches.run_due(clock()) == 4
    state = batches.batch(PLATFORM, "LB-1")
    assert state["status"] == "failed"
    assert [i["code"] for i in state["items"]] == ["ok", "ok", "ok", "project_not_found"]
    assert batches.run_due(clock()) == 0  # never applied twice
    assert batches.retrigger(PLATFORM, "RT-1", "LB-1").data["requeued_items"] == 1
    assert batches.run_due(clock()) == 1
    assert batches.batch(PLATFORM, "LB-1")["items"][3]["attempt"] == 2


def test_r_c11_worker_killed_mid_batch_applies_every_item_exactly_once(tmp_path: Path
                                                                      ) -> None:
    url = f"sqlite:///{tmp_path}/worker.db"
    engine = make_engine(url)
    upgrade(engine)
    custody, _, _, clock = services(engine)
    count = 200
    assert count >= 4 * ITEMS_PER_TRANSACTION  # transactions enough to die between
    projects = _full_projects(custody, count)
    assert BatchService(custody).submit(PLATFORM, "LB-K", "lend", projects).ok
    as_of = (clock() + timedelta(hours=3)).isoformat()
    command = [sys.executable, "-m", "cunguan", "--database-url", url, "worker",
               "--once", "--as-of", as_of]
    worker = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              env={**os.environ, "PYTHONPATH": str(Path.cwd() / "src")})
    deadline = time.monotonic() + 60
    while _items_done(engine) < 1 and time.monotonic() < deadline:
        time.sleep(0.01)
    worker.send_signal(signal.SIGKILL)
    worker.wait()
    killed_at = _items_done(engine)
    assert 1 <= killed_at < count, "the worker must die mid-batch"
    finished = subprocess.run(command, check=False, capture_output=True, text=True,
                              timeout=120,
                              env={**os.environ, "PYTHONPATH": str(Path.cwd() / "src")})
    assert finished.returncode == 0, finished.stderr
    assert _items_done(engine) == count
    with engine.connect() as conn:
        lends = conn.execute(text(
            "SELECT count(*) FROM transactions WHERE business_type = 'lend'")).scalar_one()
        fees = conn.execute(text(
            "SELECT count(*) FROM transactions WHERE business_type = 'service_fee'"
        )).scalar_one()
        statuses = set(conn.execute(text(
            "SELECT status FROM custody_projects WHERE project_id LIKE 'Q%'")).scalars())
    assert (lends, fees, statuses) == (count, count, {"repaying"})
    borrower = custody.ledger.account(PLATFORM, "U-u0900")
    assert borrower.balance_fen == count * (10_000 - 100)


def _items_done(engine: Engine) -> int:
    # A read-only connection: on SQLite it must not queue for the worker's write lock.
    with read_connection(engine) as conn:
        return int(conn.execute(text(
            "SELECT count(*) FROM custody_requests WHERE operation = 'lend' "
            "AND request_no LIKE 'LB-K#%'")).scalar_one())
