"""R-S7 and R-S8: revoke, reversal, stop-payment and return, each only where the seed allows."""

from datetime import UTC, datetime, timedelta

import pytest

from cunguan.clearing.rules.exceptions import (
    ItemState,
    ItemView,
    answer_stop,
    request_stop,
    return_item,
    reverse_item,
    revoke_package,
)
from cunguan.clearing.rules.parameters import BusinessType, ClearingParameters
from cunguan.clearing.rules.refusals import ClearingError, Refusal

PAYER, PAYEE, OTHER = "102100099996", "105100000017", "103100000026"
SENT = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
PARAMS = ClearingParameters()


def view(kind: BusinessType, state: ItemState, *, receipt: bool = False) -> ItemView:
    sender = PAYEE if kind.is_debit and not receipt else PAYER
    return ItemView(kind, state, PAYER, PAYEE, sender, SENT, receipt)


def code(call: object) -> str:
    with pytest.raises(ClearingError) as caught:
        call()  # type: ignore[operator]
    return caught.value.code


CREDIT = BusinessType.ORDINARY_CREDIT


def test_r_s7_revoke_takes_whole_unnetted_credit_packages_from_the_payer_bank() -> None:
    items = (view(CREDIT, ItemState.ACCEPTED), view(CREDIT, ItemState.QUEUED))
    assert revoke_package(items, PAYER) is ItemState.REVOKED
    assert code(lambda: revoke_package(items, PAYEE)) == Refusal.NOT_ENTITLED
    partly = (view(CREDIT, ItemState.ACCEPTED), view(CREDIT, ItemState.NETTED))
    assert code(lambda: revoke_package(partly, PAYER)) == Refusal.PACKAGE_PARTLY_NETTED
    rt = (view(BusinessType.REALTIME_CREDIT, ItemState.AWAITING_RECEIPT),)
    assert code(lambda: revoke_package(rt, PAYER)) == Refusal.BUSINESS_TYPE_INVALID
    receipt = (view(BusinessType.ORDINARY_DEBIT, ItemState.ACCEPTED, receipt=True),)
    assert revoke_package(receipt, PAYER) is ItemState.REVOKED


def test_r_s8_a_real_time_item_is_reversed_only_after_its_receipt_is_overdue() -> None:
    item = view(BusinessType.REALTIME_CREDIT, ItemState.AWAITING_RECEIPT)
    early = SENT + timedelta(seconds=PARAMS.realtime_receipt_timeout_s - 1)
    late = SENT + timedelta(seconds=PARAMS.realtime_receipt_timeout_s)
    assert code(lambda: reverse_item(item, PAYER, early, PARAMS)) == Refusal.REVERSAL_TOO_EARLY
    assert reverse_item(item, PAYER, late, PARAMS) is ItemState.REVERSED
    netted = view(BusinessType.REALTIME_CREDIT, ItemState.NETTED)
    assert code(lambda: reverse_item(netted, PAYER, late, PARAMS)) == Refusal.ITEM_STATE_INVALID
    assert code(lambda: reverse_item(item, OTHER, late, PARAMS)) == Refusal.NOT_ENTITLED
    ordinary = view(CREDIT, ItemState.ACCEPTED)
    assert code(lambda: reverse_item(ordinary, PAYER, late, PARAMS)
                ) == Refusal.BUSINESS_TYPE_INVALID


def test_r_s7_stop_payment_is_asked_by_the_debits_sender_and_answered_by_the_payer() -> None:
    debit = view(BusinessType.PERIODIC_DEBIT, ItemState.AWAITING_RECEIPT)
    assert request_stop(debit, PAYEE) is ItemState.STOP_REQUESTED
    assert code(lambda: request_stop(debit, PAYER)) == Refusal.NOT_ENTITLED
    asked = view(BusinessType.PERIODIC_DEBIT, ItemState.STOP_REQUESTED)
    assert answer_stop(asked, PAYER, accepted=True) is ItemState.STOPPED
    assert answer_stop(asked, PAYER, accepted=False) is ItemState.AWAITING_RECEIPT
    assert code(lambda: answer_stop(asked, PAYEE, accepted=True)) == Refusal.NOT_ENTITLED
    paid = view(BusinessType.PERIODIC_DEBIT, ItemState.NETTED)
    assert code(lambda: request_stop(paid, PAYEE)) == Refusal.ITEM_STATE_INVALID
    assert code(lambda: answer_stop(debit, PAYER, accepted=True)) == Refusal.ITEM_STATE_INVALID


def test_r_s7_a_netted_credit_returns_only_while_the_payee_is_not_credited() -> None:
    for state in (ItemState.NETTED, ItemState.SUBMITTED, ItemState.SETTLED):
        assert return_item(view(CREDIT, state), PAYER) is ItemState.RETURNED
        assert return_item(view(CREDIT, state), PAYEE) is ItemState.RETURNED
    assert code(lambda: return_item(view(CREDIT, ItemState.CREDITED), PAYER)
                ) == Refusal.ALREADY_CREDITED
    assert code(lambda: return_item(view(CREDIT, ItemState.ACCEPTED), PAYER)
                ) == Refusal.ITEM_STATE_INVALID
    assert code(lambda: return_item(view(CREDIT, ItemState.NETTED), OTHER)
                ) == Refusal.NOT_ENTITLED
    rt = view(BusinessType.REALTIME_CREDIT, ItemState.NETTED)
    assert code(lambda: return_item(rt, PAYER)) == Refusal.BUSINESS_TYPE_INVALID


def test_r_s7_a_return_is_not_returned_again() -> None:
    back = ItemView(CREDIT, ItemState.NETTED, PAYEE, PAYER, PAYEE, SENT, is_return=True)
    for bank in (PAYER, PAYEE):
        assert code(lambda b=bank: return_item(back, b)) == Refusal.RETURN_NOT_RETURNABLE
