"""Schemathesis against the published OpenAPI document: generated requests (valid and
invalid) to every operation, signed by a small proxy as a platform or an operator would sign
them; no answer is a 500, every answer matches the documented status, type and schema."""

import json
import os
import tempfile
from datetime import datetime
from typing import Any

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import checks

from cunguan.core import signing
from cunguan.core.clock import CST, FixedClock
from cunguan.db.connection import make_engine, upgrade
from cunguan.platform.app import create_app
from cunguan.platform.bank import Bank

_CLOCK = FixedClock(datetime(2026, 11, 23, 10, 0, tzinfo=CST))
_DB = os.path.join(tempfile.mkdtemp(prefix="cunguan-openapi-"), "api.db")


def _bank() -> tuple[Bank, dict[str, tuple[str, str]]]:
    engine = make_engine(f"sqlite:///{_DB}")
    upgrade(engine)
    bank = Bank(engine, clock=_CLOCK)
    bank.custody.onboard_platform("P2P", "schemathesis", _CLOCK().date())
    platform = bank.access.issue("platform", "P2P")
    operator = bank.access.issue("operator")
    return bank, {"platform": (platform.key_id, platform.secret),
                  "operator": (operator.key_id, operator.secret)}


class SigningProxy:
    """Signs each request as the platform (or, under /v1/operator, the operator)."""

    def __init__(self, app: Any, keys: dict[str, tuple[str, str]]) -> None:
        self.app = app
        self.keys = keys
        self.count = 0

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/v1/"):
            await self.app(scope, receive, send)
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        query = scope.get("query_string", b"").decode()
        target = scope["path"] + (f"?{query}" if query else "")
        role = "operator" if scope["path"].startswith("/v1/operator") else "platform"
        key_id, secret = self.keys[role]
        self.count += 1
        signed = signing.sign_request(key_id, signing.HMAC_SHA256, secret, scope["method"],
                                      target, body, int(_CLOCK().timestamp()),
                                      f"nonce{self.count:012d}")
        headers = [(k, v) for k, v in scope["headers"]
                   if not k.decode().lower().startswith("x-cunguan-")]
        headers += [(k.lower().encode(), v.encode()) for k, v in signed.headers().items()]
        sent = False

        async def replay() -> dict:
            nonlocal sent
            if sent:
                return {"type": "http.disconnect"}
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app({**scope, "headers": headers}, replay, send)


_BANK, _KEYS = _bank()
_APP = SigningProxy(create_app(_BANK), _KEYS)
schema = schemathesis.openapi.from_asgi("/openapi.json", _APP)

CHECKS = [checks.not_a_server_error, checks.status_code_conformance,
          checks.content_type_conformance, checks.response_schema_conformance]


@schema.parametrize()
@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                 HealthCheck.function_scoped_fixture])
def test_r_c21_every_operation_answers_as_documented(case: schemathesis.Case) -> None:
    case.call_and_validate(checks=CHECKS)


def test_openapi_document_lists_the_signature_scheme_and_every_endpoint() -> None:
    document = _APP.app.openapi()
    paths = set(document["paths"])
    assert {"/v1/red-packets", "/v1/events", "/v1/pages", "/v1/operator/platforms"} <= paths
    assert "docs/API.md" in json.dumps(document["info"])
