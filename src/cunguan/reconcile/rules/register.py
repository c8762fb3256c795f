"""The bank accounts register (R-B1) and the operator's inputs checked where they are built:
a bank account with its kind and the ledger accounts it mirrors, an operator's name, an
adjustment's legs. Pure: the store writes what these records say, the edges only pass text."""

from dataclasses import dataclass
from enum import StrEnum

from cunguan.core import fields, limits
from cunguan.reconcile.rules.classes import BankKind, BankRole, CustomerKind


class AccountKind(StrEnum):
    """The kinds of reserve and custody bank account (R-B1, R-P5)."""

    CUSTODY = "custody"                   # 存管户: the custody bank's, pays across banks
    RECEIPT_PAYMENT = "receipt_payment"   # 收付户: pays within its own bank only
    COLLECTION = "collection"             # 汇缴户: collects, sweeps to the custody account
    COOPERATING = "cooperating"           # 合作行: a cooperating bank's, report mode (R-B4)
    CHANNEL = "channel"                   # a quick-pay channel's settlement account


#: The length of an operator's name as stored with every action.
OPERATOR_LENGTH_MAX = 64
#: A bank's display name.
BANK_NAME_LENGTH_MAX = 64


@dataclass(frozen=True, slots=True)
class BankAccount:
    """A bank account reconciled, as registered.

    Attributes:
      account_no: the bank's account no. (letters, digits, ``_ . : -``).
      bank_name: the bank's name, as shown in reports.
      kind: custody, receipt_payment, collection, cooperating or channel.
      currency: ISO 4217, ``CNY`` by default.
      tenant_id: the tenant whose ledger it mirrors, or None (report mode only).
      mirrors: the ledger accounts (of ``tenant_id``) whose fund log is its books' side.
    """

    account_no: str
    bank_name: str
    kind: AccountKind
    currency: str = "CNY"
    tenant_id: str | None = None
    mirrors: tuple[str, ...] = ()


def bank_account_no(value: object, field: str = "account_no") -> str:
    return fields.identifier(value, field, limits.bank_account_no_length_max)


def operator(value: object, field: str = "operator") -> str:
    """Who acts: a name the operator console or the CLI gives; recorded with every action."""
    return fields.text(value, field, max_length=OPERATOR_LENGTH_MAX)


def currency(value: object, field: str = "currency") -> str:
    if not isinstance(value, str) or len(value) != 3 or not value.isascii() \
            or not value.isalpha() or not value.isupper():
        raise fields.FieldInvalid(field, "must be a three-letter ISO 4217 code (CNY)")
    return value


def bank_account(account_no: object, bank_name: object, kind: object, *,
                 currency_code: object = "CNY", tenant_id: object = None,
                 mirrors: object = ()) -> BankAccount:
    """The register's record, every field checked; mirrors need a tenant, and a cooperating
    bank's account in report mode may have neither."""
    account = bank_account_no(account_no)
    name = fields.text(bank_name, "bank_name", max_length=BANK_NAME_LENGTH_MAX)
    chosen = AccountKind(fields.choice(kind, "kind", tuple(AccountKind)))
    code = currency(currency_code)
    tenant = fields.optional_identifier(tenant_id, "tenant_id", limits.tenant_id_length_max)
    if not isinstance(mirrors, tuple | list):
        raise fields.FieldInvalid("mirrors", "must be a list of ledger account nos.")
    mirrored = tuple(fields.identifier(m, "mirrors", limits.account_no_length_max)
                     for m in mirrors)
    if len(set(mirrored)) != len(mirrored):
        raise fields.FieldInvalid("mirrors", "names a ledger account twice")
    if mirrored and tenant is None:
        raise fields.FieldInvalid("tenant_id", "mirrored ledger accounts need their tenant")
    return BankAccount(account, name, chosen, code, tenant, mirrored)


def note_text(value: object, field: str = "note") -> str:
    return fields.text(value, field, max_length=limits.reconcile_note_length_max)


#: The ledger subjects of customer fund accounts (R-B1) and their kind: a custody platform's
#: users' accounts (2011) are payment accounts, its unallocated receipts (2249, 挂账) pending
#: funds; a payment institution's chart uses the detail codes 201101…201104.
CUSTOMER_SUBJECTS: dict[str, CustomerKind] = {
    "2011": CustomerKind.PAYMENT, "201101": CustomerKind.PAYMENT,
    "201102": CustomerKind.SETTLEMENT, "201103": CustomerKind.PREPAID,
    "201104": CustomerKind.PENDING, "2249": CustomerKind.PENDING,
}

#: A registered account's kind as R-B1's bank kind and role; a channel's settlement account
#: holds no reserve funds (None). A cooperating bank's account is taken as its receipt-payment
#: account (收付户), the account cooperating banks hold.
RESERVE_ROLES: dict[AccountKind, tuple[BankKind, BankRole] | None] = {
    AccountKind.CUSTODY: (BankKind.CUSTODY, BankRole.CUSTODY),
    AccountKind.RECEIPT_PAYMENT: (BankKind.CUSTODY, BankRole.RECEIPT_PAYMENT),
    AccountKind.COLLECTION: (BankKind.CUSTODY, BankRole.COLLECTION),
    AccountKind.COOPERATING: (BankKind.COOPERATING, BankRole.RECEIPT_PAYMENT),
    AccountKind.CHANNEL: None,
}
