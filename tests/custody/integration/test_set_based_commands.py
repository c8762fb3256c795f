"""Set-based custody commands (R-C7, R-C9, R-C15..R-C17, R-L5): many requests of one operation
in one DB transaction, each answering exactly as the single form would — refused alone,
replayed, counted against the ones before it in the same call."""

from datetime import timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from cunguan.custody.handlers.commands import CardRequest, ChannelAnswer, CustodyPolicy
from cunguan.custody.handlers.lending_service import BidRequest, LendingService
from cunguan.custody.rules import accounts as chart
from cunguan.custody.rules.schedules import Method
from cunguan.custody.rules.withdrawals import FeePolicy
from tests.custody_helpers import PASSWORD, PLATFORM, icbc_card, open_user, services

_KINDS = ("recharge", "bid", "withdraw")
_PLATFORM_ACCOUNTS = (chart.SUMMARY, chart.FEE, chart.OWN, chart.CHANNEL_TRANSIT, chart.ADVANCE)


def _lenders(custody: LendingService, count: int, recharge_fen: int) -> list[str]:
    users = [open_user(custody, n, recharge_fen=recharge_fen) for n in range(1, count + 1)]
    for user in users:
        assert custody.authorize(PLATFORM, f"auth-{user}", user, _KINDS, 10**10,
                                 custody.now() + timedelta(days=30), PASSWORD).ok
    return users


def _project(custody: LendingService, project_id: str, amount_fen: int) -> None:
    borrower = open_user(custody, 90 + len(project_id), role="borrower")
    assert custody.register_project(
        PLATFORM, f"reg-{project_id}", project_id=project_id, borrower_user_id=borrower,
        amount_fen=amount_fen, annual_rate="0.1", months=3, method=Method.EQUAL_INSTALLMENT,
        bid_min_fen=10_000, bid_max_fen=amount_fen, bid_step_fen=10_000).ok


def test_r_c7_a_recharge_whose_fee_cannot_be_paid_is_undone_whole(engine: Engine) -> None:
    # The platform pays the channel fee (0.15 %); its own account holds 10,000,000 fen, so a
    # 7,000,000,000-fen recharge's 10,500,000-fen fee fails: the credit to the user is undone
    # too, and the next recharge in the same call goes through on its own.
    custody, ledger, _, _ = services(engine)
    users = _lenders(custody, 2, 0)
    answers = custody.recharges(PLATFORM, [
        CardRequest("r-big", users[0], icbc_card(1), 7_000_000_000),
        CardRequest("r-small", users[1], icbc_card(2), 100_000),
        CardRequest("r-card", users[1], icbc_card(1), 100_000)])
    assert [a.code for a in answers] == ["platform_own_insufficient", "ok", "card_not_bound"]
    assert ledger.account(PLATFORM, f"U-{users[0]}").balance_fen == 0
    assert ledger.account(PLATFORM, f"U-{users[1]}").balance_fen == 100_000
    assert ledger.account(PLATFORM, chart.OWN).balance_fen == 10_000_000 - 150
    assert custody.request_status(PLATFORM, "r-big")["status"] == "rejected"  # type: ignore


def test_r_c17_withdrawals_in_one_call_count_the_free_one_and_the_money_once(
        engine: Engine) -> None:
    custody, ledger, _, _ = services(engine)
    [user] = _lenders(custody, 1, 1_000_000)
    answers = custody.withdraws(PLATFORM, [
        CardRequest(f"w-{i}", user, icbc_card(1), 300_000) for i in range(4)])
    # 1st free; 2nd and 3rd pay 0.3 % (900 fen); the 4th finds 1,000,000 − 900,000 − 1,800
    # = 98,200 fen left, and is told the most it can take (98,200 − 3.00 yuan fee).
    assert [a.code for a in answers] == ["ok", "ok", "ok", "exceeds_available"]
    assert [a.data.get("fee_fen") for a in answers[:3]] == [0, 900, 900]
    assert answers[3].data["max_withdrawable_fen"] == 98_200 - 300
    account = ledger.account(PLATFORM, f"U-{user}")
    assert account.frozen_fen == 901_800
    results = custody.channel_results(PLATFORM, [
        ChannelAnswer("c-0", "w-0", True), ChannelAnswer("c-1", "w-1", False),
        ChannelAnswer("c-0b", "w-0", True), ChannelAnswer("c-x", "w-9", True)])
    assert [r.code for r in results] == ["ok", "ok", "withdrawal_wrong_state",
                                         "withdrawal_not_found"]
    account = ledger.account(PLATFORM, f"U-{user}")
    assert (account.balance_fen, account.frozen_fen) == (700_000, 300_900)


