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
"""

import csv
import dataclasses
import hashlib
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Table, insert, select

from cunguan.core import fields, limits
from cunguan.custody.handlers.base import CustodyResult, Data, checked
from cunguan.custody.handlers.lending_service import LendingService
from cunguan.custody.handlers.service import QUICK_PAY_BANKS
from cunguan.custody.rules import accounts as chart
from cunguan.custody.rules import fields as custody_fields
from cunguan.custody.rules import migration as rules
from cunguan.custody.rules.fields import bank_serial_no
from cunguan.custody.rules.migration import FileRefused, Outcome, Status, UserDecision
from cunguan.custody.rules.refusals import CustodyError, Refusal
from cunguan.custody.rules.schedules import owes_nothing
from cunguan.custody.store.tables import (
    custody_cards,
    custody_claims,
    custody_installments,
    custody_migration_rows,
    custody_migrations,
    custody_projects,
    custody_users,
)
from cunguan.db.bulk import insert_rows
from cunguan.db.connection import read_connection
from cunguan.ledger.model import Transfer
from cunguan.ledger.store.queries import get_account

#: (file, rows done, rows in the file): how far staging has read, for a progress bar.
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True, slots=True)
class RowReport:
    """One input row's outcome; ``payload`` is what the checker's approval applies."""

    file: str
    row_no: int
    key: str
    outcome: str
    code: str
    message: str
    payload: Data = dataclasses.field(default_factory=dict)

    @property
    def accepted(self) -> bool:
        return self.outcome != Outcome.REJECTED

    def public(self) -> Data:
        return {"file": self.file, "row_no": self.row_no, "key": self.key,
                "outcome": self.outcome, "code": self.code, "message": self.message}


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


def _existing(conn: Connection, table: Table, tenant_id: str, column: str,
              values: Iterable[str], *extra: Any) -> dict[str, Any]:
    """The tenant's rows of ``table`` whose ``column`` is one of ``values``, by that value,
    read a chunk at a time (``extra``: more conditions)."""
    wanted = sorted(set(values))
    found: dict[str, Any] = {}
    step = limits.migration_lookup_chunk_max
    for start in range(0, len(wanted), step):
        found.update((row[0], row) for row in conn.execute(
            select(table.c[column], *table.c).where(
                table.c.tenant_id == tenant_id, table.c[column].in_(wanted[start:start + step]),
                *extra)))
    return found


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
        conn.execute(insert(custody_migrations).values(
            tenant_id=tenant_id, migration_id=migration_id, status=Status.STAGED.value,
            files_digest=digest, users_count=len(users),
            balance_total_fen=sum(r.payload["balance_fen"] for r in users),
            projects_count=sum(r.file == "projects" for r in accepted),
            claims_count=sum(r.file == "claims" for r in accepted), funded_fen=0,
            staged_at=self.custody.clock()))
        insert_rows(conn, custody_migration_rows, [{
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
        decide = _Decider(conn, tenant_id, decisions, parsed)

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
        return _reconciled(report)

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
            self.custody.set_row(conn, custody_migrations, tenant_id, "migration_id",
                                 migration_id, funded_fen=funded_fen)
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
                self.custody.set_row(conn, custody_migrations, tenant_id, "migration_id",
                                     migration_id, status=Status.MAKER_APPROVED.value,
                                     maker=operator, maker_at=now)
                return {"migration_id": migration_id, "status": Status.MAKER_APPROVED.value}
            if row.maker == operator:
                raise CustodyError(Refusal.CHECKER_IS_MAKER, "the checker must be another operator "
                                   "than the maker")
            gap = rules.funding_refusal(row.balance_total_fen, row.funded_fen)
            if gap is not None:
                raise CustodyError(gap[0], gap[1], funded_fen=row.funded_fen,
                                   balance_total_fen=row.balance_total_fen)
            applied = _Applier(self.custody, conn, tenant_id, migration_id).apply()
            self.custody.set_row(conn, custody_migrations, tenant_id, "migration_id",
                                 migration_id, status=Status.APPLIED.value, checker=operator,
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
        m = custody_migration_rows.c
        order = {name: i for i, name in enumerate(rules.FILES)}
        with read_connection(self.custody.engine) as conn:
            self._row(conn, tenant_id, migration_id, lock=False)
            rows = conn.execute(select(m.file, m.line_no, m.row_key, m.outcome, m.code,
                                       m.message).where(m.tenant_id == tenant_id,
                                                        m.migration_id == migration_id))
            found = [RowReport(*row) for row in rows]
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
        m = custody_migrations.c
        query = select(custody_migrations).where(m.tenant_id == tenant_id,
                                                 m.migration_id == migration_id)
        if lock and conn.dialect.name == "postgresql":
            query = query.with_for_update()
        found = conn.execute(query).first()
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
        self.custody.set_row(conn, custody_migrations, tenant_id, "migration_id", migration_id,
                             status=status.value, closed_at=self.custody.clock(),
                             reason=reason)


def _unreconciled(projects: Iterable[tuple[int, Data]], claims: Iterable[tuple[int, Data]]
                  ) -> list[tuple[str, int, str]]:
    """``rules.unreconciled`` over accepted rows' payloads, (line, payload) each."""
    return rules.unreconciled([(line, rules.project_from(p)) for line, p in projects],
                              [(line, rules.ClaimRow(**c)) for line, c in claims])


