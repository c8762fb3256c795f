"""Prints the demo business day with Rich."""

from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn
from rich.table import Table

from cunguan.core import fields, limits
from cunguan.core.errors import present
from cunguan.custody.rules import accounts as chart
from cunguan.db.check import reachable_engine, shown
from cunguan.db.connection import upgrade
from cunguan.ledger.service import LedgerService
from cunguan.platform.cli.common import EXIT_REJECTED, console, explicit_database_url, fail, money
from cunguan.platform.day_service import DayService
from cunguan.platform.demo import TENANT, run_business_day

#: The demo's own database. CUNGUAN_DATABASE_URL is never used for it: the demo writes a
#: platform and a day of made-up money, which have no place in a real database.
DEMO_URL = "sqlite:///cunguan-demo.db"


def run_demo(ctx: typer.Context, *, users: int, fresh: bool) -> None:
    fields.whole_number(users, "--users", minimum=limits.demo_users_min,
                        maximum=limits.demo_users_max)
    url = explicit_database_url(ctx) or DEMO_URL
    if fresh and url.startswith("sqlite:///"):
        for suffix in ("", "-wal", "-shm"):
            Path(url.removeprefix("sqlite:///") + suffix).unlink(missing_ok=True)
    engine = reachable_engine(url)
    upgrade(engine)
    if TENANT in LedgerService(engine).tenants():
        fail("refused", "tenant_exists", f"{shown(url)} holds the demo platform {TENANT}'s day "
             "already: cunguan demo (without --no-fresh) starts its own file anew", EXIT_REJECTED)
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
    close = present(day.close, "the demo closes its day")
    colour = "green" if close.closed else "red"
    console.print(f"[{colour}]{close.report}[/{colour}]")
    if not close.closed:
        raise typer.Exit(1)
