"""Prints the demo business day with Rich."""

from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn
from rich.table import Table

from cunguan.adapters.store.db import database_url, make_engine, upgrade
from cunguan.cli.common import console, money
from cunguan.custody import accounts as chart
from cunguan.demo import TENANT, run_business_day
from cunguan.service_layer.day_service import DayService
from cunguan.service_layer.ledger_service import LedgerService

DEMO_URL = "sqlite:///cunguan-demo.db"


def run_demo(ctx: typer.Context, *, users: int, fresh: bool) -> None:
    url = (ctx.find_root().obj or {}).get("database_url") or DEMO_URL
    url = database_url(url)
    if fresh and url.startswith("sqlite:///"):
        for suffix in ("", "-wal", "-shm"):
            Path(url.removeprefix("sqlite:///") + suffix).unlink(missing_ok=True)
    engine = make_engine(url)
    upgrade(engine)
    console.rule(f"Cunguan demo: one business day of {TENANT} on {url}")
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  console=console, transient=True) as bar:
        tasks: dict[str, TaskID] = {}

        def advance(label: str, done: int) -> None:
            if label not in tasks:
                tasks[label] = bar.add_task(label, total=None)
            bar.update(tasks[label], advance=done)

        day = run_business_day(LedgerService(engine), DayService(engine), users=users,
                               progress=advance)
    outcome = Table("outcome", "requests", title="Requests by outcome")
    for code, count in sorted(day.outcomes.items()):
        outcome.add_row(code, str(count))
    operations = Table("operation", "requests", title=f"Operations on {day.accounting_date}")
    for name, count in day.operations.items():
        operations.add_row(name, str(count))
    balances = Table("account", "balance (yuan)", title="Platform accounts at close")
    for account_no in (*chart.BANK_HELD, *chart.PLATFORM_ACCOUNTS):
        balances.add_row(account_no, money(day.balances.get(account_no, 0)))
    users_fen = sum(v for k, v in day.balances.items() if k.startswith("U-"))
    balances.add_row("Σ user sub-accounts", money(users_fen))
    console.print(operations, outcome, balances)
    for note in day.notes:
        console.print(f"• {note}")
    identity = ("[green]holds[/green]" if day.summary_fen == day.sub_accounts_fen
                else "[red]BROKEN[/red]")
    console.print(f"Summary + channel in transit {money(day.summary_fen)} = Σ sub-accounts "
                  f"{money(day.sub_accounts_fen)}: {identity}")
    assert day.close is not None
    colour = "green" if day.close.closed else "red"
    console.print(f"[{colour}]{day.close.report}[/{colour}]")
    if not day.close.closed:
        raise typer.Exit(1)
