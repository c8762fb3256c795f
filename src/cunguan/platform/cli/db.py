"""``cunguan db …``: create or upgrade the schema."""

import typer

from cunguan.db.check import reachable_engine
from cunguan.db.connection import current_revision, upgrade
from cunguan.platform.cli.common import configured_url, console

app = typer.Typer(help="Database schema.", no_args_is_help=True)


@app.command()
def init(ctx: typer.Context) -> None:
    """Create the schema (same as upgrade on an empty database)."""
    engine = reachable_engine(configured_url(ctx))
    upgrade(engine)
    console.print(f"[green]ok[/green] schema at {current_revision(engine)} on "
                  f"{engine.url.render_as_string(hide_password=True)}")


@app.command("upgrade")
def upgrade_command(ctx: typer.Context) -> None:
    """Apply pending migrations (creates a SQLite file that is not there yet)."""
    init(ctx)
