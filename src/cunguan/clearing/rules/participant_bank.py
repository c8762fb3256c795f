"""A participant bank's own side of BEPS (issue 22, R-S2, R-S4, R-S7): pure rules.

The bank keeps its customers' accounts on the ledger in a tenant of its own. Outward, a
customer's credit item holds the amount on the customer's account when the bank accepts it; the
bank's next packages carry it (one package per receiving clearing bank, R-S2); once the item
nets (final, R-S4) the hold settles to the bank's BEPS clearing account, and when BEPS refuses
it (or it is revoked, reversed, stopped) the hold is released. Inward, a netted credit is
credited to the named customer's account; an account that cannot take it (unknown, closed,
frozen) makes the bank return the item (退回, R-S7).
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from cunguan.clearing.rules.exceptions import NETTED_STATES, ItemState
from cunguan.clearing.rules.packages import Item, Package
from cunguan.clearing.rules.parameters import BusinessType

#: The bank's BEPS clearing account (小额支付往来) in its own tenant: outward items settle into
#: it, inward ones are paid out of it; its balance is what the bank owes BEPS net.
BEPS_ACCOUNT = "BEPS-CLEARING"
#: Cash (库存现金): the counterpart of a customer's cash deposit.
VAULT_ACCOUNT = "VAULT"
#: Suspense (挂账, 其他应付款): an inward real-time credit netted for an account that cannot
#: take it — final in BEPS and not returnable (R-S7) — waits here for the operator.
SUSPENSE_ACCOUNT = "SUSPENSE"


class TransferState(StrEnum):
    PENDING = "pending"      # outward: accepted (held), waiting for the bank's next package
    SENT = "sent"            # outward: in a package, not yet netted
    SETTLED = "settled"      # outward: netted, the hold settled to the BEPS account
    RELEASED = "released"    # outward: refused, revoked, reversed or stopped; hold released
    CREDITED = "credited"    # inward: on the customer's account
    RETURNED = "returned"    # inward: the account could not take it, returned (R-S7)
    SUSPENDED = "suspended"  # inward: not returnable (real-time), on the suspense account


#: Clearing item states after which an outward item's hold is released: no money moved.
_UNDONE = frozenset({ItemState.REFUSED, ItemState.REVOKED, ItemState.REVERSED,
                     ItemState.STOPPED})
#: Ledger refusals meaning a customer's account cannot take an inward credit.
_CANNOT_TAKE = frozenset({"account_not_found", "account_closed", "account_frozen",
                          "field_invalid"})


def bank_tenant(bank_code: str) -> str:
    """The ledger tenant of a participant bank's own books."""
    return f"pb{bank_code}"


def outward_outcome(item_state: str) -> TransferState | None:
    """What an outward transfer's clearing item state means for its hold: settle once netted,
    release once undone, else wait (accepted, queued, awaiting an answer)."""
    state = ItemState(item_state)
    if state in NETTED_STATES:
        return TransferState.SETTLED
    if state in _UNDONE:
        return TransferState.RELEASED
    return None


def returnable(business_type: str, *, is_return: bool = False) -> bool:
    """May the payee's bank return an inward item its customer's account cannot take (R-S7:
    ordinary and periodic credits, and debit receipts; a real-time item was answered before it
    netted, so it is not)? A return is never returned again: the payer's bank books what its
    customer cannot take to suspense, so that no item goes back and forth between two banks."""
    return not BusinessType(business_type).is_realtime and not is_return


def cannot_take(ledger_reject: str | None) -> bool:
    """Does the ledger's refusal of an inward credit mean the account cannot take it (a
    return), rather than a fault of the bank's own?"""
    return ledger_reject in _CANNOT_TAKE


@dataclass(frozen=True, slots=True)
class Outward:
    """An outward credit waiting for a package.

    Attributes:
      transfer_no: the bank's order of acceptance (packages carry items in it).
      serial_no: the bank's serial no., the item's end-to-end id.
      customer_account: the payer's account at the bank.
      customer_name: the payer's name.
      creditor_bank: the payee's bank.
      creditor_account: the payee's account.
      creditor_name: the payee's name.
      amount_fen: what is paid.
    """

    transfer_no: int
    serial_no: str
    customer_account: str
    customer_name: str
    creditor_bank: str
    creditor_account: str
    creditor_name: str
    amount_fen: int


def packages_of(bank_code: str, pending: Sequence[Outward],
                receivers: Mapping[str, str], *, work_date: date,
                items_max: int) -> list[tuple[Package, tuple[Outward, ...]]]:
    """The bank's next packages: its pending outward credits grouped by the clearing bank that
    receives them (R-S2: one receiving bank per ordinary-credit package), in acceptance order,
    at most ``items_max`` items each. ``receivers`` maps a creditor bank to its clearing bank.
    A package's message id is ``PB`` and its first transfer's no.: unique per sender."""
    groups: dict[str, list[Outward]] = {}
    for out in sorted(pending, key=lambda o: o.transfer_no):
        groups.setdefault(receivers[out.creditor_bank], []).append(out)
    packages = []
    for receiver, outs in sorted(groups.items(), key=lambda g: g[1][0].transfer_no):
        for start in range(0, len(outs), items_max):
            chunk = tuple(outs[start:start + items_max])
            items = tuple(Item(n, o.serial_no, bank_code, o.customer_account, o.customer_name,
                               o.creditor_bank, o.creditor_account, o.creditor_name,
                               o.amount_fen) for n, o in enumerate(chunk, 1))
            packages.append((Package(f"PB{chunk[0].transfer_no}", BusinessType.ORDINARY_CREDIT,
                                     bank_code, receiver, work_date, len(items),
                                     sum(o.amount_fen for o in chunk), items), chunk))
    return packages
