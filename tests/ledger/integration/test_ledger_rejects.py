"""Every reject code, on both backends: named, and leaving every balance byte-identical."""

from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import Engine

from cunguan.core import limits
from cunguan.core.errors import CunguanError
from cunguan.ledger.model import (
    AccountStatus,
    Command,
    CompoundTransfer,
    Freeze,
    Payee,
    Posting,
    Reject,
    Release,
    Reverse,
    Settle,
    Side,
    Transfer,
)
from cunguan.ledger.service import LedgerService
from tests.helpers import FEE, MARKETING, OD, SUMMARY, TENANT, balances, ledger_with_tenant


def _funded(engine: Engine) -> LedgerService:
    ledger = ledger_with_tenant(engine)
    results = ledger.execute(TENANT, [
        Transfer("fund-u1", SUMMARY, "U1", 10_000, "recharge"),
        Transfer("fund-mk", SUMMARY, MARKETING, 5_000, "topup", funding=True),
        Transfer("fund-fee", "U1", FEE, 100, "fee"),
    ])
    assert all(r.ok for r in results)
    return ledger


def _hold(ledger: LedgerService, request_no: str, amount_fen: int = 1_000,
          account_no: str = "U1", expires_in: timedelta | None = None) -> int:
    expires_at = ledger.clock() + expires_in if expires_in is not None else None
    result = ledger.execute(TENANT, [Freeze(request_no, account_no, amount_fen, "bid",
                                            expires_at)])[0]
    assert result.ok, result
    assert result.tx_id is not None
    return result.tx_id


Setup = Callable[[LedgerService], Command]


def _closed(ledger: LedgerService) -> Command:
    ledger.set_account_status(TENANT, "U3", AccountStatus.CLOSED)
    return Transfer("x", "U1", "U3", 10)


def _frozen(ledger: LedgerService) -> Command:
    ledger.set_account_status(TENANT, "U1", AccountStatus.FROZEN_FOR_DEBIT)
    return Transfer("x", "U1", "U2", 10)


def _settled_hold(ledger: LedgerService) -> Command:
    hold_id = _hold(ledger, "h1")
    assert ledger.execute(TENANT, [Settle("s1", hold_id, (Payee("U2", 1_000),))])[0].ok
    return Settle("x", hold_id, (Payee("U2", 1_000),))


def _expired_hold(ledger: LedgerService) -> Command:
    hold_id = _hold(ledger, "h1", expires_in=timedelta(minutes=5))
    ledger.clock.advance(timedelta(minutes=6))  # type: ignore[attr-defined]
    return Settle("x", hold_id, (Payee("U2", 1_000),))


def _reversed(ledger: LedgerService) -> Command:
    tx_id = ledger.execute(TENANT, [Transfer("t1", "U1", "U2", 10)])[0].tx_id
    assert tx_id is not None
    assert ledger.execute(TENANT, [Reverse("v1", tx_id)])[0].ok
    return Reverse("x", tx_id)


def _freeze_tx(ledger: LedgerService) -> Command:
    return Reverse("x", _hold(ledger, "h1"))


def _duplicate(ledger: LedgerService) -> Command:
    assert ledger.execute(TENANT, [Transfer("dup", "U1", "U2", 10)])[0].ok
    return Transfer("dup", "U1", "U2", 11)


CASES: list[tuple[Reject, Setup]] = [
    (Reject.AMOUNT_MUST_BE_POSITIVE, lambda _: Transfer("x", "U1", "U2", 0)),
    (Reject.AMOUNT_EXCEEDS_LIMIT, lambda _: Transfer("x", "U1", "U2", limits.amount_fen_max + 1)),
    (Reject.ACCOUNTS_MUST_BE_DIFFERENT, lambda _: Transfer("x", "U1", "U1", 10)),
    (Reject.UNBALANCED_TRANSACTION, lambda _: CompoundTransfer("x", (
        Posting("U1", Side.DEBIT, 10), Posting("U2", Side.CREDIT, 9)))),
    (Reject.TOO_FEW_POSTINGS, lambda _: CompoundTransfer("x", (Posting("U1", Side.DEBIT, 10),))),
    (Reject.TOO_MANY_POSTINGS, lambda _: CompoundTransfer("x", tuple(
        Posting("U1" if i % 2 else "U2", Side.DEBIT if i % 2 else Side.CREDIT, 1)
        for i in range(limits.postings_per_transaction_max + 2)))),
    (Reject.FIELD_INVALID, lambda _: Transfer("r" * (limits.request_no_length_max + 1),
                                              "U1", "U2", 10)),
    (Reject.ACCOUNT_NOT_FOUND, lambda _: Transfer("x", "U1", "NOPE", 10)),
    (Reject.ACCOUNT_CLOSED, _closed),
    (Reject.ACCOUNT_FROZEN, _frozen),
    (Reject.ACCOUNT_IN_ONLY, lambda _: Transfer("x", FEE, "U2", 10)),
    (Reject.ACCOUNT_OUT_ONLY, lambda _: Transfer("x", "U1", MARKETING, 10)),
    (Reject.EXCEEDS_AVAILABLE, lambda _: Transfer("x", "U1", "U2", 10_001)),
    (Reject.HOLD_NOT_FOUND, lambda _: Release("x", 424242)),
    (Reject.HOLD_NOT_OPEN, _settled_hold),
    (Reject.HOLD_EXPIRED, _expired_hold),
    (Reject.SETTLE_EXCEEDS_HOLD, lambda led: Settle("x", _hold(led, "h1"), (
        Payee("U2", 600), Payee("U3", 401)))),
    (Reject.TRANSACTION_NOT_FOUND, lambda _: Reverse("x", 987654321)),
    (Reject.TRANSACTION_NOT_REVERSIBLE, _freeze_tx),
    (Reject.ALREADY_REVERSED, _reversed),
    (Reject.DUPLICATE_WITH_DIFFERENT_CONTENT, _duplicate),
]


