"""BEPS end to end on SQLite and PostgreSQL: intake, caps, netting, queues, sessions,
settlement on the ledger, exceptions and cutover (R-S1 … R-S9)."""

from datetime import date
from datetime import time as clock_time

import pytest
from sqlalchemy import Engine

from cunguan.clearing.handlers.base import CLEARING_ACCOUNT
from cunguan.clearing.rules.parameters import ClearingParameters
from cunguan.clearing.rules.refusals import ClearingError, Refusal
from cunguan.core.fields import FieldInvalid
from tests.clearing.integration.helpers import (
    ABC,
    BOC,
    CCB,
    COUNTY,
    ICBC,
    clearing,
    credit,
    item,
    later,
    package,
    settlement_balance,
)


def code(call: object) -> str:
    with pytest.raises((ClearingError, FieldInvalid)) as caught:
        call()  # type: ignore[operator]
    return caught.value.code


def test_r_s3_cap_parts_earmarks_on_the_ledger_and_the_available_cap(engine: Engine) -> None:
    service, _ = clearing(engine)
    service.fund("f1", ICBC, 2_000_000)
    service.set_cap(ICBC, collateral_fen=1_000_000, haircut_bps=9_000, credit_line_fen=300_000)
    view = service.earmark("e1", ICBC, 500_000)
    assert view["cap_fen"] == 900_000 + 300_000 + 500_000
    assert view["available_cap_fen"] == view["cap_fen"]
    assert settlement_balance(service, ICBC) == (2_000_000, 500_000)   # held, not moved
    assert service.earmark("e1", ICBC, 500_000) == view                # a replay
    assert code(lambda: service.earmark("e2", ICBC, 1_500_001)) == "exceeds_available"
    after = service.release_earmark("e1")
    assert after["earmarked_fen"] == 0 and settlement_balance(service, ICBC) == (2_000_000, 0)
    assert code(lambda: service.release_earmark("e1")) == Refusal.EARMARK_NOT_FOUND


def test_r_s4_credits_net_at_once_and_positions_sum_to_zero(engine: Engine) -> None:
    service, _ = clearing(engine)
    for bank in (ICBC, CCB, BOC):
        service.set_cap(bank, collateral_fen=0, haircut_bps=0, credit_line_fen=1_000_000)
    intake = service.submit_package(credit("M1", ICBC, CCB, 300_000, 200_000))
    assert [s for _, s in intake.states] == ["netted", "netted"]
    service.submit_package(credit("M2", CCB, BOC, 100_000))
    service.submit_package(package("M3", "ordinary_credit", ICBC, BOC,
                                   [item(1, COUNTY, BOC, 50_000)]))   # through ICBC
    positions = {p["bank_code"]: p["position_fen"] for p in service.positions()}
    assert positions == {ICBC: -550_000, CCB: 400_000, BOC: 150_000, ABC: 0}
    assert sum(positions.values()) == 0


def test_r_s4_over_the_cap_queues_in_order_and_an_earmark_releases_it(engine: Engine) -> None:
    service, _ = clearing(engine)
    service.set_cap(ICBC, collateral_fen=0, haircut_bps=0, credit_line_fen=100_000)
    first = service.submit_package(credit("M1", ICBC, CCB, 150_000))
    second = service.submit_package(credit("M2", ICBC, BOC, 10_000))   # fits, but waits
    assert [s for _, s in first.states + second.states] == ["queued", "queued"]
    assert service.queue(ICBC) == {ICBC: [first.states[0][0], second.states[0][0]]}
    service.fund("f1", ICBC, 60_000)
    service.earmark("e1", ICBC, 60_000)            # cap 160,000: both fit, in arrival order
    assert service.queue() == {}
    assert service.item_state(first.states[0][0]) == "netted"
    assert {p["bank_code"]: p["position_fen"] for p in service.positions()}[ICBC] == -160_000


def test_r_s4_an_incoming_credit_releases_the_payer_queue(engine: Engine) -> None:
    service, _ = clearing(engine)
    service.set_cap(CCB, collateral_fen=0, haircut_bps=0, credit_line_fen=1_000_000)
    queued = service.submit_package(credit("M1", ICBC, BOC, 40_000))    # ICBC's cap is 0
    assert queued.states[0][1] == "queued"
    service.submit_package(credit("M2", CCB, ICBC, 40_000))             # ICBC now +40,000
    assert service.item_state(queued.states[0][0]) == "netted"
    assert {p["bank_code"]: p["position_fen"] for p in service.positions()} == {
        ICBC: 0, CCB: -40_000, BOC: 40_000, ABC: 0}


