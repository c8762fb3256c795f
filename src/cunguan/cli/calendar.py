"""``cunguan calendar …``: load the State Council holiday notice; show a year."""

from datetime import date, timedelta
from pathlib import Path

import typer
from rich.table import Table
from sqlalchemy import Engine

from cunguan.adapters.store.db import make_engine
from cunguan.cli.common import console, edge
from cunguan.service_layer.calendar_service import import_overrides, load_calendar

app = typer.Typer(help="The working-day calendar (R-L7).", no_args_is_help=True)


def _engine(ctx: typer.Context) -> Engine:
    return make_engine((ctx.find_root().obj or {}).get("database_url"))


@app.command()
def load(ctx: typer.Context, file: Path = typer.Option(..., exists=True, dir_okay=False,
                                                         help="CSV: date,working[,name]")
         ) -> None:
    """Load holidays and adjusted working days (调休) from the year's notice."""
    with edge():
        count = import_overrides(_engine(ctx), file)
    console.print(f"[green]ok[/green] {count} days loaded")


@app.command()
def show(ctx: typer.Context, year: int = typer.Option(date.today().year)) -> None:
    """List a year's non-working weekdays and working weekend days, and whether it is official."""
    calendar = load_calendar(_engine(ctx))
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
