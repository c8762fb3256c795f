"""Claim transfers (债权转让, R-C14) set-based: many purchases in one DB transaction, each
answering exactly as ``buy_claim`` one at a time in the same order would — a listing sold once,
the later purchases of it refused, each buyer's money and authorization counted in turn."""

from datetime import timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from cunguan.custody.handlers.lending_service import ClaimPurchase, LendingService
from cunguan.custody.rules import accounts as chart
from cunguan.custody.rules.schedules import Method
from tests.custody_helpers import PASSWORD, PLATFORM, open_user, services

#: Two projects of 100,000 fen, each lent to two lenders (50,000 each): four claims.
_PROJECTS = ("PA", "PB")
_PRICE_FEN = 50_000


def _market(custody: LendingService, buyer_funds_fen: int) -> tuple[list[str], list[str]]:
    """Four claims listed by their holders (u0001, u0002) at 50,000 fen; buyers u0003 (bid
    authorization) and u0004 (none), each holding ``buyer_funds_fen``. Answers the users and
    the listings."""
    sellers = [open_user(custody, n, recharge_fen=200_000) for n in (1, 2)]
    buyers = [open_user(custody, n, recharge_fen=buyer_funds_fen) for n in (3, 4)]
    for user in (*sellers, buyers[0]):
        assert custody.authorize(PLATFORM, f"auth-{user}", user, ("bid",), 10**9,
                                 custody.now() + timedelta(days=30), PASSWORD).ok
    for n, project in enumerate(_PROJECTS):
        borrower = open_user(custody, 10 + n, role="borrower")
        assert custody.register_project(
            PLATFORM, f"reg-{project}", project_id=project, borrower_user_id=borrower,
            amount_fen=100_000, annual_rate="0.1", months=3, method=Method.EQUAL_INSTALLMENT,
            bid_min_fen=10_000, bid_max_fen=100_000, bid_step_fen=10_000).ok
        for seller in sellers:
            assert custody.bid(PLATFORM, f"b-{project}-{seller}", seller, project, 50_000).ok
        assert custody.lend(PLATFORM, f"lend-{project}", project).ok
    listings = []
    for project in _PROJECTS:
        for seller in sellers:
            listing = f"ls-{project}-{seller}"
            assert custody.list_claim(PLATFORM, listing, f"b-{project}-{seller}", seller,
                                      _PRICE_FEN).ok
            listings.append(listing)
    return [*sellers, *buyers, "ghost"], listings


def test_r_c14_purchases_in_one_call_sell_each_listing_once_in_order(engine: Engine) -> None:
    custody, ledger, _, _ = services(engine)
    users, listings = _market(custody, 120_000)
    seller, other, buyer, unauthorized, ghost = users
    answers = custody.buy_claims(PLATFORM, [
        ClaimPurchase("t-1", listings[0], buyer),       # sold to the buyer
        ClaimPurchase("t-2", listings[0], other),       # the same listing: already sold
        ClaimPurchase("t-3", listings[2], seller),      # its own listing
        ClaimPurchase("t-4", listings[1], unauthorized),
        ClaimPurchase("t-5", "ls-none", buyer),
        ClaimPurchase("t-6", listings[1], ghost),
        ClaimPurchase("t-7", listings[1], buyer),       # 70,000 left: bought
        ClaimPurchase("t-8", listings[3], buyer),       # 20,000 left: not enough
        ClaimPurchase("t-9", listings[3], seller)])     # u0001 buys u0002's claim
    assert [a.code for a in answers] == [
        "ok", "listing_not_open", "buyer_is_seller", "authorization_required",
        "listing_not_found", "user_not_found", "ok", "exceeds_available", "ok"]
    fee_fen = answers[0].data["fee_fen"]
    assert ledger.account(PLATFORM, chart.user_account_no(buyer)).balance_fen == 20_000
    assert ledger.account(PLATFORM, chart.FEE).balance_fen == 3 * fee_fen
    holders = {c.claim_id: c.holder_user_id for p in _PROJECTS for c in custody.claims(PLATFORM, p)}
    assert holders[f"b-PA-{seller}"] == buyer and holders[f"b-PB-{other}"] == seller
    # each answer is replayed as recorded, by the single form too
    again = custody.buy_claims(PLATFORM, [ClaimPurchase("t-1", listings[0], buyer)])
    assert again[0].replayed and again[0].data == answers[0].data
    assert custody.buy_claim(PLATFORM, "t-2", listings[0], other).code == "listing_not_open"


_purchases = st.lists(st.lists(st.tuples(st.integers(0, 12), st.integers(0, 4),
                                         st.integers(0, 4)), min_size=1, max_size=6),
                      min_size=1, max_size=4)


@settings(max_examples=12, deadline=None)
@given(rounds=_purchases, buyer_funds_fen=st.sampled_from([40_000, 60_000, 120_000]))
def test_r_c14_set_based_and_single_purchases_agree(rounds: list[list[Any]],
                                                   buyer_funds_fen: int) -> None:
    """The same purchases (request no., listing, buyer — a request no. may come again) sent
    in set-based calls, one per round, or one at a time, end the same: the same answers
    (codes, replays), balances, and claims' holders."""
    from tests.conftest import fresh_engine

    ends = []
    for mode in ("many", "single"):
        with fresh_engine("sqlite", label=mode) as engine:
            custody, ledger, _, _ = services(engine)
            users, listings = _market(custody, buyer_funds_fen)
            listings.append("ls-none")
            answers = []
            for requests in rounds:
                calls = [ClaimPurchase(f"t-{no}", listings[listing], users[who])
                         for no, listing, who in requests]
                answers += (custody.buy_claims(PLATFORM, calls) if mode == "many" else [
                    custody.buy_claim(PLATFORM, c.request_no, c.listing_id, c.buyer_user_id)
                    for c in calls])
            ends.append((
                [(a.code, a.replayed) for a in answers],
                [ledger.account(PLATFORM, no).balance_fen for no in (
                    *(chart.user_account_no(u) for u in users[:4]), chart.FEE)],
                sorted((c.claim_id, c.holder_user_id, c.status)
                       for p in _PROJECTS for c in custody.claims(PLATFORM, p))))
    assert ends[0] == ends[1]
