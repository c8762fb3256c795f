"""``cunguan calendar …``: load the State Council holiday notice; show a year."""

from datetime import date, timedelta
from pathlib import Path

import typer
from rich.table import Table

from cunguan.core import fields, limits
from cunguan.ledger.store.calendar import import_overrides, load_calendar
from cunguan.platform.cli.common import console, engine

app = typer.Typer(help="The working-day calendar (R-L7).", no_args_is_help=True)


@app.command()
def load(ctx: typer.Context, file: Path = typer.Option(..., exists=True, dir_okay=False,
                                                         help="CSV: date,working[,name]")
         ) -> None:
    """Load holidays and adjusted working days (调休) from the year's notice."""
    count = import_overrides(engine(ctx), file)
    console.print(f"[green]ok[/green] {count} days loaded")


@app.command()
def show(ctx: typer.Context, year: int = typer.Option(date.today().year)) -> None:
    """List a year's non-working weekdays and working weekend days, and whether it is official."""
    fields.whole_number(year, "--year", minimum=limits.date_earliest.year,
                        maximum=limits.date_latest.year)
    calendar = load_calendar(engine(ctx))
    table = Table("date", "weekday", "working", "official")
    day = date(year, 1, 1)
    while day.year == year:
        if calendar.is_working_day(day) != (day.weekday() < 5):
            table.add_row(day.isoformat(), day.strftime("%a"),
                          "yes" if calendar.is_working_day(day) else "no",
                          "yes" if calendar.is_official(day) else "no")
        day += timedelta(days=1)
    console.print(table)
    if not calendar.is_official(date(year, 6, 30)):
        console.print(f"[yellow]{year} is not official yet: load the notice[/yellow]")
