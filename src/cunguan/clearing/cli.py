"""``cunguan clearing …``: a BEPS clearing system operated from the command line — its
participants and caps, packages in, answers, queues, positions, sessions, settlement, cutover
and the four exceptions. Amounts are typed in yuan ("1,234.56") and shown in fen."""

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import time
from pathlib import Path
from typing import Any, TypeVar

import typer
from rich.table import Table

from cunguan.clearing.handlers.service import ClearingService
from cunguan.clearing.rules.parameters import ClearingParameters
from cunguan.clearing.rules.refusals import ClearingError
from cunguan.core import limits
from cunguan.core.fields import FieldInvalid, iso_day
from cunguan.platform.cli.common import console, engine, fail, refusal_exit, yuan

app = typer.Typer(help="Small-value batch payment clearing (小额批量支付系统, BEPS).",
                  no_args_is_help=True)
BANK = typer.Option(..., "--bank", "-b", help="The 12-digit CNAPS code of the bank acting.")
REQUEST = typer.Option(..., "--request-no", help="The operator's serial no. (idempotency key).")
T = TypeVar("T")


def _service(ctx: typer.Context) -> ClearingService:
    return ClearingService(engine(ctx))


@contextmanager
def _refusals() -> Iterator[None]:
    """A refusal is one line and exit 1 (a business rule) or 2 (bad input)."""
    try:
        yield
    except (ClearingError, FieldInvalid) as exc:
        fail("refused", exc.code, exc.message, refusal_exit(exc.code))


def _run(call: Callable[[], T]) -> T:
    with _refusals():
        return call()


def _print(data: Any) -> None:
    console.print_json(json.dumps(data, ensure_ascii=False, default=str))


def _times(text: str) -> tuple[time, ...]:
    try:
        return tuple(time.fromisoformat(part.strip()) for part in text.split(",") if part)
    except ValueError as exc:
        raise FieldInvalid("--sessions", "must be HH:MM times separated by commas") from exc


@app.command()
def init(ctx: typer.Context, date: str = typer.Option(..., help="First working day, "
                                                               "YYYY-MM-DD."),
         sessions: str = typer.Option("10:00,11:00,13:00,14:00,15:00,16:00",
                                      help="The day's netting sessions (R-S5).")) -> None:
    """Create the clearing system: its ledger accounts and its first working day."""
    def go() -> None:
        times = _times(sessions)
        if list(times) != sorted(set(times)) or len(times) > limits.clearing_sessions_per_day_max:
            raise FieldInvalid("--sessions", "ascending, without repeats, at most "
                               f"{limits.clearing_sessions_per_day_max}")
        _service(ctx).create_system(iso_day(date, "--date"),
                                    ClearingParameters(session_times=times))
    _run(go)
    console.print(f"[green]ok[/green] clearing system ready, working day {date}")


@app.command()
def participant(ctx: typer.Context, code: str = typer.Argument(..., help="CNAPS bank code."),
                name: str = typer.Option(..., help="The bank's name."),
                role: str = typer.Option("direct", help="direct or indirect."),
                through: str = typer.Option(None, help="An indirect participant's direct "
                                                       "participant.")) -> None:
    """Register a participant; a direct one gets its settlement account."""
    member = _run(lambda: _service(ctx).add_participant(code, name, role, through))
    console.print(f"[green]ok[/green] {member.bank_code} {member.role.value} "
                  f"(clears through {member.clearing_bank_code})")


@app.command()
def cap(ctx: typer.Context, code: str = typer.Argument(...),
        collateral: str = typer.Option(None, help="Pledged bonds' face value, yuan."),
        haircut_bps: int = typer.Option(None, help="Haircut (质押率) in basis points."),
        credit_line: str = typer.Option(None, help="Credit line, yuan.")) -> None:
    """Show a participant's net debit cap (R-S3); with options, set its parts at once."""
    service = _service(ctx)
    if collateral is None and haircut_bps is None and credit_line is None:
        _print(_run(lambda: service.available_cap(code)))
        return
    current = _run(lambda: service.available_cap(code))
    _print(_run(lambda: service.set_cap(
        code, collateral_fen=current["collateral_fen"] if collateral is None
        else yuan(collateral, "--collateral"),
        haircut_bps=current["haircut_bps"] if haircut_bps is None else haircut_bps,
        credit_line_fen=current["credit_line_fen"] if credit_line is None
        else yuan(credit_line, "--credit-line"))))


@app.command()
def fund(ctx: typer.Context, code: str = typer.Argument(...), request_no: str = REQUEST,
         amount: str = typer.Option(..., help="Yuan.")) -> None:
    """Money into a participant's settlement account from outside the system."""
    result = _run(lambda: _service(ctx).fund(request_no, code, yuan(amount)))
    console.print(f"[green]ok[/green] tx {result.tx_id}"
                  + (" (replayed)" if result.replayed else ""))


@app.command()
def earmark(ctx: typer.Context, code: str = typer.Argument(...), request_no: str = REQUEST,
            amount: str = typer.Option(..., help="Yuan.")) -> None:
    """Earmark (圈存) settlement-account funds for the cap; the queues release at once."""
    _print(_run(lambda: _service(ctx).earmark(request_no, code, yuan(amount))))


