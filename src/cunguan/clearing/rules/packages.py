"""Packages of payment items from participants, checked whole at intake (R-S1, R-S2).

Money always flows from the debtor (payer) to the creditor (payee). A credit package is sent by
the debtor's bank to the creditor's; a debit package (a request to collect) by the creditor's bank
to the debtor's. A package is accepted or refused whole: one bad item refuses it, with the item
no. in the refusal, and a refused package changes nothing.
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from cunguan.clearing.rules.netting import Flow
from cunguan.clearing.rules.parameters import BusinessType, ClearingParameters
from cunguan.clearing.rules.participants import Participant, clearing_bank
from cunguan.clearing.rules.refusals import ClearingError, Refusal


@dataclass(frozen=True, slots=True)
class Item:
    """One payment item of a package.

    Attributes:
      item_no: its place in the package (1-based).
      end_to_end_id: the originator's reference, unique within the package.
      debtor_bank: the payer's bank (CNAPS code; may be an indirect participant).
      debtor_account: the payer's account no.
      debtor_name: the payer's name.
      creditor_bank: the payee's bank.
      creditor_account: the payee's account no.
      creditor_name: the payee's name.
      amount_fen: > 0 for money-moving business, 0 for information.
      debit_term_days: a debit's N of T+N (0 for credits and information).
    """

    item_no: int
    end_to_end_id: str
    debtor_bank: str
    debtor_account: str
    debtor_name: str
    creditor_bank: str
    creditor_account: str
    creditor_name: str
    amount_fen: int
    debit_term_days: int = 0


@dataclass(frozen=True, slots=True)
class Package:
    """A package (业务包) as a participant sent it.

    Attributes:
      message_id: the sender's id of the message, unique per sender (idempotency key).
      business_type: one type for the whole package.
      sender_bank: the bank that sent it.
      receiver_bank: the bank it is for.
      work_date: the working day it is meant for.
      control_count: the item count the sender states.
      control_sum_fen: the amount sum the sender states.
      items: the items.
    """

    message_id: str
    business_type: BusinessType
    sender_bank: str
    receiver_bank: str
    work_date: date
    control_count: int
    control_sum_fen: int
    items: tuple[Item, ...]


@dataclass(frozen=True, slots=True)
class AcceptedPackage:
    """A package that passed intake, with each item's clearing banks resolved."""

    package: Package
    flows: tuple[Flow, ...]

    @property
    def sum_fen(self) -> int:
        return sum(flow.amount_fen for flow in self.flows)


def _refuse(code: Refusal, message: str, **details: object) -> ClearingError:
    return ClearingError(code, message, **details)


def check_package(package: Package, register: Mapping[str, Participant], *,
                  work_date: date, params: ClearingParameters) -> AcceptedPackage:
    """The package's checks in the order a bank's operator would read them; the first that
    fails refuses the package whole."""
    sender = clearing_bank(package.sender_bank, register, "sender_bank")
    receiver = clearing_bank(package.receiver_bank, register, "receiver_bank")
    if package.work_date != work_date:
        raise _refuse(Refusal.WRONG_WORK_DATE,
                      f"package is for {package.work_date}, the working day is {work_date}")
    _check_shape(package, params)
    _check_totals(package)
    resolved: dict[str, Participant] = {}   # a code's clearing bank, looked up once

    def clearing(code: str, field: str) -> Participant:
        member = resolved.get(code)
        if member is None:     # a refusal names the first item with the code, as item by item
            member = resolved[code] = clearing_bank(code, register, field)
        return member
    banks = [_banks(package, item, clearing, sender, receiver, params)
             for item in package.items]
    if not package.business_type.moves_money:
        return AcceptedPackage(package, ())
    return AcceptedPackage(package, tuple(
        Flow(item_id(package.sender_bank, package.message_id, item.item_no),
             package.business_type, debtor, creditor, item.amount_fen)
        for item, (debtor, creditor) in zip(package.items, banks, strict=True)))


