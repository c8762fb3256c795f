"""``cunguan day …``: cutover and close (日切), day status."""

import typer
from rich.table import Table

from cunguan.cli.common import EXIT_REJECTED, console, edge, error_console, services

app = typer.Typer(help="Accounting days: cutover, close, status.", no_args_is_help=True)
TENANT = typer.Option(..., "--tenant", "-t", help="Tenant (platform) id.")


@app.command()
def close(ctx: typer.Context, tenant: str = TENANT) -> None:
    """Cut over to the next accounting date and close the day; a failed check stops the close."""
    with edge():
        outcome = services(ctx).day.close(tenant)
    if outcome.closed:
        console.print(f"[green]{outcome.report}[/green]")
        return
    error_console.print(f"[red]{outcome.report}[/red]")
    raise typer.Exit(EXIT_REJECTED)


@app.command()
def status(ctx: typer.Context, tenant: str = TENANT) -> None:
    """Show recent accounting days and their state."""
    with edge():
        days = services(ctx).day.days(tenant)
    table = Table("accounting date", "status", "working day", "closed at", "report")
    for day, state, working, closed_at, report in days:
        table.add_row(str(day), state, "yes" if working else "no", str(closed_at or ""),
                      (report or "").splitlines()[0] if report else "")
    console.print(table)
