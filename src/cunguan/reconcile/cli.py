"""``cunguan reconcile …``: the bank accounts register, statement imports, matching a day,
working breaks, the reserve-fund checks and reports. Thin: every field is checked by the
handlers' rules; refusals print their code and exit 1 (2 for bad input)."""

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table
from rich.text import Text

from cunguan.core import fields
from cunguan.core.money import MoneyError, format_yuan, parse_yuan
from cunguan.db.check import ready_engine
from cunguan.db.connection import Engine
from cunguan.ledger.service import LedgerService
from cunguan.reconcile.handlers.service import ReconcileService
from cunguan.reconcile.rules import register
from cunguan.reconcile.rules.refusals import ReconcileError

app = typer.Typer(help="Reconciliation (对账): bank statements against the books, breaks, "
                       "and the reserve-fund checks and reports.", no_args_is_help=True)
accounts_app = typer.Typer(help="The bank accounts register (R-B1).", no_args_is_help=True)
breaks_app = typer.Typer(help="Breaks (差错) and their adjustments.", no_args_is_help=True)
app.add_typer(accounts_app, name="accounts")
app.add_typer(breaks_app, name="breaks")

OPERATOR = typer.Option(..., "--operator", help="Who acts (recorded with the action).")
ACCOUNT = typer.Option(..., "--account", help="The bank account no.")
JSON = typer.Option(False, "--json", help="JSON instead of a table (for scripts).")
#: A statement this long shows a progress bar while it is written.
PROGRESS_LINES_MIN = 5_000


console = Console()
error_console = Console(stderr=True, soft_wrap=True, highlight=False)
#: The exit codes of ``cunguan`` (its root group maps other named errors and the environment).
EXIT_REJECTED, EXIT_BAD_INPUT = 1, 2


def _engine(ctx: typer.Context) -> Engine:
    """The root command's engine (its ``--database-url``), checked to be there and migrated.
    Shared through the root context like every sub-app's (this module may not import the
    platform's CLI helpers: they reach into custody's rules)."""
    root = ctx.find_root()
    if root.obj is None:
        root.obj = {}
    if "engine" not in root.obj:
        root.obj["engine"] = ready_engine(root.obj.get("database_url"))
    found: Engine = root.obj["engine"]
    return found


def _service(ctx: typer.Context) -> ReconcileService:
    checked = _engine(ctx)
    return ReconcileService(checked, LedgerService(checked))


@contextmanager
def _refusals() -> Iterator[None]:
    """A refusal: its code and message on stderr, exit 1 (2 for a malformed field)."""
    try:
        yield
    except ReconcileError as exc:
        code = str(exc.code)
        error_console.print(Text.assemble(("refused", "red"), f" {code}: {exc.message}"))
        raise typer.Exit(EXIT_BAD_INPUT if code == "field_invalid" else EXIT_REJECTED) from exc


def money(amount_fen: int) -> str:
    return format_yuan(amount_fen)


def yuan(text: str, field: str = "--amount") -> int:
    """A yuan amount as typed ("1,234.56") in fen."""
    try:
        return parse_yuan(text)
    except MoneyError as exc:
        raise fields.FieldInvalid(field, str(exc)) from exc


def _day(text: str, field: str = "--date") -> date:
    return fields.iso_day(text, field)


def _break_id(text: str) -> int:
    """A break's no. as typed: ASCII digits only ('1_0', '+1', ' 1 ' and '１' are refused, as
    the API's path refuses them); the service checks its range."""
    if re.fullmatch(r"[0-9]{1,19}", text, re.ASCII) is None:
        raise fields.FieldInvalid("break_id", "must be a whole number in ASCII digits 0-9")
    return int(text)


def _ok(text: str, data: Any = None) -> None:
    suffix = f" {json.dumps(data, ensure_ascii=False, default=str)}" if data is not None else ""
    console.print(f"[green]ok[/green] {text}{suffix}", highlight=False)


