"""The API edge refuses what a hostile caller sends with a named code, never a 500: signature
headers parsed strictly, the signature checked before the body is read, bodies that are not
JSON, not UTF-8, too large or with duplicate keys, the raw path signed as sent."""

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine

from cunguan.core import limits, signing
from tests.api_helpers import Api, api_for


@pytest.fixture
def api(engine: Engine) -> Iterator[Api]:
    with api_for(engine) as found:
        yield found


@pytest.fixture
def platform_key(api: Api) -> tuple[str, str]:
    p2p = api.onboard("P2P")
    api.authorize("P2P", api.open_user("P2P", 1))
    return p2p.key_id, p2p.secret


_count = iter(range(10**9))


def send(api: Api, key: tuple[str, str] | None, method: str, target: str, body: bytes = b"",
         *, content_type: str | None = "application/json", sign_target: str | None = None,
         headers: dict[str, Any] | None = None) -> httpx.Response:
    """A request signed over ``sign_target`` (default: the target as sent)."""
    sent: dict[str, Any] = {}
    if key is not None:
        sent.update(signing.sign_request(
            key[0], signing.HMAC_SHA256, key[1], method, sign_target or target, body,
            int(api.clock().timestamp()), f"edge{next(_count):08d}").headers())
    if content_type is not None:
        sent["Content-Type"] = content_type
    sent.update(headers or {})
    return api.http.request(method, target, content=body, headers=sent)


# -- 1. signature headers parsed strictly ----------------------------------------------------
@pytest.mark.parametrize("header, value", [
    (signing.HEADER_TIMESTAMP, b"\xb2"),                 # ² in Latin-1
    (signing.HEADER_TIMESTAMP, "¹".encode("latin-1")),
    (signing.HEADER_TIMESTAMP, "³".encode("latin-1")),
    (signing.HEADER_TIMESTAMP, b"1" * 5_000),
    (signing.HEADER_TIMESTAMP, b"-1795399200"),
    (signing.HEADER_NONCE, b"n" * 5_000),
    (signing.HEADER_NONCE, "nonce\xb2\xb3xyz".encode("latin-1")),
    (signing.HEADER_KEY, b"k" * 5_000),
    (signing.HEADER_KEY, b"pk_\x00abc"),
    (signing.HEADER_KEY, "pk_\xe9t\xe9".encode("latin-1")),
    (signing.HEADER_SIGNATURE, b"s" * 5_000),
    (signing.HEADER_ALGORITHM, b"\xb2" * 300),
])
def test_malformed_signature_headers_are_refused_with_401(
        api: Api, platform_key: tuple[str, str], header: str, value: bytes) -> None:
    answer = send(api, platform_key, "GET", "/v1/events", headers={header: value})
    assert answer.status_code == 401, answer.text
    assert answer.json()["code"] in ("signature_missing", "signature_algorithm_unknown")
    lane = send(api, platform_key, "POST", "/v1/red-packets", json.dumps(
        {"request_no": "rp-1", "user_id": "u0001", "amount_fen": 1}).encode(),
        headers={header: value})
    assert lane.status_code == 401, lane.text


# -- 9. one message for an unknown key and a wrong signature ---------------------------------
def test_an_unknown_key_and_a_wrong_signature_are_refused_alike(
        api: Api, platform_key: tuple[str, str]) -> None:
    key_id, secret = platform_key
    answers = [send(api, key, "GET", "/v1/events") for key in (
        ("pk_0000000000000000", secret), (key_id, secret + "x"))]
    api.bank.access.revoke(key_id)
    answers.append(send(api, (key_id, secret), "GET", "/v1/events"))
    bodies = [{k: v for k, v in a.json().items() if k != "request_id"} for a in answers]
    assert [a.status_code for a in answers] == [401, 401, 401]
    assert bodies[0] == bodies[1] == bodies[2], bodies
    assert bodies[0]["code"] == "signature_invalid"


