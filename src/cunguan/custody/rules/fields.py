"""The type of every field a custody command takes, by the field's name.

One term, one meaning: a field called ``amount_fen`` is a positive int number of fen in every
command, ``card_no`` a card number normalized to ASCII digits, ``user_id`` an identifier. The
service layer checks every argument of every command against this table before anything is
read (``custody_base.checked``), and the set-based calls check each request record the same
way (``checked_record``), so the HTTP API, the CLI and the Python API refuse the same things
with the same ``field_invalid`` answer. A command whose parameter has no entry here fails at
import, so a new command cannot skip its checks.

What is checked here is the form of a field (type, range, characters); what it means for the
business (a card's Luhn digit and bank, an adult's ID number, a bid step) stays with the rules.
"""

import dataclasses
import functools
import re
from collections.abc import Callable, Mapping
from datetime import datetime
from functools import partial
from typing import Final, TypeVar

from cunguan.core import fields, limits
from cunguan.core.fields import FieldInvalid
from cunguan.custody.rules.kyc import IdKind
from cunguan.custody.rules.schedules import Method

Check = Callable[[object, str], object]
_DERIVED: Final = re.compile(r"[A-Za-z0-9_.:\-]+([#@][A-Za-z0-9_.:\-]+)*")
_T = TypeVar("_T")

#: The largest rate any custody field takes (100 % a year); rules narrow it (coupons 24 %).
RATE_MAX: Final = "1"
#: A transaction password (交易密码) is six digits (R-C4).
PASSWORD_DIGITS: Final = 6


def serial_no(value: object, field: str) -> str:
    """A serial no. a platform or operator gives (a request's, a withdrawal's, a batch's): 1
    to 64 ASCII letters, digits and ``_ . : -``. Never ``#`` or ``@``: the bank derives its
    own nos. with them (a fee's ``R1#fee``, a batch item's ``B1#3@2``), so no request a
    platform sends can take one of those."""
    return fields.identifier(value, field, limits.request_no_length_max)


def bank_serial_no(kind: str, *parts: object) -> str:
    """A ledger no. for what the bank does of its own accord (a month's custody fee, a
    migration's allocation): it starts with ``#``, which no serial no. a platform sends may
    hold, so a platform request — nor any no. derived from one, ``R1#2`` — can never take
    it first and turn the bank's posting away as a duplicate."""
    return "#" + ":".join([kind, *map(str, parts)])


def derived_serial_no(value: object, field: str) -> str:
    """A serial no. the bank derived from one given to it (``B1#3@2``, a batch's item at its
    second attempt): a serial no. followed by ``#``/``@`` parts."""
    if (not isinstance(value, str) or not 0 < len(value) <= limits.request_no_length_max
            or _DERIVED.fullmatch(value) is None):
        raise FieldInvalid(field, "must be a serial no. with #/@ parts")
    return value


def _identifier(max_length: int) -> Check:
    def check(value: object, field: str) -> str:
        return fields.identifier(value, field, max_length)
    return check


def _optional(check: Check) -> Check:
    def optional(value: object, field: str) -> object:
        return None if value is None else check(value, field)
    return optional


def _amount(minimum: int) -> Check:
    def check(value: object, field: str) -> int:
        return fields.amount_fen(value, field, minimum=minimum)
    return check


def _number(minimum: int, maximum: int) -> Check:
    return partial(_checked_number, minimum=minimum, maximum=maximum)


def _checked_number(value: object, field: str, *, minimum: int, maximum: int) -> int:
    return fields.whole_number(value, field, minimum=minimum, maximum=maximum)


def _digits(min_length: int, max_length: int) -> Check:
    def check(value: object, field: str) -> str:
        return fields.digits(value, field, min_length=min_length, max_length=max_length)
    return check


def _rate(value: object, field: str) -> str:
    return fields.rate(value, field, maximum=RATE_MAX)


