"""``cunguan clearing …``: a BEPS clearing system operated from the command line — its
participants and caps, packages in, answers, queues, positions, sessions, settlement, cutover
and the four exceptions. Amounts are typed in yuan ("1,234.56") and shown in fen."""

import json
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import time
from pathlib import Path
from typing import Any, TypeVar

import typer
from rich.table import Table

from cunguan.clearing.handlers import messages
from cunguan.clearing.handlers.service import ClearingService
from cunguan.clearing.iso20022 import read_package
from cunguan.clearing.rules.parameters import ClearingParameters
from cunguan.clearing.rules.refusals import ClearingError
from cunguan.core import limits
from cunguan.core.errors import CunguanError
from cunguan.core.fields import FieldInvalid, iso_day
from cunguan.platform.body import json_of
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


def _write(out: Path, data: bytes) -> None:
    """The file an option names, or ``field_invalid`` when it cannot be written there."""
    with _refusals():
        try:
            out.write_bytes(data)
        except OSError as exc:
            raise FieldInvalid("--out", f"cannot be written: {exc.strerror}") from exc


def _print(data: Any) -> None:
    console.print_json(json.dumps(data, ensure_ascii=False, default=str))


def _times(text: str) -> tuple[time, ...]:
    """Session times as typed: ``HH:MM`` in ASCII digits, separated by commas (not '１０:００',
    not a time with seconds or a UTC offset)."""
    parts = [part.strip() for part in text.split(",") if part.strip()]
    if not all(re.fullmatch(r"[0-9]{2}:[0-9]{2}", part, re.ASCII) for part in parts):
        raise FieldInvalid("--sessions", "must be HH:MM times separated by commas")
    try:
        return tuple(time.fromisoformat(part) for part in parts)
    except ValueError as exc:
        raise FieldInvalid("--sessions", "must be HH:MM times separated by commas") from exc


def _count(text: str, field: str) -> int:
    """A whole number as typed: ASCII digits only ('5_000', '+5', ' 5 ' and '５' are refused,
    as the HTTP API refuses them); the domain checks its range."""
    if re.fullmatch(r"[0-9]{1,18}", text, re.ASCII) is None:
        raise FieldInvalid(field, "must be a whole number in ASCII digits 0-9")
    return int(text)


def _json_file(path: Path, field: str) -> Any:
    """A JSON file read as strictly as an HTTP body (UTF-8, no NaN, no key named twice, not
    nested too deeply): what the API refuses, the CLI refuses too."""
    try:
        return json_of("application/json", path.read_bytes())
    except CunguanError as exc:
        raise FieldInvalid(field, exc.message) from exc


@app.command()
def init(ctx: typer.Context, date: str = typer.Option(..., help="First working day, "
                                                               "YYYY-MM-DD."),
         sessions: str = typer.Option("10:00,11:00,13:00,14:00,15:00,16:00",
                                      help="The day's netting sessions (R-S5).")) -> None:
    """Create the clearing system: its ledger accounts and its first working day."""
    def go() -> None:
        # The parameters refuse times out of order, repeated or too many (field_invalid).
        params = ClearingParameters(session_times=_times(sessions))
        _service(ctx).create_system(iso_day(date, "--date"), params)
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
        haircut_bps: str = typer.Option(None, help="Haircut (质押率) in basis points."),
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
        haircut_bps=current["haircut_bps"] if haircut_bps is None
        else _count(haircut_bps, "--haircut-bps"),
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
        return _service(ctx).submit_package(_json_file(file, "file"))
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
        figures = None if reports is None else _json_file(reports, "--reports")
        return _service(ctx).day_end(date, reports=figures)
    result = _run(go)
    _print(result)
    if not result["passed"]:
        raise typer.Exit(1)


#: The clearing demo's own database: a day of made-up clearing has no place in a real one.
DEMO_URL = "sqlite:///cunguan-clearing-demo.db"


def demo_command(ctx: typer.Context) -> None:
    """A BEPS day on its own SQLite file (cunguan-clearing-demo.db): 20 banks, every business
    type, six sessions, a cap breach queued and released, a real-time refusal, each exception
    once, settlement, cutover, a top-down reconciliation, and a holiday's one netting."""
    from cunguan.clearing import demo
    from cunguan.db.check import reachable_engine
    from cunguan.db.connection import upgrade

    Path(DEMO_URL.removeprefix("sqlite:///")).unlink(missing_ok=True)
    engine = reachable_engine(DEMO_URL)
    upgrade(engine)
    console.rule(f"Cunguan clearing demo: BEPS on {demo.DAY} and the holiday after, {DEMO_URL}")
    day = demo.run(engine)
    steps = Table("what", "answer", title="The day's events")
    for what, outcome in day.steps:
        steps.add_row(what, outcome)
    console.print(steps)
    sessions = Table("day", "session", "items", "net debits = net credits (fen)", "settles on",
                     title="Sessions (each passed its trial balance)")
    for row in day.sessions + day.holiday["submitted"]:
        number = "cutover" if row["session_no"] >= limits.clearing_sessions_per_day_max \
            else str(row["session_no"] + 1)
        sessions.add_row(row["work_date"], number, str(row["items"]),
                         str(row["net_debits_fen"]), row["settles_on"])
    console.print(sessions)
    end = day.day_end
    fees = sum(f["fee_fen"] for f in end["fees"] if f["billed"])
    console.print(f"Day end {end['work_date']}: SAPS ↔ NPC findings {len(end['saps_npc'])}, "
                  f"NPC ↔ participants findings {len(end['npc_participants'])}, fees billed "
                  f"{fees} fen — {'passed' if end['passed'] else 'FAILED'}")
    held = day.holiday["settled_next_working_day"]
    console.print(f"Holiday {demo.HOLIDAY}: {day.holiday['timed_sessions_closed']} timed "
                  f"sessions, one netting at cutover settled on "
                  f"{day.holiday['submitted'][0]['settles_on']} ({len(held)} session settled)")
    open_positions = [p for p in day.positions_after if p["position_fen"]]
    console.print(f"Unsettled positions left: {len(open_positions)}")

