"""Staging a migration (R-C20): each input row's outcome, from the pure rules
(``custody/rules/migration.py``), what the platform holds already and what earlier rows of the
same files took; then the projects whose claims do not add up refused with their claims."""

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass

from cunguan.core import fields, limits
from cunguan.custody.handlers.requests import Data
from cunguan.custody.rules import migration as rules
from cunguan.custody.rules.migration import Outcome, UserDecision
from cunguan.custody.store.migrations import existing
from cunguan.db.connection import Connection


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


def unreconciled(projects: Iterable[tuple[int, Data]], claims: Iterable[tuple[int, Data]]
                  ) -> list[tuple[str, int, str]]:
    """``rules.unreconciled`` over accepted rows' payloads, (line, payload) each."""
    return rules.unreconciled([(line, rules.project_from(p)) for line, p in projects],
                              [(line, rules.ClaimRow(**c)) for line, c in claims])


def reconciled(report: list[RowReport]) -> list[RowReport]:
    """The report with every project whose accepted claims do not add up to it refused,
    its claims with it, and every claim of a project not imported by these files."""
    def accepted(file: str) -> list[tuple[int, Data]]:
        return [(r.row_no, r.payload) for r in report if r.file == file and r.accepted]
    refused = {(file, line): why for file, line, why in unreconciled(
        accepted("projects"), accepted("claims"))}
    return [RowReport(r.file, r.row_no, r.key, Outcome.REJECTED, rules.CLAIMS_DO_NOT_RECONCILE,
                      refused[r.file, r.row_no]) if (r.file, r.row_no) in refused else r
            for r in report]


class Decider:
    """Each row's outcome at staging: the pure rules, then what the platform holds already
    (read a chunk at a time before deciding) and what earlier rows of the same files took
    (one id, one person, one card)."""

    def __init__(self, conn: Connection, tenant_id: str, decisions: list[UserDecision],
                 parsed: dict[str, list[tuple[int, dict[str, str]]]]) -> None:
        def column(name: str, file: str) -> list[str]:
            return [cells.get(name, "").strip() for _, cells in parsed.get(file, [])]
        referenced = ([d.user_id for d in decisions] + column("borrower_user_id", "projects")
                      + column("holder_user_id", "claims"))
        self.roles = {k: row.role for k, row in existing(
            conn, "users", tenant_id, "user_id", referenced).items()}
        self.persons = {(row.id_kind, row.id_no) for row in existing(
            conn, "users", tenant_id, "id_no", [d.id_no for d in decisions]).values()}
        self.mobiles = set(existing(conn, "users", tenant_id, "mobile",
                                    [d.mobile for d in decisions if d.mobile]))
        self.cards = set(existing(conn, "cards", tenant_id, "card_no",
                                  [d.card_no for d in decisions if d.card_usable],
                                  status="bound"))
        self.projects = set(existing(conn, "projects", tenant_id, "project_id",
                                     column("project_id", "projects") + column(
                                         "project_id", "claims")))
        self.claims = set(existing(conn, "claims", tenant_id, "claim_id",
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
