"""Clearing commands built from raw fields (a JSON body, a CLI's options, a parsed message):
every field checked here, so HTTP, the CLI and Python refuse the same things the same way."""

from collections.abc import Mapping, Sequence
from typing import Any

from cunguan.clearing.rules.packages import Item, Package
from cunguan.clearing.rules.parameters import BusinessType
from cunguan.clearing.rules.participants import bank_code
from cunguan.core import limits
from cunguan.core.fields import (
    FieldInvalid,
    amount_fen,
    choice,
    identifier,
    iso_day,
    text,
    whole_number,
)

_TYPES = tuple(t.value for t in BusinessType)


def _mapping(value: object, field: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise FieldInvalid(field, f"must be an object, got {type(value).__name__}")
    return value


def message_id(value: object, field: str = "message_id") -> str:
    return identifier(value, field, max_length=limits.clearing_message_id_length_max)


def business_type(value: object, field: str = "business_type") -> BusinessType:
    return BusinessType(choice(value, field, _TYPES))


def item_from(raw: object, field: str) -> Item:
    """One item of a package from its raw fields."""
    fields = _mapping(raw, field)
    return Item(
        item_no=whole_number(fields.get("item_no"), f"{field}.item_no", minimum=1,
                             maximum=limits.clearing_items_per_package_max),
        end_to_end_id=identifier(fields.get("end_to_end_id"), f"{field}.end_to_end_id",
                                 max_length=limits.clearing_message_id_length_max),
        debtor_bank=bank_code(fields.get("debtor_bank"), f"{field}.debtor_bank"),
        debtor_account=identifier(fields.get("debtor_account"), f"{field}.debtor_account",
                                  max_length=limits.account_no_length_max),
        debtor_name=text(fields.get("debtor_name"), f"{field}.debtor_name",
                         max_length=limits.name_field_length_max),
        creditor_bank=bank_code(fields.get("creditor_bank"), f"{field}.creditor_bank"),
        creditor_account=identifier(fields.get("creditor_account"),
                                    f"{field}.creditor_account",
                                    max_length=limits.account_no_length_max),
        creditor_name=text(fields.get("creditor_name"), f"{field}.creditor_name",
                           max_length=limits.name_field_length_max),
        amount_fen=amount_fen(fields.get("amount_fen"), f"{field}.amount_fen", minimum=0),
        debit_term_days=whole_number(fields.get("debit_term_days", 0),
                                     f"{field}.debit_term_days", minimum=0,
                                     maximum=limits.clearing_debit_answer_days_max))


def package_from(raw: object) -> Package:
    """A package from its raw fields; the package's own rules are checked at intake."""
    fields = _mapping(raw, "package")
    items = fields.get("items")
    if not isinstance(items, Sequence) or isinstance(items, str | bytes):
        raise FieldInvalid("items", "must be a list of items")
    if len(items) > limits.clearing_items_per_package_max:
        raise FieldInvalid("items", f"at most {limits.clearing_items_per_package_max} items")
    return Package(
        message_id=message_id(fields.get("message_id")),
        business_type=business_type(fields.get("business_type")),
        sender_bank=bank_code(fields.get("sender_bank"), "sender_bank"),
        receiver_bank=bank_code(fields.get("receiver_bank"), "receiver_bank"),
        work_date=iso_day(fields.get("work_date"), "work_date"),
        control_count=whole_number(fields.get("control_count"), "control_count", minimum=0,
                                   maximum=limits.clearing_items_per_package_max),
        control_sum_fen=amount_fen(fields.get("control_sum_fen"), "control_sum_fen",
                                   minimum=0),
        items=tuple(item_from(raw_item, f"items[{i}]") for i, raw_item in enumerate(items)))