# -- the register ----------------------------------------------------------------------------
@accounts_app.command("add")
def accounts_add(ctx: typer.Context, account_no: str = typer.Argument(..., help="Account no."),
                 bank: str = typer.Option(..., help="The bank's name."),
                 kind: str = typer.Option(..., help="custody | receipt_payment | collection | "
                                                    "cooperating | channel"),
                 currency: str = typer.Option("CNY", help="ISO 4217 code."),
                 platform: str = typer.Option(None, "--platform", "-p",
                                              help="The tenant whose ledger it mirrors."),
                 mirror: list[str] = typer.Option([], "--mirror", help="A ledger account it "
                                                  "mirrors (repeat for several)."),
                 operator: str = OPERATOR) -> None:
    """Register a reserve or custody bank account and the ledger accounts it mirrors."""
    account = register.bank_account(account_no, bank, kind, currency_code=currency,
                                    tenant_id=platform, mirrors=list(mirror))
    with _refusals():
        _service(ctx).add_account(account, operator=operator)
    _ok(f"registered {account.account_no} ({account.kind}, {account.bank_name})")


@accounts_app.command("list")
def accounts_list(ctx: typer.Context, platform: str = typer.Option(
        None, "--platform", "-p", help="Only this tenant's."), as_json: bool = JSON) -> None:
    """The register."""
    rows = _service(ctx).accounts(platform)
    if as_json:
        console.print_json(json.dumps(rows, ensure_ascii=False, default=str))
        return
    table = Table("account", "bank", "kind", "currency", "tenant", "mirrors")
    for row in rows:
        table.add_row(row["account_no"], row["bank_name"], row["kind"], row["currency"],
                      row["tenant_id"] or "", ", ".join(row["mirrors"]))
    console.print(table)


# -- statements and matching -----------------------------------------------------------------
@app.command("import")
def import_statement(ctx: typer.Context,
                     file: Path = typer.Argument(..., exists=True, dir_okay=False,
                                                 readable=True, help="The statement file."),
                     format_name: str = typer.Option(..., "--format", help="Its format."),
                     account: str = typer.Option(None, "--account", help="The bank account "
                                                 "(for formats that do not name it)."),
                     operator: str = OPERATOR) -> None:
    """Import a bank statement: all of it or nothing; the same file again is a replay."""
    data = file.read_bytes()
    with _refusals(), Progress(TextColumn("{task.description}"), BarColumn(),
                               MofNCompleteColumn(), console=console, transient=True,
                               disable=data.count(b"\n") < PROGRESS_LINES_MIN) as bar:
        task = bar.add_task(f"importing {file.name}", total=None)
        done = _service(ctx).import_file(
            data, format_name, operator=operator, account_no=account,
            progress=lambda n, total: bar.update(task, completed=n, total=total))
    marker = " (replayed: imported before)" if done.replayed else ""
    _ok(f"import {done.import_id}: statement {done.statement_id} of {done.account_no}, "
        f"{done.lines} lines, {money(done.opening_balance_fen)} → "
        f"{money(done.closing_balance_fen)}{marker}")
    if done.outcomes:
        _show_outcomes(done)


def _show_outcomes(done: Any) -> None:
    """What custody did for the statement's lines (R-C15), and what was kept as breaks."""
    table = Table("line", "outcome", "reference", "amount", "books", "break",
                  title="custody's actions")
    for o in done.outcomes:
        table.add_row(o.line_key, str(o.kind), o.reference, money(o.amount_fen),
                      "" if o.expected_fen is None else money(o.expected_fen), o.break_class)
    console.print(table)
    _ok(f"{done.reversed} withdrawals reversed, {done.settled_days} channel days settled, "
        f"{done.breaks} kept as breaks")


