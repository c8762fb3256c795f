"""An item's life and its four exceptions (R-S7, R-S8): revoke (撤销), reversal (冲正),
stop-payment (止付) and return (退回), each with its preconditions and named refusals.

From seed 002:
- revoke: asked by the payer's clearing bank, for whole packages only, of non-real-time credits
  and debit receipts not yet netted;
- reversal: asked by the sender of a real-time item that did not get its result in time
  (``realtime_receipt_timeout_s``), while the item is not netted;
- stop-payment: asked by the bank that sent a debit (the payee's clearing bank), by package or
  item, only before the payer's bank returned its receipt; request and answer are paired: the
  payer's bank accepts (the item stops) or refuses (the item goes on);
- return: of netted ordinary or periodic credits and of debit receipts, whole or item, asked by
  the payer's clearing bank (or done by the payee's bank itself when the account cannot take the
  money), only while the money has not reached the payee's account. A return is a new flow back,
  netted like any other non-real-time item.
"""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from cunguan.clearing.rules.parameters import BusinessType, ClearingParameters
from cunguan.clearing.rules.refusals import ClearingError, Refusal


class ItemState(StrEnum):
    ACCEPTED = "accepted"                 # in an accepted package, not yet netted
    AWAITING_RECEIPT = "awaiting_receipt"  # real-time or debit: sent, the other bank to answer
    QUEUED = "queued"                     # over its payer's cap, waiting (R-S4)
    STOP_REQUESTED = "stop_requested"     # a debit the sender asked to stop, answer pending
    NETTED = "netted"                     # final (R-S4)
    SUBMITTED = "submitted"               # its session went to settlement (R-S6)
    SETTLED = "settled"                   # its session settled
    CREDITED = "credited"                 # the payee's bank credited the payee's account
    REFUSED = "refused"                   # over the cap (real-time) or the other bank said no
    REVOKED = "revoked"
    REVERSED = "reversed"
    STOPPED = "stopped"
    RETURNED = "returned"


#: States an item ends in: nothing more happens to it.
FINAL_STATES = frozenset({ItemState.CREDITED, ItemState.REFUSED, ItemState.REVOKED,
                          ItemState.REVERSED, ItemState.STOPPED, ItemState.RETURNED})
#: States of an item that is netted (final and irrevocable, R-S4).
NETTED_STATES = frozenset({ItemState.NETTED, ItemState.SUBMITTED, ItemState.SETTLED,
                           ItemState.CREDITED, ItemState.RETURNED})
#: A netted item's state once its session moved on, by the session's status (R-S5, R-S6).
#: The item's row stays ``netted``: closing and settling a session write the session, not
#: each of its items (a million-item day's two full updates of every row).
STATE_BY_SESSION_STATUS = {"submitted": ItemState.SUBMITTED, "settled": ItemState.SETTLED}


def effective_state(item_state: str, session_status: str | None) -> ItemState:
    """An item's state as every reader sees it: its stored state, except that a netted item
    whose session was submitted (settled) is submitted (settled)."""
    state = ItemState(item_state)
    if state is ItemState.NETTED and session_status is not None:
        return STATE_BY_SESSION_STATUS[session_status]
    return state


@dataclass(frozen=True, slots=True)
class ItemView:
    """What an exception needs to know of an item.

    Attributes:
      business_type: the item's kind.
      state: where it is in its life.
      payer_bank: the payer's clearing bank.
      payee_bank: the payee's clearing bank.
      sender_bank: the clearing bank that sent it (payer for credits, payee for debits).
      sent_at: when it was sent (the start of a real-time item's 20 seconds).
      is_receipt: a debit receipt (the payer bank's answer that it paid).
      is_return: a return (退回) of another item, flowing back to that item's payer.
    """

    business_type: BusinessType
    state: ItemState
    payer_bank: str
    payee_bank: str
    sender_bank: str
    sent_at: datetime
    is_receipt: bool = False
    is_return: bool = False


def _refuse_state(item: ItemView, step: str) -> ClearingError:
    return ClearingError(Refusal.ITEM_STATE_INVALID,
                         f"{step} is not allowed on a {item.state.value} "
                         f"{item.business_type.value} item", state=item.state.value)


