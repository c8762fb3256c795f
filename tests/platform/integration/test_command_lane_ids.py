"""The command lane's commands whose path names a project or a listing (repayments, lending,
settlement, claim purchases: ``routes.LANE_IDS``) answer as the router does: the same
requests — valid, replayed, conflicting, malformed, unsigned, with ids of every form — sent
to an app with the lane and to one without get the same statuses, bodies and headers."""

import json
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cunguan.custody import routes as platform_routes
from tests.api_helpers import Api
from tests.platform.integration.lane_helpers import lane_and_router, seen, send_flawed

#: Ids in a path: those that exist, one that does not, and forms the router refuses.
IDS = ("P1", "ls-1", "NOPE", "bad%20id", "x" * 65, "a%2Fb")
FLAWS = ("none", "none", "none", "unknown_field", "missing_field", "not_json", "empty_body",
         "no_content_type", "tampered", "replayed_nonce", "get_method")
PATHS = ("/v1/projects/{}/repay", "/v1/projects/{}/lend", "/v1/projects/{}/settle-repayment",
         "/v1/listings/{}/purchase")


def _platform(api: Api) -> tuple[str, str]:
    """A lent project P1 of borrower u0003 (standing authorizations), its claims held by
    u0001 and u0002; u0001's claim listed as ls-1."""
    client = api.onboard("P2P")
    custody = api.bank.custody
    lenders = [api.open_user("P2P", seq) for seq in (1, 2)]
    borrower = api.open_user("P2P", 3, role="borrower")
    for user_id in (*lenders, borrower):
        api.authorize("P2P", user_id)
        assert custody.red_packet("P2P", f"fund-{user_id}", user_id, 1_000_000).ok
    assert custody.register_project(
        "P2P", "reg-P1", project_id="P1", borrower_user_id=borrower, amount_fen=1_000_000,
        annual_rate="0.1", months=3, method="equal_installment", bid_min_fen=10_000,
        bid_max_fen=1_000_000, bid_step_fen=10_000).ok
    for user_id in lenders:
        assert custody.bid("P2P", f"bid-{user_id}", user_id, "P1", 500_000).ok
    assert custody.lend("P2P", "lend-P1", "P1").ok
    assert custody.list_claim("P2P", "ls-1", "bid-u0001", "u0001", 400_000).ok
    return client.key_id, client.secret


def _send(api: Api, key: tuple[str, str], step: tuple[Any, ...], n: int) -> httpx.Response:
    path_form, item, flaw, request_no, buyer = step
    path = path_form.format(item)
    payload: dict[str, Any] = {"request_no": request_no}
    if path.endswith("/purchase"):
        payload["buyer_user_id"] = buyer
    if flaw == "unknown_field":
        payload["amount_fen"] = 1
    elif flaw == "missing_field":
        del payload["request_no"]
    special = {"not_json": b'{"request_no": ', "empty_body": b""}
    return send_flawed(api, key, path, special.get(flaw, json.dumps(payload).encode()), flaw,
                       n)


_STEPS = st.lists(st.tuples(
    st.sampled_from(PATHS), st.sampled_from(IDS), st.sampled_from(FLAWS),
    st.sampled_from(("r1", "r2", "r3")), st.sampled_from(("u0002", "u0001", "u0009"))),
    min_size=1, max_size=10)


def test_r_c21_every_set_based_id_command_is_in_the_lane() -> None:
    lane = {(c.prefix, c.suffix) for c in platform_routes.LANE_IDS}
    assert lane == {("/v1/projects/", "/repay"), ("/v1/projects/", "/lend"),
                    ("/v1/projects/", "/settle-repayment"), ("/v1/listings/", "/purchase")}


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=_STEPS)
def test_r_c21_the_lane_answers_id_commands_as_the_router_does(steps: list[tuple[Any, ...]]
                                                               ) -> None:
    with lane_and_router(_platform) as [(lane, lane_key), (router, router_key)]:
        for n, step in enumerate(steps):
            assert (seen(_send(lane, lane_key, step, n)) ==
                    seen(_send(router, router_key, step, n))), step
