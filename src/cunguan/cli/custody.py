"""``cunguan custody …``: the custody operations from the command line (operators, scripts)."""

import json
from datetime import date
from pathlib import Path

import typer

from cunguan.adapters.store.db import make_engine
from cunguan.cli.common import EXIT_REJECTED, console, edge, error_console, yuan
from cunguan.custody.kyc import IdKind
from cunguan.custody.schedules import Method
from cunguan.service_layer.custody_base import CustodyResult
from cunguan.service_layer.ledger_service import LedgerService
from cunguan.service_layer.lending_service import LendingService
from cunguan.service_layer.migration_service import MigrationService, write_report

app = typer.Typer(help="Fund custody (资金存管) for platforms.", no_args_is_help=True)
TENANT = typer.Option(..., "--platform", "-p", help="Platform (tenant) id.")
REQUEST = typer.Option(..., "--request-no", "-r", help="Request serial no. (请求流水号).")
PASSWORD = typer.Option(None, help="Transaction password; omit to use an authorization.")


def _service(ctx: typer.Context) -> LendingService:
    obj = ctx.find_root().obj or {}
    engine = make_engine(obj.get("database_url"))
    return LendingService(engine, LedgerService(engine))


def _show(result: CustodyResult) -> None:
    marker = " (replayed)" if result.replayed else ""
    if result.ok:
        console.print(f"[green]ok[/green]{marker} {json.dumps(result.data, ensure_ascii=False)}")
        return
    error_console.print(f"[red]{result.code}[/red]{marker} {result.message}")
    raise typer.Exit(EXIT_REJECTED)


@app.command()
def onboard(ctx: typer.Context, platform: str = TENANT, name: str = typer.Option(...),
            accounting_date: str = typer.Option(date.today().isoformat())) -> None:
    """Open a platform: summary account and platform accounts (operator)."""
    with edge():
        _service(ctx).onboard_platform(platform, name, date.fromisoformat(accounting_date))
    console.print(f"[green]ok[/green] platform {platform} onboarded")


@app.command("fund-platform")
def fund_platform(ctx: typer.Context, platform: str = TENANT, request_no: str = REQUEST,
                  account: str = typer.Option(..., help="OWN, MARKETING, RISK or INTEREST"),
                  amount: str = typer.Option(...)) -> None:
    """The platform pays its own money in for one of its accounts."""
    with edge():
        _show(_service(ctx).fund_platform(platform, request_no, account, yuan(amount)))


@app.command("open-user")
def open_user(ctx: typer.Context, platform: str = TENANT, request_no: str = REQUEST,
              user_id: str = typer.Option(..., "--user"),
              role: str = typer.Option("lender", help="lender, borrower or guarantor"),
              name: str = typer.Option(...), id_no: str = typer.Option(...),
              id_kind: IdKind = typer.Option(IdKind.RESIDENT_ID),
              mobile: str = typer.Option(...), card: str = typer.Option(...),
              password: str = typer.Option(..., prompt=True, hide_input=True,
                                           confirmation_prompt=True)) -> None:
    """Open a user's custody account (four elements and transaction password)."""
    with edge():
        _show(_service(ctx).open_user(platform, request_no, user_id=user_id, role=role,
                                      name=name, id_kind=id_kind, id_no=id_no, mobile=mobile,
                                      card_no=card, password=password))


@app.command()
def recharge(ctx: typer.Context, platform: str = TENANT, request_no: str = REQUEST,
             user_id: str = typer.Option(..., "--user"), card: str = typer.Option(...),
             amount: str = typer.Option(...), password: str | None = PASSWORD) -> None:
    """Quick-pay recharge from a bound card."""
    with edge():
        _show(_service(ctx).recharge(platform, request_no, user_id, card, yuan(amount),
                                     password))


@app.command()
def withdraw(ctx: typer.Context, platform: str = TENANT, request_no: str = REQUEST,
             user_id: str = typer.Option(..., "--user"), card: str = typer.Option(...),
             amount: str = typer.Option(...), password: str | None = PASSWORD) -> None:
    """Withdraw to a bound card: the rail and fee are chosen by the rules."""
    with edge():
        _show(_service(ctx).withdraw(platform, request_no, user_id, card, yuan(amount),
                                     password))


