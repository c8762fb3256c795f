"""No platform reaches another's rows through any id: every id-taking platform endpoint is
called by platform A with platform B's ids; each answers 404 and B's money and rows stay as
they were. A new endpoint that takes an id fails this test until it is listed here."""

import re
from collections import defaultdict
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.routing import APIRoute
from sqlalchemy import Engine, select

from cunguan.custody.rules.schedules import Method
from cunguan.custody.store.tables import custody_claims, custody_users
from tests.api_helpers import Api, api_for
from tests.custody_helpers import PASSWORD, icbc_card

B = "OTHER"
B_CARD = icbc_card(101)


def _platform_b(api: Api) -> dict[str, str]:
    """Platform B with one of everything an id can name."""
    api.onboard(B)
    c = api.bank.custody
    lender, borrower = api.open_user(B, 101), api.open_user(B, 102, role="borrower")
    assert c.recharge(B, "rc", lender, B_CARD, 2_000_000, password=PASSWORD).ok
    assert c.register_project(B, "prj", project_id="BP1", borrower_user_id=borrower,
                              amount_fen=100_000, annual_rate="0.12", months=3,
                              method=Method.EQUAL_INSTALLMENT, bid_min_fen=10_000,
                              bid_max_fen=100_000, bid_step_fen=10_000).ok
    assert c.bid(B, "bid-1", lender, "BP1", 100_000, password=PASSWORD).ok
    assert c.lend(B, "lend", "BP1").ok
    assert c.list_claim(B, "listing-1", "bid-1", lender, 100_000).ok
    assert c.create_plan(B, "plan", "PLAN1", "plan", "0.06", 30).ok
    assert c.purchase_plan(B, "holding-1", lender, "PLAN1", 50_000, password=PASSWORD).ok
    assert c.withdraw(B, "wd-1", lender, B_CARD, 10_000, password=PASSWORD).ok
    assert api.bank.batches.submit(B, "batch-1", "repay", ["BP1"]).ok
    assert api.bank.migration.stage(B, "MIG-B", {"users": b"user_id,role,name,id_kind,id_no,"
                                                 b"mobile,card_no,balance\n"}).ok
    return {"migration_id": "MIG-B", "user_id": lender, "borrower": borrower,
            "project_id": "BP1", "claim_id": "bid-1", "listing_id": "listing-1",
            "plan_id": "PLAN1", "holding_id": "holding-1",
            "withdrawal_no": "wd-1", "batch_no": "batch-1", "account_no": f"U-{lender}",
            "request_no": "rc", "kind": "bid"}


def _calls(b: dict[str, str]) -> dict[tuple[str, str], dict[str, Any] | None]:
    """(method, route) → the body A sends (None for GET); ids in paths come from ``b``."""
    u, card = b["user_id"], B_CARD
    return {
        ("GET", "/v1/users/{user_id}"): None,
        ("POST", "/v1/users/{user_id}/cards"): {"card_no": icbc_card(555)},
        ("POST", "/v1/users/{user_id}/cards/unbind"): {"card_no": card},
        ("POST", "/v1/users/{user_id}/cards/replace"): {"old_card_no": card,
                                                        "new_card_no": icbc_card(556)},
        ("POST", "/v1/users/{user_id}/authorizations/{kind}/revoke"): {},
        ("GET", "/v1/users/{user_id}/claims"): None,
        ("GET", "/v1/withdrawals/{withdrawal_no}"): None,
        ("GET", "/v1/projects/{project_id}"): None,
        ("GET", "/v1/projects/{project_id}/schedule"): None,
        ("GET", "/v1/projects/{project_id}/claims"): None,
        ("POST", "/v1/projects/{project_id}/lend"): {},
        ("POST", "/v1/projects/{project_id}/fail-raise"): {},
        ("POST", "/v1/projects/{project_id}/repay"): {},
        ("POST", "/v1/projects/{project_id}/repay-early"): {},
        ("POST", "/v1/projects/{project_id}/settle-repayment"): {},
        ("POST", "/v1/projects/{project_id}/compensate"): {"payer": "guarantor"},
        ("GET", "/v1/batches/{batch_no}"): None,
        ("POST", "/v1/claims/{claim_id}/listings"): {"seller_user_id": u, "price_fen": 1},
        ("POST", "/v1/listings/{listing_id}/purchase"): {"buyer_user_id": u},
        ("POST", "/v1/listings/{listing_id}/cancel"): {},
        ("POST", "/v1/plans/{plan_id}/purchases"): {"user_id": u, "amount_fen": 10_000},
        ("POST", "/v1/plan-holdings/{holding_id}/match"): {"project_id": b["project_id"],
                                                           "amount_fen": 10_000},
        ("POST", "/v1/plan-holdings/{holding_id}/redeem"): {},
        ("GET", "/v1/accounts/{account_no}"): None,
        ("GET", "/v1/accounts/{account_no}/log"): None,
        ("GET", "/v1/requests/{request_no}"): None,
        ("GET", "/v1/migrations/{migration_id}"): None,
        ("GET", "/v1/migrations/{migration_id}/rows"): None,
        ("POST", "/v1/migrations/{migration_id}/cancel"): {},
        # ids in bodies
        ("POST", "/v1/recharges"): {"user_id": u, "card_no": card, "amount_fen": 100},
        ("POST", "/v1/red-packets"): {"user_id": u, "amount_fen": 100},
        ("POST", "/v1/red-packet-batches"): {"packets": [
            {"request_no": "x-batch-1", "user_id": u, "amount_fen": 100}]},
        ("POST", "/v1/withdrawals"): {"user_id": u, "card_no": card, "amount_fen": 100},
        ("POST", "/v1/bids"): {"user_id": u, "project_id": b["project_id"],
                               "amount_fen": 10_000},
    }