def _reconciled(report: list[RowReport]) -> list[RowReport]:
    """The report with every project whose accepted claims do not add up to it refused,
    its claims with it, and every claim of a project not imported by these files."""
    def accepted(file: str) -> list[tuple[int, Data]]:
        return [(r.row_no, r.payload) for r in report if r.file == file and r.accepted]
    refused = {(file, line): why for file, line, why in _unreconciled(
        accepted("projects"), accepted("claims"))}
    return [RowReport(r.file, r.row_no, r.key, Outcome.REJECTED, rules.CLAIMS_DO_NOT_RECONCILE,
                      refused[r.file, r.row_no]) if (r.file, r.row_no) in refused else r
            for r in report]


class _Decider:
    """Each row's outcome at staging: the pure rules, then what the platform holds already
    (read a chunk at a time before deciding) and what earlier rows of the same files took
    (one id, one person, one card)."""

    def __init__(self, conn: Connection, tenant_id: str, decisions: list[UserDecision],
                 parsed: dict[str, list[tuple[int, dict[str, str]]]]) -> None:
        def column(name: str, file: str) -> list[str]:
            return [cells.get(name, "").strip() for _, cells in parsed.get(file, [])]
        c = custody_cards.c
        referenced = ([d.user_id for d in decisions] + column("borrower_user_id", "projects")
                      + column("holder_user_id", "claims"))
        self.roles = {k: row.role for k, row in _existing(
            conn, custody_users, tenant_id, "user_id", referenced).items()}
        self.persons = {(row.id_kind, row.id_no) for row in _existing(
            conn, custody_users, tenant_id, "id_no", [d.id_no for d in decisions]).values()}
        self.mobiles = set(_existing(conn, custody_users, tenant_id, "mobile",
                                     [d.mobile for d in decisions if d.mobile]))
        self.cards = set(_existing(conn, custody_cards, tenant_id, "card_no",
                                   [d.card_no for d in decisions if d.card_usable],
                                   c.status == "bound"))
        self.projects = set(_existing(conn, custody_projects, tenant_id, "project_id",
                                      column("project_id", "projects") + column(
                                          "project_id", "claims")))
        self.claims = set(_existing(conn, custody_claims, tenant_id, "claim_id",
                                    column("claim_id", "claims")))
        self.taken_users = set(self.roles)

    def user(self, line: int, d: UserDecision) -> RowReport:
        key = d.user_id or f"line {line}"
        if d.outcome is Outcome.REJECTED:
            return RowReport("users", line, key, Outcome.REJECTED, d.code, d.message)
        refusal = self._user_refusal(d)
        if refusal is not None:
            return RowReport("users", line, key, Outcome.REJECTED, *refusal)
        if d.card_usable and d.card_no in self.cards:   # bound to someone already
            review = d.outcome is Outcome.MANUAL_REVIEW
            d = dataclasses.replace(
                d, card_usable=False,
                outcome=Outcome.MANUAL_REVIEW if review else Outcome.CARD_TO_REPLACE)
        self.roles[d.user_id] = d.role
        self.taken_users.add(d.user_id)
        self.persons.add((d.id_kind.value, d.id_no))
        self.mobiles.add(d.mobile)
        if d.card_usable:
            self.cards.add(d.card_no)
        payload = {"user_id": d.user_id, "role": d.role, "name": d.name,
                   "id_kind": d.id_kind.value, "id_no": d.id_no, "mobile": d.mobile,
                   "card_no": d.card_no, "card_usable": d.card_usable,
                   "status": ("pending_review" if d.outcome is Outcome.MANUAL_REVIEW
                              else "pending_activation"), "balance_fen": d.balance_fen}
        return RowReport("users", line, key, d.outcome, "ok", "", payload)

    def _user_refusal(self, d: UserDecision) -> tuple[str, str] | None:
        try:
            fields.identifier(d.user_id, "user_id", limits.account_no_length_max - 2)
        except fields.FieldInvalid as exc:
            return exc.code, exc.message
        if d.user_id in self.taken_users:
            return "user_exists", f"user {d.user_id} exists already"
        if (d.id_kind.value, d.id_no) in self.persons:
            return "person_has_account", "one person, one account per platform"
        if d.mobile in self.mobiles:
            return "mobile_taken", "one mobile number, one person per platform (R-C4)"
        return None

    def project(self, line: int, cells: dict[str, str]) -> RowReport:
        key = cells.get("project_id", "").strip() or f"line {line}"
        try:
            p = rules.parse_project(cells)
            fields.identifier(p.project_id, "project_id")
        except ValueError as exc:
            return RowReport("projects", line, key, Outcome.REJECTED, "field_invalid", str(exc))
        refusal = self._project_refusal(p.project_id, p.borrower_user_id)
        if refusal is not None:
            return RowReport("projects", line, key, Outcome.REJECTED, *refusal)
        self.projects.add(p.project_id)
        payload = {**dataclasses.asdict(p), "method": p.method.value,
                   "lent_on": p.lent_on.isoformat()}
        return RowReport("projects", line, key, Outcome.IMPORTED, "ok", "", payload)

    def _project_refusal(self, project_id: str, borrower: str) -> tuple[str, str] | None:
        if project_id in self.projects:
            return "project_exists", f"project {project_id} exists already"
        role = self.roles.get(borrower)
        if role is None:
            return "user_not_found", f"no user {borrower}"
        if role != "borrower":
            return "not_a_borrower", f"user {borrower} is a {role}"
        return None

    def claim(self, line: int, cells: dict[str, str]) -> RowReport:
        key = cells.get("claim_id", "").strip() or f"line {line}"
        try:
            c = rules.parse_claim(cells)
            fields.identifier(c.claim_id, "claim_id")
        except ValueError as exc:
            return RowReport("claims", line, key, Outcome.REJECTED, "field_invalid", str(exc))
        refused = self._claim_refusal(c)
        if refused is not None:
            return RowReport("claims", line, key, Outcome.REJECTED, *refused)
        self.claims.add(c.claim_id)
        return RowReport("claims", line, key, Outcome.IMPORTED, "ok", "",
                         dataclasses.asdict(c))

    def _claim_refusal(self, c: rules.ClaimRow) -> tuple[str, str] | None:
        if c.claim_id in self.claims:
            return "claim_exists", f"claim {c.claim_id} exists already"
        if c.project_id not in self.projects:
            return "project_not_found", f"no project {c.project_id}"
        if c.holder_user_id not in self.roles:
            return "user_not_found", f"no user {c.holder_user_id}"
        return None


