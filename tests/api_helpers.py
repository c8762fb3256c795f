"""Set-up for API tests: a bank on a real database, the app, an operator, platforms, users
opened through the hosted pages' service (the password never crosses the API)."""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from cunguan.client import CunguanClient
from cunguan.core.clock import CST, FixedClock
from cunguan.custody.rules.kyc import IdKind
from cunguan.platform.app import create_app
from cunguan.platform.bank import Bank
from tests.custody_helpers import MONDAY, PASSWORD, icbc_card, resident_id

RETURN_PREFIX = "https://platform.example/return"


@dataclass
class Api:
    bank: Bank
    http: TestClient
    clock: FixedClock
    operator: CunguanClient

    def client(self, key_id: str, secret: str) -> CunguanClient:
        return CunguanClient("http://testserver", key_id, secret, http=self.http,
                             clock=lambda: self.clock().timestamp())

    def onboard(self, tenant_id: str, *, callback_url: str | None = None) -> CunguanClient:
        answer = self.operator.post("/v1/operator/platforms", {
            "tenant_id": tenant_id, "name": f"platform {tenant_id}",
            "accounting_date": MONDAY.isoformat(), "callback_url": callback_url,
            "return_url_prefix": RETURN_PREFIX})
        assert answer.status == 200, answer.body
        for account in ("own", "marketing"):
            funded = self.operator.post(f"/v1/operator/platforms/{tenant_id}/fundings", {
                "request_no": f"fund-{account}", "account": account, "amount_fen": 10_000_000})
            assert funded.status == 200, funded.body
        return self.client(answer.body["key_id"], answer.body["secret"])

    def open_user(self, tenant_id: str, seq: int, role: str = "lender") -> str:
        """A user opened directly through the custody service (as the hosted page does)."""
        user_id = f"u{seq:04d}"
        result = self.bank.custody.open_user(
            tenant_id, f"open-{user_id}", user_id=user_id, role=role, name=f"用户{seq}",
            id_kind=IdKind.RESIDENT_ID, id_no=resident_id(seq), mobile=f"138{seq:08d}",
            card_no=icbc_card(seq), password=PASSWORD)
        assert result.ok, result
        return user_id

    def authorize(self, tenant_id: str, user_id: str) -> None:
        result = self.bank.custody.authorize(
            tenant_id, f"auth-{user_id}", user_id, ("recharge", "bid", "repay", "withdraw"),
            100_000_000, datetime(2027, 11, 23, tzinfo=CST), PASSWORD)
        assert result.ok, result


@contextmanager
def api_for(engine: Engine, *, group_commit: bool = False,
            command_lane: bool = True) -> Iterator[Api]:
    clock = FixedClock(datetime(2026, 11, 23, 10, 0, tzinfo=CST))
    bank = Bank(engine, clock=clock, group_commit=group_commit)
    issued = bank.access.issue("operator")
    with TestClient(create_app(bank, command_lane=command_lane),
                    base_url="http://testserver") as http:
        operator = CunguanClient("http://testserver", issued.key_id, issued.secret, http=http,
                                 clock=lambda: clock().timestamp())
        yield Api(bank, http, clock, operator)