@app.command("match")
def match(ctx: typer.Context, account: str = ACCOUNT,
          day: str = typer.Option(..., "--date", help="The day T matched, YYYY-MM-DD."),
          operator: str = OPERATOR) -> None:
    """Match a bank account's day T against the books; running it again is a replay."""
    with _refusals():
        run = _service(ctx).match_day(account, _day(day), operator=operator)
    marker = " (replayed: matched before on the same inputs)" if run.replayed else ""
    _ok(f"{run.account_no} {run.as_of}: {run.bank_lines} bank lines, {run.book_items} book "
        f"items; {run.matched} matched, {run.breaks} breaks, {run.in_transit} in transit"
        f"{marker}")
    if run.later_days_matched_again:
        _ok("later days matched again, in order: "
            + ", ".join(map(str, run.later_days_matched_again)))
    if run.worked_breaks_not_found:
        _ok("breaks worked but no longer found (kept; look at them again): "
            + ", ".join(map(str, run.worked_breaks_not_found)))
    if run.pairs_kept or run.pairs_dropped:
        _ok(f"hand pairs made again: {len(run.pairs_kept)}; not kept (pair again if still "
            f"wanted): {', '.join(run.pairs_dropped) or 'none'}")


@app.command("pair")
def pair(ctx: typer.Context, account: str = ACCOUNT,
         day: str = typer.Option(..., "--date", help="The day they arrive, YYYY-MM-DD."),
         bank: list[str] = typer.Option(..., "--bank", help="A bank line's key (repeat)."),
         book: list[str] = typer.Option(..., "--book", help="A book item's key (repeat)."),
         explained_by: int = typer.Option(None, "--explained-by",
                                          help="The written-off or resolved break whose "
                                               "difference is the pair's."),
         operator: str = OPERATOR) -> None:
    """Pair items in transit by hand (人工勾对): the same money the engine left apart."""
    with _refusals():
        paired = _service(ctx).pair_in_transit(account, _day(day), bank_keys=bank,
                                               book_keys=book, explained_by=explained_by,
                                               operator=operator)
    _ok(f"{account} {day}: {paired['items']} items paired ({paired['group_id']}), difference "
        f"{money(paired['difference_fen'])}")


# -- breaks ----------------------------------------------------------------------------------
@breaks_app.command("list")
def breaks_list(ctx: typer.Context,
                account: str = typer.Option(None, "--account", help="Only this account's."),
                state: str = typer.Option(None, help="open | proposed | resolved"),
                resolved: bool = typer.Option(False, "--all", help="Resolved ones too."),
                as_json: bool = JSON) -> None:
    """Breaks, oldest first (open ones unless --state or --all)."""
    rows = _service(ctx).breaks(account_no=account, state=state, open_only=not resolved)
    if as_json:
        console.print_json(json.dumps(rows, ensure_ascii=False, default=str))
        return
    table = Table("id", "account", "day", "class", "side", "amount", "difference", "owner",
                  "state")
    for row in rows:
        table.add_row(str(row["break_id"]), row["account_no"], str(row["as_of"]),
                      row["break_class"], row["side"], money(row["amount_fen"]),
                      money(row["difference_fen"]), row["owner"], row["state"])
    console.print(table)


@breaks_app.command("show")
def breaks_show(ctx: typer.Context, break_id: str = typer.Argument(...)) -> None:
    """A break with everything done to it."""
    with _refusals():
        detail = _service(ctx).break_detail(_break_id(break_id))
    console.print_json(json.dumps(detail, ensure_ascii=False, default=str))


@breaks_app.command("assign")
def breaks_assign(ctx: typer.Context, break_id: str = typer.Argument(...),
                  owner: str = typer.Option(..., help="Who works it."),
                  operator: str = OPERATOR) -> None:
    """Give a break its owner."""
    with _refusals():
        _service(ctx).assign(_break_id(break_id), owner, operator=operator)
    _ok(f"break {break_id} owned by {owner}")


@breaks_app.command("note")
def breaks_note(ctx: typer.Context, break_id: str = typer.Argument(...),
                text: str = typer.Option(..., "--text", help="The note."),
                operator: str = OPERATOR) -> None:
    """Add a note to a break."""
    with _refusals():
        _service(ctx).note(_break_id(break_id), text, operator=operator)
    _ok(f"note added to break {break_id}")