def test_r_s3_a_warning_event_when_the_cap_use_crosses_a_threshold(engine: Engine) -> None:
    service, _ = clearing(engine)
    service.set_cap(ICBC, collateral_fen=0, haircut_bps=0, credit_line_fen=100_000)
    service.submit_package(credit("M1", ICBC, CCB, 85_000))
    service.submit_package(credit("M2", ICBC, CCB, 1_000))
    assert [e["kind"] for e in service.events(ICBC)] == ["cap_warning"]
    service.submit_package(credit("M3", ICBC, CCB, 9_000))
    assert len(service.events(ICBC)) == 2


def test_r_s4_a_real_time_item_over_the_cap_is_refused_whole_and_leaves_nothing(
        engine: Engine) -> None:
    service, _ = clearing(engine)
    rt = credit("RT1", ICBC, CCB, 10_000, kind="realtime_credit")
    assert code(lambda: service.submit_package(rt)) == Refusal.CAP_EXCEEDED
    assert service.queue() == {} and service.item_state(f"{ICBC}:RT1:1") is None
    service.set_cap(ICBC, collateral_fen=0, haircut_bps=0, credit_line_fen=10_000)
    intake = service.submit_package(rt)
    assert intake.states[0][1] == "awaiting_receipt"
    item_id = intake.states[0][0]
    assert code(lambda: service.answer_items([item_id], ICBC, paid=True)) == Refusal.NOT_ENTITLED
    assert service.answer_items([item_id], CCB, paid=True) == {item_id: "netted"}


def test_r_s8_a_real_time_item_without_its_answer_is_reversed_after_twenty_seconds(
        engine: Engine) -> None:
    service, clock = clearing(engine)
    service.set_cap(ICBC, collateral_fen=0, haircut_bps=0, credit_line_fen=10_000)
    item_id = service.submit_package(credit("RT1", ICBC, CCB, 5_000,
                                            kind="realtime_credit")).states[0][0]
    later(clock, seconds=19)
    assert code(lambda: service.reverse(item_id, ICBC)) == Refusal.REVERSAL_TOO_EARLY
    later(clock, seconds=1)
    assert service.reverse(item_id, ICBC)["state"] == "reversed"
    assert code(lambda: service.answer_items([item_id], CCB, paid=True)
                ) == Refusal.ITEM_STATE_INVALID
    assert all(p["position_fen"] == 0 for p in service.positions())


def test_r_s7_a_debit_nets_on_its_receipt_and_can_be_stopped_before_it(engine: Engine) -> None:
    service, _ = clearing(engine)
    service.set_cap(CCB, collateral_fen=0, haircut_bps=0, credit_line_fen=100_000)
    debits = package("D1", "periodic_debit", ICBC, CCB,
                     [item(1, CCB, ICBC, 30_000, term=2), item(2, CCB, ICBC, 20_000, term=2)])
    first, second = (i for i, _ in service.submit_package(debits).states)
    assert code(lambda: service.request_stop(second, CCB)) == Refusal.NOT_ENTITLED
    assert service.request_stop(second, ICBC)["state"] == "stop_requested"
    assert service.answer_stop(second, CCB, accepted=True)["state"] == "stopped"
    assert service.answer_items([first], CCB, paid=True) == {first: "netted"}
    positions = {p["bank_code"]: p["position_fen"] for p in service.positions()}
    assert positions[CCB] == -30_000 and positions[ICBC] == 30_000


def test_r_s7_revoke_whole_queued_packages_and_return_netted_credits(engine: Engine) -> None:
    service, _ = clearing(engine)
    service.set_cap(CCB, collateral_fen=0, haircut_bps=0, credit_line_fen=100_000)
    queued = service.submit_package(credit("M1", ICBC, BOC, 5_000, 6_000))  # ICBC cap 0
    assert code(lambda: service.revoke(ICBC, "M1", BOC)) == Refusal.NOT_ENTITLED
    assert service.revoke(ICBC, "M1", ICBC) == {"package_no": queued.package_no,
                                                "state": "revoked", "items": 2}
    assert service.queue() == {}
    netted = service.submit_package(credit("M2", CCB, ICBC, 7_000, 8_000))
    assert code(lambda: service.revoke(CCB, "M2", CCB)) == Refusal.PACKAGE_PARTLY_NETTED
    one, two = (i for i, _ in netted.states)
    service.credit_payees([two], ICBC)
    assert code(lambda: service.return_item(two, CCB)) == Refusal.ALREADY_CREDITED
    assert service.return_item(one, CCB)["state"] == "returned"
    # the return flowed back from ICBC to CCB: only the credited 8,000 remain netted
    positions = {p["bank_code"]: p["position_fen"] for p in service.positions()}
    assert positions[CCB] == -8_000 and positions[ICBC] == 8_000


