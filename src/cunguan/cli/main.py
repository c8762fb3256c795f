"""The ``cunguan`` command line."""

import typer

from cunguan.adapters.store.db import DATABASE_URL_ENV
from cunguan.cli import calendar, custody, day, db, ledger
from cunguan.cli.serve import keys, serve
from cunguan.cli.worker import worker

app = typer.Typer(help="Cunguan (存管): fund custody and clearing-settlement core.",
                  no_args_is_help=True, pretty_exceptions_enable=False)
app.add_typer(db.app, name="db")
app.add_typer(ledger.app, name="ledger")
app.add_typer(day.app, name="day")
app.add_typer(custody.app, name="custody")
app.add_typer(calendar.app, name="calendar")
app.command()(worker)
app.command()(serve)
app.add_typer(keys, name="keys")


@app.callback()
def main(ctx: typer.Context, database_url: str = typer.Option(
        None, "--database-url", envvar=DATABASE_URL_ENV,
        help="SQLAlchemy URL; default sqlite:///cunguan.db.")) -> None:
    ctx.obj = {"database_url": database_url}


@app.command()
def demo(ctx: typer.Context,
         users: int = typer.Option(200, help="Simulated users."),
         fresh: bool = typer.Option(True, help="Start from an empty database file.")) -> None:
    """Run a simulated business day end to end on embedded SQLite and print what happened."""
    from cunguan.cli.demo_view import run_demo

    run_demo(ctx, users=users, fresh=fresh)
