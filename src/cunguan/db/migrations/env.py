"""Alembic environment: runs with the engine the caller passes in ``config.attributes``."""

from alembic import context

from cunguan.platform.schema import metadata

engine = context.config.attributes["engine"]
with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    context.run_migrations()
