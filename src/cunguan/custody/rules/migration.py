"""Migration of an existing platform (存量迁移, R-C20): the command fields and cleansing rules,
pure. A file is read whole or refused whole by ``migration_files`` (whose names are re-exported
here).

The commands' own fields (``COMMAND_FIELDS``) are checked before anything is read, like every
custody command's (``custody_base.checked``).

Every row of a file that was read ends in exactly one outcome. Migrated users set their
transaction password at activation on the bank's page, so every accepted user starts
``pending_activation`` (passports and permits ``pending_review``); a card that cannot be used
is kept for replacement at activation instead of refusing the account. A project is imported
only with claims that reconcile with it (``unreconciled``): their principal is its amount and
their outstanding the principal its schedule has left after the periods paid.

The money side (who may raise the summary account) is not here: balances are credited only
from the migration clearing account, into which only money arriving at the bank is booked.
"""

import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any, Final

from cunguan.core import fields, limits
from cunguan.core.fields import FieldInvalid
from cunguan.core.money import MoneyError, parse_yuan
from cunguan.custody.cards import BinTable, CardError, normalize_card_no, validate_card_no
from cunguan.custody.rules.fields import Check
from cunguan.custody.rules.kyc import IdKind, KycError, check_identity
from cunguan.custody.rules.migration_files import (
    CLAIM_COLUMNS,
    FILE_CODES,
    FILES,
    PROJECT_COLUMNS,
    USER_COLUMNS,
    FileRefused,
    decode,
    read_rows,
)
from cunguan.custody.rules.schedules import Installment, Method, schedule
from cunguan.ledger.model import AccountFlag, AccountSpec, Side

#: Public names, the file reading ones (``migration_files``) among them: the handlers, the
#: migration CLI and the tests have always found them here.
__all__ = ["CLAIMS_DO_NOT_RECONCILE", "CLAIM_COLUMNS", "CLEARING", "CLEARING_SPEC",
           "COMMAND_FIELDS", "FILES", "FILE_CODES", "OPEN_STATUSES", "PROJECT_COLUMNS", "REQUIRED",
           "USER_COLUMNS", "ClaimRow", "FileRefused", "Outcome", "ProjectRow", "Status",
           "UserDecision", "decide_user", "decode", "files", "funding_refusal", "migration_id",
           "operator", "parse_claim", "parse_project", "payer_account_no", "principal_left_fen",
           "progress", "project_from", "project_schedule", "read_rows", "reason",
           "reconciliation_refusal", "reference", "unreconciled"]

REQUIRED = ("user_id", "role", "name", "id_kind", "id_no", "mobile")

#: 迁移清算户: the platform's funding transfer for the migrated balances is booked here when
#: the bank sees it arrive (Dr summary / Cr this), and leaves only to the migrated users'
#: accounts at the checker's approval, or back to the payer when the migration is refused.
CLEARING = "MIGRATION"
CLEARING_SPEC = AccountSpec(CLEARING, "bank", "migration_clearing", "2251", Side.CREDIT,
                            AccountFlag.HOT)


class Status(StrEnum):
    STAGED = "staged"                        # files read, nothing credited
    MAKER_APPROVED = "maker_approved"        # one operator approved; a second must
    APPLIED = "applied"                      # the checker approved: users, money, claims in
    REJECTED = "rejected"                    # an operator refused it; funding returned
    CANCELLED = "cancelled"                  # the platform withdrew it; funding returned


OPEN_STATUSES = (Status.STAGED, Status.MAKER_APPROVED)


def migration_id(value: object, field: str) -> str:
    """A migration's id: an identifier short enough for its steps' request nos."""
    return fields.identifier(value, field, limits.migration_id_length_max)


