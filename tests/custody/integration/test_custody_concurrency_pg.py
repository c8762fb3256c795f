"""Custody under concurrency on PostgreSQL: wrong passwords are counted exactly (R-C4), and
concurrent bids never raise a project beyond its amount (R-C9)."""

from datetime import timedelta

import pytest
from sqlalchemy import Engine, select

from cunguan.core import limits
from cunguan.custody.rules.schedules import Method
from cunguan.custody.store.tables import custody_projects, custody_users
from tests.custody_helpers import PASSWORD, PLATFORM, icbc_card, open_user, resident_id, services
from tests.helpers import in_threads


@pytest.mark.postgres
def test_r_c4_concurrent_wrong_passwords_are_counted_exactly(pg_engine: Engine) -> None:
    custody, _, _, _ = services(pg_engine)
    user = open_user(custody, 1, recharge_fen=100_000)
    below_lock = limits.failed_password_attempts_max - 1
    wrong = in_threads(below_lock, lambda i: custody.withdraw(
        PLATFORM, f"wd-{i}", user, icbc_card(1), 100, password="975310"))
    assert {r.code for r in wrong} == {"password_wrong"}
    with pg_engine.connect() as conn:
        row = conn.execute(select(custody_users.c.failed_attempts, custody_users.c.locked_until)
                           .where(custody_users.c.user_id == user)).one()
    assert tuple(row) == (below_lock, None)  # none lost, none double-counted
    last = custody.withdraw(PLATFORM, "wd-last", user, icbc_card(1), 100, password="975310")
    assert last.code == "password_wrong"
    assert custody.withdraw(PLATFORM, "wd-ok", user, icbc_card(1), 100,
                            password=PASSWORD).code == "password_locked"
    reset = custody.reset_password(PLATFORM, "reset-1", user, id_no=resident_id(1),
                                   mobile="13800000001", card_no=icbc_card(1),
                                   new_password="135790")
    assert reset.ok, reset
    assert custody.withdraw(PLATFORM, "wd-new", user, icbc_card(1), 100,
                            password="135790").ok
    refused = custody.reset_password(PLATFORM, "reset-2", user, id_no=resident_id(2),
                                     mobile="13800000001", card_no=icbc_card(1),
                                     new_password="135790")
    assert refused.code == "identity_mismatch"


@pytest.mark.postgres
def test_r_c9_concurrent_bids_never_overfill_a_project(pg_engine: Engine) -> None:
    custody, _, _, clock = services(pg_engine)
    borrower = open_user(custody, 50, role="borrower")
    lenders = [open_user(custody, i, recharge_fen=100_000) for i in range(1, 9)]
    for lender in lenders:
        assert custody.authorize(PLATFORM, f"auth-{lender}", lender, ("bid",), 100_000,
                                 clock() + timedelta(days=1), PASSWORD).ok
    assert custody.register_project(
        PLATFORM, "prj", project_id="HOT", borrower_user_id=borrower, amount_fen=300_000,
        annual_rate="0.1", months=1, method=Method.BULLET, bid_min_fen=100_000,
        bid_max_fen=100_000, bid_step_fen=100_000).ok
    results = in_threads(len(lenders), lambda i: custody.bid(
        PLATFORM, f"bid-{i}", lenders[i], "HOT", 100_000))
    assert sum(r.ok for r in results) == 3
    assert {r.code for r in results if not r.ok} <= {"project_full", "bid_exceeds_remaining",
                                                     "project_not_raising"}
    with pg_engine.connect() as conn:
        raised = conn.execute(select(custody_projects.c.raised_fen)).scalar_one()
    assert raised == 300_000
    assert custody.lend(PLATFORM, "lend", "HOT").ok
