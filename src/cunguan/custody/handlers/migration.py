"""Import an existing platform (R-C20), as a bank does it: staged, funded, maker and checker.

1. ``stage`` (the platform): its files (users, projects, claims) are read whole, every row
   gets its outcome, and the migration is stored with its control totals: accepted users,
   their balance total in fen, projects, claims. Nothing is opened or credited.
2. ``fund`` (the bank): the platform's funding transfer arrived; it is booked into the
   migration clearing account (Dr summary / Cr clearing). Only money arriving raises the
   summary account.
3. ``approve`` twice (two operators): the first is the maker; the second, a different
   operator, is the checker. At the checker's approval, with the funding exactly the balance
   total, the users, cards, accounts, projects and claims are written and the balances moved
   from the clearing account to the users — one DB transaction, through the ledger.
4. ``reject`` (an operator) or ``cancel`` (the platform, before any money arrived) closes a
   migration that is not applied; money that arrived goes back to its payer.

Each step is a custody command (recorded, replayed by its request no., with its event in the
outbox). Staging's request no. is made of the migration id, so the same files sent again
replay, and other files under the same id are refused. Every step answers a ``CustodyResult``:
a malformed field (``custody_base.checked``, the migration's field types in
``custody/rules/migration.py``) and a file refused whole (its code, file, line and reason) are
answered without running or recording anything, so the corrected request may use the same
request no. and migration id.

Each row's outcome at staging is worked out in ``migration_staging.py``, the checker's
approval applied in ``migration_approval.py``; the rows are read and written by
``custody/store/migrations.py``.
"""

import csv
import hashlib
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from cunguan.custody.handlers.base import CustodyResult, Data, checked
from cunguan.custody.handlers.lending_service import LendingService
from cunguan.custody.handlers.migration_approval import Applier
from cunguan.custody.handlers.migration_staging import Decider, RowReport, reconciled
from cunguan.custody.handlers.service import QUICK_PAY_BANKS
from cunguan.custody.rules import accounts as chart
from cunguan.custody.rules import fields as custody_fields
from cunguan.custody.rules import migration as rules
from cunguan.custody.rules.migration import FileRefused, Status
from cunguan.custody.rules.refusals import CustodyError, Refusal
from cunguan.custody.store import migrations
from cunguan.db.connection import Connection, read_connection
from cunguan.ledger.model import Transfer
from cunguan.ledger.store.queries import get_account

#: ``RowReport`` (``migration_staging``) is named here too, where the CLI has always found it.
__all__ = ["MigrationService", "Progress", "RowReport", "outcome_counts", "write_report"]

#: (file, rows done, rows in the file): how far staging has read, for a progress bar.
Progress = Callable[[str, int, int], None]


#: The migration commands' field types over the custody ones (``custody_base.checked``).
_FIELDS: Mapping[str, custody_fields.Check] = rules.COMMAND_FIELDS
_TENANT = custody_fields.FIELD_TYPES["tenant_id"]


def _file_refused(request_no: str, exc: FileRefused) -> CustodyResult:
    """A file refused whole: answered, not recorded (the corrected files may be sent under
    the same migration id)."""
    return CustodyResult(request_no, False, exc.code, str(exc),
                         {"file": exc.file, "line": exc.line, "reason": exc.reason})


def _read_keys(tenant_id: object, migration_id: object) -> None:
    """A read's keys checked as the commands' are: one malformed is ``FieldInvalid`` naming
    it (raised, as a read raises ``migration_not_found``), never a driver's error."""
    _TENANT(tenant_id, "tenant_id")
    rules.migration_id(migration_id, "migration_id")


def _digest(files: Mapping[str, bytes]) -> str:
    digest = hashlib.sha256()
    for name in rules.FILES:
        data = files.get(name)
        if data is not None:
            digest.update(f"{name}:{len(data)}:".encode())
            digest.update(data)
    return digest.hexdigest()


