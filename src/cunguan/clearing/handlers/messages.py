"""ISO 20022 messages in and out of a clearing system (R-S10): a pacs.008/pacs.003 file taken
as packages, the answer to an intake and a bank's receipts as pacs.002, and a participant's
settlement-account statement as camt.053 from the ledger's fund log.

Functions over a ``ClearingService`` (not a mixin of it): they read what the service and the
ledger answer and hand plain records to the pure writers in ``clearing.iso20022``.
"""

import multiprocessing
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import fields, replace
from datetime import date, datetime, timedelta
from pathlib import Path, PurePath
from typing import Any

from cunguan.clearing.handlers.base import settlement_account
from cunguan.clearing.handlers.packages import Intake, digest
from cunguan.clearing.handlers.service import ClearingService
from cunguan.clearing.iso20022 import codes, writer
from cunguan.clearing.iso20022.reader import Source, read_package
from cunguan.clearing.iso20022.records import (
    AccountStatement,
    GroupStatus,
    Header,
    Original,
    StatementEntry,
    StatusLine,
)
from cunguan.clearing.iso20022.schemas import VERSIONS
from cunguan.clearing.rules.exceptions import ItemState
from cunguan.clearing.rules.packages import Item, Package
from cunguan.clearing.rules.parameters import BusinessType
from cunguan.clearing.rules.participants import Role, bank_code
from cunguan.clearing.rules.refusals import ClearingError, Refusal
from cunguan.clearing.store import systems
from cunguan.core import limits
from cunguan.core.errors import CunguanError
from cunguan.core.fields import FieldInvalid, whole_number
from cunguan.core.fields import day as checked_day
from cunguan.core.process import old_objects_frozen
from cunguan.ledger.model import LineKind

_REFUSALS = frozenset(r.value for r in Refusal)
#: An item's state as the status a pacs.002 reports.
_STATUS = {
    ItemState.ACCEPTED: codes.TxStatus.PENDING,
    ItemState.AWAITING_RECEIPT: codes.TxStatus.PENDING,
    ItemState.QUEUED: codes.TxStatus.PENDING,
    ItemState.STOP_REQUESTED: codes.TxStatus.PENDING,
    ItemState.NETTED: codes.TxStatus.ACCEPTED_SETTLEMENT,
    ItemState.SUBMITTED: codes.TxStatus.ACCEPTED_SETTLEMENT,
    ItemState.SETTLED: codes.TxStatus.SETTLED,
    ItemState.CREDITED: codes.TxStatus.SETTLED,
}


def status_of(state: str) -> codes.TxStatus:
    """The pacs.002 status of an item in ``state`` (any end but settlement: rejected)."""
    return _STATUS.get(ItemState(state), codes.TxStatus.REJECTED)


def message_name(kind: str) -> str:
    return VERSIONS["pacs.003" if BusinessType(kind).is_debit else "pacs.008"]


def submit_message(service: ClearingService, source: Source, *,
                   by_bank: object | None = None) -> list[tuple[Package, Intake]]:
    """Each package of a pacs.008/pacs.003 file taken (one message: one package), in order."""
    return [(package, service.submit_package(package, by_bank=by_bank))
            for package in read_package(source)]


#: A package as a reading worker sends it back: the package without its items, its items as
#: one tuple a field (cheaper to pickle and rebuild than 10,000 objects), its digest.
_Shipped = tuple[Package, tuple[tuple[Any, ...], ...], str]
#: A file's outcome in a bulk intake: each package with its intake or its refusal, or the
#: refusal of the file itself (not readable, not valid against its XSD …).
FileTaken = list[tuple[Package, Intake | CunguanError]] | CunguanError
_ITEM_FIELDS = tuple(f.name for f in fields(Item))


def _read_file(path: Path) -> list[_Shipped] | None:
    """In a worker: the file's packages, shipped; None when the file is refused (the caller
    reads it again itself to raise the very refusal: refusals are rare and then exact)."""
    try:
        with path.open("rb") as source:
            packages = read_package(source)
    except (CunguanError, OSError):
        return None
    return [(replace(p, items=()), tuple(tuple(getattr(i, n) for i in p.items)
                                         for n in _ITEM_FIELDS), digest(p)) for p in packages]


def _unship(shipped: _Shipped) -> tuple[Package, str]:
    shell, columns, content_digest = shipped
    return replace(shell, items=tuple(map(Item, *columns))), content_digest


def _take(service: ClearingService, package: Package, content_digest: str | None,
          by_bank: object | None) -> tuple[Package, Intake | CunguanError]:
    try:
        return package, service.submit_package(package, by_bank=by_bank,
                                               content_digest=content_digest)
    except CunguanError as refusal:
        return package, refusal


