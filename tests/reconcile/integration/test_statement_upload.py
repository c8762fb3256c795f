"""An operator uploads a bank statement over the signed API (R-B2, R-C15's statement path):
imported once, replayed the second time, refused by name; platforms cannot."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from cunguan.reconcile.handlers.service import ReconcileService
from cunguan.reconcile.rules import register
from tests.api_helpers import Api, api_for
from tests.custody_helpers import PLATFORM

DATA = Path(__file__).resolve().parents[1] / "data"
ACCOUNT = "0200001234567890123"
UPLOAD = "/v1/operator/reconcile/statements"


@pytest.fixture
def api(engine: Engine) -> Iterator[Api]:
    with api_for(engine) as found:
        yield found


def test_r_b2_r_c15_operator_uploads_the_custody_statement_once(api: Api) -> None:
    platform = api.onboard(PLATFORM)
    ReconcileService(api.bank.engine, api.bank.ledger, clock=api.clock).add_account(
        register.bank_account(ACCOUNT, "ICBC", "custody", tenant_id=PLATFORM),
        operator="ops-alice")
    data = (DATA / "cunguan_20261207.sta").read_bytes()
    first = api.operator.upload(f"{UPLOAD}?format=mt940", {"file": ("stmt.sta", data)})
    assert first.status == 200, first.body
    assert (first.body["account_no"], first.body["lines"], first.body["replayed"]) == (
        ACCOUNT, 4, False)
    again = api.operator.upload(f"{UPLOAD}?format=mt940&account={ACCOUNT}",
                                {"file": ("same.sta", data)})
    assert again.status == 200 and again.body["replayed"]
    assert again.body["import_id"] == first.body["import_id"]
    refused = {   # other bytes: the same file again is answered by its first import
        ("format=mt941", b"garbage"): (422, "field_invalid"),
        ("format=mt940&account=6222000000000000", data + b"\n"): (
            422, "statement_account_mismatch"),
        ("format=csv:icbc", b"\xff\xfe,\x00"): (422, "statement_unparsable"),
    }
    for (query, content), expected in refused.items():
        answer = api.operator.upload(f"{UPLOAD}?{query}", {"file": ("x", content)})
        assert (answer.status, answer.body["code"]) == expected, (query, answer.body)
    two = api.operator.upload(f"{UPLOAD}?format=mt940", {"file": ("a", data), "more": ("b", b"")})
    assert (two.status, two.body["code"]) == (422, "field_invalid")
    assert platform.upload(f"{UPLOAD}?format=mt940", {"file": ("x", data)}).status == 403
