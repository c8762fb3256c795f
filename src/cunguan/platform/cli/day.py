"""``cunguan day …``: cutover and close (日切), day status."""

import typer
from rich.table import Table

from cunguan.core import fields
from cunguan.ledger.daybook import CloseOutcome
from cunguan.platform.cli.common import EXIT_REJECTED, console, edge, error_console, fail
from cunguan.platform.cli.services import services

app = typer.Typer(help="Accounting days: cutover, close, status.", no_args_is_help=True)
TENANT = typer.Option(..., "--tenant", "-t", help="Tenant (platform) id.")


@app.command()
def close(ctx: typer.Context, tenant: str = TENANT,
          day: str | None = typer.Option(
              None, "--date", help="The day meant (YYYY-MM-DD); default: the next to close.")
          ) -> None:
    """Cut over to the next accounting date and close the day, once it has ended in CST (a
    failed check stops the close). Run again, it says the day is already closed (exit 0); a
    day not over yet is refused (day_not_ended, exit 1)."""
    with edge():
        asked = None if day is None else fields.iso_day(day, "--date")
        outcome = services(ctx).day.close(tenant, asked)
    if outcome.outcome is CloseOutcome.CLOSED:
        console.print(f"[green]{outcome.report}[/green]", highlight=False)
    elif outcome.outcome is CloseOutcome.ALREADY_CLOSED:
        console.print(outcome.report, highlight=False)
    elif outcome.outcome is CloseOutcome.FINDINGS:
        error_console.print(f"[red]{outcome.report}[/red]")
        raise typer.Exit(EXIT_REJECTED)
    else:
        fail("refused", outcome.outcome.value, outcome.report, EXIT_REJECTED)


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