@pytest.mark.parametrize(("code", "setup"), CASES, ids=[c.value for c, _ in CASES])
def test_r_l3_each_reject_code_is_named_and_changes_nothing(
        engine: Engine, code: Reject, setup: Setup) -> None:
    ledger = _funded(engine)
    command = setup(ledger)
    before = balances(ledger)
    result = ledger.execute(TENANT, [command])[0]
    assert result.reject is code
    assert result.tx_id is None
    assert balances(ledger) == before


def test_r_l3_exceeds_available_names_the_available_amount(engine: Engine) -> None:
    ledger = _funded(engine)
    result = ledger.execute(TENANT, [Transfer("x", "U1", "U2", 99_999)])[0]
    assert result.reject is Reject.EXCEEDS_AVAILABLE
    assert "available_fen=9900" in result.detail


def test_r_l3_overdraft_account_may_go_down_to_its_limit_and_no_further(engine: Engine) -> None:
    ledger = _funded(engine)
    ok, too_far = ledger.execute(TENANT, [Transfer("o1", OD, "U2", 50_000),
                                          Transfer("o2", OD, "U2", 1)])
    assert ok.ok
    assert too_far.reject is Reject.EXCEEDS_AVAILABLE
    assert ledger.account(TENANT, OD).balance_fen == -50_000


def test_r_l3_frozen_account_receives_nothing_and_frozen_for_debit_still_receives(
        engine: Engine) -> None:
    ledger = _funded(engine)
    ledger.set_account_status(TENANT, "U2", AccountStatus.FROZEN)
    ledger.set_account_status(TENANT, "U3", AccountStatus.FROZEN_FOR_DEBIT)
    to_frozen, to_debit_frozen = ledger.execute(TENANT, [
        Transfer("a", "U1", "U2", 10), Transfer("b", "U1", "U3", 10)])
    assert to_frozen.reject is Reject.ACCOUNT_FROZEN
    assert to_debit_frozen.ok


def test_linked_batch_fails_whole_and_names_the_culprit(engine: Engine) -> None:
    ledger = _funded(engine)
    before = balances(ledger)
    results = ledger.execute(TENANT, [
        Transfer("l1", "U1", "U2", 100), Transfer("l2", "U2", "U3", 100_000),
        Transfer("l3", "U1", "U3", 100)], linked=True)
    assert [r.reject for r in results] == [
        Reject.LINKED_COMMAND_FAILED, Reject.EXCEEDS_AVAILABLE, Reject.LINKED_COMMAND_FAILED]
    assert balances(ledger) == before
    # Nothing was recorded: the same request nos. can be sent again, corrected.
    again = ledger.execute(TENANT, [Transfer("l1", "U1", "U2", 100)], linked=True)
    assert again[0].ok and not again[0].replayed


def test_independent_batch_applies_each_item_on_its_own(engine: Engine) -> None:
    ledger = _funded(engine)
    results = ledger.execute(TENANT, [
        Transfer("i1", "U1", "U2", 100), Transfer("i2", "U2", "U3", 100_000),
        Transfer("i3", "U2", "U3", 100)])
    assert [r.reject for r in results] == [None, Reject.EXCEEDS_AVAILABLE, None]
    assert ledger.account(TENANT, "U3").balance_fen == 100


def test_unknown_tenant_is_a_named_error(engine: Engine) -> None:
    ledger = _funded(engine)
    with pytest.raises(CunguanError) as caught:
        ledger.execute("NOBODY", [Transfer("x", "U1", "U2", 1)])
    assert caught.value.code == Reject.TENANT_NOT_FOUND


def test_every_reject_code_has_a_test() -> None:
    tested = {code for code, _ in CASES} | {Reject.LINKED_COMMAND_FAILED,
                                             Reject.TENANT_NOT_FOUND}
    assert tested == set(Reject)
