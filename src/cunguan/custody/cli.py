"""``cunguan custody …``: the custody operations from the command line (operators, scripts)."""

import json
from datetime import date
from typing import Any

import typer

from cunguan.core import fields
from cunguan.custody.handlers.base import CustodyResult
from cunguan.custody.handlers.lending_service import LendingService
from cunguan.custody.rules.kyc import IdKind
from cunguan.custody.rules.schedules import Method
from cunguan.ledger.service import LedgerService
from cunguan.platform.cli.common import (
    ASK_PASSWORD,
    EXIT_REJECTED,
    PASSWORD_STDIN,
    console,
    edge,
    engine,
    fail,
    password,
    refusal_exit,
    yuan,
)

app = typer.Typer(help="Fund custody (资金存管) for platforms.", no_args_is_help=True)
TENANT = typer.Option(..., "--platform", "-p", help="Platform (tenant) id.")
REQUEST = typer.Option(..., "--request-no", "-r", help="Request serial no. (请求流水号).")
project_app = typer.Typer(help="Read a project, its repayment schedule and its claims.",
                          no_args_is_help=True)
withdrawal_app = typer.Typer(help="Read a withdrawal.", no_args_is_help=True)
app.add_typer(project_app, name="project")
app.add_typer(withdrawal_app, name="withdrawal")


def _service(ctx: typer.Context) -> LendingService:
    checked = engine(ctx)
    return LendingService(checked, LedgerService(checked))


def _show(result: CustodyResult) -> None:
    """An answer: ok and its data, or the refusal's code (exit 1, or 2 for bad input)."""
    marker = " (replayed)" if result.replayed else ""
    if result.ok:
        console.print(f"[green]ok[/green]{marker} {json.dumps(result.data, ensure_ascii=False)}")
        return
    fail(f"refused{marker}", result.code, result.message, refusal_exit(result.code))


def _print_json(found: Any) -> None:
    console.print_json(json.dumps(found, ensure_ascii=False))


@app.command()
def onboard(ctx: typer.Context, platform: str = TENANT, name: str = typer.Option(...),
            accounting_date: str = typer.Option(date.today().isoformat(),
                                                help="First accounting date, YYYY-MM-DD.")
            ) -> None:
    """Open a platform: summary account and platform accounts (operator)."""
    first_day = fields.iso_day(accounting_date, "--accounting-date")
    with edge():
        _service(ctx).onboard_platform(platform, name, first_day)
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
              password_stdin: bool = PASSWORD_STDIN) -> None:
    """Open a user's custody account (four elements and transaction password, asked for
    twice with hidden input, or read from standard input with --password-stdin)."""
    chosen = password(ask=not password_stdin, stdin=password_stdin, confirm=True)
    with edge():
        _show(_service(ctx).open_user(platform, request_no, user_id=user_id, role=role,
                                      name=name, id_kind=id_kind, id_no=id_no, mobile=mobile,
                                      card_no=card, password=chosen or ""))


@app.command()
def recharge(ctx: typer.Context, platform: str = TENANT, request_no: str = REQUEST,
             user_id: str = typer.Option(..., "--user"), card: str = typer.Option(...),
             amount: str = typer.Option(...), ask_password: bool = ASK_PASSWORD,
             password_stdin: bool = PASSWORD_STDIN) -> None:
    """Quick-pay recharge from a bound card."""
    chosen = password(ask=ask_password, stdin=password_stdin)
    with edge():
        _show(_service(ctx).recharge(platform, request_no, user_id, card, yuan(amount),
                                     chosen))


@app.command()
def withdraw(ctx: typer.Context, platform: str = TENANT, request_no: str = REQUEST,
             user_id: str = typer.Option(..., "--user"), card: str = typer.Option(...),
             amount: str = typer.Option(...), ask_password: bool = ASK_PASSWORD,
             password_stdin: bool = PASSWORD_STDIN) -> None:
    """Withdraw to a bound card: the rail and fee are chosen by the rules."""
    chosen = password(ask=ask_password, stdin=password_stdin)
    with edge():
        _show(_service(ctx).withdraw(platform, request_no, user_id, card, yuan(amount),
                                     chosen))


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
            bid_min_fen=yuan(bid_min, "--bid-min"), bid_max_fen=yuan(bid_max, "--bid-max"),
            bid_step_fen=yuan(bid_step, "--bid-step"),
            service_fee_rate=service_fee_rate))


@app.command()
def bid(ctx: typer.Context, platform: str = TENANT, request_no: str = REQUEST,
        user_id: str = typer.Option(..., "--user"), project: str = typer.Option(...),
        amount: str = typer.Option(...), ask_password: bool = ASK_PASSWORD,
        password_stdin: bool = PASSWORD_STDIN) -> None:
    """Bid on a project: the amount is frozen."""
    chosen = password(ask=ask_password, stdin=password_stdin)
    with edge():
        _show(_service(ctx).bid(platform, request_no, user_id, project, yuan(amount),
                                password=chosen))


@app.command()
def lend(ctx: typer.Context, platform: str = TENANT, request_no: str = REQUEST,
         project: str = typer.Option(...)) -> None:
    """Lend a full project: bids to the borrower, fee to the fee account, claims created."""
    with edge():
        _show(_service(ctx).lend(platform, request_no, project))


@app.command()
def repay(ctx: typer.Context, platform: str = TENANT, request_no: str = REQUEST,
          project: str = typer.Option(...), ask_password: bool = ASK_PASSWORD,
          password_stdin: bool = PASSWORD_STDIN) -> None:
    """Freeze the next installment (with any penalty) on the borrower's account."""
    chosen = password(ask=ask_password, stdin=password_stdin)
    with edge():
        _show(_service(ctx).repay(platform, request_no, project, password=chosen))


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
        fail("refused", "request_not_found", f"no request {request_no}", EXIT_REJECTED)
    _print_json(found)


@project_app.command("show")
def project_show(ctx: typer.Context, platform: str = TENANT,
                 project: str = typer.Argument(..., help="Project id.")) -> None:
    """A project's terms and where it stands."""
    _print_json(_service(ctx).project(platform, project))


@project_app.command("schedule")
def project_schedule(ctx: typer.Context, platform: str = TENANT,
                     project: str = typer.Argument(..., help="Project id.")) -> None:
    """The project's repayment plan, installment by installment."""
    _print_json(_service(ctx).schedule(platform, project))


@project_app.command("claims")
def project_claims(ctx: typer.Context, platform: str = TENANT,
                   project: str = typer.Argument(..., help="Project id.")) -> None:
    """Every claim on the project: holder, principal, outstanding, status."""
    _print_json(_service(ctx).project_claims(platform, project))


@withdrawal_app.command("show")
def withdrawal_show(ctx: typer.Context, platform: str = TENANT,
                    withdrawal: str = typer.Argument(..., help="The withdrawal's request no.")
                    ) -> None:
    """A withdrawal: amount, fee, rail, state (card masked)."""
    _print_json(_service(ctx).withdrawal(platform, withdrawal))
