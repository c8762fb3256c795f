"""A participant bank's own side of BEPS on SQLite and PostgreSQL (issue 22): outward credits
held on the customer's account, settled once netted, released when undone; inward credits on
the named account, or returned when it cannot take them (R-S2, R-S4, R-S7)."""

from typing import Any

import pytest
from sqlalchemy import Engine

from cunguan.clearing.handlers.service import ClearingService
from cunguan.clearing.rules.participant_bank import BEPS_ACCOUNT, SUSPENSE_ACCOUNT, bank_tenant
from cunguan.clearing.rules.refusals import ClearingError, Refusal
from cunguan.core.errors import CunguanError
from cunguan.ledger.model import AccountStatus
from tests.clearing.integration.helpers import BOC, CCB, ICBC, clearing, credit


def code(call: Any) -> str:
    with pytest.raises(CunguanError) as caught:
        call()
    return caught.value.code


def banks(engine: Engine) -> ClearingService:
    """ICBC and CCB with books: ICBC's customer C1 holds 100,000 fen, CCB's D1 nothing."""
    service, _ = clearing(engine)
    for bank in (ICBC, CCB, BOC):
        service.set_cap(bank, collateral_fen=0, haircut_bps=0, credit_line_fen=1_000_000)
        service.open_bank_books(bank)
    service.open_customer_account(ICBC, "C1", "cust1")
    service.deposit(ICBC, "cash1", "C1", 100_000)
    service.open_customer_account(CCB, "D1", "cust2")
    service.open_customer_account(BOC, "B1", "cust3")
    return service


def account(service: ClearingService, bank: str, account_no: str) -> tuple[int, int]:
    found = service.ledger.account(bank_tenant(bank), account_no)
    return found.balance_fen, found.frozen_fen


def send(service: ClearingService, serial: str, amount_fen: int, *, to: str = CCB,
         account_no: str = "D1") -> dict[str, Any]:
    return service.send_credit(ICBC, serial, "C1", "张三", to, account_no, "李四", amount_fen)


def test_r_s4_an_outward_credit_is_held_then_settled_once_netted_and_credited_inward(
        engine: Engine) -> None:
    service = banks(engine)
    assert send(service, "S1", 30_000)["state"] == "pending"
    assert account(service, ICBC, "C1") == (100_000, 30_000)          # held, not moved
    out = service.send_outward(ICBC)
    assert [p["items"] for p in out["packages"]] == [1] and out["settled"] == ["S1"]
    assert account(service, ICBC, "C1") == (70_000, 0)
    assert account(service, ICBC, BEPS_ACCOUNT)[0] == 30_000         # owed to BEPS
    item_id = service.transfer(ICBC, "S1")["item_id"]
    assert service.take_inward(CCB) == {"credited": [item_id], "returned": [], "suspended": []}
    assert account(service, CCB, "D1") == (30_000, 0)
    assert account(service, CCB, BEPS_ACCOUNT)[0] == -30_000
    assert service.item_state(item_id) == "credited"
    assert service.transfer(CCB, item_id, direction="inward")["state"] == "credited"
    # each step taken once: nothing more goes out or comes in
    assert service.send_outward(ICBC)["packages"] == []
    assert service.take_inward(CCB) == {"credited": [], "returned": [], "suspended": []}


def test_r_s2_the_next_packages_carry_pending_credits_one_per_receiving_bank(
        engine: Engine) -> None:
    service = banks(engine)
    send(service, "S1", 10_000)
    send(service, "S2", 20_000, to=BOC, account_no="B1")
    send(service, "S3", 5_000)
    out = service.send_outward(ICBC)
    assert sorted((p["receiver_bank"], p["items"]) for p in out["packages"]) == [
        (BOC, 1), (CCB, 2)]
    assert sorted(out["settled"]) == ["S1", "S2", "S3"]
    positions = {p["bank_code"]: p["position_fen"] for p in service.positions()}
    assert positions[ICBC] == -35_000 and sum(positions.values()) == 0