class _Applier:
    """The checker's approval: the accepted rows written and the balances moved, in the
    command's one DB transaction (a refusal anywhere rolls all of it back)."""

    def __init__(self, custody: LendingService, conn: Connection, tenant_id: str,
                 migration_id: str) -> None:
        self.custody, self.conn = custody, conn
        self.tenant_id, self.migration_id = tenant_id, migration_id

    def accepted(self, file: str) -> list[tuple[int, Data]]:
        m = custody_migration_rows.c
        return [(line, json.loads(payload)) for line, payload in self.conn.execute(
            select(m.line_no, m.payload).where(
                m.tenant_id == self.tenant_id, m.migration_id == self.migration_id,
                m.file == file, m.outcome != Outcome.REJECTED.value).order_by(m.line_no))]

    def apply(self) -> Data:
        users, projects, claims = (self.accepted(name) for name in rules.FILES)
        self._still_free(users, projects, claims)
        self._still_reconciled(projects, claims)
        self._users([u for _, u in users])
        self._projects([p for _, p in projects])
        self._claims([c for _, c in claims])
        credited_fen = self._balances(users)
        return {"users": len(users), "projects": len(projects), "claims": len(claims),
                "credited_fen": credited_fen}

    def _still_free(self, users: list[tuple[int, Data]], projects: list[tuple[int, Data]],
                    claims: list[tuple[int, Data]]) -> None:
        """What staging found free may have been taken since: refuse the approval whole."""
        checks = [("users", users, custody_users, "user_id", ()),
                  ("users", users, custody_users, "id_no", ()),
                  ("users", users, custody_users, "mobile", ()),
                  ("users", [u for u in users if u[1]["card_usable"]], custody_cards, "card_no",
                   (custody_cards.c.status == "bound",)),
                  ("projects", projects, custody_projects, "project_id", ()),
                  ("claims", claims, custody_claims, "claim_id", ())]
        for file, rows, table, column, extra in checks:
            taken = _existing(self.conn, table, self.tenant_id, column,
                              [r[column] for _, r in rows], *extra)
            for line, r in rows:
                if r[column] in taken and (column != "id_no"
                                           or taken[r[column]].id_kind == r["id_kind"]):
                    raise CustodyError(Refusal.MIGRATION_CONFLICT, f"{file} line {line}: "
                                       f"{column} {r[column]} was taken since staging",
                                       file=file, line=line)

    @staticmethod
    def _still_reconciled(projects: list[tuple[int, Data]],
                          claims: list[tuple[int, Data]]) -> None:
        """The accepted projects' claims add up to them (``rules.unreconciled``) — checked
        again, as a migration staged before the rule was could hold some that do not: the
        approval is refused whole."""
        refused = _unreconciled(projects, claims)
        if refused:
            file, line, why = refused[0]
            raise CustodyError(rules.CLAIMS_DO_NOT_RECONCILE, f"{file} line {line}: {why}",
                               file=file, line=line)

    def _users(self, users: list[Data]) -> None:
        now = self.custody.clock()
        insert_rows(self.conn, custody_users, [{
            "tenant_id": self.tenant_id, "user_id": u["user_id"], "kind": "person",
            "role": u["role"], "status": u["status"], "name": u["name"],
            "id_kind": u["id_kind"], "id_no": u["id_no"], "mobile": u["mobile"],
            "account_no": chart.user_account_no(u["user_id"]), "password_hash": None,
            "failed_attempts": 0, "locked_until": None, "risk_tolerance": 1, "has_bid": 0,
            "created_at": now} for u in users])
        cards = []
        for u in users:
            if u["card_usable"]:
                card = self.custody._card(u["card_no"])
                cards.append({"tenant_id": self.tenant_id, "card_no": u["card_no"],
                              "user_id": u["user_id"], "bank_code": card.bank_code,
                              "bank_name": card.bank_name, "quick_pay": 1, "status": "bound",
                              "bound_at": now, "unbound_at": None})
        insert_rows(self.conn, custody_cards, cards)
        specs = [chart.user_account(u["user_id"], u["role"]) for u in users]
        step = limits.migration_lookup_chunk_max
        for start in range(0, len(specs), step):
            self.custody.ledger.open_accounts_in(self.conn, self.tenant_id,
                                                 specs[start:start + step])

    def _projects(self, projects: list[Data]) -> None:
        now = self.custody.clock()
        insert_rows(self.conn, custody_projects, [{
            "tenant_id": self.tenant_id, "project_id": p["project_id"],
            "borrower_user_id": p["borrower_user_id"], "guarantor_user_id": None,
            "amount_fen": p["amount_fen"], "annual_rate": p["annual_rate"],
            "months": p["months"], "method": p["method"], "bid_min_fen": p["amount_fen"],
            "bid_max_fen": p["amount_fen"], "bid_step_fen": p["amount_fen"], "newbie_only": 0,
            "risk_level": 1, "service_fee_rate": "0", "raise_until": now, "status": "repaying",
            "raised_fen": p["amount_fen"], "lent_on": date.fromisoformat(p["lent_on"]),
            "created_at": now} for p in projects])
        installments = []
        for p in projects:
            plan = rules.project_schedule(rules.project_from(p))
            installments += [{
                "tenant_id": self.tenant_id, "project_id": p["project_id"],
                "period": i.period, "due_date": i.due_date, "principal_fen": i.principal_fen,
                "interest_fen": i.interest_fen, "penalty_fen": 0,
                # R-C12: as at lending, a 0.00 installment owes nothing and is paid at once
                "status": "paid" if i.period <= p["periods_paid"] or owes_nothing(i) else "due",
                "hold_id": None} for i in plan]
        insert_rows(self.conn, custody_installments, installments)

    def _claims(self, claims: list[Data]) -> None:
        insert_rows(self.conn, custody_claims, [{
            "tenant_id": self.tenant_id, "claim_id": c["claim_id"],
            "project_id": c["project_id"], "holder_user_id": c["holder_user_id"],
            "principal_fen": c["principal_fen"], "outstanding_fen": c["outstanding_fen"],
            "status": "holding" if c["outstanding_fen"] else "closed", "kind": "investment"}
            for c in claims])

    def _balances(self, users: list[tuple[int, Data]]) -> int:
        """Clearing account → each user, as many ledger batches as the limit asks, all in
        this one DB transaction (a rejection anywhere refuses the approval whole). Each
        transfer's ledger request no. is the migration id and the user's line."""
        moves = [Transfer(bank_serial_no("migration", self.migration_id, line), rules.CLEARING,
                          chart.user_account_no(u["user_id"]), u["balance_fen"],
                          "migration_allocation") for line, u in users if u["balance_fen"]]
        step = limits.commands_per_batch_max
        for start in range(0, len(moves), step):
            self.custody.post(self.conn, self.tenant_id, moves[start:start + step])
        return sum(t.amount_fen for t in moves)


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