# -- ISO 20022 messages (R-S10) ---------------------------------------------------------------

@app.command(name="submit-xml")
def submit_xml(ctx: typer.Context,
               file: Path = typer.Argument(..., exists=True, dir_okay=False,
                                           help="A pacs.008 or pacs.003 message."),
               bank: str = typer.Option(None, "--bank", "-b",
                                        help="The sending participant, when one sends it."),
               answer: Path = typer.Option(None, "--answer",
                                           help="Write the pacs.002 answer to this file.")
               ) -> None:
    """Take the package a pacs.008/pacs.003 file carries (streamed, checked against its XSD)."""
    service = _service(ctx)
    with file.open("rb") as stream:
        packages = _run(lambda: read_package(stream))
    taken = []
    for package in packages:
        with _refusals():
            try:
                intake = service.submit_package(package, by_bank=bank)
            except (ClearingError, FieldInvalid) as exc:
                if answer is not None:
                    answer.write_bytes(messages.intake_answer(service, package, None, exc))
                raise
        if answer is not None:
            answer.write_bytes(messages.intake_answer(service, package, intake, None))
        taken.append({"message_id": package.message_id, "package_no": intake.package_no,
                      "replayed": intake.replayed, "items": dict(intake.states)})
    _print(taken)


@app.command(name="submit-files")
def submit_files(ctx: typer.Context,
                 files: list[Path] = typer.Argument(..., exists=True, dir_okay=False,
                                                    help="pacs.008/pacs.003 messages, taken "
                                                         "in this order."),
                 bank: str = typer.Option(None, "--bank", "-b",
                                          help="The sending participant, when one sends them."),
                 answers: Path = typer.Option(None, "--answers", file_okay=False,
                                              help="A folder for each package's pacs.002 "
                                                   "answer (A<message id>.xml)."),
                 workers: str = typer.Option(str(limits.clearing_intake_workers), "--workers",
                                             help="Processes reading the files ahead "
                                                  "(0: read here).")) -> None:
    """Take many package files at once (a day's batch): read and XSD-checked by worker
    processes, checked and netted here in the order given. A refused file or package is
    reported and changes nothing; the others are taken. Exit 1 if any was refused."""
    service = _service(ctx)
    taking = _run(lambda: messages.submit_files(service, files, by_bank=bank,
                                                workers=_count(workers, "--workers")))
    if answers is not None:
        with _refusals():
            try:
                answers.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise FieldInvalid("--answers", f"cannot be made: {exc.strerror}") from exc
    report: list[dict[str, Any]] = []
    for path, taken in taking:
        if isinstance(taken, CunguanError):
            report.append({"file": str(path), "refused": taken.code, "message": taken.message})
            continue
        for package, intake in taken:
            line: dict[str, Any] = {"file": str(path), "message_id": package.message_id}
            taken_as, refused = (None, intake) if isinstance(intake, CunguanError) else (
                intake, None)
            if taken_as is not None:
                line.update(package_no=taken_as.package_no, replayed=taken_as.replayed,
                            items=len(taken_as.states))
            elif refused is not None:
                line.update(refused=refused.code, message=refused.message)
            if answers is not None:
                _write(answers / f"A{package.message_id}.xml", messages.intake_answer(
                    service, package, taken_as, refused))
            report.append(line)
    _print(report)
    if any("refused" in line for line in report):
        raise typer.Exit(1)


@app.command()
def statement(ctx: typer.Context, bank: str = BANK,
              day: str = typer.Option(..., "--date", help="The accounting day, YYYY-MM-DD."),
              out: Path = typer.Option(..., "--out", dir_okay=False,
                                       help="The camt.053 file to write.")) -> None:
    """A direct participant's settlement-account statement for a day, as camt.053."""
    data = _run(lambda: messages.settlement_statement(_service(ctx), bank,
                                                      iso_day(day, "--date")))
    _write(out, data)
    console.print(f"[green]ok[/green] camt.053 written to {out}")


@app.command()
def receipts(ctx: typer.Context, bank: str = BANK,
             out: Path = typer.Option(..., "--out", dir_okay=False,
                                      help="The pacs.002 file to write.")) -> None:
    """The receipts a bank got for the items it sent, as one pacs.002."""
    data = _run(lambda: messages.receipts_report(_service(ctx), bank))
    _write(out, data)
    console.print(f"[green]ok[/green] pacs.002 written to {out}")
