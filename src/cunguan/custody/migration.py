"""Migration of an existing platform (存量迁移, R-C20): the cleansing rules, as pure functions.

Every input row ends in exactly one outcome. Migrated users set their transaction password at
activation on the bank's page, so every accepted user starts ``pending_activation`` (passports
and permits ``pending_review``); a card that cannot be used is kept for replacement at
activation instead of refusing the account.
"""

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from cunguan.core.money import MoneyError, parse_yuan
from cunguan.custody.cards import BinTable, CardError, validate_card_no
from cunguan.custody.kyc import IdKind, KycError, check_identity

USER_COLUMNS = ("user_id", "role", "name", "id_kind", "id_no", "mobile", "card_no", "balance")
REQUIRED = ("user_id", "role", "name", "id_kind", "id_no", "mobile")


class Outcome(StrEnum):
    OPENED = "opened"                        # pending activation (password at the bank page)
    MANUAL_REVIEW = "manual_review"          # passport / permit: an operator activates
    CARD_TO_REPLACE = "card_to_replace"      # opened; the card is replaced at activation
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
    usable = _card_usable(values["card_no"], bins, supported_banks)
    if identity.needs_review:
        outcome, code = Outcome.MANUAL_REVIEW, "manual_review"
    elif not usable:
        outcome, code = Outcome.CARD_TO_REPLACE, "card_to_replace"
    else:
        outcome, code = Outcome.OPENED, "ok"
    return UserDecision(outcome, code, "", values["user_id"], values["role"], identity.name,
                        id_kind, identity.id_no, identity.mobile, values["card_no"], usable,
                        balance_fen)


def _card_usable(card_no: str, bins: BinTable, supported_banks: frozenset[str]) -> bool:
    if not card_no:
        return False
    try:
        return validate_card_no(card_no, bins).bank_code in supported_banks
    except CardError:
        return False