def test_r_c17_free_withdrawals_are_counted_across_calls_up_to_the_allowance(
        engine: Engine) -> None:
    """The month's count comes from the withdrawals already recorded (and stops reading at
    the allowance): failed ones do not count, every one past the allowance pays."""
    policy = CustodyPolicy(fees=FeePolicy(free_per_month=2))
    custody, _, _, _ = services(engine, policy=policy)
    user, other = _lenders(custody, 2, 5_000_000)

    def fee(request_no: str, who: str = user) -> int:
        [answer] = custody.withdraws(PLATFORM, [CardRequest(request_no, who, icbc_card(
            1 if who == user else 2), 200_000)])
        assert answer.ok, answer
        return int(answer.data["fee_fen"])

    assert fee("w-1") == 0
    assert [r.code for r in custody.channel_results(
        PLATFORM, [ChannelAnswer("c-1", "w-1", False)])] == ["ok"]     # failed: not counted
    assert [fee(f"w-{n}") for n in range(2, 7)] == [0, 0, 600, 600, 600]  # 0.3 % of 2,000
    assert fee("w-o", other) == 0                                      # counted per user


def test_r_c16_hvps_quota_counts_the_days_earlier_hvps_withdrawals(engine: Engine) -> None:
    custody, _, _, _ = services(engine)
    [user] = _lenders(custody, 1, 2_020_000_000)
    small = CardRequest("w-small", user, icbc_card(1), 100_000)       # not HVPS: not counted
    big = CardRequest("w-big", user, icbc_card(1), 1_999_000_000)     # 19,990,000 yuan
    assert [a.data["rail"] for a in custody.withdraws(PLATFORM, [small, big])] == [
        "super_online", "hvps"]
    [over] = custody.withdraws(PLATFORM, [CardRequest("w-over", user, icbc_card(1),
                                                      6_000_000)])   # 60,000 yuan: HVPS
    assert over.code == "hvps_daily_limit" and "10,000.00 yuan is left" in over.message


def test_r_c9_bids_in_one_call_fill_the_project_in_order(engine: Engine) -> None:
    custody, ledger, _, _ = services(engine)
    users = _lenders(custody, 3, 500_000)
    _project(custody, "PJ", 600_000)
    answers = custody.bids(PLATFORM, [
        BidRequest("b-1", users[0], "PJ", 300_000), BidRequest("b-2", users[1], "PJ", 300_000),
        BidRequest("b-3", users[2], "PJ", 100_000), BidRequest("b-4", users[2], "NO", 100_000),
        BidRequest("b-5", users[2], "PJ", 100_000, red_packet_fen=100_000)])
    assert [a.code for a in answers] == ["ok", "ok", "project_full", "project_not_found",
                                         "red_packet_invalid"]
    assert [a.data.get("project_status") for a in answers[:2]] == ["raising", "full"]
    assert ledger.account(PLATFORM, f"U-{users[1]}").frozen_fen == 300_000
    assert custody.bid(PLATFORM, "b-2", users[1], "PJ", 300_000).replayed