def _password(value: object, field: str) -> str:
    """A transaction password as typed: six ASCII digits (R-C4). Anything else is refused by
    its form before the user's row is read, so it never counts as a wrong attempt towards
    the lock-out; the rules judge the digits (too simple, wrong)."""
    if (not isinstance(value, str) or len(value) != PASSWORD_DIGITS or not value.isascii()
            or not value.isdigit()):
        raise FieldInvalid(field, f"must be {PASSWORD_DIGITS} ASCII digits")
    return value


def _name(value: object, field: str) -> str:
    return fields.text(value, field, max_length=limits.name_field_length_max)


def _id_no(value: object, field: str) -> str:
    """An identity document's number: white space removed, ASCII letters and digits only,
    letters upper-case (a resident ID's check character X is typed either way)."""
    if not isinstance(value, str):
        raise FieldInvalid(field, f"must be text, got {type(value).__name__}")
    cleaned = "".join(value.split()).upper()
    if not 0 < len(cleaned) <= limits.id_no_length_max or not cleaned.isascii() or \
            not cleaned.isalnum():
        raise FieldInvalid(field, f"must be 1 to {limits.id_no_length_max} ASCII letters and "
                                  "digits")
    return cleaned


def _moment(value: object, field: str) -> datetime:
    """A point in time with its time zone, within the dates the bank deals in."""
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise FieldInvalid(field, "must be a datetime with a time zone")
    fields.day(value.date(), field)
    return value


def _day(value: object, field: str) -> object:
    return fields.day(value, field)


def _words(allowed: frozenset[str]) -> Check:
    return partial(_checked_word, allowed=allowed)


def _checked_word(value: object, field: str, *, allowed: frozenset[str]) -> str:
    return fields.choice(value, field, allowed)


def _enum(kind: type[IdKind] | type[Method]) -> Check:
    return partial(_checked_enum, kind=kind)


def _checked_enum(value: object, field: str, *, kind: type[IdKind] | type[Method]) -> object:
    if not isinstance(value, str) or value not in {member.value for member in kind}:
        raise FieldInvalid(field, "must be one of "
                                  + ", ".join(member.value for member in kind))
    return kind(value)


def _many(check: Check, most: int) -> Check:
    return partial(_checked_many, check=check, most=most)


def _checked_many(value: object, field: str, *, check: Check, most: int) -> tuple[object, ...]:
    if not isinstance(value, (list, tuple)) or not 0 < len(value) <= most:
        raise FieldInvalid(field, f"must be a list of 1 to {most} items")
    return tuple(check(item, field) for item in value)


def _flag(value: object, field: str) -> bool:
    return fields.flag(value, field)


_ID = _identifier(limits.identifier_length_max)
_MONEY = _amount(1)
_CARD = _digits(limits.card_no_digits_min, limits.card_no_digits_max)
_PHONE = _digits(1, limits.phone_digits_max)
#: Authorization kinds (免密授权, R-C10).
AUTHORIZATION_KINDS: Final = frozenset({"recharge", "bid", "repay", "withdraw"})