def files(value: object, field: str) -> dict[str, bytes]:
    """A migration's files: each file's name (``FILES``; ``users`` required) to its bytes."""
    if not isinstance(value, Mapping):
        raise FieldInvalid(field, "must map users (and projects, claims) to the files' bytes")
    unknown = [name for name in value if name not in FILES]
    if unknown:
        shown = ", ".join(sorted(ascii(name)[:40] for name in unknown)[:5])
        raise FieldInvalid(field, f"unknown file(s) {shown}: the files are users, projects "
                                  "and claims")
    if "users" not in value:
        raise FieldInvalid(field, "a users file is required")
    wrong = [name for name, data in value.items() if not isinstance(data, bytes)]
    if wrong:
        raise FieldInvalid(field, f"{', '.join(sorted(wrong))} must be the file's bytes")
    return {name: value[name] for name in FILES if name in value}


def progress(value: object, field: str) -> object:
    """A function told (file, rows done, rows in the file) as staging reads, or None."""
    if value is not None and not callable(value):
        raise FieldInvalid(field, "must be a function of (file, rows done, rows) or None")
    return value


def operator(value: object, field: str) -> str:
    """Who approves or rejects (a key id, a name): text, compatibility-normalized and without
    invisible format characters, so one operator cannot pass for two (maker and checker) by
    a trailing space, a full-width letter or a zero-width space."""
    name = unicodedata.normalize("NFKC", fields.text(
        value, field, max_length=limits.operator_length_max))
    if any(unicodedata.category(ch) == "Cf" for ch in name):
        raise FieldInvalid(field, "must not contain invisible format characters")
    return fields.text(name, field, max_length=limits.operator_length_max)


def reason(value: object, field: str) -> str:
    return fields.text(value, field, max_length=limits.reason_length_max)


def payer_account_no(value: object, field: str) -> str | None:
    """The account a funding came from (a company's account or a card), as the bank's
    statement shows it: digits, normalized as card nos. are; None when not given."""
    if value is None:
        return None
    return fields.digits(value, field, min_length=limits.payer_account_digits_min,
                         max_length=limits.payer_account_digits_max)


def reference(value: object, field: str) -> str | None:
    """The bank statement's reference of a funding transfer (流水号), or None."""
    return fields.optional_identifier(value, field, limits.identifier_length_max)


#: The migration commands' fields, by name (``custody_base.checked``'s overrides): those the
#: custody field types do not have, and ``migration_id`` narrower than any other id.
COMMAND_FIELDS: Final[Mapping[str, Check]] = {
    "migration_id": migration_id, "files": files, "progress": progress,
    "operator": operator, "reason": reason, "payer_account_no": payer_account_no,
    "reference": reference}


class Outcome(StrEnum):
    OPENED = "opened"                        # pending activation (password at the bank page)
    MANUAL_REVIEW = "manual_review"          # passport / permit: an operator activates
    CARD_TO_REPLACE = "card_to_replace"      # opened; the card is replaced at activation
    IMPORTED = "imported"                    # a project or a claim
    REJECTED = "rejected"


@dataclass(frozen=True, slots=True)
class UserDecision:
    """What to do with one users.csv row."""

    outcome: Outcome
    code: str
    message: str
    user_id: str = ""
    role: str = ""
    name: str = ""
    id_kind: IdKind = IdKind.RESIDENT_ID
    id_no: str = ""
    mobile: str = ""
    card_no: str = ""
    card_usable: bool = False
    balance_fen: int = 0


def _reject(code: str, message: str, user_id: str = "") -> UserDecision:
    return UserDecision(Outcome.REJECTED, code, message, user_id)


