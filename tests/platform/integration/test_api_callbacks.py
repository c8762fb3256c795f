"""The callback outbox (R-C21): every result becomes one event, pulled in commit order,
delivered signed with back-off and jitter for up to 72 h, then dead-lettered for operators."""

import json
import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import Engine

from cunguan.client import verify_callback
from cunguan.core import limits
from cunguan.platform.bank import CALLBACK_PATH
from tests.api_helpers import Api, api_for


@pytest.fixture
def api(engine: Engine) -> Iterator[Api]:
    with api_for(engine) as found:
        yield found


class Receiver:
    """A platform's callback endpoint that is down until told otherwise."""

    def __init__(self, secret: str, clock_s) -> None:
        self.up = False
        self.secret = secret
        self.clock_s = clock_s
        self.accepted: list[bytes] = []
        self.calls = 0

    def __call__(self, url: str, body: bytes, headers: dict[str, str]) -> str | None:
        self.calls += 1
        if not self.up:
            return "connection refused"
        assert verify_callback(self.secret, CALLBACK_PATH, headers, body, self.clock_s())
        self.accepted.append(body)
        return None


def test_r_c21_every_result_is_one_event_pulled_by_cursor(api: Api) -> None:
    p2p = api.onboard("P2P")
    other = api.onboard("OTHER")
    user = api.open_user("P2P", 1)
    assert p2p.post("/v1/red-packets", {"request_no": "rp-1", "user_id": user,
                                        "amount_fen": 100}).status == 200
    assert p2p.post("/v1/red-packets", {"request_no": "rp-2", "user_id": "nobody",
                                        "amount_fen": 100}).status == 404
    p2p.post("/v1/red-packets", {"request_no": "rp-1", "user_id": user, "amount_fen": 100})
    events = p2p.get("/v1/events", {"after": 0}).body["items"]
    assert [(e["request_no"], e["status"]) for e in events] == [
        ("fund-own", "ok"), ("fund-marketing", "ok"), ("open-u0001", "ok"), ("rp-1", "ok"),
        ("rp-2", "rejected")]                                   # the replay is no new event
    assert events[-1]["result"]["code"] == "user_not_found"
    seqs = [e["seq"] for e in events]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    assert p2p.get("/v1/events", {"after": seqs[-1]}).body["items"] == []
    assert {e["request_no"] for e in other.get("/v1/events").body["items"]} == {
        "fund-own", "fund-marketing"}                           # B sees only its own


def test_r_c21_callbacks_back_off_then_dead_letter_then_redeliver(api: Api) -> None:
    api.onboard("P2P", callback_url="https://platform.example/callback")
    _, secret = api.bank.access.platform_secret("P2P")
    receiver = Receiver(secret, lambda: int(api.clock().timestamp()))
    outbox = api.bank.outbox
    assert outbox.deliver_due(receiver, api.bank.callback_signer) == 2     # the two fundings
    started, first_delay = api.clock(), _due_in(api)
    for _ in range(1_000):
        pending = _due_in(api)
        if pending is None:
            break
        api.clock.advance(timedelta(seconds=pending + 1))
        outbox.deliver_due(receiver, api.bank.callback_signer)
    elapsed_s = (api.clock() - started).total_seconds()
    dead = api.operator.get("/v1/operator/dead-letters").body["items"]
    assert len(dead) == 2 and all(d["last_error"] == "connection refused" for d in dead)
    assert first_delay is not None and first_delay <= limits.callback_retry_base_s
    give_up_s = limits.callback_give_up_after_s
    assert give_up_s - 2 * limits.callback_retry_cap_s <= elapsed_s <= give_up_s + 1_000
    # doubling to the cap, then at most one try per half-cap: the count is bounded both ways
    for d in dead:
        assert give_up_s / limits.callback_retry_cap_s <= d["attempts"] <= (
            give_up_s / (limits.callback_retry_cap_s / 2) + 12)
    receiver.up = True
    for item in dead:
        assert api.operator.post(f"/v1/operator/dead-letters/{item['event_id']}/redeliver",
                                 {}).status == 200
    assert outbox.deliver_due(receiver, api.bank.callback_signer) == 2
    assert len(receiver.accepted) == 2
    assert api.operator.get("/v1/operator/dead-letters").body["items"] == []


def _due_in(api: Api) -> float | None:
    from sqlalchemy import func, select

    from cunguan.db.outbox import outbox_events as e
    with api.bank.engine.connect() as conn:
        due = conn.execute(select(func.min(e.c.next_attempt_at)).where(
            e.c.delivery == "pending")).scalar()
    if due is None:
        return None
    from cunguan.db.connection import as_utc
    return (as_utc(due) - api.clock()).total_seconds()


