"""``cunguan ledger …``: accounts, transfers, holds, balances and the fund log."""

import csv
import sys
from datetime import date

import typer
from rich.table import Table

from cunguan.core import fields, limits
from cunguan.ledger.model import (
    AccountFlag,
    AccountSpec,
    Freeze,
    Payee,
    Release,
    Reverse,
    Settle,
    Side,
    Transfer,
)
from cunguan.platform.cli.common import (
    console,
    edge,
    money,
    optional_day,
    optional_instant,
    report,
    yuan,
)
from cunguan.platform.cli.services import services

app = typer.Typer(help="Ledger (账务核心): accounts, transfers, holds, balances, fund log.",
                  no_args_is_help=True)
TENANT = typer.Option(..., "--tenant", "-t", help="Tenant (platform) id.")
REQUEST = typer.Option(..., "--request-no", "-r", help="Request serial no. (请求流水号).")


@app.command("create-tenant")
def create_tenant(ctx: typer.Context, tenant: str = TENANT,
                  name: str = typer.Option(..., help="Display name."),
                  accounting_date: str = typer.Option(
                      date.today().isoformat(), help="First accounting date, YYYY-MM-DD."),
                  ) -> None:
    """Create a tenant (platform) with its first open accounting date."""
    first_day = fields.iso_day(accounting_date, "--accounting-date")
    with edge():
        services(ctx).ledger.create_tenant(tenant, name, first_day)
    console.print(f"[green]ok[/green] tenant {tenant} opened on {accounting_date}")


@app.command("open-account")
def open_account(
    ctx: typer.Context, tenant: str = TENANT,
    account_no: str = typer.Option(..., "--account", "-a"),
    owner: str = typer.Option(...), role: str = typer.Option(...),
    subject: str = typer.Option(..., help="Subject code (科目)."),
    side: Side = typer.Option(Side.CREDIT, help="Normal side: D (asset) or C (liability)."),
    in_only: bool = typer.Option(False, help="Only receives (e.g. fee account)."),
    out_only: bool = typer.Option(False, help="Only pays out (e.g. red-packet account)."),
    overdraft: str = typer.Option("", help="Overdraft limit in yuan; empty = none."),
    hot: bool = typer.Option(False, help="Hot account (热点账户): in most batches, locked "
                             "only while its lines are written."),
) -> None:
    """Open an account."""
    flags = AccountFlag.NONE
    flags |= AccountFlag.IN_ONLY if in_only else AccountFlag.NONE
    flags |= AccountFlag.OUT_ONLY if out_only else AccountFlag.NONE
    flags |= AccountFlag.HOT if hot else AccountFlag.NONE
    limit_fen = yuan(overdraft, "--overdraft") if overdraft else 0
    flags |= AccountFlag.OVERDRAFT if overdraft else AccountFlag.NONE
    with edge():
        services(ctx).ledger.open_accounts(tenant, [AccountSpec(
            account_no, owner, role, subject, side, flags, limit_fen)])
    console.print(f"[green]ok[/green] account {account_no} opened")


@app.command()
def transfer(ctx: typer.Context, tenant: str = TENANT, request_no: str = REQUEST,
             debit: str = typer.Option(..., help="Account debited."),
             credit: str = typer.Option(..., help="Account credited."),
             amount: str = typer.Option(..., help="Amount in yuan, e.g. 1,234.56."),
             business_type: str = typer.Option("transfer"),
             memo: str = typer.Option("")) -> None:
    """Post a transfer: Dr DEBIT / Cr CREDIT."""
    with edge():
        result = services(ctx).ledger.transfer(tenant, Transfer(
            request_no, debit, credit, yuan(amount), business_type, memo))
    report(result, lambda r: f"transaction {r.tx_id}")


@app.command()
def freeze(ctx: typer.Context, tenant: str = TENANT, request_no: str = REQUEST,
           account_no: str = typer.Option(..., "--account", "-a"),
           amount: str = typer.Option(...), reason: str = typer.Option(...),
           expires_at: str = typer.Option("", help="ISO time the hold lapses, with offset.")
           ) -> None:
    """Hold an amount on an account (冻结)."""
    expiry = optional_instant(expires_at, "--expires-at")
    with edge():
        result = services(ctx).ledger.execute(tenant, [Freeze(
            request_no, account_no, yuan(amount), reason, expiry)])[0]
    report(result, lambda r: f"hold {r.tx_id}")


