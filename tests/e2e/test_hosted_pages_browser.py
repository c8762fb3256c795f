"""A real browser (Debian's Chromium, headless, driven by Playwright) opens an account on the
bank's hosted page, recharges and places a bid, each confirmed with the password typed into
the bank's page; the platform only ever sees signed results on its return URL."""

import os
import shutil
from pathlib import Path

import pytest

from cunguan.client import CunguanClient, verify_return
from cunguan.custody.rules.kyc import IdKind
from cunguan.custody.rules.schedules import Method
from cunguan.platform.bank import Bank
from tests.custody_helpers import PASSWORD, icbc_card, resident_id
from tests.e2e.server_helpers import running_server

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]


@pytest.fixture
def browser():
    playwright = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        message = f"Chromium is needed at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    with playwright.sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                     args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def test_r_c4_r_c9_open_recharge_and_bid_in_a_real_browser(tmp_path: Path, browser) -> None:
    from cunguan.db.connection import make_engine, upgrade

    url = f"sqlite:///{tmp_path}/pages.db"
    engine = make_engine(url)
    upgrade(engine)
    bank = Bank(engine)
    issued = bank.access.issue("operator")
    with running_server(url, CUNGUAN_RUN_WORKER="0") as server:
        operator = CunguanClient(server.url, issued.key_id, issued.secret)
        back = f"{server.url}/health"          # the platform's return page, for the test
        made = operator.post("/v1/operator/platforms", {
            "tenant_id": "P2P", "name": "browser", "accounting_date": "2026-11-23",
            "return_url_prefix": back})
        assert operator.post("/v1/operator/platforms/P2P/fundings", {
            "request_no": "fund-own", "account": "own", "amount_fen": 100_000}).status == 200
        p2p = CunguanClient(server.url, made.body["key_id"], made.body["secret"])
        secret = made.body["secret"]
        assert bank.custody.open_user(
            "P2P", "open-b", user_id="b1", role="borrower", name="李四",
            id_kind=IdKind.RESIDENT_ID, id_no=resident_id(2), mobile="13800000002",
            card_no=icbc_card(2), password=PASSWORD).ok
        assert bank.custody.register_project(
            "P2P", "prj", project_id="P1", borrower_user_id="b1", amount_fen=1_000_000,
            annual_rate="0.1", months=3, method=Method.EQUAL_INSTALLMENT, bid_min_fen=10_000,
            bid_max_fen=1_000_000, bid_step_fen=10_000).ok
        page = browser.new_page()

        def visit(action: dict) -> None:
            created = p2p.post("/v1/pages", {**action, "return_url": f"{back}?order=1"})
            assert created.status == 200, created.body
            page.goto(created.body["page_url"])

        def submit() -> dict[str, str]:
            page.click("#submit")
            page.wait_for_url(f"{back}*")
            result = verify_return(secret, page.url)
            assert result is not None, page.url
            return result

        visit({"action": "open_account", "request_no": "open-1", "user_id": "u1",
               "role": "lender"})
        assert "开立存管账户" in page.content()
        page.fill("#name", "张三")
        page.select_option("#id_kind", "resident_id")
        page.fill("#id_no", resident_id(1))
        page.fill("#mobile", "13800000001")
        page.fill("#card_no", icbc_card(1))
        page.fill("#password", PASSWORD)
        page.fill("#password_again", PASSWORD)
        assert submit() == {"code": "ok", "request_no": "open-1", "status": "ok"}

        visit({"action": "recharge", "request_no": "rc-1", "user_id": "u1",
               "card_no": icbc_card(1), "amount_fen": 200_000})
        page.fill("#password", "975310")                 # wrong: the page says so
        page.click("#submit")
        assert page.locator("#error").is_visible()
        page.fill("#password", PASSWORD)
        assert submit()["status"] == "ok"

        visit({"action": "bid", "request_no": "bid-1", "user_id": "u1", "project_id": "P1",
               "amount_fen": 100_000})
        assert "1,000.00" in page.locator("#summary").inner_text()
        page.fill("#password", PASSWORD)
        assert submit()["status"] == "ok"

        account = p2p.get("/v1/accounts/U-u1").body
        assert (account["balance_fen"], account["frozen_fen"]) == (200_000, 100_000)
        assert p2p.get("/v1/projects/P1").body["raised_fen"] == 100_000