def _taken_in_process(service: ClearingService, path: Path, by_bank: object | None
                      ) -> FileTaken:
    try:
        with path.open("rb") as source:
            packages = read_package(source)
    except CunguanError as refusal:
        return refusal
    except OSError as exc:
        return FieldInvalid("paths", f"{path.name}: cannot be read: {exc.strerror}")
    return [_take(service, p, None, by_bank) for p in packages]


def submit_files(service: ClearingService, paths: Sequence[Path], *,
                 by_bank: object | None = None,
                 workers: object = limits.clearing_intake_workers
                 ) -> Iterator[tuple[Path, FileTaken]]:
    """Many pacs.008/pacs.003 files taken, in the order given (netting in that order, as
    one ``submit_message`` after another): ``workers`` processes read and XSD-check the
    files ahead (``limits.clearing_intake_read_ahead_files``) while this one checks, nets and
    writes each package as ``submit_package`` does. Each file's outcome as it is taken: its
    packages' intakes or refusals, or the file's own refusal; one refused changes nothing of
    the others. ``workers`` 0 reads in this process. Having taken at least
    ``limits.clearing_statistics_items_min`` items it refreshes the planner's statistics.
    The paths and the worker count are checked at the call (``field_invalid``), before any
    file is taken; a file that cannot be opened is that file's refusal."""
    return _submitting(service, _checked_paths(paths), by_bank, whole_number(
        workers, "workers", minimum=0, maximum=limits.clearing_intake_workers_max))


def _checked_paths(paths: object) -> list[Path]:
    """``paths`` as a list of paths: a list or tuple of paths or texts, none with a NUL."""
    if not isinstance(paths, list | tuple):
        raise FieldInvalid("paths", f"must be a list of file paths, got {type(paths).__name__}")
    for path in paths:
        if not isinstance(path, str | PurePath) or "\x00" in str(path):
            raise FieldInvalid("paths", "each must be a file path without NUL")
    return [Path(path) for path in paths]


def _submitting(service: ClearingService, paths: Sequence[Path], by_bank: object | None,
                workers: int) -> Iterator[tuple[Path, FileTaken]]:
    taken_items = 0
    # The objects alive now are left out of the collector's full passes while the files are
    # taken (and out of the workers' copy-on-write pages): each package's objects live long
    # enough to be promoted, and every full pass rescanned the whole process (~14 % of a
    # 100,000-item intake's time).
    with old_objects_frozen():
        for path, taken in _submitted(service, paths, by_bank, workers):
            if isinstance(taken, list):
                taken_items += sum(len(p.items) for p, intake in taken
                                   if isinstance(intake, Intake))
            yield path, taken
    if taken_items >= limits.clearing_statistics_items_min:
        service.refresh_statistics()


def _submitted(service: ClearingService, paths: Sequence[Path], by_bank: object | None,
               workers: int) -> Iterator[tuple[Path, FileTaken]]:
    if workers <= 0 or len(paths) < 2:
        for path in paths:
            yield path, _taken_in_process(service, path, by_bank)
        return
    context = multiprocessing.get_context(
        "fork" if "fork" in multiprocessing.get_all_start_methods() else None)
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        ahead: deque[Future[list[_Shipped] | None]] = deque()
        files = iter(paths)
        for path in paths:
            while len(ahead) < max(1, limits.clearing_intake_read_ahead_files):
                upcoming = next(files, None)
                if upcoming is None:
                    break
                ahead.append(pool.submit(_read_file, upcoming))
            shipped = ahead.popleft().result()
            if shipped is None:
                yield path, _taken_in_process(service, path, by_bank)
                continue
            yield path, [_take(service, *_unship(s), by_bank) for s in shipped]


def intake_answer(service: ClearingService, package: Package, intake: Intake | None,
                  refusal: CunguanError | None) -> bytes:
    """The pacs.002 answering a package: ACTC with each item's status, or RJCT whole with the
    refusal's reason."""
    name = writer.package_message_name(package)
    header = Header(f"A{package.message_id}"[:35], service.clock(), "", package.sender_bank)
    if intake is None:
        code = refusal.code if refusal is not None else ""
        return writer.write_status_report(header, group=GroupStatus(
            package.message_id, name, codes.TxStatus.REJECTED, len(package.items),
            Refusal(code) if code in _REFUSALS else Refusal.FIELD_INVALID,
            refusal.message if refusal is not None else ""))
    by_no = {item.item_no: item for item in package.items}
    status = {state: status_of(state) for state in {state for _, state in intake.states}}
    lines = [StatusLine(Original(package.message_id, name,
                                 by_no[int(item_id.rsplit(":", 1)[1])].end_to_end_id),
                        status[state]) for item_id, state in intake.states]
    return writer.write_status_report(header, group=GroupStatus(
        package.message_id, name, codes.TxStatus.ACCEPTED_TECHNICAL, len(package.items)),
        lines=lines)