def test_r_c11_a_batch_naming_another_platforms_project_fails_that_item_only(api: Api
                                                                           ) -> None:
    """Batches answer per item (R-C11): the item fails as project_not_found in A's tenant."""
    ids = _platform_b(api)
    a = api.onboard("P2P")
    before = _b_state(api)
    answer = a.post("/v1/batches", {"batch_no": "a-batch", "kind": "repay",
                                    "project_ids": [ids["project_id"]]})
    assert answer.status == 200, answer.body
    api.clock.advance(timedelta(hours=3))
    api.bank.batches.run_due(api.clock())   # B's own batch runs too, in B
    items = a.get("/v1/batches/a-batch").body["items"]
    assert [(i["status"], i["code"]) for i in items] == [("failed", "project_not_found")]
    assert _b_state(api) == before


def _b_state(api: Api) -> tuple[Any, ...]:
    accounts = tuple((a.account_no, a.balance_fen, a.frozen_fen)
                     for a in api.bank.ledger.accounts(B))
    with api.bank.engine.connect() as conn:
        users = conn.execute(select(custody_users).where(custody_users.c.tenant_id == B)
                             .order_by(custody_users.c.user_id)).all()
        claims = conn.execute(select(custody_claims).where(custody_claims.c.tenant_id == B)
                              .order_by(custody_claims.c.claim_id)).all()
    return accounts, tuple(map(tuple, users)), tuple(map(tuple, claims))


@pytest.fixture
def api(engine: Engine) -> Iterator[Api]:
    with api_for(engine) as found:
        yield found


def test_r_c21_no_platform_reaches_another_platforms_ids(api: Api) -> None:
    ids = _platform_b(api)
    a = api.onboard("P2P")
    api.open_user("P2P", 1)   # A has rows of its own, so "not found" is not "empty"
    before = _b_state(api)
    calls = _calls(ids)
    for n, ((method, route), body) in enumerate(sorted(calls.items())):
        path = re.sub(r"\{(\w+)\}", lambda m: ids[m.group(1)], route)
        if body is not None and "packets" in body:   # answered per packet, each alone
            items = a.post(path, body).body["items"]
            assert [item["code"] for item in items] == ["user_not_found"], items
            continue
        answer = a.get(path) if body is None else a.post(path, {**body, "request_no": f"x-{n}"})
        assert answer.status == 404, (method, route, answer.body)
        assert answer.body["code"].endswith("_not_found"), (route, answer.body)
    assert _b_state(api) == before


def test_every_id_taking_platform_endpoint_is_in_the_tenancy_test(api: Api) -> None:
    routes = {(method, route.path) for route in api.http.app.routes
              if isinstance(route, APIRoute) and route.path.startswith("/v1/")
              and not route.path.startswith("/v1/operator")
              for method in route.methods}
    takes_ids = {r for r in routes if "{" in r[1]} | {
        ("POST", p) for p in ("/v1/recharges", "/v1/red-packets", "/v1/red-packet-batches",
                              "/v1/withdrawals", "/v1/bids")}
    listed = set(_calls(defaultdict(lambda: "any-id")))
    names_new = {("POST", "/v1/migrations/{migration_id}")}   # names a new run, finds nothing
    # a date, not an id: the caller's own file of that day (tests/reconcile, R-C22)
    own_by_date = {("GET", "/v1/reconciliation-files/{business_date}")}
    assert takes_ids - listed - names_new - own_by_date == set()
