"""Custody meets clearing (issue 22): a withdrawal routed to BEPS goes out as an ordinary
credit in the custody bank's next package; BEPS's answer is taken as the channel's — netted:
paid out, undone: failed and released (R-C16, R-S4, R-S7). SQLite and PostgreSQL."""

from sqlalchemy import Engine

from cunguan.clearing.handlers.service import ClearingService
from cunguan.clearing.rules.participant_bank import bank_tenant
from cunguan.custody.handlers.commands import CustodyPolicy
from cunguan.custody.handlers.lending_service import LendingService
from cunguan.custody.rules import accounts as chart
from cunguan.custody.rules.withdrawals import RoutingPolicy, beps_serial_no
from tests.custody_helpers import MONDAY, PASSWORD, PLATFORM, icbc_card, open_user, services

CUSTODY_BANK, ICBC = "402100000018", "102100099996"
POLICY = CustodyPolicy(routing=RoutingPolicy(
    beps_enabled=True, beps_bank_code=CUSTODY_BANK, beps_bank_codes={"ICBC": ICBC},
    super_online_fee_fen=100, beps_fee_fen=20))


def wired(engine: Engine, *, cap_fen: int = 10_000_000
          ) -> tuple[LendingService, ClearingService, str]:
    custody, ledger, _, clock = services(engine, policy=POLICY)
    clearing = ClearingService(engine, ledger, clock=clock)
    clearing.create_system(MONDAY)
    clearing.add_participant(CUSTODY_BANK, "the custody bank", "direct")
    clearing.add_participant(ICBC, "ICBC", "direct")
    clearing.set_cap(CUSTODY_BANK, collateral_fen=0, haircut_bps=0, credit_line_fen=cap_fen)
    clearing.open_bank_books(ICBC)
    custody.beps = clearing
    user = open_user(custody, 2, recharge_fen=1_000_000)
    clearing.open_customer_account(ICBC, icbc_card(2), user)
    return custody, clearing, user


def test_r_c16_a_small_withdrawal_goes_by_beps_and_is_paid_once_netted(engine: Engine) -> None:
    custody, clearing, user = wired(engine)
    done = custody.withdraw(PLATFORM, "wd-1", user, icbc_card(2), 100_000, password=PASSWORD)
    assert done.ok and done.data["rail"] == "beps", done
    serial = beps_serial_no(PLATFORM, "wd-1")
    assert clearing.transfer(CUSTODY_BANK, serial)["state"] == "pending"     # next package
    assert custody.beps_answers(PLATFORM) == []                              # nothing yet
    sent = clearing.send_outward(CUSTODY_BANK)
    assert sent["settled"] == [serial] and len(sent["packages"]) == 1
    [answer] = custody.beps_answers(PLATFORM)
    assert answer.ok and custody.withdrawal(PLATFORM, "wd-1")["status"] == "succeeded"
    assert clearing.take_inward(ICBC)["credited"] == [clearing.transfer(
        CUSTODY_BANK, serial)["item_id"]]
    card = clearing.ledger.account(bank_tenant(ICBC), icbc_card(2))
    assert card.balance_fen == 100_000
    assert custody.beps_answers(PLATFORM) == []                              # answered once


def test_r_c16_an_urgent_withdrawal_never_goes_by_beps(engine: Engine) -> None:
    custody, clearing, user = wired(engine)
    done = custody.withdraw(PLATFORM, "wd-1", user, icbc_card(2), 100_000, password=PASSWORD,
                            urgent=True)
    assert done.ok and done.data["rail"] == "super_online"
    assert clearing.send_outward(CUSTODY_BANK)["packages"] == []


def test_r_s7_a_beps_withdrawal_revoked_in_the_queue_fails_and_releases_the_hold(
        engine: Engine) -> None:
    custody, clearing, user = wired(engine, cap_fen=0)
    assert custody.withdraw(PLATFORM, "wd-1", user, icbc_card(2), 100_000,
                            password=PASSWORD).ok
    sent = clearing.send_outward(CUSTODY_BANK)                  # over the cap: queued
    assert sent["settled"] == [] and custody.beps_answers(PLATFORM) == []
    clearing.revoke(CUSTODY_BANK, sent["packages"][0]["message_id"], CUSTODY_BANK)
    clearing.sync_outward(CUSTODY_BANK)
    [answer] = custody.beps_answers(PLATFORM)
    assert answer.ok and custody.withdrawal(PLATFORM, "wd-1")["status"] == "failed"
    account = custody.ledger.account(PLATFORM, chart.user_account_no(user))
    assert (account.balance_fen, account.frozen_fen) == (1_000_000, 0)