@breaks_app.command("propose")
def breaks_propose(ctx: typer.Context, break_id: str = typer.Argument(...),
                   debit: str = typer.Option(..., help="The ledger account debited."),
                   credit: str = typer.Option(..., help="The ledger account credited."),
                   amount: str = typer.Option(..., help="In yuan, e.g. 12.34."),
                   memo: str = typer.Option(..., help="Why (for the fund log)."),
                   write_off: bool = typer.Option(False, "--write-off",
                                                  help="A write-off, not a correction."),
                   operator: str = OPERATOR) -> None:
    """Propose an adjustment for an assigned break (the maker); another operator approves."""
    with _refusals():
        _service(ctx).propose(_break_id(break_id), kind="write_off" if write_off else "correction",
                              debit_account_no=debit, credit_account_no=credit,
                              amount_fen=yuan(amount), memo=memo, operator=operator)
    _ok(f"adjustment proposed for break {break_id}")


@breaks_app.command("approve")
def breaks_approve(ctx: typer.Context, break_id: str = typer.Argument(...),
                   operator: str = OPERATOR) -> None:
    """Approve a break's adjustment (not its maker); the last approval needed posts it."""
    with _refusals():
        done = _service(ctx).approve(_break_id(break_id), operator=operator)
    if done["state"] == "posted":
        marker = " (replayed: posted before)" if done["replayed"] else ""
        _ok(f"adjustment {done['adjustment_id']} posted as transaction {done['tx_id']}"
            f"{marker}")
    else:
        _ok(f"adjustment {done['adjustment_id']} approved once: above the write-off limit, "
            "a second approver (not its maker or checker) posts it")


@breaks_app.command("reject")
def breaks_reject(ctx: typer.Context, break_id: str = typer.Argument(...),
                  reason: str = typer.Option(..., help="Why."),
                  operator: str = OPERATOR) -> None:
    """Reject a break's proposed adjustment (not its maker): the break is open again."""
    with _refusals():
        _service(ctx).reject(_break_id(break_id), reason, operator=operator)
    _ok(f"adjustment of break {break_id} rejected")


@breaks_app.command("resolve")
def breaks_resolve(ctx: typer.Context, break_id: str = typer.Argument(...),
                   resolution: str = typer.Option(..., help="How it was resolved."),
                   operator: str = OPERATOR) -> None:
    """Clear a break without changing the books (the bank corrected it, it arrived …)."""
    with _refusals():
        _service(ctx).resolve(_break_id(break_id), resolution, operator=operator)
    _ok(f"break {break_id} resolved")


# -- reserve funds ---------------------------------------------------------------------------
PLATFORM = typer.Option(..., "--platform", "-p", help="The tenant whose reserve funds.")


@app.command("checks")
def checks(ctx: typer.Context, platform: str = PLATFORM,
           day: str = typer.Option(..., "--date", help="The day T checked, YYYY-MM-DD."),
           as_json: bool = JSON) -> None:
    """Run R-B2's seven checks and R-B3's identities for day T (due by T+2 working days);
    the findings are stored for the day. Exit 1 when there are error findings."""
    run = _service(ctx).run_checks(platform, _day(day))
    if as_json:
        console.print_json(json.dumps({
            "day": run.day, "due_by": run.due_by,
            "findings": [asdict(f) for f in run.findings],
            "identities": [{"code": i.code, "account_no": i.account_no, "holds": i.holds,
                            "difference_fen": i.difference_fen} for i in run.identities]},
            ensure_ascii=False, default=str))
    else:
        _show_checks(run)
    if any(f.severity == "error" for f in run.findings):
        raise typer.Exit(EXIT_REJECTED)


def _show_checks(run: Any) -> None:
    identities = Table("identity", "account", "left", "right", "difference", "holds")
    for i in run.identities:
        identities.add_row(i.title, i.account_no, money(i.left_fen), money(i.right_fen),
                           money(i.difference_fen), "yes" if i.holds else "NO")
    console.print(identities)
    found = Table("rule", "check", "severity", "account", "amount", "message")
    for f in run.findings:
        found.add_row(f.rule, f.check, str(f.severity), f.account_no, money(f.amount_fen),
                      f.message)
    console.print(found)
    console.print(f"day {run.day}: {len(run.findings)} findings; due by {run.due_by}",
                  highlight=False)


