"""The platform API in-process on both backends: signatures, tenancy, idempotency, errors."""

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from tests.api_helpers import Api, api_for
from tests.custody_helpers import icbc_card


@pytest.fixture
def api(engine: Engine) -> Iterator[Api]:
    with api_for(engine) as found:
        yield found


def test_r_c21_red_packet_replay_returns_the_same_answer(api: Api) -> None:
    p2p = api.onboard("P2P")
    user = api.open_user("P2P", 1)
    first = p2p.post("/v1/red-packets", {"request_no": "rp-1", "user_id": user,
                                         "amount_fen": 500})
    assert first.status == 200 and first.body["status"] == "ok", first.body
    again = p2p.post("/v1/red-packets", {"request_no": "rp-1", "user_id": user,
                                         "amount_fen": 500})
    assert (again.status, again.body, again.replayed) == (200, first.body, True)
    assert p2p.get(f"/v1/accounts/U-{user}").body["balance_fen"] == 500
    other = p2p.post("/v1/red-packets", {"request_no": "rp-1", "user_id": user,
                                         "amount_fen": 600})
    assert other.status == 409
    assert other.body["code"] == "duplicate_with_different_content"
    assert other.body["details"]["fields"] == ["amount"]
    assert other.body["request_id"] == "rp-1"