def _events(service: ClearingService, bank: str, kind: str) -> Iterator[dict[str, Any]]:
    after = 0
    while True:
        page = service.events(bank, after=after, limit=limits.events_per_page_max)
        yield from (event for event in page if event["kind"] == kind)
        if len(page) < limits.events_per_page_max:
            return
        after = page[-1]["event_id"]


#: What a receipt event tells of its item, enough for its pacs.002 line.
_RECEIPT_FIELDS = frozenset({"business_type", "end_to_end_id", "amount_fen"})


def _receipt_line(item: dict[str, Any], event: dict[str, Any]) -> StatusLine:
    details = event["details"]
    message_id = details["item_id"].split(":", 1)[1].rsplit(":", 1)[0]
    original = Original(message_id, message_name(item["business_type"]),
                        item["end_to_end_id"], item["amount_fen"])
    if not details["paid"]:
        return StatusLine(original, codes.TxStatus.REJECTED,
                          proprietary_reason=codes.RECEIPT_REFUSED)
    if details["state"] == ItemState.REFUSED.value:
        # Paid, but its payer bank's cap no longer took the real-time item (R-S3, R-S4).
        return StatusLine(original, codes.TxStatus.REJECTED, refusal=Refusal.CAP_EXCEEDED)
    return StatusLine(original, status_of(details["state"]))


def receipts_report(service: ClearingService, bank: object) -> bytes:
    """A pacs.002 of the receipts the bank got for the items it sent, oldest first."""
    code = bank_code(bank, "bank")
    events = list(_events(service, code, "receipt"))
    lines: list[StatusLine] = []
    for at in range(0, len(events), limits.events_per_page_max):
        page = events[at:at + limits.events_per_page_max]
        # a receipt names what its line shows; older ones only the item: read a page at once
        older = [e["details"]["item_id"] for e in page
                 if not e["details"].keys() >= _RECEIPT_FIELDS]
        found = service.items_of(older) if older else {}
        lines += [_receipt_line(found.get(e["details"]["item_id"], e["details"]), e)
                  for e in page]
    now = service.clock()
    header = Header(f"RCPT{code}{now:%Y%m%d%H%M%S}", now, "", code)
    return writer.write_status_report(header, lines=lines)


def _fund_lines(service: ClearingService, account: str, day: date) -> Iterator[Any]:
    after = 0
    while True:
        page = service.ledger.fund_log(service.system_id, account, date_from=day,
                                       date_to=day, after_seq=after,
                                       rows_max=limits.page_rows_max)
        yield from page
        if len(page) < limits.page_rows_max:
            return
        after = page[-1].entry_seq


def _entries(service: ClearingService, account: str, day: date, opening: int
             ) -> list[StatementEntry]:
    """The day's postings, each signed by how it moved the balance (whatever the account's
    normal side); hold lines move no balance and are not statement entries."""
    entries, running = [], opening
    for line in _fund_lines(service, account, day):
        moved = line.balance_after_fen - running
        running = line.balance_after_fen
        if line.line_kind is not LineKind.POSTING or moved == 0:
            continue
        counterparty = line.counterparty_account_no or ""
        entries.append(StatementEntry(
            abs(moved), moved > 0, line.accounting_date, f"{line.tx_id}-{line.entry_seq}"[:35],
            line.business_type[:35] or "posting",
            f"{line.request_no} {counterparty}".strip()))
    return entries


def settlement_statement(service: ClearingService, bank: object, day: date) -> bytes:
    """A camt.053 of a direct participant's settlement account for one accounting day."""
    code = bank_code(bank, "bank")
    on = checked_day(day, "date")
    register = service.unit(lambda conn: systems.register(conn, service.system_id))
    member = register.get(code)
    if member is None or member.role is not Role.DIRECT:
        raise ClearingError(Refusal.BANK_UNKNOWN,
                            f"{code} is not a direct participant: it has no settlement account")
    account = settlement_account(code)
    opening = service.ledger.balance_at(service.system_id, account, on - timedelta(days=1))
    closing = service.ledger.balance_at(service.system_id, account, on)
    now: datetime = service.clock()
    statement = AccountStatement(f"STMT{code}{on:%Y%m%d}", account, member.name, on, on,
                                 opening, closing, _entries(service, account, on, opening))
    return writer.write_statement(Header(f"STMT{code}{on:%Y%m%d}{now:%H%M%S}", now, "", code),
                                  statement)
