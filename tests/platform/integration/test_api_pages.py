"""Bank-hosted pages (R-C4, R-C21): the password goes to the bank's page only; the platform
gets the user back with a signed result."""

import re
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from cunguan.client import verify_return
from tests.api_helpers import RETURN_PREFIX, Api, api_for
from tests.custody_helpers import PASSWORD, icbc_card, resident_id


@pytest.fixture
def api(engine: Engine) -> Iterator[Api]:
    with api_for(engine) as found:
        yield found


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found is not None
    return found.group(1)


def _open_page(api: Api, p2p, **extra) -> str:
    created = p2p.post("/v1/pages", {"action": "open_account", "request_no": "open-1",
                                     "return_url": f"{RETURN_PREFIX}?order=7",
                                     "user_id": "u0001", "role": "lender", **extra})
    assert created.status == 200, created.body
    return created.body["page_url"].removeprefix("http://testserver")


def test_r_c4_account_opened_on_the_bank_page_returns_a_signed_result(api: Api) -> None:
    p2p = api.onboard("P2P")
    secret = api.bank.access.platform_secret("P2P")[1]
    page = _open_page(api, p2p)
    form = api.http.get(page)
    assert form.status_code == 200 and "开立存管账户" in form.text
    assert "frame-ancestors 'none'" in form.headers["content-security-policy"]
    fields = {"csrf_token": _csrf(form.text), "name": "张三", "id_kind": "resident_id",
              "id_no": resident_id(1), "mobile": "13800000001", "card_no": icbc_card(1),
              "password": PASSWORD, "password_again": "135792"}
    retry = api.http.post(page, data=fields, follow_redirects=False)
    assert retry.status_code == 422 and 'id="error"' in retry.text       # stays on the page
    done = api.http.post(page, data={**fields, "password_again": PASSWORD},
                         follow_redirects=False)
    assert done.status_code == 303
    location = done.headers["location"]
    assert location.startswith(f"{RETURN_PREFIX}?order=7&")
    assert verify_return(secret, location, int(api.clock().timestamp())) == {
        "code": "ok", "request_no": "open-1", "status": "ok"}
    assert verify_return(secret, location.replace("status=ok", "status=OK"),
                         int(api.clock().timestamp())) is None             # tampered
    assert p2p.get("/v1/users/u0001").body["status"] == "active"
    again = api.http.get(page, follow_redirects=False)                      # single use
    assert again.status_code == 303 and again.headers["location"].startswith(RETURN_PREFIX)


def test_r_c21_page_posts_need_the_pages_csrf_cookie(api: Api) -> None:
    p2p = api.onboard("P2P")
    page = _open_page(api, p2p)
    token = _csrf(api.http.get(page).text)
    api.http.cookies.clear()                                  # a post from another site
    refused = api.http.post(page, data={"csrf_token": token, "password": PASSWORD})
    assert refused.status_code == 403
    assert p2p.get("/v1/users/u0001").status == 404


def test_r_c9_bid_confirmed_with_the_password_on_the_bank_page(api: Api) -> None:
    p2p = api.onboard("P2P")
    user = api.open_user("P2P", 1)
    recharge = p2p.post("/v1/pages", {"action": "recharge", "request_no": "rc-1",
                                      "return_url": RETURN_PREFIX, "user_id": user,
                                      "card_no": icbc_card(1), "amount_fen": 50_000})
    page = recharge.body["page_url"].removeprefix("http://testserver")
    form = api.http.get(page + "?lang=en")
    assert "Recharge" in form.text and "500.00" in form.text
    wrong = api.http.post(page, data={"csrf_token": _csrf(form.text), "password": "999999",
                                      "lang": "en"})
    assert wrong.status_code == 422 and "wrong" in wrong.text
    ok = api.http.post(page, data={"csrf_token": _csrf(form.text), "password": PASSWORD},
                       follow_redirects=False)
    assert ok.status_code == 303 and "status=ok" in ok.headers["location"]
    assert p2p.get(f"/v1/accounts/U-{user}").body["balance_fen"] == 50_000


def test_r_c21_pages_return_only_to_the_platforms_registered_prefix(api: Api) -> None:
    p2p = api.onboard("P2P")
    answer = p2p.post("/v1/pages", {"action": "open_account", "request_no": "o",
                                    "return_url": "https://evil.example/steal",
                                    "user_id": "u1", "role": "lender"})
    assert (answer.status, answer.body["code"]) == (422, "return_url_not_allowed")


def test_r_c21_page_posts_are_rate_limited(api: Api) -> None:
    p2p = api.onboard("P2P")
    page = _open_page(api, p2p)
    token = _csrf(api.http.get(page).text)
    statuses = [api.http.post(page, data={"csrf_token": token, "password": "1"}).status_code
                for _ in range(35)]
    assert 429 in statuses and statuses.index(429) == 30


def test_r_c4_a_forgotten_password_is_reset_on_the_bank_page(api: Api) -> None:
    p2p = api.onboard("P2P")
    user = api.open_user("P2P", 1)
    created = p2p.post("/v1/pages", {"action": "reset_password", "request_no": "reset-1",
                                     "return_url": RETURN_PREFIX, "user_id": user})
    page = created.body["page_url"].removeprefix("http://testserver")
    form = api.http.get(page)
    assert "重置交易密码" in form.text
    fields = {"csrf_token": _csrf(form.text), "id_no": resident_id(1),
              "mobile": "13800000099", "card_no": icbc_card(1), "password": "135790",
              "password_again": "135790"}
    wrong = api.http.post(page, data=fields)
    assert wrong.status_code == 422 and "不符" in wrong.text          # mobile does not match
    done = api.http.post(page, data={**fields, "mobile": "13800000001"},
                         follow_redirects=False)
    assert done.status_code == 303, re.findall(r"id=\"error\"[^<]*<", done.text)
    assert "status=ok" in done.headers["location"]
    assert api.bank.custody.recharge("P2P", "rc-1", user, icbc_card(1), 100,
                                     password="135790").ok          # the new password works