class MigrationService:
    def __init__(self, custody: LendingService) -> None:
        self.custody = custody

    # -- 1. staging (the platform) ---------------------------------------------------------
    @checked(**_FIELDS)
    def stage(self, tenant_id: str, migration_id: str, files: Mapping[str, bytes], *,
              progress: Progress | None = None) -> CustodyResult:
        """Read the files whole (or refuse them whole, naming the line and the reason) and
        store the migration, its rows' outcomes and its control totals. Credits nothing."""
        request_no = f"stage:{migration_id}"
        try:
            parsed = {name: rules.read_rows(data, name) for name, data in files.items()}
        except FileRefused as exc:
            return _file_refused(request_no, exc)
        digest = _digest(files)

        def work(conn: Connection) -> Data:
            return self._stage(conn, tenant_id, migration_id, digest, parsed, progress)
        return self.custody.command(tenant_id, request_no, "migration_stage",
                                    {"migration": migration_id, "files": digest}, work)

    def _stage(self, conn: Connection, tenant_id: str, migration_id: str, digest: str,
               parsed: dict[str, list[tuple[int, dict[str, str]]]],
               progress: Progress | None) -> Data:
        report = self._decide(conn, tenant_id, parsed, progress)
        accepted = [r for r in report if r.accepted]
        users = [r for r in accepted if r.file == "users"]
        migrations.add_migration(conn, dict(
            tenant_id=tenant_id, migration_id=migration_id, status=Status.STAGED.value,
            files_digest=digest, users_count=len(users),
            balance_total_fen=sum(r.payload["balance_fen"] for r in users),
            projects_count=sum(r.file == "projects" for r in accepted),
            claims_count=sum(r.file == "claims" for r in accepted), funded_fen=0,
            staged_at=self.custody.clock()), [{
            "tenant_id": tenant_id, "migration_id": migration_id, "file": r.file,
            "line_no": r.row_no, "row_key": r.key[:64], "outcome": r.outcome, "code": r.code,
            "message": r.message[:256], "payload": json.dumps(r.payload, ensure_ascii=False)}
            for r in report])
        return self._view(conn, tenant_id, migration_id, operator=False)

    def _decide(self, conn: Connection, tenant_id: str,
                parsed: dict[str, list[tuple[int, dict[str, str]]]],
                progress: Progress | None) -> list[RowReport]:
        day = self.custody.accounting_date(conn, tenant_id)
        decisions = [rules.decide_user(row, on=day, bins=self.custody.bins,
                                       supported_banks=QUICK_PAY_BANKS)
                     for _, row in parsed["users"]]
        decide = Decider(conn, tenant_id, decisions, parsed)

        def each(name: str) -> Iterable[tuple[int, dict[str, str]]]:
            rows = parsed.get(name, [])
            for done, row in enumerate(rows, start=1):
                yield row
                if progress is not None and (done % 1000 == 0 or done == len(rows)):
                    progress(name, done, len(rows))
        report = [decide.user(n, d) for (n, _), d in zip(each("users"), decisions,
                                                          strict=True)]
        report += [decide.project(n, row) for n, row in each("projects")]
        report += [decide.claim(n, row) for n, row in each("claims")]
        return reconciled(report)

    @checked(**_FIELDS)
    def cancel(self, tenant_id: str, request_no: str, migration_id: str) -> CustodyResult:
        """The platform withdraws a migration not yet applied, before any money arrived
        (money that arrived goes back through the bank: an operator rejects)."""
        def work(conn: Connection) -> Data:
            row = self._open_row(conn, tenant_id, migration_id)
            if row.funded_fen:
                raise CustodyError(Refusal.MIGRATION_FUNDED, "money arrived for this migration: "
                                   "the bank rejects it and returns the money")
            self._close(conn, tenant_id, migration_id, Status.CANCELLED, "cancelled by the "
                        "platform")
            return {"migration_id": migration_id, "status": Status.CANCELLED.value}
        return self.custody.command(tenant_id, request_no, "migration_cancel",
                                    {"migration": migration_id}, work)

    # -- 2. funding (the bank saw the money arrive) ----------------------------------------
    @checked(**_FIELDS)
    def fund(self, tenant_id: str, request_no: str, migration_id: str, amount_fen: int,
             payer_account_no: str | None = None, reference: str | None = None
             ) -> CustodyResult:
        """The platform's funding transfer for a migration arrived at the bank: Dr summary /
        Cr migration clearing. Several transfers add up. The account it came from and the
        statement's reference, when given, are kept on the funding's request record and its
        event, so that a rejection's return of the money can be traced to its payer."""
        source = {key: value for key, value in (("payer_account_no", payer_account_no),
                                                ("reference", reference)) if value is not None}

        def work(conn: Connection) -> Data:
            row = self._open_row(conn, tenant_id, migration_id)
            if get_account(conn, tenant_id, rules.CLEARING) is None:
                self.custody.ledger.open_accounts_in(conn, tenant_id, [rules.CLEARING_SPEC])
            posted = self.custody.post(conn, tenant_id, [Transfer(
                request_no, chart.SUMMARY, rules.CLEARING, amount_fen, "migration_funding",
                memo=migration_id)])[0]
            funded_fen = row.funded_fen + amount_fen
            migrations.set_migration(conn, tenant_id, migration_id, funded_fen=funded_fen)
            return {"migration_id": migration_id, "tx_id": posted.tx_id,
                    "funded_fen": funded_fen, "balance_total_fen": row.balance_total_fen,
                    **source}
        return self.custody.command(tenant_id, request_no, "migration_funding",
                                    {"migration": migration_id, "amount": amount_fen, **source},
                                    work)

    # -- 3. maker and checker (two operators) ----------------------------------------------
    @checked(**_FIELDS)
    def approve(self, tenant_id: str, request_no: str, migration_id: str,
                operator: str) -> CustodyResult:
        """The first approval is the maker's; the second, by another operator, is the
        checker's and applies the migration — only on funding of exactly the balance total.
        Operators are compared as normalized (``rules.operator``)."""
        def work(conn: Connection) -> Data:
            row = self._open_row(conn, tenant_id, migration_id)
            now = self.custody.clock()
            if row.status == Status.STAGED:
                migrations.set_migration(conn, tenant_id, migration_id,
                                         status=Status.MAKER_APPROVED.value, maker=operator,
                                         maker_at=now)
                return {"migration_id": migration_id, "status": Status.MAKER_APPROVED.value}
            if row.maker == operator:
                raise CustodyError(Refusal.CHECKER_IS_MAKER, "the checker must be another operator "
                                   "than the maker")
            gap = rules.funding_refusal(row.balance_total_fen, row.funded_fen)
            if gap is not None:
                raise CustodyError(gap[0], gap[1], funded_fen=row.funded_fen,
                                   balance_total_fen=row.balance_total_fen)
            applied = Applier(self.custody, conn, tenant_id, migration_id).apply()
            migrations.set_migration(conn, tenant_id, migration_id,
                                     status=Status.APPLIED.value, checker=operator,
                                     checker_at=now, closed_at=now)
            return {"migration_id": migration_id, "status": Status.APPLIED.value, **applied}
        return self.custody.command(tenant_id, request_no, "migration_approve",
                                    {"migration": migration_id, "operator": operator}, work)

    @checked(**_FIELDS)
    def reject(self, tenant_id: str, request_no: str, migration_id: str, operator: str,
               reason: str) -> CustodyResult:
        """An operator refuses a migration not yet applied; money that arrived for it goes
        back to its payer (Dr clearing / Cr summary)."""
        def work(conn: Connection) -> Data:
            row = self._open_row(conn, tenant_id, migration_id)
            if row.funded_fen:
                self.custody.post(conn, tenant_id, [Transfer(
                    request_no, rules.CLEARING, chart.SUMMARY, row.funded_fen,
                    "migration_funding_return", memo=migration_id)])
            self._close(conn, tenant_id, migration_id, Status.REJECTED, reason)
            return {"migration_id": migration_id, "status": Status.REJECTED.value,
                    "returned_fen": row.funded_fen}
        return self.custody.command(tenant_id, request_no, "migration_reject",
                                    {"migration": migration_id, "operator": operator,
                                     "reason": reason}, work)

    # -- reading ---------------------------------------------------------------------------
    def view(self, tenant_id: str, migration_id: str, *, operator: bool = False) -> Data:
        """Status, control totals and funding; operators also see who approved."""
        _read_keys(tenant_id, migration_id)
        with read_connection(self.custody.engine) as conn:
            return self._view(conn, tenant_id, migration_id, operator=operator)

    def report(self, tenant_id: str, migration_id: str) -> list[RowReport]:
        """Every row's outcome, in file and line order."""
        _read_keys(tenant_id, migration_id)
        order = {name: i for i, name in enumerate(rules.FILES)}
        with read_connection(self.custody.engine) as conn:
            self._row(conn, tenant_id, migration_id, lock=False)
            found = [RowReport(*row) for row in migrations.row_reports(conn, tenant_id,
                                                                       migration_id)]
        return sorted(found, key=lambda r: (order[r.file], r.row_no))

    def _view(self, conn: Connection, tenant_id: str, migration_id: str, *,
              operator: bool) -> Data:
        row = self._row(conn, tenant_id, migration_id, lock=False)
        view = {"migration_id": migration_id, "status": row.status,
                "users_count": row.users_count, "balance_total_fen": row.balance_total_fen,
                "projects_count": row.projects_count, "claims_count": row.claims_count,
                "funded_fen": row.funded_fen,
                "funding_due_fen": row.balance_total_fen - row.funded_fen,
                "staged_at": row.staged_at.isoformat(),
                "maker_approved_at": row.maker_at and row.maker_at.isoformat(),
                "checker_approved_at": row.checker_at and row.checker_at.isoformat(),
                "closed_at": row.closed_at and row.closed_at.isoformat(), "reason": row.reason}
        if operator:
            view |= {"maker": row.maker, "checker": row.checker}
        return view

    def _row(self, conn: Connection, tenant_id: str, migration_id: str, *,
             lock: bool = True) -> Any:
        found = migrations.migration(conn, tenant_id, migration_id, lock=lock)
        if found is None:
            raise CustodyError(Refusal.MIGRATION_NOT_FOUND, f"no migration {migration_id}")
        return found

    def _open_row(self, conn: Connection, tenant_id: str, migration_id: str) -> Any:
        row = self._row(conn, tenant_id, migration_id)
        if row.status not in rules.OPEN_STATUSES:
            raise CustodyError(Refusal.MIGRATION_WRONG_STATE, f"migration {migration_id} is "
                               f"{row.status}", status=row.status)
        return row

    def _close(self, conn: Connection, tenant_id: str, migration_id: str, status: Status,
               reason: str) -> None:
        migrations.set_migration(conn, tenant_id, migration_id, status=status.value,
                                 closed_at=self.custody.clock(), reason=reason)


def write_report(report: Sequence[RowReport], path: Path) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["file", "row", "key", "outcome", "code", "message"])
        for line in report:
            writer.writerow([line.file, line.row_no, line.key, line.outcome, line.code,
                             line.message])


def outcome_counts(report: Sequence[RowReport]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for row in report:
        counts[row.outcome] = counts.get(row.outcome, 0) + 1
    return counts

