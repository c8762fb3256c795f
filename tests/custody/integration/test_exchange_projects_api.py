"""R-C8 end to end: a platform registers an exchange-originated project over the signed API
with its loan contract and disbursement record, reads them back with the project, and cannot
make one contract back a second project (it was reachable from Python only)."""

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine

from tests.api_helpers import Api, api_for
from tests.custody_helpers import icbc_card


@pytest.fixture
def api(engine: Engine) -> Iterator[Api]:
    with api_for(engine) as made:
        yield made


def _body(request_no: str, project_id: str, borrower: str, **origin: Any) -> dict[str, Any]:
    return {"request_no": request_no, "project_id": project_id, "borrower_user_id": borrower,
            "amount_fen": 1_000_000, "annual_rate": "0.08", "months": 12,
            "method": "equal_installment", "bid_min_fen": 10_000, "bid_max_fen": 1_000_000,
            "bid_step_fen": 10_000,
            "origin": {"contract_no": "JK-2026-0001", "signed_on": "2026-11-01",
                       "lender_name": "天津金融资产交易所", "principal_fen": 1_000_000,
                       "annual_rate": "0.08", "months": 12, "disbursement_no": "FK20261102001",
                       "disbursed_on": "2026-11-02", "disbursed_fen": 1_000_000,
                       "payee_account_no": icbc_card(9), **origin}}


def test_r_c8_an_exchange_project_is_registered_and_read_over_the_api(api: Api) -> None:
    client = api.onboard("P2P")
    borrower = api.open_user("P2P", 9, role="borrower")
    answer = client.post("/v1/projects/exchange", _body("rx-1", "X1", borrower))
    assert answer.status == 200, answer.body
    assert answer.body["data"]["contract_no"] == "JK-2026-0001"
    view = client.get("/v1/projects/X1").body
    assert view["origin"]["disbursement_no"] == "FK20261102001"
    again = client.post("/v1/projects/exchange", _body("rx-1", "X1", borrower))
    assert again.status == 200 and again.body["data"] == answer.body["data"]   # a replay


def test_r_c8_one_contract_backs_one_project_over_the_api(api: Api) -> None:
    client = api.onboard("P2P")
    borrower = api.open_user("P2P", 9, role="borrower")
    assert client.post("/v1/projects/exchange", _body("rx-1", "X1", borrower)).status == 200
    second = client.post("/v1/projects/exchange",
                         _body("rx-2", "X2", borrower, disbursement_no="FK2"))
    assert (second.status, second.body["code"]) != (200, "ok")
    assert second.body["code"] == "origin_contract_used"


@pytest.mark.parametrize(("field", "value"), [
    ("contract_no", "JK\x00"), ("signed_on", "0001-01-01"), ("principal_fen", 1.5),
    ("payee_account_no", "６２２２"), ("lender_name", "")], ids=repr)
def test_r_c8_malformed_records_are_refused_by_name(api: Api, field: str, value: Any) -> None:
    client = api.onboard("P2P")
    borrower = api.open_user("P2P", 9, role="borrower")
    answer = client.post("/v1/projects/exchange",
                         _body("rx-bad", "X9", borrower, **{field: value}))
    assert (answer.status, answer.body["code"]) == (422, "field_invalid"), answer.body