def decide_user(row: dict[str, str], *, on: date, bins: BinTable,
                supported_banks: frozenset[str]) -> UserDecision:
    """Apply the cleansing rules to one row."""
    values = {k: (row.get(k) or "").strip() for k in USER_COLUMNS}
    missing = [k for k in REQUIRED if not values[k]]
    if missing:
        return _reject("missing_elements", f"missing: {', '.join(missing)}", values["user_id"])
    if values["role"] not in ("lender", "borrower", "guarantor"):
        return _reject("field_invalid", "role is lender, borrower or guarantor",
                       values["user_id"])
    try:
        id_kind = IdKind(values["id_kind"])
        identity = check_identity(values["name"], id_kind, values["id_no"], values["mobile"],
                                  on=on)
        balance_fen = parse_yuan(values["balance"] or "0")
    except ValueError as exc:
        code = exc.code if isinstance(exc, KycError) else (
            "amount_invalid" if isinstance(exc, MoneyError) else "field_invalid")
        return _reject(code, str(exc), values["user_id"])
    if balance_fen < 0:
        return _reject("amount_invalid", "a balance cannot be negative", values["user_id"])
    card_no = _normalized_card(values["card_no"])
    usable = _card_usable(card_no, bins, supported_banks)
    if identity.needs_review:
        outcome, code = Outcome.MANUAL_REVIEW, "manual_review"
    elif not usable:
        outcome, code = Outcome.CARD_TO_REPLACE, "card_to_replace"
    else:
        outcome, code = Outcome.OPENED, "ok"
    return UserDecision(outcome, code, "", values["user_id"], values["role"], identity.name,
                        id_kind, identity.id_no, identity.mobile, card_no, usable,
                        balance_fen)


def _normalized_card(card_no: str) -> str:
    """The card no. as it will be stored and compared (spaces and hyphens removed); one that
    is not a card no. at all is kept as typed, and the user binds another card."""
    try:
        return normalize_card_no(card_no) if card_no else ""
    except CardError:
        return card_no


def _card_usable(card_no: str, bins: BinTable, supported_banks: frozenset[str]) -> bool:
    if not card_no:
        return False
    try:
        return validate_card_no(card_no, bins).bank_code in supported_banks
    except CardError:
        return False


@dataclass(frozen=True, slots=True)
class ProjectRow:
    """A projects.csv row that parses: a loan being repaid, with its schedule."""

    project_id: str
    borrower_user_id: str
    amount_fen: int
    annual_rate: str
    months: int
    method: Method
    lent_on: date
    periods_paid: int


def parse_project(row: dict[str, str]) -> ProjectRow:
    """The row's project, or ValueError saying which field is wrong."""
    values = {k: (row.get(k) or "").strip() for k in PROJECT_COLUMNS}
    if not values["project_id"] or not values["borrower_user_id"]:
        raise ValueError("project_id and borrower_user_id are required")
    try:
        amount_fen = parse_yuan(values["amount"])
        months = int(values["months"]) if values["months"].isascii() else -1
        paid = int(values["periods_paid"] or "0") if values["periods_paid"].isascii() else -1
        project = ProjectRow(values["project_id"], values["borrower_user_id"], amount_fen,
                             values["annual_rate"], months, Method(values["method"]),
                             date.fromisoformat(values["lent_on"]), paid)
        plan = project_schedule(project)
    except (ValueError, ArithmeticError) as exc:
        raise ValueError(f"bad project row: {exc}") from exc
    if not 0 <= paid <= len(plan):
        raise ValueError(f"periods_paid must be 0 to {len(plan)}")
    return project


def project_schedule(project: ProjectRow) -> list[Installment]:
    """The project's own schedule (R-C12), as the checker's approval writes it."""
    return schedule(project.amount_fen, project.annual_rate, project.months, project.method,
                    start=project.lent_on)


def project_from(payload: Mapping[str, Any]) -> ProjectRow:
    """A project row as staging stored it (``dataclasses.asdict``, method and day as text)."""
    return ProjectRow(**{**payload, "method": Method(payload["method"]),
                         "lent_on": date.fromisoformat(payload["lent_on"])})


@dataclass(frozen=True, slots=True)
class ClaimRow:
    claim_id: str
    project_id: str
    holder_user_id: str
    principal_fen: int
    outstanding_fen: int


