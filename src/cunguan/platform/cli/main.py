"""The ``cunguan`` command line."""

import typer

from cunguan.clearing import cli as clearing
from cunguan.custody import cli as custody
from cunguan.custody import fees_cli as fees
from cunguan.custody import migration_cli as migration
from cunguan.db.connection import DATABASE_URL_ENV
from cunguan.platform.cli import calendar, day, db, ledger
from cunguan.platform.cli.common import CunguanGroup, remember_database
from cunguan.platform.cli.serve import keys, serve
from cunguan.platform.cli.worker import worker
from cunguan.reconcile import cli as reconcile
from cunguan.reconcile import files_cli as reconcile_files

app = typer.Typer(help="Cunguan (存管): fund custody and clearing-settlement core. Exit codes: "
                       "0 done, 1 refused by a business rule, 2 bad input, 3 environment "
                       "(database unreachable, missing or not migrated).",
                  cls=CunguanGroup, no_args_is_help=True, pretty_exceptions_enable=False)
app.add_typer(db.app, name="db")
app.add_typer(ledger.app, name="ledger")
app.add_typer(day.app, name="day")
app.add_typer(custody.app, name="custody")
app.add_typer(migration.app, name="migration")
app.add_typer(calendar.app, name="calendar")
app.add_typer(fees.app, name="fees")
# One ``cunguan reconcile``: the operators' commands and the platforms' daily files (R-C22).
reconcile.app.command("platform-file")(reconcile_files.platform_file_command)
app.add_typer(reconcile.app, name="reconcile")
app.add_typer(clearing.app, name="clearing")
app.command()(worker)
app.command()(serve)
app.add_typer(keys, name="keys")


@app.callback()
def main(ctx: typer.Context, database_url: str = typer.Option(
        None, "--database-url", envvar=DATABASE_URL_ENV,
        help="SQLAlchemy URL; default sqlite:///cunguan.db. The demo uses only its own "
             "file unless this option is given.")) -> None:
    remember_database(ctx, database_url)


demo_app = typer.Typer(help="Simulated business days on their own SQLite files.",
                       invoke_without_command=True)
app.add_typer(demo_app, name="demo")
demo_app.command(name="clearing")(clearing.demo_command)
demo_app.command(name="reconcile")(reconcile.demo_command)


@demo_app.callback()
def demo(ctx: typer.Context,
         users: int = typer.Option(200, help="Simulated users (at least 40)."),
         fresh: bool = typer.Option(True, help="Start from an empty demo database file; "
                                               "--no-fresh keeps the file (and refuses if it "
                                               "holds the demo day already).")) -> None:
    """Run a simulated custody business day end to end on its own SQLite file
    (cunguan-demo.db) and print what happened; ``cunguan demo clearing`` runs a BEPS day,
    ``cunguan demo reconcile`` a custody platform's reconciliation of two days."""
    if ctx.invoked_subcommand is not None:
        return
    from cunguan.platform.cli.demo_view import run_demo

    run_demo(ctx, users=users, fresh=fresh)
