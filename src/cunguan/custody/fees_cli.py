"""``cunguan fees …``: the custody fee (存管费, R-C2) an operator charges each platform,
monthly, from its own account to the bank's fee income."""

import json

import typer
from rich.table import Table

from cunguan.custody.handlers.platform_fees import PlatformFees
from cunguan.ledger.service import LedgerService
from cunguan.platform.cli.common import EXIT_REJECTED, console, engine, error_console, yuan

app = typer.Typer(help="The custody fee (存管费) charged to platforms.", no_args_is_help=True)
TENANT = typer.Option(..., "--platform", "-p", help="Platform (tenant) id.")


def _fees(ctx: typer.Context) -> PlatformFees:
    checked = engine(ctx)
    return PlatformFees(checked, LedgerService(checked))


@app.command()
def terms(ctx: typer.Context, platform: str = TENANT,
          monthly: str = typer.Option("0", help="Fixed fee a month, in yuan."),
          annual_rate: str = typer.Option("0", help="Annual rate on the average daily "
                                                    "custody balance, e.g. 0.001.")) -> None:
    """Set a platform's custody fee terms (from its custody agreement)."""
    set_to = _fees(ctx).set_terms(platform, monthly_fen=yuan(monthly, "--monthly"),
                                  annual_rate=annual_rate)
    console.print(f"[green]ok[/green] {platform}: {set_to.monthly_fen} fen a month + "
                  f"{set_to.annual_rate} a year on the average daily custody balance")


@app.command()
def charge(ctx: typer.Context, platform: str = TENANT,
           period: str = typer.Option(..., help="The month charged, YYYY-MM (over).")) -> None:
    """Charge one month's custody fee; charging a month twice charges it once. A platform
    whose own account is short is refused and the month recorded as owed."""
    result = _fees(ctx).charge(platform, period)
    marker = " (replayed: charged before)" if result.replayed else ""
    if result.ok:
        console.print(f"[green]ok[/green]{marker} "
                      f"{json.dumps(result.data, ensure_ascii=False, default=str)}")
        return
    error_console.print(f"[red]{result.code}[/red] {result.message}")
    raise typer.Exit(EXIT_REJECTED)


@app.command(name="list")
def list_charges(ctx: typer.Context, platform: str = TENANT) -> None:
    """The months charged or owed, latest first."""
    table = Table("period", "status", "fee (fen)", "closed days", "balance-days (fen)",
                  "attempts")
    for row in _fees(ctx).charges(platform):
        table.add_row(row["period"], row["status"], str(row["fee_fen"]),
                      str(row["closed_days"]), str(row["balance_days_fen"]),
                      str(row["attempts"]))
    console.print(table)