def test_r_c9_a_newbie_project_takes_only_users_who_never_bid(engine: Engine) -> None:
    """A user's first bid marks the user for good (the mark is written once, on that first
    bid); later calls read it."""
    custody, _, _, _ = services(engine)
    veteran, newbie = _lenders(custody, 2, 500_000)
    _project(custody, "PA", 600_000)
    assert custody.register_project(
        PLATFORM, "reg-NB", project_id="NB", borrower_user_id=open_user(custody, 80,
                                                                         role="borrower"),
        amount_fen=600_000, annual_rate="0.1", months=3, method=Method.EQUAL_INSTALLMENT,
        bid_min_fen=10_000, bid_max_fen=600_000, bid_step_fen=10_000, newbie_only=True).ok
    assert [a.code for a in custody.bids(PLATFORM, [
        BidRequest("b-1", veteran, "PA", 100_000), BidRequest("b-2", veteran, "PA", 100_000)
    ])] == ["ok", "ok"]
    assert [a.code for a in custody.bids(PLATFORM, [
        BidRequest("b-3", veteran, "NB", 100_000), BidRequest("b-4", newbie, "NB", 100_000),
        BidRequest("b-5", newbie, "NB", 100_000)])] == [
        "newbie_project_only_once", "ok", "newbie_project_only_once"]


def _round(operation: str, who: st.SearchStrategy[int], value: st.SearchStrategy[Any]
           ) -> st.SearchStrategy[tuple[str, list[tuple[int, int, Any]]]]:
    """One call's requests of ``operation``: (request no., whose, amount or outcome)."""
    return st.tuples(st.just(operation), st.lists(st.tuples(st.integers(0, 30), who, value),
                                                  min_size=1, max_size=8))


_rounds = st.lists(st.one_of(
    _round("recharge", st.integers(0, 3), st.integers(1, 400_000)),
    _round("withdraw", st.integers(0, 3), st.integers(1, 2_500_000)),
    _round("channel_result", st.integers(0, 30), st.booleans()),
    _round("bid", st.integers(0, 3), st.integers(1, 4).map(lambda n: n * 10_000))),
    min_size=1, max_size=6)


@settings(max_examples=25, deadline=None)
@given(rounds=_rounds)
def test_r_l5_set_based_and_single_commands_agree(rounds: list[Any]) -> None:
    """The same requests sent in set-based calls (one per round) or one at a time end the
    same: the same answers (codes, replays) and the same balances and holds everywhere."""
    from tests.conftest import fresh_engine

    ends = []
    for mode in ("many", "single"):
        with fresh_engine("sqlite", label=mode) as engine:
            custody, ledger, _, _ = services(engine, policy=CustodyPolicy())
            users = [*_lenders(custody, 3, 5_000_000), "ghost"]
            _project(custody, "PJ", 50_000)
            answers = []
            for operation, requests in rounds:
                calls = [_request(operation, no, who, value, users)
                         for no, who, value in requests]
                answers += _send(custody, operation, calls, many=mode == "many")
            ends.append(([(a.code, a.replayed) for a in answers],
                         [(a.balance_fen, a.frozen_fen) for a in (
                             *(ledger.account(PLATFORM, f"U-{u}") for u in users[:3]),
                             *(ledger.account(PLATFORM, no) for no in _PLATFORM_ACCOUNTS))]))
    assert ends[0] == ends[1]


def _request(operation: str, no: int, who: int, value: Any, users: list[str]) -> Any:
    if operation == "channel_result":
        return ChannelAnswer(f"n-{no}", f"n-{who}", value)
    if operation == "bid":
        return BidRequest(f"n-{no}", users[who], "PJ", value)
    return CardRequest(f"n-{no}", users[who], icbc_card(who + 1), value)


def _send(custody: LendingService, operation: str, calls: list[Any], *, many: bool) -> list:
    if many:
        return {"recharge": custody.recharges, "withdraw": custody.withdraws,
                "channel_result": custody.channel_results,
                "bid": custody.bids}[operation](PLATFORM, calls)  # type: ignore[operator]
    if operation == "channel_result":
        return [custody.channel_result(PLATFORM, c.request_no, c.withdrawal_no, c.succeeded)
                for c in calls]
    if operation == "bid":
        return [custody.bid(PLATFORM, c.request_no, c.user_id, c.project_id, c.amount_fen)
                for c in calls]
    single = custody.recharge if operation == "recharge" else custody.withdraw
    return [single(PLATFORM, c.request_no, c.user_id, c.card_no, c.amount_fen) for c in calls]