def test_r_c21_one_delivery_call_posts_page_after_page_many_at_once(api: Api) -> None:
    """A backlog longer than a page goes in one call (page after page, while time is left),
    and each page's posts are in flight together: this receiver answers only once four posts
    are waiting on it at the same time (posted one at a time, the first would wait alone and
    be refused). Every event is delivered once."""
    api.onboard("P2P", callback_url="https://platform.example/callback")
    _, secret = api.bank.access.platform_secret("P2P")
    receiver = Receiver(secret, lambda: int(api.clock().timestamp()))
    receiver.up = True
    company = 4
    together = threading.Barrier(company, timeout=10)

    def in_company(url: str, body: bytes, headers: dict[str, str]) -> str | None:
        try:
            together.wait()
        except threading.BrokenBarrierError:
            return "alone"
        return receiver(url, body, headers)
    user = api.open_user("P2P", 1)
    packets = limits.events_per_page_max + 8 * company - 3
    assert all(a.ok for a in api.bank.custody.red_packets(
        "P2P", [(f"rp-{n}", user, 1) for n in range(packets)]))
    events = packets + 3                                    # the fundings and the opening
    assert events % company == limits.events_per_page_max % company == 0   # none left alone
    api.bank.outbox.timer = lambda: 0.0     # time stands still: a slow machine still finishes
    assert api.bank.outbox.deliver_due(in_company, api.bank.callback_signer) == events
    got = [json.loads(body)["request_no"] for body in receiver.accepted]
    assert len(got) == len(set(got)) == events
    assert api.operator.get("/v1/operator/dead-letters").body["items"] == []


def test_r_c21_receiver_down_then_up_gets_every_event_once(api: Api) -> None:
    p2p = api.onboard("P2P", callback_url="https://platform.example/callback")
    _, secret = api.bank.access.platform_secret("P2P")
    receiver = Receiver(secret, lambda: int(api.clock().timestamp()))
    user = api.open_user("P2P", 1)
    for n in range(5):
        p2p.post("/v1/red-packets", {"request_no": f"rp-{n}", "user_id": user,
                                     "amount_fen": 100})
    api.bank.outbox.deliver_due(receiver, api.bank.callback_signer)
    api.clock.advance(timedelta(minutes=5))
    api.bank.outbox.deliver_due(receiver, api.bank.callback_signer)
    receiver.up = True
    api.clock.advance(timedelta(hours=2))
    api.bank.outbox.deliver_due(receiver, api.bank.callback_signer)
    import json
    got = [json.loads(body)["request_no"] for body in receiver.accepted]
    assert sorted(got) == sorted(["fund-own", "fund-marketing", "open-u0001",
                                  *[f"rp-{n}" for n in range(5)]])
    api.clock.advance(timedelta(hours=2))
    assert api.bank.outbox.deliver_due(receiver, api.bank.callback_signer) == 0  # no repeats


@pytest.mark.postgres
def test_r_c21_cursor_pulls_lose_nothing_under_concurrent_commits(pg_engine: Engine) -> None:
    """Writers commit out of id order; a puller keeps pulling: it sees every event once."""
    with api_for(pg_engine) as api:
        p2p = api.onboard("P2P")
        users = [api.open_user("P2P", n) for n in range(1, 5)]
        seen: list[str] = []
        stop = threading.Event()

        def pull() -> None:
            cursor = 0
            while True:
                done = stop.is_set()
                for event in api.bank.outbox.events_since("P2P", cursor):
                    seen.append(event.request_no)
                    cursor = event.seq
                if done:
                    return

        def write(user: str) -> None:
            for n in range(25):
                api.bank.custody.red_packet("P2P", f"{user}-{n}", user, 1)

        puller = threading.Thread(target=pull)
        puller.start()
        writers = [threading.Thread(target=write, args=(u,)) for u in users]
        for w in writers:
            w.start()
        for w in writers:
            w.join()
        stop.set()
        puller.join()
        assert p2p is not None
        expected = {f"{u}-{n}" for u in users for n in range(25)}
        rp = [r for r in seen if r in expected]
        assert len(rp) == len(set(rp)) == len(expected)


def test_r_c21_a_delivery_pass_ends_after_the_page_that_outlasts_its_time(api: Api) -> None:
    """A pass stops once ``limits.callback_pass_ms_max`` has gone by, after the page it is
    on, leaving the rest for the next pass (the worker's other work runs between passes)."""
    api.onboard("P2P", callback_url="https://platform.example/callback")
    _, secret = api.bank.access.platform_secret("P2P")
    receiver = Receiver(secret, lambda: int(api.clock().timestamp()))
    receiver.up = True
    user = api.open_user("P2P", 1)
    assert all(a.ok for a in api.bank.custody.red_packets(
        "P2P", [(f"rp-{n}", user, 1) for n in range(limits.events_per_page_max + 10)]))
    readings = iter([0.0, limits.callback_pass_ms_max / 1000])   # start, after page one
    api.bank.outbox.timer = lambda: next(readings)
    assert api.bank.outbox.deliver_due(receiver, api.bank.callback_signer) == \
        limits.events_per_page_max
    api.bank.outbox.timer = lambda: 0.0
    assert api.bank.outbox.deliver_due(receiver, api.bank.callback_signer) == 10 + 3