#: Every field of every custody command, by name.
FIELD_TYPES: Final[Mapping[str, Check]] = {
    "tenant_id": _identifier(limits.tenant_id_length_max),
    "request_no": serial_no, "withdrawal_no": serial_no, "batch_no": serial_no,
    "user_id": _ID, "borrower_user_id": _ID, "buyer_user_id": _ID, "seller_user_id": _ID,
    "guarantor_user_id": _optional(_ID), "holding_id": _optional(_ID),
    "project_id": _ID, "plan_id": _ID, "listing_id": _ID, "claim_id": _ID,
    "migration_id": _ID,
    "account_no": _identifier(limits.account_no_length_max),
    "amount_fen": _MONEY, "price_fen": _MONEY, "max_amount_fen": _MONEY,
    "bid_min_fen": _MONEY, "bid_max_fen": _MONEY, "bid_step_fen": _MONEY,
    "red_packet_fen": _amount(0),
    "card_no": _CARD, "old_card_no": _CARD, "new_card_no": _CARD,
    "payer_card_no": _digits(limits.payer_account_digits_min,
                              limits.payer_account_digits_max),
    "mobile": _PHONE, "reserved_mobile": _optional(_PHONE),
    "id_no": _id_no, "id_kind": _enum(IdKind), "name": _name,
    "password": _optional(_password), "new_password": _password,
    "annual_rate": _rate, "service_fee_rate": _rate, "fee_rate": _rate, "coupon_rate": _rate,
    "months": _number(1, limits.loan_term_months_max),
    "term_days": _number(1, limits.term_days_max),
    "raise_days": _number(1, limits.raise_days_max),
    "risk_level": _number(1, limits.risk_level_max),
    "risk_tolerance": _number(1, limits.risk_level_max),
    "method": _enum(Method),
    "role": _words(frozenset({"lender", "borrower", "guarantor"})),
    "kinds": _many(_words(AUTHORIZATION_KINDS), len(AUTHORIZATION_KINDS)),
    "payer": _words(frozenset({"guarantor", "risk_reserve"})),
    "approved": _flag, "succeeded": _flag, "newbie_only": _flag, "password_checked": _flag,
    "strict_mobile_match": _flag, "urgent": _flag,
    "expires_at": _moment, "settle_on": _day, "accounting_date": _day,
    "project_ids": _many(_ID, limits.requests_per_call_max),
}


def check_values(values: Mapping[str, object],
                 types: Mapping[str, Check] = FIELD_TYPES) -> dict[str, object]:
    """Each value checked by its field's type: the normalized values, or ``FieldInvalid``
    for the first field that is not of its form."""
    return {name: types[name](value, name) for name, value in values.items()}


def types_for(names: list[str], overrides: Mapping[str, Check]) -> dict[str, Check]:
    """The check of each named field (``overrides`` first, where a command's field of a
    common name means something narrower); a name with no type is a bug, found at import."""
    types = {**FIELD_TYPES, **overrides}
    missing = [name for name in names if name not in types]
    if missing:
        raise TypeError(f"custody fields without a type in custody/rules/fields.py: {missing}")
    return {name: types[name] for name in names}


def checked_record(record: _T, overrides: Mapping[str, Check] | None = None) -> _T:
    """A request record (a frozen dataclass) with every field checked and normalized."""
    kind: type = type(record)
    checks = (_record_checks(kind) if not overrides else tuple(types_for(
        [f.name for f in dataclasses.fields(record)], overrides).items()))  # type: ignore[arg-type]
    changed: dict[str, object] = {}
    for name, check in checks:
        value = getattr(record, name)
        normalized = check(value, name)
        if normalized is not value:
            changed[name] = normalized
    if not changed:
        return record
    return dataclasses.replace(record, **changed)  # type: ignore[type-var]


@functools.lru_cache(maxsize=64)
def _record_checks(kind: type) -> tuple[tuple[str, Check], ...]:
    """A record type's fields and their checks, found once (a set-based call checks
    thousands of records of a few types)."""
    return tuple(types_for([f.name for f in dataclasses.fields(kind)], {}).items())


def typed_text(value: object, field: str) -> str:
    """Text as a person typed it, to be normalized by its rule (a mobile, a card no., an ID
    no. or a name on a bank page, whose rules answer in their own codes: ``mobile_invalid``,
    ``card_no_invalid``…): only its type and size are checked here."""
    if not isinstance(value, str) or len(value) > limits.typed_text_length_max:
        raise FieldInvalid(field, f"must be text of at most {limits.typed_text_length_max} "
                                  "characters")
    return value


optional_typed_text = _optional(typed_text)
#: Identity fields a hosted page hands over as typed; their rules normalize and name them.
AS_TYPED: Final[Mapping[str, Check]] = {
    "mobile": typed_text, "card_no": typed_text, "old_card_no": typed_text,
    "new_card_no": typed_text, "id_no": typed_text, "name": typed_text,
    "reserved_mobile": optional_typed_text}


def word(allowed: frozenset[str]) -> Check:
    """A field that takes one of ``allowed`` (for a command's own ``kind``)."""
    return _words(allowed)