def test_r_s7_a_queued_outward_credit_revoked_releases_its_hold(engine: Engine) -> None:
    service = banks(engine)
    service.set_cap(ICBC, collateral_fen=0, haircut_bps=0, credit_line_fen=0)
    send(service, "S1", 30_000)
    out = service.send_outward(ICBC)
    assert out["settled"] == [] and service.transfer(ICBC, "S1")["state"] == "sent"
    assert account(service, ICBC, "C1") == (100_000, 30_000)          # queued: still held
    service.revoke(ICBC, out["packages"][0]["message_id"], ICBC)
    assert service.sync_outward(ICBC) == {"settled": [], "released": ["S1"], "stuck": []}
    assert account(service, ICBC, "C1") == (100_000, 0)
    assert service.transfer(ICBC, "S1")["state"] == "released"


def test_r_s7_an_account_that_cannot_take_the_money_returns_it_to_the_payer(
        engine: Engine) -> None:
    service = banks(engine)
    send(service, "S1", 10_000, account_no="NOBODY")
    send(service, "S2", 20_000)
    service.ledger.set_account_status(bank_tenant(CCB), "D1", AccountStatus.FROZEN)
    service.send_outward(ICBC)
    taken = service.take_inward(CCB)
    assert taken["credited"] == [] and len(taken["returned"]) == 2
    assert {service.item_state(i) for i in taken["returned"]} == {"returned"}
    assert account(service, CCB, BEPS_ACCOUNT)[0] == 0                # nothing paid out
    back = service.take_inward(ICBC)                                   # the returns arrive
    assert back["credited"] == [f"{i}:R" for i in taken["returned"]]
    assert account(service, ICBC, "C1") == (100_000, 0)
    assert account(service, ICBC, BEPS_ACCOUNT)[0] == 0
    positions = {p["bank_code"]: p["position_fen"] for p in service.positions()}
    assert positions[ICBC] == 0 and positions[CCB] == 0


def test_r_s7_a_return_the_payer_cannot_take_is_suspended_never_returned_again(
        engine: Engine) -> None:
    """Both accounts frozen: the return is booked to the payer bank's suspense account.
    Before, it went back as a return of a return, and so on between the two banks, each id
    two characters longer, until one no longer fitted its column."""
    service = banks(engine)
    service.ledger.set_account_status(bank_tenant(CCB), "D1", AccountStatus.FROZEN)
    send(service, "S1", 10_000)
    service.send_outward(ICBC)
    [returned] = service.take_inward(CCB)["returned"]
    service.ledger.set_account_status(bank_tenant(ICBC), "C1", AccountStatus.FROZEN)
    back = service.take_inward(ICBC)
    assert back == {"credited": [], "returned": [], "suspended": [f"{returned}:R"]}
    assert account(service, ICBC, SUSPENSE_ACCOUNT)[0] == 10_000
    for bank in (ICBC, CCB):
        assert code(lambda b=bank: service.return_item(f"{returned}:R", b)) == \
            Refusal.RETURN_NOT_RETURNABLE
        assert code(lambda b=bank: service.return_item(returned, b)) == \
            Refusal.ITEM_STATE_INVALID                      # returned once already
    assert service.take_inward(ICBC) == {"credited": [], "returned": [], "suspended": []}
    assert service.take_inward(CCB) == {"credited": [], "returned": [], "suspended": []}
    positions = {p["bank_code"]: p["position_fen"] for p in service.positions()}
    assert positions[ICBC] == 0 and positions[CCB] == 0


def test_r_s7_a_closed_account_returns_and_a_frozen_for_debit_one_still_receives(
        engine: Engine) -> None:
    service = banks(engine)
    service.open_customer_account(CCB, "D2", "cust4")
    service.ledger.set_account_status(bank_tenant(CCB), "D1", AccountStatus.CLOSED)
    service.ledger.set_account_status(bank_tenant(CCB), "D2", AccountStatus.FROZEN_FOR_DEBIT)
    send(service, "S1", 1_000)
    send(service, "S2", 2_000, account_no="D2")
    service.send_outward(ICBC)
    taken = service.take_inward(CCB)
    assert [service.item_state(i) for i in taken["returned"]] == ["returned"]
    assert [service.item_state(i) for i in taken["credited"]] == ["credited"]
    assert account(service, CCB, "D2") == (2_000, 0)