@app.command()
def unearmark(ctx: typer.Context, request_no: str = REQUEST) -> None:
    """End an earmark: its funds are released and the cap shrinks."""
    _print(_run(lambda: _service(ctx).release_earmark(request_no)))


@app.command()
def submit(ctx: typer.Context, file: Path = typer.Argument(..., exists=True, dir_okay=False,
                                                           help="A package as JSON.")) -> None:
    """Take a package from a participant; it is checked whole and refused whole."""
    def go() -> Any:
        try:
            raw = json.loads(file.read_bytes().decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise FieldInvalid("file", f"not UTF-8 JSON: {exc}") from exc
        return _service(ctx).submit_package(raw)
    intake = _run(go)
    _print({"package_no": intake.package_no, "replayed": intake.replayed,
            "items": dict(intake.states)})


@app.command()
def answer(ctx: typer.Context, items: list[str] = typer.Argument(...), bank: str = BANK,
           paid: bool = typer.Option(..., "--paid/--refused")) -> None:
    """The other bank's answer to real-time items or debits (a debit's receipt)."""
    _print(_run(lambda: _service(ctx).answer_items(items, bank, paid=paid)))


@app.command()
def credited(ctx: typer.Context, items: list[str] = typer.Argument(...),
             bank: str = BANK) -> None:
    """The payee's bank credited its customers: the items can no longer be returned."""
    _run(lambda: _service(ctx).credit_payees(items, bank))
    console.print(f"[green]ok[/green] {len(items)} item(s) credited")


@app.command()
def queue(ctx: typer.Context, bank: str = typer.Option(None, "--bank", "-b")) -> None:
    """The payer banks' queues, head first (R-S4)."""
    _print(_run(lambda: _service(ctx).queue(bank)))


@app.command()
def positions(ctx: typer.Context) -> None:
    """Every direct participant's unsettled position and available cap."""
    table = Table("bank", "position (fen)", "cap (fen)", "available (fen)")
    for row in _run(lambda: _service(ctx).positions()):
        table.add_row(row["bank_code"], str(row["position_fen"]), str(row["cap_fen"]),
                      str(row["available_cap_fen"]))
    console.print(table)


@app.command()
def sessions(ctx: typer.Context) -> None:
    """The sessions submitted, with their trial balance and settlement."""
    _print(_run(lambda: _service(ctx).sessions()))


@app.command(name="close-sessions")
def close_sessions(ctx: typer.Context) -> None:
    """Submit every session whose cut-off has passed (R-S5)."""
    _print(_run(lambda: _service(ctx).close_sessions()))


@app.command()
def settle(ctx: typer.Context) -> None:
    """One settlement pass over the submitted sessions due (R-S6)."""
    _print(_run(lambda: _service(ctx).settle()))


@app.command()
def cutover(ctx: typer.Context) -> None:
    """Close the working day: the last session is submitted, business flows on (R-S9)."""
    _print(_run(lambda: _service(ctx).cutover()))


@app.command()
def revoke(ctx: typer.Context, sender: str = typer.Option(...), message_id: str =
           typer.Option(...), bank: str = BANK) -> None:
    """Revoke (撤销) a whole package not yet netted."""
    _print(_run(lambda: _service(ctx).revoke(sender, message_id, bank)))


@app.command()
def reverse(ctx: typer.Context, item: str = typer.Argument(...), bank: str = BANK) -> None:
    """Reverse (冲正) a real-time item whose answer is overdue."""
    _print(_run(lambda: _service(ctx).reverse(item, bank)))


@app.command()
def stop(ctx: typer.Context, item: str = typer.Argument(...), bank: str = BANK) -> None:
    """Ask to stop (止付) a debit before its receipt."""
    _print(_run(lambda: _service(ctx).request_stop(item, bank)))


@app.command(name="stop-answer")
def stop_answer(ctx: typer.Context, item: str = typer.Argument(...), bank: str = BANK,
                accept: bool = typer.Option(..., "--accept/--refuse")) -> None:
    """The payer's bank answers a stop-payment request."""
    _print(_run(lambda: _service(ctx).answer_stop(item, bank, accepted=accept)))


@app.command(name="return")
def return_(ctx: typer.Context, item: str = typer.Argument(...), bank: str = BANK) -> None:
    """Return (退回) a netted credit not yet credited to the payee."""
    _print(_run(lambda: _service(ctx).return_item(item, bank)))


@app.command(name="day-end")
def day_end(ctx: typer.Context, date: str = typer.Option(..., help="The working day, "
                                                               "YYYY-MM-DD, cut over already."),
            reports: Path = typer.Option(None, exists=True, dir_okay=False,
                                         help="Participants' own figures as JSON: {bank: "
                                              "{sent_count, sent_fen, received_count, "
                                              "received_fen}}.")) -> None:
    """Reconcile the day top-down (SAPS ↔ NPC ↔ participants) and bill its fees (R-S9).
    Exits 1 when a node must adjust."""
    def go() -> dict[str, Any]:
        figures = None if reports is None else json.loads(reports.read_text(encoding="utf-8"))
        return _service(ctx).day_end(date, reports=figures)
    result = _run(go)
    _print(result)
    if not result["passed"]:
        raise typer.Exit(1)
