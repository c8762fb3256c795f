"""The platform API over real HTTP against a real ``cunguan serve`` process on PostgreSQL:
hosted-page account opening, signed commands and answers, callbacks to a receiver that is
down and then up, a server killed between commit and answer, and server processes that
end with their parent."""

import re
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine

from cunguan.client import CunguanClient, verify_callback, verify_return
from cunguan.custody.rules.kyc import IdKind
from cunguan.platform.bank import CALLBACK_PATH, Bank
from tests.conftest import PG_URL, drop_pg_schema, pg_schema_engine
from tests.custody_helpers import PASSWORD, icbc_card, resident_id
from tests.e2e.server_helpers import CallbackReceiver, running_server

pytestmark = pytest.mark.postgres
RETURN = "http://127.0.0.1:9/return"


@pytest.fixture
def database() -> Iterator[tuple[Engine, str]]:
    from cunguan.db.connection import upgrade
    from tests.conftest import _pg_ran

    engine, schema = pg_schema_engine()
    upgrade(engine)
    _pg_ran.append(schema)
    sep = "&" if "?" in PG_URL else "?"
    yield engine, f"{PG_URL}{sep}options=-csearch_path%3D{schema}"
    drop_pg_schema(engine, schema)


def _onboard(server_url: str, engine: Engine, callback_url: str | None = None
             ) -> tuple[CunguanClient, str]:
    issued = Bank(engine).access.issue("operator")
    operator = CunguanClient(server_url, issued.key_id, issued.secret)
    made = operator.post("/v1/operator/platforms", {
        "tenant_id": "P2P", "name": "e2e", "accounting_date": "2026-11-23",
        "callback_url": callback_url, "return_url_prefix": RETURN})
    assert made.status == 200, made.body
    assert operator.post("/v1/operator/platforms/P2P/fundings", {
        "request_no": "fund-m", "account": "marketing", "amount_fen": 1_000_000}).status == 200
    secret = made.body["secret"]
    return CunguanClient(server_url, made.body["key_id"], secret), secret


def test_r_c21_platform_day_over_http_with_callbacks_down_then_up(database) -> None:
    engine, url = database
    receiver = CallbackReceiver()
    try:
        # the receiver is on loopback: the operator allows it (callbacks reach public hosts)
        with running_server(url, "--allow-callback-host", "127.0.0.1") as server:
            p2p, secret = _onboard(server.url, engine, receiver.url)
            # the user opens the account on the bank's page: the password never reaches p2p
            page = p2p.post("/v1/pages", {"action": "open_account", "request_no": "open-1",
                                          "return_url": RETURN, "user_id": "u1",
                                          "role": "lender"}).body["page_url"]
            with httpx.Client() as browser:
                form = browser.get(page)
                token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
                assert token is not None
                done = browser.post(page, data={
                    "csrf_token": token.group(1), "name": "张三", "id_kind": "resident_id",
                    "id_no": resident_id(1), "mobile": "13800000001",
                    "card_no": icbc_card(1), "password": PASSWORD,
                    "password_again": PASSWORD})
            assert done.status_code == 303, done.text
            assert verify_return(secret, done.headers["location"])["status"] == "ok"
            for n in range(3):
                answer = p2p.post("/v1/red-packets", {"request_no": f"rp-{n}",
                                                      "user_id": "u1", "amount_fen": 100})
                assert answer.status == 200 and answer.signed
            assert p2p.get("/v1/accounts/U-u1").body["balance_fen"] == 300
            pulled = p2p.get("/v1/events", {"after": 0}).body["items"]
            assert [e["request_no"] for e in pulled] == ["fund-m", "open-1", "rp-0", "rp-1",
                                                         "rp-2"]
            _wait(lambda: receiver.refused >= len(pulled))        # the receiver was down
            receiver.up = True
            _wait(lambda: {e["event_id"] for e in receiver.events()} >=
                  {e["event_id"] for e in pulled}, timeout_s=30)
            for headers, body in receiver.received:
                assert verify_callback(secret, CALLBACK_PATH, headers, body)
            effects = {e["request_no"] for e in receiver.events()}
            assert effects == {e["request_no"] for e in pulled}
            assert p2p.get("/v1/accounts/U-u1").body["balance_fen"] == 300   # effects once
    finally:
        receiver.close()


def test_r_l5_server_killed_between_commit_and_answer_then_retry(database) -> None:
    engine, url = database
    bank = Bank(engine)
    with running_server(url, CUNGUAN_FAULT_KILL_AFTER_COMMIT_PATH="/v1/red-packets",
                        CUNGUAN_RUN_WORKER="0") as server:
        p2p, _ = _onboard(server.url, engine)
        assert bank.custody.open_user(
            "P2P", "open-1", user_id="u1", role="lender", name="张三",
            id_kind=IdKind.RESIDENT_ID, id_no=resident_id(1), mobile="13800000001",
            card_no=icbc_card(1), password=PASSWORD).ok
        payload = {"request_no": "rp-1", "user_id": "u1", "amount_fen": 500}
        with pytest.raises(httpx.HTTPError):
            p2p.post("/v1/red-packets", payload)
        server.process.wait(10)
        assert server.process.returncode == -9                    # SIGKILL, after the commit
    committed = bank.custody.request_status("P2P", "rp-1")
    assert committed is not None and committed["status"] == "ok"
    with running_server(url) as server:
        p2p.http = httpx.Client(base_url=server.url)
        retried = p2p.post("/v1/red-packets", payload)
        assert retried.status == 200 and retried.replayed
        assert retried.body["data"] == committed["result"]        # the original result
        assert p2p.get("/v1/accounts/U-u1").body["balance_fen"] == 500   # posted once
        events = p2p.get("/v1/events").body["items"]
        assert [e["request_no"] for e in events].count("rp-1") == 1


def test_r_c21_several_server_processes_share_the_port_and_stop_together(database) -> None:
    engine, url = database
    with running_server(url, "--workers", "2", "--no-worker") as server:
        p2p, _ = _onboard(server.url, engine)
        Bank(engine).custody.open_user(
            "P2P", "open-1", user_id="u1", role="lender", name="张三",
            id_kind=IdKind.RESIDENT_ID, id_no=resident_id(1), mobile="13800000001",
            card_no=icbc_card(1), password=PASSWORD)
        clients = [CunguanClient(server.url, p2p.key_id, p2p.secret) for _ in range(6)]
        for n in range(30):               # several connections: both processes answer
            assert clients[n % 6].post("/v1/red-packets", {
                "request_no": f"rp-{n}", "user_id": "u1", "amount_fen": 1}).status == 200
        assert p2p.get("/v1/accounts/U-u1").body["balance_fen"] == 30
        server.process.terminate()
        assert server.process.wait(15) is not None


def test_server_processes_end_when_their_parent_is_killed(database) -> None:
    """SIGKILL leaves ``cunguan serve`` no chance to stop its server processes: they stop on
    their own, and nothing answers on the port any more."""
    _, url = database
    with running_server(url, "--workers", "2", "--no-worker") as server:
        pid = server.process.pid
        children = [int(c) for c in
                    Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
        assert len(children) >= 2      # the two server processes (and a resource tracker)
        server.process.kill()
        server.process.wait(10)
        _wait(lambda: not any(map(_running, children)))
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"{server.url}/health", timeout=2)


def _running(pid: int) -> bool:
    """Alive and not a zombie (an exited child the init process has not reaped yet)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _wait(condition, timeout_s: float = 15) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)