def parse_claim(row: dict[str, str]) -> ClaimRow:
    values = {k: (row.get(k) or "").strip() for k in CLAIM_COLUMNS}
    if not (values["claim_id"] and values["project_id"] and values["holder_user_id"]):
        raise ValueError("claim_id, project_id and holder_user_id are required")
    try:
        principal_fen = parse_yuan(values["principal"])
        outstanding_fen = parse_yuan(values["outstanding"])
    except MoneyError as exc:
        raise ValueError(f"bad claim row: {exc}") from exc
    if not 0 <= outstanding_fen <= principal_fen or principal_fen <= 0:
        raise ValueError("principal must be positive and outstanding 0 to principal")
    return ClaimRow(values["claim_id"], values["project_id"], values["holder_user_id"],
                    principal_fen, outstanding_fen)


#: The code of a project and its claims refused because the claims do not add up to it.
CLAIMS_DO_NOT_RECONCILE: Final = "claims_do_not_reconcile"


def principal_left_fen(project: ProjectRow) -> int:
    """What the project's schedule has left to repay of principal after its ``periods_paid``
    first installments."""
    return sum(i.principal_fen for i in project_schedule(project)[project.periods_paid:])


def reconciliation_refusal(project: ProjectRow, claims: Sequence[ClaimRow]) -> str | None:
    """Why a project's claims do not add up to it, or None (R-C20). Each settlement splits
    an installment's principal among the claims and the last pays each claim its
    outstanding, so the claims' outstanding must be exactly the principal the schedule has
    left, and their principal the project's amount (the investors' shares): claims owed more
    than the borrower repays leave the last settlement short for ever (its repayment frozen,
    the project never closed), claims owed less leave the borrower's money with no one."""
    principal_fen = sum(c.principal_fen for c in claims)
    outstanding_fen = sum(c.outstanding_fen for c in claims)
    left_fen = principal_left_fen(project)
    if principal_fen == project.amount_fen and outstanding_fen == left_fen:
        return None
    return (f"project {project.project_id}: claims' principal {principal_fen} fen, amount "
            f"{project.amount_fen} fen; claims' outstanding {outstanding_fen} fen, schedule's "
            f"principal left {left_fen} fen after {project.periods_paid} period(s) paid")


def unreconciled(projects: Sequence[tuple[int, ProjectRow]],
                 claims: Sequence[tuple[int, ClaimRow]]) -> list[tuple[str, int, str]]:
    """The rows to refuse ``CLAIMS_DO_NOT_RECONCILE``, as (file, line, reason): a project
    whose claims do not add up to it, with every claim of it (a project is imported with
    its claims or not at all), and a claim whose project is not among ``projects`` (claims
    added to a project already on the platform would break its sums)."""
    of: dict[str, list[tuple[int, ClaimRow]]] = {}
    for line, claim in claims:
        of.setdefault(claim.project_id, []).append((line, claim))
    refused: list[tuple[str, int, str]] = []
    for line, project in projects:
        its = of.pop(project.project_id, [])
        why = reconciliation_refusal(project, [c for _, c in its])
        if why is not None:
            refused += [("projects", line, why), *(("claims", n, why) for n, _ in its)]
    refused += [("claims", line, f"project {claim.project_id} is not imported by this "
                 "migration: a project's claims are imported with it")
                for rows in of.values() for line, claim in rows]
    return refused


def funding_refusal(balance_total_fen: int, funded_fen: int) -> tuple[str, str] | None:
    """(code, message) when the money that arrived is not exactly the files' balance total
    (R-C20): a checker may not approve on money short or over."""
    if funded_fen < balance_total_fen:
        return ("migration_funding_short",
                f"{funded_fen} fen arrived of the {balance_total_fen} fen the users file holds")
    if funded_fen > balance_total_fen:
        return ("migration_funding_over",
                f"{funded_fen} fen arrived, {funded_fen - balance_total_fen} fen more than the "
                f"{balance_total_fen} fen the users file holds")
    return None