@app.command("channel-result")
def channel_result(ctx: typer.Context, platform: str = TENANT, request_no: str = REQUEST,
                   withdrawal: str = typer.Option(...),
                   succeeded: bool = typer.Option(..., "--succeeded/--failed")) -> None:
    """Record the channel's answer to a withdrawal."""
    with edge():
        _show(_service(ctx).channel_result(platform, request_no, withdrawal, succeeded))


@app.command("register-project")
def register_project(ctx: typer.Context, platform: str = TENANT, request_no: str = REQUEST,
                     project: str = typer.Option(...), borrower: str = typer.Option(...),
                     amount: str = typer.Option(...), rate: str = typer.Option(...),
                     months: int = typer.Option(...), method: Method = typer.Option(...),
                     bid_min: str = typer.Option("100"), bid_max: str = typer.Option(...),
                     bid_step: str = typer.Option("100"),
                     service_fee_rate: str = typer.Option("0")) -> None:
    """Register a project (标的) for a borrower."""
    with edge():
        _show(_service(ctx).register_project(
            platform, request_no, project_id=project, borrower_user_id=borrower,
            amount_fen=yuan(amount), annual_rate=rate, months=months, method=method,
            bid_min_fen=yuan(bid_min), bid_max_fen=yuan(bid_max), bid_step_fen=yuan(bid_step),
            service_fee_rate=service_fee_rate))


@app.command()
def bid(ctx: typer.Context, platform: str = TENANT, request_no: str = REQUEST,
        user_id: str = typer.Option(..., "--user"), project: str = typer.Option(...),
        amount: str = typer.Option(...), password: str | None = PASSWORD) -> None:
    """Bid on a project: the amount is frozen."""
    with edge():
        _show(_service(ctx).bid(platform, request_no, user_id, project, yuan(amount),
                                password=password))


@app.command()
def lend(ctx: typer.Context, platform: str = TENANT, request_no: str = REQUEST,
         project: str = typer.Option(...)) -> None:
    """Lend a full project: bids to the borrower, fee to the fee account, claims created."""
    with edge():
        _show(_service(ctx).lend(platform, request_no, project))


@app.command()
def repay(ctx: typer.Context, platform: str = TENANT, request_no: str = REQUEST,
          project: str = typer.Option(...), password: str | None = PASSWORD) -> None:
    """Freeze the next installment (with any penalty) on the borrower's account."""
    with edge():
        _show(_service(ctx).repay(platform, request_no, project, password=password))


@app.command("settle-repayment")
def settle_repayment(ctx: typer.Context, platform: str = TENANT, request_no: str = REQUEST,
                     project: str = typer.Option(...)) -> None:
    """Pay the frozen installment to the investors pro rata."""
    with edge():
        _show(_service(ctx).settle_repayment(platform, request_no, project))


@app.command()
def status(ctx: typer.Context, platform: str = TENANT, request_no: str = REQUEST) -> None:
    """What became of a request, by its serial no. (R-C21)."""
    with edge():
        found = _service(ctx).request_status(platform, request_no)
    if found is None:
        error_console.print(f"[red]request_not_found[/red] {request_no}")
        raise typer.Exit(EXIT_REJECTED)
    console.print_json(json.dumps(found, ensure_ascii=False))


@app.command()
def migrate(ctx: typer.Context, platform: str = TENANT,
            migration_id: str = typer.Option(..., help="Names this import; re-runs reuse it."),
            users: Path = typer.Option(..., exists=True, dir_okay=False),
            projects: Path | None = typer.Option(None, exists=True, dir_okay=False),
            claims: Path | None = typer.Option(None, exists=True, dir_okay=False),
            report: Path = typer.Option(Path("migration-report.csv"))) -> None:
    """Import an existing platform from CSV files; writes a per-row outcome report."""
    with edge():
        rows = MigrationService(_service(ctx)).run(platform, migration_id, users=users,
                                                   projects=projects, claims=claims)
    write_report(rows, report)
    counts: dict[str, int] = {}
    for row in rows:
        counts[row.outcome] = counts.get(row.outcome, 0) + 1
    console.print(f"[green]ok[/green] {len(rows)} rows: {counts}; report in {report}")
