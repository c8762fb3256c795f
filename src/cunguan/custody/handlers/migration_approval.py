"""The checker's approval of a migration (R-C20): the accepted rows written and the balances
moved from the migration clearing account, in the command's one DB transaction."""

import json
from datetime import date

from cunguan.core import limits
from cunguan.custody.handlers.lending_service import LendingService
from cunguan.custody.handlers.migration_staging import unreconciled
from cunguan.custody.handlers.requests import Data
from cunguan.custody.rules import accounts as chart
from cunguan.custody.rules import migration as rules
from cunguan.custody.rules.fields import bank_serial_no
from cunguan.custody.rules.refusals import CustodyError, Refusal
from cunguan.custody.rules.schedules import owes_nothing
from cunguan.custody.store import migrations
from cunguan.db.connection import Connection
from cunguan.ledger.model import Transfer


class Applier:
    """The checker's approval: the accepted rows written and the balances moved, in the
    command's one DB transaction (a refusal anywhere rolls all of it back)."""

    def __init__(self, custody: LendingService, conn: Connection, tenant_id: str,
                 migration_id: str) -> None:
        self.custody, self.conn = custody, conn
        self.tenant_id, self.migration_id = tenant_id, migration_id

    def accepted(self, file: str) -> list[tuple[int, Data]]:
        return [(line, json.loads(payload)) for line, payload in migrations.accepted_payloads(
            self.conn, self.tenant_id, self.migration_id, file)]

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
        bound = {"status": "bound"}
        checks = [("users", users, "users", "user_id", {}),
                  ("users", users, "users", "id_no", {}),
                  ("users", users, "users", "mobile", {}),
                  ("users", [u for u in users if u[1]["card_usable"]], "cards", "card_no", bound),
                  ("projects", projects, "projects", "project_id", {}),
                  ("claims", claims, "claims", "claim_id", {})]
        for file, rows, kind, column, equal in checks:
            taken = migrations.existing(self.conn, kind, self.tenant_id, column,
                                        [r[column] for _, r in rows], **equal)
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
        refused = unreconciled(projects, claims)
        if refused:
            file, line, why = refused[0]
            raise CustodyError(rules.CLAIMS_DO_NOT_RECONCILE, f"{file} line {line}: {why}",
                               file=file, line=line)

    def _users(self, users: list[Data]) -> None:
        now = self.custody.clock()
        migrations.add(self.conn, "users", [{
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
        migrations.add(self.conn, "cards", cards)
        specs = [chart.user_account(u["user_id"], u["role"]) for u in users]
        step = limits.migration_lookup_chunk_max
        for start in range(0, len(specs), step):
            self.custody.ledger.open_accounts_in(self.conn, self.tenant_id,
                                                 specs[start:start + step])

    def _projects(self, projects: list[Data]) -> None:
        now = self.custody.clock()
        migrations.add(self.conn, "projects", [{
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
        migrations.add(self.conn, "installments", installments)

    def _claims(self, claims: list[Data]) -> None:
        migrations.add(self.conn, "claims", [{
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
