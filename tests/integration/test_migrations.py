"""The Alembic migrations build exactly the schema the code's tables describe, on both
backends, and downgrade cleanly."""

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, text

import cunguan.adapters.store.api_tables
import cunguan.adapters.store.custody_tables  # noqa: F401  (registers the custody tables)
from cunguan.adapters.store.db import alembic_config, upgrade
from cunguan.adapters.store.tables import metadata


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