@app.command()
def settle(ctx: typer.Context, tenant: str = TENANT, request_no: str = REQUEST,
           hold_id: int = typer.Option(..., "--hold"),
           payee: list[str] = typer.Option(..., help="ACCOUNT=YUAN; repeat for many payees."),
           ) -> None:
    """Settle a hold to one or many payees; what is not paid is released."""
    fields.whole_number(hold_id, "--hold", minimum=1, maximum=limits.id_max)
    payees = []
    for item in payee:
        account_no, _, amount = item.partition("=")
        if not amount:
            raise fields.FieldInvalid("--payee", f"{item!r} must be ACCOUNT=YUAN")
        payees.append(Payee(account_no, yuan(amount, "--payee")))
    with edge():
        result = services(ctx).ledger.execute(tenant, [Settle(
            request_no, hold_id, tuple(payees))])[0]
    report(result, lambda r: f"transaction {r.tx_id}")


@app.command()
def release(ctx: typer.Context, tenant: str = TENANT, request_no: str = REQUEST,
            hold_id: int = typer.Option(..., "--hold"), reason: str = typer.Option("")) -> None:
    """Release a hold (解冻)."""
    fields.whole_number(hold_id, "--hold", minimum=1, maximum=limits.id_max)
    with edge():
        result = services(ctx).ledger.execute(tenant, [Release(request_no, hold_id, reason)])[0]
    report(result, lambda r: f"hold released by transaction {r.tx_id}")


@app.command()
def reverse(ctx: typer.Context, tenant: str = TENANT, request_no: str = REQUEST,
            tx_id: int = typer.Option(..., "--tx"), reason: str = typer.Option("")) -> None:
    """Reverse a transaction (冲正) with a new, linked transaction."""
    fields.whole_number(tx_id, "--tx", minimum=1, maximum=limits.id_max)
    with edge():
        result = services(ctx).ledger.execute(tenant, [Reverse(request_no, tx_id, reason)])[0]
    report(result, lambda r: f"reversal transaction {r.tx_id}")


@app.command()
def balance(ctx: typer.Context, tenant: str = TENANT,
            account_no: str = typer.Option(..., "--account", "-a"),
            on: str = typer.Option("", help="Balance at the end of this accounting date.")
            ) -> None:
    """Show an account's balance, frozen and available amounts (or its balance on a date)."""
    on_day = optional_day(on, "--on")
    with edge():
        svc = services(ctx).ledger
        if on_day:
            amount_fen = svc.balance_at(tenant, account_no, on_day)
            console.print(f"{account_no} balance at end of {on}: {money(amount_fen)}")
            return
        account = svc.account(tenant, account_no)
    table = Table("account", "status", "balance", "frozen", "available")
    table.add_row(account.account_no, account.status, money(account.balance_fen),
                  money(account.frozen_fen), money(account.available_fen))
    console.print(table)


@app.command()
def log(ctx: typer.Context, tenant: str = TENANT,
        account_no: str = typer.Option(..., "--account", "-a"),
        date_from: str = typer.Option("", "--from"), date_to: str = typer.Option("", "--to"),
        after: int = typer.Option(0, help="Page on from this entry no."),
        rows: int = typer.Option(50, help="Rows per page."),
        csv_out: bool = typer.Option(False, "--csv", help="CSV on stdout, for scripts.")
        ) -> None:
    """Show an account's fund log (资金日志), paged."""
    fields.whole_number(after, "--after", minimum=0, maximum=limits.id_max)
    fields.whole_number(rows, "--rows", minimum=1, maximum=limits.page_rows_max)
    day_from, day_to = optional_day(date_from, "--from"), optional_day(date_to, "--to")
    with edge():
        lines = services(ctx).ledger.fund_log(tenant, account_no, after_seq=after,
                                              rows_max=rows, date_from=day_from, date_to=day_to)
    header = ("no.", "date", "type", "kind", "side", "amount", "balance", "frozen", "available",
              "counterparty", "request no.")
    rows_out = [(str(line.entry_seq), str(line.accounting_date), line.business_type,
                 line.line_kind.value, line.side.value if line.side else "",
                 money(line.amount_fen), money(line.balance_after_fen),
                 money(line.frozen_after_fen), money(line.available_after_fen),
                 line.counterparty_account_no or "", line.request_no) for line in lines]
    if csv_out:
        writer = csv.writer(sys.stdout)
        writer.writerows([header, *rows_out])
        return
    table = Table(*header)
    for row in rows_out:
        table.add_row(*row)
    console.print(table)
    if len(lines) == rows:
        console.print(f"more: --after {lines[-1].entry_seq}")
