"""The command lane (platform/lane.py) answers as the router does: the same requests — valid,
replayed, conflicting, malformed, unsigned, tampered — sent to an app with the lane and to one
without get the same statuses, bodies and headers, and leave the same balances."""

import json
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cunguan.custody import routes as platform_routes
from tests.api_helpers import Api
from tests.custody_helpers import icbc_card
from tests.platform.integration.lane_helpers import lane_and_router, seen, send_flawed

USERS = ("u0001", "u0002", "u0999")      # the last one was never opened
#: How a request is spoilt, if at all.
FLAWS = ("none", "none", "none", "unknown_field", "missing_field", "float_amount",
         "string_amount", "zero_amount", "not_json", "json_array", "empty_body",
         "form_content_type", "no_content_type", "tampered", "replayed_nonce", "get_method")


def _body(path: str, flaw: str, request_no: str, user_id: str, amount_fen: int) -> bytes:
    payload: dict[str, Any] = {"request_no": request_no, "user_id": user_id,
                               "amount_fen": amount_fen}
    if path == "/v1/bids":
        payload["project_id"] = "P1"
    elif path != "/v1/red-packets":
        payload["card_no"] = icbc_card(int(user_id[1:]))
    if flaw == "unknown_field":
        payload["status"] = "settled"
    elif flaw == "missing_field":
        del payload["user_id"]
    elif flaw in ("float_amount", "string_amount", "zero_amount"):
        payload["amount_fen"] = {"float_amount": amount_fen + 0.0,
                                 "string_amount": str(amount_fen), "zero_amount": 0}[flaw]
    special = {"not_json": b'{"request_no": ', "json_array": b"[]", "empty_body": b""}
    return special.get(flaw, json.dumps(payload).encode())


def _send(api: Api, key: tuple[str, str], step: tuple[Any, ...], n: int) -> httpx.Response:
    path, flaw, request_no, user_id, amount_fen = step
    return send_flawed(api, key, path, _body(path, flaw, request_no, user_id, amount_fen),
                       flaw, n)


def _platform(api: Api) -> tuple[str, str]:
    """The platform, two investors with money and standing authorizations, and a project
    raising in steps of a fen (every lane command's well-formed request may succeed)."""
    client = api.onboard("P2P")
    for seq in (1, 2):
        user_id = api.open_user("P2P", seq)
        api.authorize("P2P", user_id)
        assert api.bank.custody.red_packet("P2P", f"fund-{seq}", user_id, 100_000).ok
    borrower = api.open_user("P2P", 3, role="borrower")
    assert api.bank.custody.register_project(
        "P2P", "reg-P1", project_id="P1", borrower_user_id=borrower, amount_fen=10**9,
        annual_rate="0.1", months=3, method="equal_installment", bid_min_fen=1,
        bid_max_fen=10**9, bid_step_fen=1).ok
    return client.key_id, client.secret


_STEPS = st.lists(st.tuples(
    st.sampled_from(sorted(platform_routes.LANE)), st.sampled_from(FLAWS),
    st.sampled_from(("r1", "r2", "r3")), st.sampled_from(USERS),
    st.integers(min_value=1, max_value=3)), min_size=1, max_size=12)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=_STEPS)
def test_r_c21_the_command_lane_answers_as_the_router_does(steps: list[tuple[Any, ...]]
                                                           ) -> None:
    with lane_and_router(_platform) as [(lane, lane_key), (router, router_key)]:
        for n, step in enumerate(steps):
            assert (seen(_send(lane, lane_key, step, n)) ==
                    seen(_send(router, router_key, step, n))), step
        for user_id in USERS:
            looked_up = [api.client(*key).get(f"/v1/users/{user_id}")
                         for api, key in ((lane, lane_key), (router, router_key))]
            assert looked_up[0].status == looked_up[1].status
            assert looked_up[0].body == looked_up[1].body or looked_up[0].status != 200


#: What each flaw gets, on both paths, for a first request with a fresh serial no.
_EXPECTED = {"none": (200, "ok"), "unknown_field": (422, "field_invalid"),
             "missing_field": (422, "field_invalid"), "float_amount": (422, "field_invalid"),
             "string_amount": (422, "field_invalid"), "zero_amount": (422, "field_invalid"),
             "not_json": (400, "body_invalid"), "json_array": (422, "field_invalid"),
             "empty_body": (400, "body_invalid"),
             "form_content_type": (415, "content_type_invalid"),
             "no_content_type": (415, "content_type_invalid"),
             "tampered": (401, "signature_invalid"),
             "replayed_nonce": (200, "ok"), "get_method": (405, "method_not_allowed")}


def test_r_c21_each_flaw_is_refused_alike_on_both_paths() -> None:
    """Every flaw the property test draws, once each on every lane command, with what it must
    get: the property test's comparisons are between answers of every kind, not refusals of
    one. A nonce used twice is refused the second time."""
    with lane_and_router(_platform) as apps:
        for api, key in apps:
            for n, (flaw, (status, code)) in enumerate(_EXPECTED.items()):
                for m, path in enumerate(sorted(platform_routes.LANE)):
                    step = (path, flaw, f"r{n}-{m}", "u0001", 1)
                    answer = _send(api, key, step, n * 10 + m)
                    replay = flaw == "replayed_nonce" and path != min(platform_routes.LANE)
                    expected = (401, "signature_replayed") if replay else (status, code)
                    got = answer.json().get("code") or answer.json().get("status")
                    assert (answer.status_code, got) == expected, (path, flaw, answer.text)