def _require_bank(asking_bank: str, entitled_bank: str, step: str) -> None:
    if asking_bank != entitled_bank:
        raise ClearingError(Refusal.NOT_ENTITLED,
                            f"{step} belongs to {entitled_bank}, asked by {asking_bank}")


def revoke_package(items: tuple[ItemView, ...], asking_bank: str) -> ItemState:
    """Revoke a whole package (R-S7): every item moves to REVOKED, or the package is refused."""
    if not items:
        raise ClearingError(Refusal.PACKAGE_EMPTY, "a package without items")
    first = items[0]
    revocable = ((first.business_type.is_credit and not first.business_type.is_realtime)
                 or first.is_receipt)
    if not revocable:
        raise ClearingError(Refusal.BUSINESS_TYPE_INVALID,
                            "revoke takes non-real-time credits and debit receipts only")
    _require_bank(asking_bank, first.payer_bank, "revoke")
    if any(item.state in NETTED_STATES for item in items):
        raise ClearingError(Refusal.PACKAGE_PARTLY_NETTED,
                            "an item of the package is netted: it is final (R-S4)")
    for item in items:
        if item.state not in (ItemState.ACCEPTED, ItemState.QUEUED):
            raise _refuse_state(item, "revoke")
    return ItemState.REVOKED


def reverse_item(item: ItemView, asking_bank: str, now: datetime,
                 params: ClearingParameters) -> ItemState:
    """Reverse a real-time item whose result is overdue (R-S7, R-S8)."""
    if not item.business_type.is_realtime:
        raise ClearingError(Refusal.BUSINESS_TYPE_INVALID, "only real-time items are reversed")
    _require_bank(asking_bank, item.sender_bank, "reversal")
    if item.state is not ItemState.AWAITING_RECEIPT:
        raise _refuse_state(item, "reversal")
    if (now - item.sent_at).total_seconds() < params.realtime_receipt_timeout_s:
        raise ClearingError(Refusal.REVERSAL_TOO_EARLY,
                            f"the receipt is due within {params.realtime_receipt_timeout_s} s "
                            "of sending")
    return ItemState.REVERSED


def request_stop(item: ItemView, asking_bank: str) -> ItemState:
    """Ask to stop a sent debit before the payer's bank returned its receipt (R-S7)."""
    if not item.business_type.is_debit or item.business_type.is_realtime:
        raise ClearingError(Refusal.BUSINESS_TYPE_INVALID,
                            "stop-payment takes ordinary and periodic debits only")
    _require_bank(asking_bank, item.payee_bank, "stop-payment")
    if item.state is not ItemState.AWAITING_RECEIPT:
        raise _refuse_state(item, "stop-payment")
    return ItemState.STOP_REQUESTED


def answer_stop(item: ItemView, answering_bank: str, *, accepted: bool) -> ItemState:
    """The payer's bank answers a stop request: stopped, or the debit goes on (R-S7)."""
    _require_bank(answering_bank, item.payer_bank, "answering a stop-payment")
    if item.state is not ItemState.STOP_REQUESTED:
        raise _refuse_state(item, "a stop-payment answer")
    return ItemState.STOPPED if accepted else ItemState.AWAITING_RECEIPT


def return_item(item: ItemView, asking_bank: str) -> ItemState:
    """Return a netted credit or debit receipt whose money has not reached the payee (R-S7):
    asked by the payer's bank, or done by the payee's bank itself."""
    returnable = ((item.business_type.is_credit and not item.business_type.is_realtime)
                  or item.is_receipt)
    if not returnable:
        raise ClearingError(Refusal.BUSINESS_TYPE_INVALID,
                            "return takes ordinary and periodic credits and debit receipts")
    if item.is_return:
        raise ClearingError(Refusal.RETURN_NOT_RETURNABLE, "a return is not returned again: "
                            "what its payee cannot take is booked to suspense")
    if asking_bank not in (item.payer_bank, item.payee_bank):
        _require_bank(asking_bank, item.payer_bank, "return")
    if item.state is ItemState.CREDITED:
        raise ClearingError(Refusal.ALREADY_CREDITED,
                            "the money reached the payee's account: it cannot be returned")
    if item.state not in (ItemState.NETTED, ItemState.SUBMITTED, ItemState.SETTLED):
        raise _refuse_state(item, "return")
    return ItemState.RETURNED
