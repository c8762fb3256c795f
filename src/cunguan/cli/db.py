"""``cunguan db …``: create or upgrade the schema."""

import typer

from cunguan.adapters.store.db import current_revision, database_url, make_engine, upgrade
from cunguan.cli.common import console

app = typer.Typer(help="Database schema.", no_args_is_help=True)


def _url(ctx: typer.Context) -> str:
    return database_url((ctx.find_root().obj or {}).get("database_url"))


@app.command()
def init(ctx: typer.Context) -> None:
    """Create the schema (same as upgrade on an empty database)."""
    engine = make_engine(_url(ctx))
    upgrade(engine)
    console.print(f"[green]ok[/green] schema at {current_revision(engine)} on "
                  f"{engine.url.render_as_string(hide_password=True)}")


@app.command("upgrade")
def upgrade_command(ctx: typer.Context) -> None:
    """Apply pending migrations."""
    init(ctx)
