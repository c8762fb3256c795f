"""The Alembic migrations build exactly the schema the code's tables describe, on both
backends, and downgrade cleanly."""

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect

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