def test_r_s5_r_s6_sessions_submit_balanced_and_settle_on_the_ledger(engine: Engine) -> None:
    service, clock = clearing(engine, at=(9, 30))
    for bank in (ICBC, CCB, BOC):
        service.set_cap(bank, collateral_fen=0, haircut_bps=0, credit_line_fen=1_000_000)
    service.fund("f-icbc", ICBC, 500_000)
    service.fund("f-ccb", CCB, 100)
    service.submit_package(credit("M1", ICBC, BOC, 300_000))
    service.submit_package(credit("M2", CCB, BOC, 200_000))
    assert service.close_sessions() == []                   # session 0 runs until 10:00
    later(clock, minutes=31)                                # 10:01
    [submitted] = service.close_sessions()
    assert submitted["session_no"] == 0 and submitted["net_debits_fen"] == 500_000
    first = service.settle()
    assert first[0]["collected"] == {ICBC: 300_000} and first[0]["waiting"] == {CCB: 200_000}
    assert settlement_balance(service, BOC) == (0, 0)        # credits wait for every debit
    service.fund("f-ccb-2", CCB, 250_000)
    [second] = service.settle()
    assert second["settled"] and second["collected"] == {CCB: 200_000}
    assert settlement_balance(service, BOC) == (500_000, 0)
    assert settlement_balance(service, ICBC) == (200_000, 0)
    assert service.ledger.account(service.system_id, CLEARING_ACCOUNT).balance_fen == 0
    assert all(p["position_fen"] == 0 for p in service.positions())
    assert service.item_state(f"{ICBC}:M1:1") == "settled"
    assert service.settle() == []


def test_r_s6_earmarked_funds_do_not_settle_a_net_debit(engine: Engine) -> None:
    service, clock = clearing(engine, at=(9, 30))
    service.fund("f1", ICBC, 100_000)
    service.earmark("e1", ICBC, 100_000)                    # cap 100,000, available 0
    service.submit_package(credit("M1", ICBC, CCB, 60_000))
    later(clock, hours=1)
    service.close_sessions()
    [step] = service.settle()
    assert step["waiting"] == {ICBC: 60_000} and not step["settled"]
    service.release_earmark("e1")
    assert service.settle()[0]["settled"]


def test_r_s9_cutover_submits_the_last_session_and_business_flows_into_the_next_day(
        engine: Engine) -> None:
    service, _ = clearing(engine, at=(16, 30))
    service.set_cap(ICBC, collateral_fen=0, haircut_bps=0, credit_line_fen=1_000_000)
    service.submit_package(credit("M1", ICBC, CCB, 1_000))
    result = service.cutover()
    assert result["work_date"] == "2026-12-08" and len(result["submitted"]) == 1
    assert result["submitted"][0]["session_no"] == result["cutover_session"]
    stale = credit("M2", ICBC, CCB, 1_000)
    assert code(lambda: service.submit_package(stale)) == Refusal.WRONG_WORK_DATE
    fresh = package("M2", "ordinary_credit", ICBC, CCB, [item(1, ICBC, CCB, 1_000)],
                    day=date(2026, 12, 8))
    assert service.submit_package(fresh).states[0][1] == "netted"


def test_r_s6_a_holidays_one_netting_settles_on_the_next_working_day(engine: Engine) -> None:
    national_day = date(2026, 10, 3)
    service, clock = clearing(engine, day=national_day, at=(11, 0))
    service.set_cap(ICBC, collateral_fen=0, haircut_bps=0, credit_line_fen=1_000_000)
    service.fund("f1", ICBC, 10_000)
    service.submit_package(package("M1", "ordinary_credit", ICBC, CCB,
                                   [item(1, ICBC, CCB, 1_000)], day=national_day))
    later(clock, hours=3)
    assert service.close_sessions() == []                   # no timed sessions on a holiday
    [submitted] = service.cutover()["submitted"]
    assert submitted["settles_on"] > national_day.isoformat()
    assert service.settle() == []                           # not due before that day


