"""Import an existing platform from CSV files (R-C20): users, balances, projects and claims.

Safe to run again with the same files: every row is a custody command whose request no. comes
from the migration id and the row's key, so a second run replays the first run's answers and
posts nothing. The report has one line per input row.
"""

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import Connection, insert, select

from cunguan.adapters.store.custody_tables import (
    custody_cards,
    custody_claims,
    custody_installments,
    custody_projects,
    custody_users,
)
from cunguan.adapters.store.db import read_connection
from cunguan.core.money import MoneyError, parse_yuan
from cunguan.custody import accounts as chart
from cunguan.custody.migration import Outcome, UserDecision, decide_user
from cunguan.custody.schedules import Method, schedule
from cunguan.ledger.model import Transfer
from cunguan.service_layer.custody_base import CustodyError, CustodyResult, Data
from cunguan.service_layer.custody_service import QUICK_PAY_BANKS
from cunguan.service_layer.lending_service import LendingService

ROWS_PER_FILE_MAX = 1_000_000


@dataclass(frozen=True, slots=True)
class RowReport:
    file: str
    row_no: int
    key: str
    outcome: str
    code: str
    message: str


class MigrationService:
    def __init__(self, custody: LendingService) -> None:
        self.custody = custody

    def run(self, tenant_id: str, migration_id: str, *, users: Path,
            projects: Path | None = None, claims: Path | None = None) -> list[RowReport]:
        report = self._users(tenant_id, migration_id, users)
        if projects is not None:
            report += self._projects(tenant_id, migration_id, projects)
        if claims is not None:
            report += self._claims(tenant_id, migration_id, claims)
        return report

    # -- users and balances ----------------------------------------------------------------
    def _users(self, tenant_id: str, migration_id: str, path: Path) -> list[RowReport]:
        with read_connection(self.custody.engine) as conn:
            day = self.custody.accounting_date(conn, tenant_id)
        report, accepted = [], []
        for row_no, row in _rows(path):
            decision = decide_user(row, on=day, bins=self.custody.bins,
                                   supported_banks=QUICK_PAY_BANKS)
            key = decision.user_id or f"row {row_no}"
            if decision.outcome is Outcome.REJECTED:
                report.append(RowReport(path.name, row_no, key, "rejected", decision.code,
                                        decision.message))
                continue
            result = self._open(tenant_id, f"{migration_id}:user:{decision.user_id}", decision)
            outcome = decision.outcome.value if result.ok else "rejected"
            report.append(RowReport(path.name, row_no, key, outcome, result.code,
                                    result.message))
            if result.ok:
                accepted.append(decision)
        self._balances(tenant_id, migration_id, accepted)
        return report

    def _open(self, tenant_id: str, request_no: str, d: UserDecision) -> CustodyResult:
        def work(conn: Connection) -> Data:
            u = custody_users.c
            if conn.execute(select(u.user_id).where(
                    u.tenant_id == tenant_id, u.id_kind == d.id_kind.value,
                    u.id_no == d.id_no)).first():
                raise CustodyError("person_has_account", "one person, one account")
            status = ("pending_review" if d.outcome is Outcome.MANUAL_REVIEW
                      else "pending_activation")
            conn.execute(insert(custody_users).values(
                tenant_id=tenant_id, user_id=d.user_id, kind="person", role=d.role,
                status=status, name=d.name, id_kind=d.id_kind.value, id_no=d.id_no,
                mobile=d.mobile, account_no=chart.user_account_no(d.user_id),
                password_hash=None, failed_attempts=0, locked_until=None, risk_tolerance=1,
                has_bid=0, created_at=self.custody.clock()))
            if d.card_usable:
                card = self.custody._card(d.card_no)
                conn.execute(insert(custody_cards).values(
                    tenant_id=tenant_id, card_no=d.card_no, user_id=d.user_id,
                    bank_code=card.bank_code, bank_name=card.bank_name, quick_pay=1,
                    status="bound", bound_at=self.custody.clock(), unbound_at=None))
            self.custody.ledger.open_accounts_in(conn, tenant_id,
                                                 [chart.user_account(d.user_id, d.role)])
            return {"user_id": d.user_id, "status": status}
        return self.custody.command(tenant_id, request_no, "migrate_user",
                                    {"user": d.user_id, "id_no": d.id_no, "card": d.card_no,
                                     "balance": d.balance_fen}, work)

    def _balances(self, tenant_id: str, migration_id: str,
                  accepted: list[UserDecision]) -> None:
        """The old platform's balances arrive in one transfer, then are allocated per user."""
        with_money = [d for d in accepted if d.balance_fen]
        total_fen = sum(d.balance_fen for d in with_money)
        if not total_fen:
            return

        def work(conn: Connection) -> Data:
            moves = [Transfer(f"{migration_id}:in", chart.SUMMARY, chart.UNALLOCATED,
                              total_fen, "migration_in")]
            moves += [Transfer(f"{migration_id}:bal:{d.user_id}", chart.UNALLOCATED,
                               chart.user_account_no(d.user_id), d.balance_fen,
                               "migration_allocation") for d in with_money]
            self.custody.post(conn, tenant_id, moves)
            return {"total_fen": total_fen, "accounts": len(with_money)}
        result = self.custody.command(tenant_id, f"{migration_id}:balances", "migrate_balances",
                                      {"total": total_fen, "users": len(with_money)}, work)
        if not result.ok:
            raise CustodyError(result.code, f"balances not moved: {result.message}")

    # -- projects and claims ---------------------------------------------------------------
    def _projects(self, tenant_id: str, migration_id: str, path: Path) -> list[RowReport]:
        report = []
        for row_no, row in _rows(path):
            key = (row.get("project_id") or "").strip() or f"row {row_no}"

            def work(conn: Connection, row: dict[str, str] = row) -> Data:
                return self._insert_project(conn, tenant_id, row)
            result = self.custody.command(tenant_id, f"{migration_id}:project:{key}",
                                          "migrate_project", dict(row), work)
            report.append(RowReport(path.name, row_no, key, "imported" if result.ok
                                    else "rejected", result.code, result.message))
        return report

    def _insert_project(self, conn: Connection, tenant_id: str, row: dict[str, str]) -> Data:
        try:
            amount_fen = parse_yuan(row["amount"])
            method = Method(row["method"])
            lent_on = date.fromisoformat(row["lent_on"])
            plan = schedule(amount_fen, row["annual_rate"], int(row["months"]), method,
                            start=lent_on)
        except (KeyError, ValueError, MoneyError) as exc:
            raise CustodyError("field_invalid", f"bad project row: {exc}") from exc
        self.custody.user(conn, tenant_id, row["borrower_user_id"])
        conn.execute(insert(custody_projects).values(
            tenant_id=tenant_id, project_id=row["project_id"],
            borrower_user_id=row["borrower_user_id"], guarantor_user_id=None,
            amount_fen=amount_fen, annual_rate=row["annual_rate"], months=int(row["months"]),
            method=method.value, bid_min_fen=amount_fen, bid_max_fen=amount_fen,
            bid_step_fen=amount_fen, newbie_only=0, risk_level=1, service_fee_rate="0",
            raise_until=self.custody.clock(), status="repaying", raised_fen=amount_fen,
            lent_on=lent_on, created_at=self.custody.clock()))
        paid = int(row.get("periods_paid") or 0)
        conn.execute(insert(custody_installments), [{
            "tenant_id": tenant_id, "project_id": row["project_id"], "period": i.period,
            "due_date": i.due_date, "principal_fen": i.principal_fen,
            "interest_fen": i.interest_fen, "penalty_fen": 0,
            "status": "paid" if i.period <= paid else "due", "hold_id": None} for i in plan])
        return {"project_id": row["project_id"], "installments": len(plan)}

    def _claims(self, tenant_id: str, migration_id: str, path: Path) -> list[RowReport]:
        report = []
        for row_no, row in _rows(path):
            key = (row.get("claim_id") or "").strip() or f"row {row_no}"

            def work(conn: Connection, row: dict[str, str] = row) -> Data:
                try:
                    principal_fen = parse_yuan(row["principal"])
                    outstanding_fen = parse_yuan(row["outstanding"])
                except (KeyError, MoneyError) as exc:
                    raise CustodyError("field_invalid", f"bad claim row: {exc}") from exc
                self.custody.user(conn, tenant_id, row["holder_user_id"])
                conn.execute(insert(custody_claims).values(
                    tenant_id=tenant_id, claim_id=row["claim_id"], project_id=row["project_id"],
                    holder_user_id=row["holder_user_id"], principal_fen=principal_fen,
                    outstanding_fen=outstanding_fen,
                    status="holding" if outstanding_fen else "closed", kind="investment"))
                return {"claim_id": row["claim_id"]}
            result = self.custody.command(tenant_id, f"{migration_id}:claim:{key}",
                                          "migrate_claim", dict(row), work)
            report.append(RowReport(path.name, row_no, key, "imported" if result.ok
                                    else "rejected", result.code, result.message))
        return report


def _rows(path: Path) -> Iterable[tuple[int, dict[str, str]]]:
    """The file's rows as text (extra cells dropped, missing ones empty), or a named error
    for the whole file: nothing of a file that cannot be read is imported."""
    try:
        text = path.read_text(encoding="utf-8-sig")
        rows = list(csv.DictReader(io.StringIO(text, newline="")))
    except (UnicodeDecodeError, csv.Error) as exc:
        raise CustodyError("file_invalid", f"{path.name} is not a UTF-8 CSV file") from exc
    if len(rows) > ROWS_PER_FILE_MAX:
        raise CustodyError("file_too_large", f"{path.name}: over {ROWS_PER_FILE_MAX}")
    clean = [{k: v or "" for k, v in row.items() if isinstance(k, str) and isinstance(v, str)}
             for row in rows]
    return enumerate(clean, start=2)  # line 1 is the header


def write_report(report: list[RowReport], path: Path) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["file", "row", "key", "outcome", "code", "message"])
        for line in report:
            writer.writerow([line.file, line.row_no, line.key, line.outcome, line.code,
                             line.message])
