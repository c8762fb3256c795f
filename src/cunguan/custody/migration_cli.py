"""``cunguan migration …``: import an existing platform (R-C20) — stage its files, record its
funding as it arrives, approve as maker and (another operator) as checker, reject, cancel."""

import json
from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn

from cunguan.custody.cli import REQUEST, TENANT, _service, _show
from cunguan.custody.handlers.base import CustodyResult
from cunguan.custody.handlers.migration import (
    MigrationService,
    outcome_counts,
    write_report,
)
from cunguan.custody.rules import migration as rules
from cunguan.platform.cli.common import (
    EXIT_BAD_INPUT,
    console,
    edge,
    error_console,
    fail,
    refusal_exit,
    yuan,
)

app = typer.Typer(help="Migration of an existing platform (存量迁移): staged, funded, "
                       "approved by a maker and a different checker.", no_args_is_help=True)
MIGRATION = typer.Option(..., "--migration-id", "-m", help="Names this migration.")
OPERATOR = typer.Option(..., "--operator", help="Who approves (maker and checker differ).")


def _migrations(ctx: typer.Context) -> MigrationService:
    return MigrationService(_service(ctx))


def _refused(result: CustodyResult) -> None:
    """A refused staging: a file refused whole is bad input (exit 2), as a malformed option
    is; a rule's refusal (the id used for other files) exits 1."""
    bad_file = result.code in rules.FILE_CODES
    fail("refused", result.code, result.message,
         EXIT_BAD_INPUT if bad_file else refusal_exit(result.code))


@app.command()
def stage(ctx: typer.Context, platform: str = TENANT, migration_id: str = MIGRATION,
          users: Path = typer.Option(..., exists=True, dir_okay=False),
          projects: Path | None = typer.Option(None, exists=True, dir_okay=False),
          claims: Path | None = typer.Option(None, exists=True, dir_okay=False),
          report: Path = typer.Option(Path("migration-report.csv"))) -> None:
    """Read the files (UTF-8, GBK or GB18030) whole and stage them; credits nothing. A
    file with a wrong header or encoding, or a control character, is refused whole, naming
    the line (exit 2)."""
    paths = {"users": users, "projects": projects, "claims": claims}
    files = {name: path.read_bytes() for name, path in paths.items() if path is not None}
    migrations = _migrations(ctx)
    with edge(), Progress(TextColumn("{task.description}"), BarColumn(),
                          MofNCompleteColumn(), console=error_console,
                          transient=True) as bar:
        tasks: dict[str, TaskID] = {}

        def progress(file: str, done: int, total: int) -> None:
            if file not in tasks:
                tasks[file] = bar.add_task(f"checking {file}", total=total)
            bar.update(tasks[file], completed=done)
        result = migrations.stage(platform, migration_id, files, progress=progress)
    if not result.ok:
        _refused(result)
    rows = migrations.report(platform, migration_id)
    write_report(rows, report)
    view = migrations.view(platform, migration_id)
    marker = " (replayed)" if result.replayed else ""
    console.print(f"[green]staged[/green]{marker} {migration_id}: {len(rows)} rows "
                  f"{outcome_counts(rows)}; report in {report}")
    console.print(f"users {view['users_count']}, balance total {view['balance_total_fen']} "
                  f"fen, projects {view['projects_count']}, claims {view['claims_count']}; "
                  "nothing is credited until the funding arrives and two operators approve")


@app.command()
def fund(ctx: typer.Context, platform: str = TENANT, migration_id: str = MIGRATION,
         request_no: str = REQUEST, amount: str = typer.Option(...),
         payer_account_no: str | None = typer.Option(
             None, help="The account the money came from, as the statement shows it."),
         reference: str | None = typer.Option(
             None, help="The bank statement's reference of the transfer.")) -> None:
    """The platform's funding transfer for the migration arrived at the bank (operator)."""
    with edge():
        _show(_migrations(ctx).fund(platform, request_no, migration_id, yuan(amount),
                                    payer_account_no, reference))


@app.command()
def approve(ctx: typer.Context, platform: str = TENANT, migration_id: str = MIGRATION,
            request_no: str = REQUEST, operator: str = OPERATOR) -> None:
    """First approval: the maker's. Second, by another operator: the checker's, which
    credits the balances when the funding is exactly the balance total."""
    with edge():
        _show(_migrations(ctx).approve(platform, request_no, migration_id, operator))


@app.command()
def reject(ctx: typer.Context, platform: str = TENANT, migration_id: str = MIGRATION,
           request_no: str = REQUEST, operator: str = OPERATOR,
           reason: str = typer.Option(...)) -> None:
    """Refuse a migration not yet applied; its funding goes back to the payer."""
    with edge():
        _show(_migrations(ctx).reject(platform, request_no, migration_id, operator, reason))


@app.command()
def cancel(ctx: typer.Context, platform: str = TENANT, migration_id: str = MIGRATION,
           request_no: str = REQUEST) -> None:
    """The platform withdraws a migration before any money arrived for it."""
    with edge():
        _show(_migrations(ctx).cancel(platform, request_no, migration_id))


@app.command()
def show(ctx: typer.Context, platform: str = TENANT, migration_id: str = MIGRATION) -> None:
    """Status, control totals, funding and who approved."""
    with edge():
        view = _migrations(ctx).view(platform, migration_id, operator=True)
    console.print_json(json.dumps(view, ensure_ascii=False))
