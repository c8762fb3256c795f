"""Alembic environment: runs with the engine the caller passes in ``config.attributes``."""

from alembic import context

import cunguan.adapters.store.api_tables
import cunguan.adapters.store.custody_tables  # noqa: F401  (registers the custody tables)
from cunguan.adapters.store.tables import metadata

engine = context.config.attributes["engine"]
with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    context.run_migrations()