def test_r_s1_outward_refusals_are_named_and_change_nothing(engine: Engine) -> None:
    service = banks(engine)
    assert code(lambda: send(service, "S1", 100_001)) == "exceeds_available"
    assert code(lambda: send(service, "S1", 5_000_001)) == Refusal.CREDIT_OVER_CEILING
    assert code(lambda: send(service, "S1", 1_000, to="999999999999")) == Refusal.BANK_UNKNOWN
    assert code(lambda: service.send_credit(ICBC, "S1", "NOPE", "x", CCB, "D1", "y", 1)) == \
        "account_not_found"
    assert code(lambda: service.send_credit("103100000026", "S1", "C1", "x", CCB, "D1", "y",
                                            1)) == Refusal.BANK_BOOKS_NOT_OPEN
    assert code(lambda: service.transfer(ICBC, "S1")) == Refusal.TRANSFER_NOT_FOUND
    assert account(service, ICBC, "C1") == (100_000, 0)
    assert service.send_outward(ICBC)["packages"] == []


def test_r_l5_an_outward_credit_is_idempotent_by_its_serial_no(engine: Engine) -> None:
    service = banks(engine)
    first = send(service, "S1", 30_000)
    assert send(service, "S1", 30_000) == first
    assert account(service, ICBC, "C1") == (100_000, 30_000)          # held once
    with pytest.raises(ClearingError) as caught:
        send(service, "S1", 30_001)
    assert caught.value.code == Refusal.DUPLICATE_WITH_DIFFERENT_CONTENT
    service.send_outward(ICBC)
    assert send(service, "S1", 30_000)["state"] == "settled"           # the replay, later


def test_r_s4_a_hold_the_ledger_will_not_settle_is_reported_stuck_and_blocks_nothing_else(
        engine: Engine) -> None:
    service = banks(engine)
    service.open_customer_account(ICBC, "C2", "cust5")
    service.deposit(ICBC, "cash2", "C2", 50_000)
    send(service, "S1", 30_000)
    service.send_credit(ICBC, "S2", "C2", "x", CCB, "D1", "李四", 20_000)
    service.ledger.set_account_status(bank_tenant(ICBC), "C1", AccountStatus.FROZEN)
    out = service.send_outward(ICBC)                    # both net: final in BEPS (R-S4)
    assert out["settled"] == ["S2"] and out["stuck"] == [
        {"serial_no": "S1", "reason": "account_frozen"}]
    assert service.transfer(ICBC, "S1")["state"] == "sent"
    assert account(service, ICBC, "C2") == (30_000, 0)
    service.ledger.set_account_status(bank_tenant(ICBC), "C1", AccountStatus.NORMAL)
    assert service.sync_outward(ICBC) == {"settled": ["S1"], "released": [], "stuck": []}
    assert account(service, ICBC, "C1") == (70_000, 0)


def test_r_s7_a_real_time_credit_the_account_cannot_take_goes_to_suspense_not_back(
        engine: Engine) -> None:
    service = banks(engine)
    intake = service.submit_package(credit("RT1", ICBC, CCB, 7_000, kind="realtime_credit"))
    [(item_id, _)] = intake.states
    service.answer_items([item_id], CCB, paid=True)            # netted: final, not returnable
    assert service.take_inward(CCB) == {"credited": [], "returned": [], "suspended": [item_id]}
    assert account(service, CCB, SUSPENSE_ACCOUNT) == (7_000, 0)
    assert service.item_state(item_id) == "netted"
    assert service.take_inward(CCB)["suspended"] == []           # taken once