def _check_shape(package: Package, params: ClearingParameters) -> None:
    count = len(package.items)
    if not 0 < count <= params.items_per_package_max:
        raise _refuse(Refusal.PACKAGE_EMPTY,
                      f"{count} items: a package carries 1..{params.items_per_package_max}")
    if package.business_type.is_realtime and count != 1:
        raise _refuse(Refusal.PACKAGE_REALTIME_NOT_SINGLE,
                      f"a real-time package carries one item, this one {count}")
    ids = [item.end_to_end_id for item in package.items]
    if len(set(ids)) != len(ids):
        raise _refuse(Refusal.DUPLICATE_ITEM, "two items share an end-to-end id")
    terms = {item.debit_term_days for item in package.items}
    if package.business_type.is_debit and len(terms) > 1:
        raise _refuse(Refusal.PACKAGE_MIXED_DEBIT_TERMS,
                      f"debits with T+N of {sorted(terms)} in one package")


def _check_totals(package: Package) -> None:
    total = sum(item.amount_fen for item in package.items)
    if (package.control_count, package.control_sum_fen) != (len(package.items), total):
        raise _refuse(Refusal.CONTROL_TOTALS_MISMATCH,
                      f"the package states {package.control_count} items and "
                      f"{package.control_sum_fen} fen; its items are {len(package.items)} "
                      f"and {total} fen")


def _banks(package: Package, item: Item, clearing: Callable[[str, str], Participant],
           sender: Participant, receiver: Participant,
           params: ClearingParameters) -> tuple[str, str]:
    """The item's checks; its debtor's and creditor's clearing banks."""
    kind = package.business_type
    _check_amount(kind, item, params)
    _check_term(kind, item, params)
    debtor = clearing(item.debtor_bank, f"items[{item.item_no}].debtor_bank")
    creditor = clearing(item.creditor_bank, f"items[{item.item_no}].creditor_bank")
    sending, receiving = (creditor, debtor) if kind.is_debit else (debtor, creditor)
    if sending.bank_code != sender.bank_code:
        raise _refuse(Refusal.ITEM_NOT_SENDERS,
                      f"item {item.item_no}: its bank clears through {sending.bank_code}, "
                      f"not the sender {sender.bank_code}", item_no=item.item_no)
    if receiving.bank_code != receiver.bank_code:
        raise _refuse(Refusal.PACKAGE_MIXED_RECEIVERS,
                      f"item {item.item_no} goes to {receiving.bank_code}, the package to "
                      f"{receiver.bank_code}", item_no=item.item_no)
    return debtor.bank_code, creditor.bank_code


def _check_amount(kind: BusinessType, item: Item, params: ClearingParameters) -> None:
    if not kind.moves_money:
        if item.amount_fen != 0:
            raise _refuse(Refusal.BUSINESS_TYPE_INVALID,
                          f"item {item.item_no}: information moves no money",
                          item_no=item.item_no)
        return
    if item.amount_fen <= 0:
        raise _refuse(Refusal.FIELD_INVALID, f"item {item.item_no}: amount must be > 0",
                      field=f"items[{item.item_no}].amount_fen", reason="must be > 0")
    if kind.is_credit and item.amount_fen > params.credit_item_max_fen:
        raise _refuse(Refusal.CREDIT_OVER_CEILING,
                      f"item {item.item_no}: {item.amount_fen} fen is above the "
                      f"{params.credit_item_max_fen} fen small-value ceiling",
                      item_no=item.item_no)


def _check_term(kind: BusinessType, item: Item, params: ClearingParameters) -> None:
    bad = (not 0 <= item.debit_term_days <= params.debit_answer_days_max
           if kind.is_debit else item.debit_term_days != 0)
    if bad:
        raise _refuse(Refusal.DEBIT_TERM_INVALID,
                      f"item {item.item_no}: T+{item.debit_term_days} for a {kind.value}",
                      item_no=item.item_no)


def package_flows(accepted: Sequence[AcceptedPackage]) -> list[Flow]:
    """The money flows of accepted packages, in arrival order."""
    return [flow for package in accepted for flow in package.flows]


def item_id(sender_bank: str, message_id: str, item_no: int) -> str:
    """An item's id: its sender, its package's message id and its no. (at most
    ``limits.clearing_item_id_length_max`` characters)."""
    return f"{sender_bank}:{message_id}:{item_no}"


def return_id(returned_item_id: str) -> str:
    """A return's id: the returned item's and ``:R``, once (a return is never returned)."""
    return f"{returned_item_id}:R"