@app.command("reports")
def reports(ctx: typer.Context, platform: str = PLATFORM,
            day: str = typer.Option("", "--date", help="A day's reports, YYYY-MM-DD."),
            month: str = typer.Option("", "--month", help="A month's reports, YYYY-MM."),
            out: Path = typer.Option(..., "--out", file_okay=False, help="Folder written to."),
            pdf: bool = typer.Option(False, "--pdf", help="A PDF besides the XLSX.")) -> None:
    """The reserve-fund report set (R-B5) of a day or a month, as XLSX (and PDF)."""
    if bool(day) == bool(month):
        raise fields.FieldInvalid("--date", "give --date or --month, one of them")
    if day:
        first = last = _day(day)
    else:
        if len(month) != 7:
            raise fields.FieldInvalid("--month", "must be YYYY-MM")
        first = fields.iso_day(f"{month}-01", "--month")
        last = (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    try:
        written = _service(ctx).write_reports(platform, first, last, out,
                                              monthly=bool(month), pdf=pdf)
    except OSError as exc:
        raise fields.FieldInvalid("--out", f"cannot be written: {exc.strerror}") from exc
    for path in written.paths:
        _ok(f"wrote {path} ({written.days} days)")


# -- the demo --------------------------------------------------------------------------------
#: The reconciliation demo's own database: made-up days have no place in a real one.
DEMO_URL = "sqlite:///cunguan-reconcile-demo.db"


def demo_command(out: Path = typer.Option(Path("cunguan-reconcile-demo"), "--out",
                                          file_okay=False,
                                          help="Folder the statements and reports go to.")
                 ) -> None:
    """A custody platform's day T and T+1 reconciled on its own SQLite file
    (cunguan-reconcile-demo.db): a payout returned by the bank and reversed by the import, a
    channel fee 0.01 yuan off adjusted by a maker and a checker, items in transit arriving the
    next day, one past T+N raised; the checks, and the reports written to --out."""
    from cunguan.db.check import reachable_engine
    from cunguan.db.connection import upgrade
    from cunguan.reconcile import demo

    Path(DEMO_URL.removeprefix("sqlite:///")).unlink(missing_ok=True)
    engine = reachable_engine(DEMO_URL)
    upgrade(engine)
    console.rule(f"Cunguan reconciliation demo: {demo.TENANT}, days {demo.T} and {demo.T1}, "
                 f"{DEMO_URL}")
    days = demo.run(engine, out)
    steps = Table("what", "answer", title="What happened")
    for what, outcome in days.steps:
        steps.add_row(what, outcome)
    console.print(steps)
    imports = Table("file", "lines", "custody's actions (R-C15)", "breaks", "again",
                    title="Statement imports")
    for row in days.imports:
        acted = "\n".join(f"{kind} {ref}" for _, kind, ref in row["outcomes"]) or "—"
        imports.add_row(row["file"], str(row["lines"]), acted, str(row["breaks"]),
                        "replayed" if row["replayed_again"] else "IMPORTED TWICE")
    console.print(imports)
    runs = Table("day", "bank lines", "book items", "matched", "breaks", "in transit",
                 title=f"Matching {demo.CUSTODY_ACCOUNT} (T+N: payouts 0, receipts 1 day)")
    for row in days.matches:
        runs.add_row(str(row["day"]), str(row["bank_lines"]), str(row["book_items"]),
                     str(row["matched"]), str(row["breaks"]), str(row["in_transit"]))
    console.print(runs)
    found = Table("id", "account", "day", "class", "amount", "diff.", "state", title="Breaks")
    for b in days.breaks:
        kind = "custody" if b["account_no"] == demo.CUSTODY_ACCOUNT else "channel"
        found.add_row(str(b["break_id"]), kind, str(b["as_of"]), b["break_class"],
                      money(b["amount_fen"]), money(b["difference_fen"]), b["state"])
    console.print(found)
    for run in days.checks:
        console.print(f"day {run['day']} (due by {run['due_by']}): "
                      f"{sum(1 for i in run['identities'] if i[4])} of "
                      f"{len(run['identities'])} R-B3 identities hold, "
                      f"{len(run['findings'])} R-B2 findings", highlight=False)
    for path in [*days.files, *days.reports]:
        _ok(f"wrote {path}")