def test_r_s2_packages_replay_by_message_id_and_a_refused_one_writes_nothing(
        engine: Engine) -> None:
    service, _ = clearing(engine)
    service.set_cap(ICBC, collateral_fen=0, haircut_bps=0, credit_line_fen=1_000_000)
    first = service.submit_package(credit("M1", ICBC, CCB, 1_000))
    again = service.submit_package(credit("M1", ICBC, CCB, 1_000))
    assert again.replayed and again.states == first.states
    assert code(lambda: service.submit_package(credit("M1", ICBC, CCB, 1_001))
                ) == Refusal.DUPLICATE_WITH_DIFFERENT_CONTENT
    over = credit("M9", ICBC, CCB, 1_000, 5_000_001)
    assert code(lambda: service.submit_package(over)) == Refusal.CREDIT_OVER_CEILING
    assert service.item_state(f"{ICBC}:M9:1") is None
    bad = credit("M8", ICBC, CCB, 1_000)
    bad["items"][0]["amount_fen"] = True
    assert code(lambda: service.submit_package(bad)) == "field_invalid"
    bad["items"][0]["amount_fen"] = 1.5
    assert code(lambda: service.submit_package(bad)) == "field_invalid"


def test_r_s9_day_end_reconciles_top_down_and_bills_fees_once(engine: Engine) -> None:
    service, clock = clearing(engine, at=(9, 30))
    service.set_parameters(ClearingParameters(fee_per_item_fen=50))
    service.set_cap(ICBC, collateral_fen=0, haircut_bps=0, credit_line_fen=1_000_000)
    service.fund("f1", ICBC, 100_000)
    service.fund("f2", CCB, 10)
    service.submit_package(credit("M1", ICBC, CCB, 30_000, 20_000))
    later(clock, hours=1)
    service.close_sessions()
    service.settle()
    assert code(lambda: service.day_end("2026-12-07")) == Refusal.WRONG_WORK_DATE
    service.cutover()
    honest = {"sent_count": 2, "sent_fen": 50_000, "received_count": 0, "received_fen": 0}
    wrong = {"sent_count": 0, "sent_fen": 0, "received_count": 2, "received_fen": 49_999}
    result = service.day_end("2026-12-07", reports={ICBC: honest, CCB: wrong})
    assert result["saps_npc"] == []
    [finding] = result["npc_participants"]
    assert finding["bank_code"] == CCB and finding["npc"]["received_fen"] == 50_000
    assert finding["adjust"] == "participant" and not result["passed"]
    assert result["fees"] == [{"bank_code": ICBC, "fee_fen": 100, "billed": True,
                               "reason": None}]
    assert settlement_balance(service, ICBC) == (100_000 - 50_000 - 100, 0)
    again = service.day_end("2026-12-07", reports={ICBC: honest})
    assert again["passed"] and settlement_balance(service, ICBC)[0] == 49_900


def test_r_s5_r_s6_session_times_never_change_behind_us(engine: Engine) -> None:
    """Times change at once (R-S5) but not behind us: with 10:00 submitted, dropping 11:00 at
    10:30 is fine, while dropping or moving 10:00 — which would number the items netting now
    into the submitted session, read as settled without being in its settlement — is refused
    and changes nothing; an item netted after a refusal goes to the session still open."""
    service, clock = clearing(engine, at=(9, 30))
    for bank in (ICBC, CCB):
        service.set_cap(bank, collateral_fen=0, haircut_bps=0, credit_line_fen=1_000_000)
    service.submit_package(credit("M1", ICBC, CCB, 100_000))
    later(clock, hours=1)                                   # 10:30
    [submitted] = service.close_sessions()
    assert submitted["session_no"] == 0
    keep = ClearingParameters().session_times
    for times in ((keep[1], *keep[2:]), (clock_time(10, 45), *keep[1:]), ()):
        with pytest.raises(ClearingError) as refused:
            service.set_parameters(ClearingParameters(session_times=times))
        assert refused.value.code == Refusal.SUBMITTED_IRREVOCABLE
        assert refused.value.details["field"] == "session_times"
    service.submit_package(credit("M2", ICBC, CCB, 50_000))
    assert service.item_state(f"{ICBC}:M2:1") == "netted"   # session 1, open
    service.set_parameters(ClearingParameters(session_times=keep[:1] + keep[2:]))  # no 11:00
    later(clock, hours=1)                                   # 11:30: nothing to close yet
    assert service.close_sessions() == []
    assert service.item_state(f"{ICBC}:M2:1") == "netted"
