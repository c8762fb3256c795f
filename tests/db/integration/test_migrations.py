"""The Alembic migrations build exactly the schema the code's tables describe, on both
backends, and downgrade cleanly."""

from datetime import timedelta

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, text

from cunguan.db.connection import alembic_config, upgrade
from cunguan.ledger.model import Transfer
from cunguan.platform.day_service import DayService
from cunguan.platform.schema import metadata
from tests.helpers import DAY, SUMMARY, TENANT, ledger_with_tenant


def test_migrations_match_the_tables(engine: Engine) -> None:
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []


def test_migrations_downgrade_to_nothing_and_up_again(engine: Engine) -> None:
    command.downgrade(alembic_config(engine), "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    upgrade(engine)
    assert "fund_log" in inspect(engine).get_table_names()


def test_an_index_built_beforehand_is_found_and_left(engine: Engine) -> None:
    """docs/OPERATIONS.md: on a large table a bank builds migration 0011's index itself,
    without blocking writes, before upgrading; the upgrade then goes through unchanged."""
    command.downgrade(alembic_config(engine), "0010")
    names = {index["name"] for index in inspect(engine).get_indexes("custody_withdrawals")}
    assert "ix_custody_withdrawals_hvps" not in names
    concurrently = " CONCURRENTLY" if engine.dialect.name == "postgresql" else ""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f"CREATE INDEX{concurrently} ix_custody_withdrawals_hvps ON "
                          "custody_withdrawals (tenant_id, user_id, business_date) "
                          "WHERE rail = 'hvps'"))
    upgrade(engine)
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []


def test_0013_gives_days_closed_before_it_their_last_lines(engine: Engine) -> None:
    """The close after the upgrade reads from where the last close before it ended."""
    ledger = ledger_with_tenant(engine)
    # two days later: both days closed below have ended (R-L7)
    days = DayService(engine, clock=lambda: ledger.clock() + timedelta(days=2))
    ledger.execute(TENANT, [Transfer("a", SUMMARY, "U1", 1_000, "recharge"),
                            Transfer("b", "U1", "U2", 300)])
    assert days.close(TENANT).closed
    ledger.execute(TENANT, [Transfer("c", SUMMARY, "U1", 50, "recharge")])   # the next day
    command.downgrade(alembic_config(engine), "0012")
    upgrade(engine)
    with engine.connect() as conn:
        recorded = dict(conn.execute(text(
            "SELECT account_no, last_entry_seq FROM day_balances")).tuples().all())
        last_of_day = dict(conn.execute(text(
            "SELECT account_no, MAX(entry_seq) FROM fund_log WHERE accounting_date = :d "
            "GROUP BY account_no"), {"d": DAY}).tuples().all())
    assert recorded == {**dict.fromkeys(recorded, 0), **last_of_day}
    assert last_of_day.keys() == {SUMMARY, "U1", "U2"}
    outcome = days.close(TENANT)
    assert outcome.closed, outcome.report
    with engine.connect() as conn:
        day_two = conn.execute(text(
            "SELECT balance_fen, debit_fen, credit_fen FROM day_balances "
            "WHERE account_no = 'U1' AND accounting_date = :d"),
            {"d": outcome.accounting_date}).one()
    assert tuple(day_two) == (750, 0, 50)