# -- 3. the body limit holds while the body streams in ---------------------------------------
def _post_streamed(api: Api, path: str, chunk_bytes: int, chunks_max: int
                   ) -> tuple[int, dict[str, Any], int]:
    """POST ``chunks_max`` chunks without a Content-Length straight to the ASGI app, unsigned;
    the status, the answer and how many chunks the app asked for."""
    asked = 0
    answer: dict[str, Any] = {"status": None, "body": b""}

    async def receive() -> dict[str, Any]:
        nonlocal asked
        asked += 1
        return {"type": "http.request", "body": b"x" * chunk_bytes,
                "more_body": asked < chunks_max}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            answer["status"] = message["status"]
        elif message["type"] == "http.response.body":
            answer["body"] += message.get("body", b"")
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
             "method": "POST", "scheme": "http", "path": path, "raw_path": path.encode(),
             "query_string": b"", "root_path": "", "server": ("testserver", 80),
             "client": ("203.0.113.9", 5000),
             "headers": [(b"host", b"testserver"), (b"transfer-encoding", b"chunked"),
                         (b"content-type", b"application/json")]}
    asyncio.run(api.http.app(scope, receive, send))
    return answer["status"], json.loads(answer["body"]), asked


@pytest.mark.parametrize("path", ["/v1/bids", "/v1/red-packets", "/v1/pages"])
def test_a_chunked_body_past_the_limit_is_refused_before_it_is_read_whole(
        api: Api, path: str) -> None:
    chunk = 64 * 1024     # 200 MB offered in 64 KB chunks, no Content-Length
    status, body, asked = _post_streamed(api, path, chunk, 200 * 1024 * 1024 // chunk)
    assert (status, body["code"]) == (413, "body_too_large")
    assert asked * chunk <= limits.api_body_bytes_max + chunk


def test_an_upload_may_be_larger_but_not_past_its_own_limit(api: Api) -> None:
    chunk = 256 * 1024
    status, body, asked = _post_streamed(api, "/v1/migrations/M1", chunk,
                                         limits.api_upload_bytes_max // chunk + 10)
    assert (status, body["code"]) == (413, "body_too_large")
    assert limits.api_upload_bytes_max < asked * chunk <= limits.api_upload_bytes_max + chunk


def test_a_declared_length_past_the_limit_is_refused_at_once(api: Api) -> None:
    answer = api.http.post("/v1/bids", content=b"{}", headers={
        "Content-Length": str(limits.api_body_bytes_max + 1)})
    assert (answer.status_code, answer.json()["code"]) == (413, "body_too_large")


# -- 4. the signature before the body, everywhere; signed answers ------------------------------
ROUTED_BODIES = [("POST", "/v1/bids"), ("POST", "/v1/projects"), ("PUT", "/v1/platform/settings"),
                 ("POST", "/v1/pages"), ("POST", "/v1/users/u0001/cards"),
                 ("POST", "/v1/red-packets"), ("POST", "/v1/operator/platforms")]


@pytest.mark.parametrize("method, path", ROUTED_BODIES)
def test_an_unsigned_request_is_refused_401_whatever_its_body(
        api: Api, method: str, path: str) -> None:
    for body in (b"{bad", b"", b"[1, 2]", b'{"amount_fen": 1}'):
        answer = send(api, None, method, path, body)
        assert (answer.status_code, answer.json()["code"]) == (401, "signature_missing"), body


@pytest.mark.parametrize("method, path", ROUTED_BODIES[:-1])
def test_a_signed_body_that_is_not_json_gets_a_signed_400(
        api: Api, platform_key: tuple[str, str], method: str, path: str) -> None:
    client = api.client(*platform_key)
    for body in (b"{bad", b"", b'{"a": NaN}', b"\xff\xfe{}", b'{"a": "\\ud800"}'):
        answer = client._send(method, path, body, "application/json")   # checks the answer
        assert (answer.status, answer.body["code"]) == (400, "body_invalid"), body
        assert answer.signed


@pytest.mark.parametrize("method, path", ROUTED_BODIES[:-1])
def test_a_body_nested_past_the_limit_gets_a_signed_400_not_a_500(
        api: Api, platform_key: tuple[str, str], method: str, path: str) -> None:
    """Python's JSON parser recurses: 1,000 nested brackets raised RecursionError, answered
    500 on every JSON endpoint, the command lane's included (reviewer's reproduction)."""
    client = api.client(*platform_key)
    for depth in (limits.json_nesting_max + 1, 1_000, 100_000):
        body = b'{"request_no": "x", "a": ' + b"[" * depth + b"]" * depth + b"}"
        answer = client._send(method, path, body, "application/json")
        assert (answer.status, answer.body["code"]) == (400, "body_invalid"), depth
        assert answer.signed


def test_a_crash_after_the_signature_is_answered_signed(
        api: Api, platform_key: tuple[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    def crash(*args: object, **kwargs: object) -> None:
        raise RuntimeError("injected fault")
    monkeypatch.setattr(api.bank.outbox, "events_since", crash)
    http = type(api.http)(api.http.app, base_url="http://testserver",
                          raise_server_exceptions=False)
    client = api.client(*platform_key)
    client.http = http
    answer = client.get("/v1/events")       # the client checks the answer's signature
    assert (answer.status, answer.body["code"], answer.signed) == (500, "internal_error", True)


# -- 5. duplicate keys, media types, UTF-8 ----------------------------------------------------
@pytest.mark.parametrize("path", ["/v1/red-packets", "/v1/bids"])
def test_a_key_named_twice_is_refused(api: Api, platform_key: tuple[str, str],
                                      path: str) -> None:
    client = api.client(*platform_key)
    body = (b'{"request_no": "dup-1", "user_id": "u0001", "project_id": "p1", '
            b'"amount_fen": 1, "amount_fen": 1000000}')
    answer = client._send("POST", path, body, "application/json")
    assert (answer.status, answer.body["code"]) == (400, "body_duplicate_key"), answer.body
    assert api.bank.ledger.account("P2P", "U-u0001").balance_fen == 0
    assert client.get("/v1/requests/dup-1").status == 404


@pytest.mark.parametrize("content_type", [
    "application/evil+json", "APPLICATION/JSON; charset=latin-1", "text/plain",
    "application/x-www-form-urlencoded", "application/jsonx", None])
@pytest.mark.parametrize("path", ["/v1/red-packets", "/v1/bids"])
def test_only_json_in_utf_8_is_accepted(api: Api, platform_key: tuple[str, str],
                                        content_type: str | None, path: str) -> None:
    body = json.dumps({"request_no": "ct-1", "user_id": "u0001", "project_id": "p1",
                       "amount_fen": 1}).encode()
    answer = send(api, platform_key, "POST", path, body, content_type=content_type)
    assert (answer.status_code, answer.json()["code"]) == (415, "content_type_invalid")
    assert api.bank.ledger.account("P2P", "U-u0001").balance_fen == 0


@pytest.mark.parametrize("content_type", ["application/json", "Application/JSON",
                                          "application/json; charset=UTF-8",
                                          "application/json;charset=utf-8"])
def test_json_with_or_without_the_utf_8_charset_is_accepted(
        api: Api, platform_key: tuple[str, str], content_type: str) -> None:
    body = json.dumps({"request_no": f"ok-{next(_count)}", "user_id": "u0001",
                       "amount_fen": 1}).encode()
    answer = send(api, platform_key, "POST", "/v1/red-packets", body,
                  content_type=content_type)
    assert answer.status_code == 200, answer.text


# -- 6. the path signed as sent ---------------------------------------------------------------
def test_a_percent_encoded_path_signed_as_sent_is_verified(
        api: Api, platform_key: tuple[str, str]) -> None:
    as_sent = send(api, platform_key, "GET", "/v1/users/u%3A0001")
    assert (as_sent.status_code, as_sent.json()["code"]) == (404, "user_not_found")
    decoded = send(api, platform_key, "GET", "/v1/users/u%3A0001",
                   sign_target="/v1/users/u:0001")
    assert (decoded.status_code, decoded.json()["code"]) == (401, "signature_invalid")


def test_the_client_signs_what_it_sends(api: Api, platform_key: tuple[str, str]) -> None:
    client = api.client(*platform_key)
    for target in ("/v1/users/u%3A0001", "/v1/users/用户", "/v1/users/a b"):
        answer = client.get(target)
        assert (answer.status, answer.body["code"]) in (
            (404, "user_not_found"), (422, "field_invalid")), (target, answer.body)
    assert client.get("/v1/events", {"after": 0, "note": "a b&c"}).status == 200


# -- 2. text and date fields are domain types ---------------------------------------------------
@pytest.mark.parametrize("path, body", [
    ("/v1/platform/settings", {"callback_url": "https://platform.example/cb\x00"}),
    ("/v1/plans", {"request_no": "plan-1", "plan_id": "pl1", "name": "plan\x00",
                   "annual_rate": "0.08", "term_days": 30}),
    ("/v1/pages", {"action": "repay", "request_no": "pg-1", "project_id": "p1",
                   "return_url": "https://platform.example/return\x00"}),
    ("/v1/bids", {"request_no": "b\x00", "user_id": "u0001", "project_id": "p1",
                  "amount_fen": 100}),
    ("/v1/users/u0001/cards", {"request_no": "c-1",
                               "card_no": "６２２２０２１２３４５６７８９０１２"}),   # full-width
])
def test_nul_and_unicode_digits_in_fields_are_field_invalid(
        api: Api, platform_key: tuple[str, str], path: str, body: dict[str, Any]) -> None:
    method = "PATCH" if path.endswith("settings") else "POST"
    answer = api.client(*platform_key).request(method, path, body)
    assert (answer.status, answer.body["code"]) == (422, "field_invalid"), answer.body


@pytest.mark.parametrize("query", ["date_from=0001-01-01", "date_to=9999-12-31",
                                   "date_from=2026-1-1", "date_from=%00",
                                   "date_from=%EF%BC%92%EF%BC%90%EF%BC%92%EF%BC%96-01-01"])
def test_fund_log_dates_outside_the_banks_years_are_field_invalid(
        api: Api, platform_key: tuple[str, str], query: str) -> None:
    answer = send(api, platform_key, "GET", f"/v1/accounts/U-u0001/log?{query}")
    assert (answer.status_code, answer.json()["code"]) == (422, "field_invalid"), answer.text


def test_operator_text_fields_refuse_nul(api: Api) -> None:
    for body in ({"tenant_id": "T1", "name": "x\x00", "accounting_date": "2026-11-23"},
                 {"tenant_id": "T1", "name": "x", "accounting_date": "0001-01-01"}):
        answer = api.operator.post("/v1/operator/platforms", body)
        assert (answer.status, answer.body["code"]) == (422, "field_invalid"), answer.body
    answer = send(api, (api.operator.key_id, api.operator.secret), "GET",
                  "/v1/operator/dead-letters?tenant_id=%00")
    assert (answer.status_code, answer.json()["code"]) == (422, "field_invalid")


# -- 8. callbacks reach public hosts only ------------------------------------------------------
@pytest.mark.parametrize("url", [
    "http://127.0.0.1:8080/cb", "http://[::1]/cb", "http://10.1.2.3/cb", "http://192.168.0.9/cb",
    "http://169.254.169.254/latest/meta-data", "http://localhost/cb",
    "http://metadata.google.internal/", "http://[::ffff:127.0.0.1]/cb", "http://0.0.0.0/"])
def test_a_callback_url_to_a_private_address_is_refused(
        api: Api, platform_key: tuple[str, str], url: str) -> None:
    client = api.client(*platform_key)
    answer = client.request("PATCH", "/v1/platform/settings", {"callback_url": url})
    assert (answer.status, answer.body["code"]) == (422, "callback_url_not_allowed")
    onboard = api.operator.post("/v1/operator/platforms", {
        "tenant_id": "T2", "name": "t", "accounting_date": "2026-11-23", "callback_url": url})
    assert (onboard.status, onboard.body["code"]) == (422, "callback_url_not_allowed")
    assert client.get("/v1/platform/settings").body["callback_url"] is None


def test_an_operator_may_allow_a_private_callback_host(engine: Engine) -> None:
    from fastapi.testclient import TestClient

    from cunguan.platform.app import create_app
    with api_for(engine) as api:
        p2p = api.onboard("P2P")
        allowed = create_app(api.bank, callback_allowed_hosts=frozenset({"127.0.0.1"}))
        with TestClient(allowed, base_url="http://testserver") as http:
            client = api.client(p2p.key_id, p2p.secret)
            client.http = http
            answer = client.request("PATCH", "/v1/platform/settings",
                                    {"callback_url": "http://127.0.0.1:9/cb"})
            assert answer.status == 200, answer.body


def test_the_sender_refuses_a_name_that_resolves_to_a_private_address() -> None:
    from cunguan.platform.callback_sender import HttpSender
    sender = HttpSender(timeout_ms=500, allowed_hosts=frozenset())
    try:
        for url in ("http://localhost:9/cb", "http://127.0.0.1:9/cb", "http://2130706433:9/cb"):
            error = sender(url, b"{}", {})
            assert error is not None and error.startswith("callback target refused"), error
    finally:
        sender.close()
    allowed = HttpSender(timeout_ms=500, allowed_hosts=frozenset({"127.0.0.1"}))
    try:   # allowed: it is posted (and finds nothing listening on port 9)
        error = allowed("http://127.0.0.1:9/cb", b"{}", {})
        assert error is not None and not error.startswith("callback target refused"), error
    finally:
        allowed.close()


# -- 10. settings are patched, field by field ---------------------------------------------------
@pytest.mark.parametrize("method", ["PATCH", "PUT"])
def test_updating_one_setting_leaves_the_others(api: Api, platform_key: tuple[str, str],
                                                method: str) -> None:
    client = api.client(*platform_key)
    before = client.get("/v1/platform/settings").body
    assert before["return_url_prefix"]
    answer = client.request(method, "/v1/platform/settings",
                            {"callback_url": "https://platform.example/cb"})
    assert answer.status == 200, answer.body
    after = client.get("/v1/platform/settings").body
    assert after == {**before, "callback_url": "https://platform.example/cb"}
    cleared = client.request(method, "/v1/platform/settings", {"callback_url": None})
    assert cleared.status == 200
    assert client.get("/v1/platform/settings").body == {**before, "callback_url": None}


@pytest.mark.parametrize("value", [None, 1, 0, "yes", "false"], ids=repr)
def test_a_yes_no_setting_is_never_switched_by_a_null_or_a_lax_value(
        api: Api, platform_key: tuple[str, str], value: object) -> None:
    """``{"strict_reserved_phone": null}`` switched the R-A1 safeguard off (reviewer)."""
    client = api.client(*platform_key)
    assert client.request("PATCH", "/v1/platform/settings",
                          {"strict_reserved_phone": True}).status == 200
    answer = client.request("PATCH", "/v1/platform/settings", {"strict_reserved_phone": value})
    assert (answer.status, answer.body["code"]) == (422, "field_invalid")
    assert client.get("/v1/platform/settings").body["strict_reserved_phone"] is True


def test_a_yes_no_setting_given_null_in_python_is_refused_by_name(api: Api) -> None:
    from cunguan.core.fields import FieldInvalid
    api.onboard("P2P")
    with pytest.raises(FieldInvalid):
        api.bank.queries.set_settings("P2P", strict_reserved_phone=None)


# -- 7. the pages' rate limit: shared by every process, proxies trusted only when named --------
def _page_posts(http: Any, token: str, count: int, forwarded: str | None = None) -> list[int]:
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    return [http.post(f"/pages/{token}", data={"csrf_token": "wrong"}, headers=headers,
                      follow_redirects=False).status_code for _ in range(count)]


def _page_token(api: Api) -> str:
    from tests.api_helpers import RETURN_PREFIX
    api.onboard("P2P")
    return api.bank.pages.create("P2P", "repay", "pg-1", {"project_id": "p1"},
                                 f"{RETURN_PREFIX}/done").token


def test_two_app_instances_on_one_database_share_the_page_rate_limit(engine: Engine) -> None:
    from fastapi.testclient import TestClient

    from cunguan.platform.app import create_app
    from cunguan.platform.bank import Bank
    per_minute = limits.page_posts_per_minute_max
    with api_for(engine) as api:
        token = _page_token(api)
        other = create_app(Bank(engine, clock=api.clock))
        with TestClient(other, base_url="http://testserver", client=("198.51.100.7", 1)
                        ) as second, TestClient(api.http.app, base_url="http://testserver",
                                                client=("198.51.100.7", 2)) as first:
            assert set(_page_posts(first, token, per_minute - 5)) == {403}
            assert set(_page_posts(second, token, 5)) == {403}
            assert _page_posts(second, token, 1) == _page_posts(first, token, 1) == [429]
            from datetime import timedelta
            api.clock.advance(timedelta(minutes=1))     # a new fixed window
            assert _page_posts(second, token, 1) == [403]


def test_x_forwarded_for_is_believed_only_from_a_trusted_proxy(engine: Engine) -> None:
    from fastapi.testclient import TestClient

    from cunguan.platform.app import create_app
    per_minute = limits.page_posts_per_minute_max
    with api_for(engine) as api:
        token = _page_token(api)
        untrusting = create_app(api.bank)
        with TestClient(untrusting, base_url="http://testserver", client=("127.0.0.1", 1)
                        ) as http:
            statuses = [_page_posts(http, token, 1, f"203.0.113.{n}")[0]
                        for n in range(per_minute + 1)]
            assert statuses[-1] == 429 and set(statuses[:-1]) == {403}
        trusting = create_app(api.bank, trusted_proxies=["10.0.0.0/8"])
        with TestClient(trusting, base_url="http://testserver", client=("10.1.1.1", 1)
                        ) as http:
            assert set(_page_posts(http, token, per_minute + 1, "198.51.100.1")) == {403, 429}
            assert _page_posts(http, token, 1, "198.51.100.2, 10.2.2.2") == [403]
