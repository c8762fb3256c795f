"""Coalesced requests in the server (Bank with group commit): signature checks of concurrent
requests in one transaction, and single requests of an operation with a set-based form run as
one set-based call — each answered exactly as it would be alone."""

import json
import threading
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, func, select

from cunguan.core import signing
from cunguan.db.outbox import outbox_events
from cunguan.platform.access import (
    AccessError,
    Principal,
    SignedRequest,
    replayed,
)
from cunguan.platform.store import nonces as nonce_store
from cunguan.platform.store.tables import api_nonces
from tests.api_helpers import Api, api_for
from tests.custody_helpers import icbc_card


@pytest.fixture
def api(engine: Engine) -> Iterator[Api]:
    with api_for(engine, group_commit=True) as found:
        yield found


def _signed(api: Api, key_id: str, secret: str, nonce: str, *, skew_s: int = 0,
            tamper: bool = False) -> SignedRequest:
    body = b'{"request_no":"x"}'
    signed = signing.sign_request(key_id, signing.HMAC_SHA256, secret, "POST",
                                  "/v1/red-packets", body,
                                  int(api.clock().timestamp()) + skew_s, nonce)
    return SignedRequest(key_id, signing.HMAC_SHA256, str(signed.timestamp), signed.nonce,
                         signed.signature, "POST", "/v1/red-packets",
                         body + b" " if tamper else body)


def test_r_c21_signatures_checked_together_are_each_answered_alone(api: Api) -> None:
    issued = api.bank.access.issue("operator")
    used = _signed(api, issued.key_id, issued.secret, "nonceused")
    assert isinstance(api.bank.access.authenticate(used), Principal)
    batch = [_signed(api, issued.key_id, issued.secret, "nonce0001"),
             _signed(api, issued.key_id, issued.secret, "nonce0001"),           # twin in the batch
             used,                                                       # seen before
             _signed(api, issued.key_id, issued.secret, "nonce0002", tamper=True),
             _signed(api, "pk_nobody", "secret", "nonce0003"),
             _signed(api, issued.key_id, issued.secret, "nonce0004", skew_s=-301),
             _signed(api, issued.key_id, issued.secret, "nonce0005")]
    outcomes = api.bank.access.authenticate_many(batch)
    codes = [o.code if isinstance(o, AccessError) else o.role for o in outcomes]
    assert codes == ["operator", "signature_replayed", "signature_replayed",
                     "signature_invalid", "signature_invalid", "signature_expired",
                     "operator"]
    with api.bank.engine.connect() as conn:      # only the accepted nonces are remembered
        nonces = set(conn.execute(select(api_nonces.c.nonce)).scalars())
    assert {"nonce0001", "nonce0005", "nonceused"} <= nonces
    assert not {"nonce0002", "nonce0003", "nonce0004"} & nonces


def test_r_l5_r_c18_concurrent_requests_coalesce_and_answer_as_alone(api: Api) -> None:
    p2p = api.onboard("P2P")
    users = [api.open_user("P2P", n) for n in range(1, 5)]
    for user in users:
        api.authorize("P2P", user)
    answers: list[tuple[str, int, dict]] = []
    lock = threading.Lock()

    def client(worker: int) -> None:
        user = users[worker % 4]
        for n in range(12):
            request_no = f"rp-{worker % 4}-{n}"      # every request sent by two clients
            reply = p2p.post("/v1/red-packets", {"request_no": request_no, "user_id": user,
                                                 "amount_fen": 100 + n})
            with lock:
                answers.append((request_no, reply.status, reply.body))
        refused = p2p.post("/v1/red-packets", {"request_no": f"rp-none-{worker}",
                                               "user_id": "nobody", "amount_fen": 1})
        with lock:
            answers.append((f"rp-none-{worker}", refused.status, refused.body))

    threads = [threading.Thread(target=client, args=(w,)) for w in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    by_no: dict[str, set[str]] = {}
    for request_no, status, body in answers:
        by_no.setdefault(request_no, set()).add(json.dumps([status, body], sort_keys=True))
    assert all(len(variants) == 1 for variants in by_no.values())   # twins answered alike
    assert Counter(status for _, status, _ in answers) == {200: 96, 404: 8}
    for user in users:
        assert p2p.get(f"/v1/accounts/U-{user}").body["balance_fen"] == sum(
            100 + n for n in range(12))
    with api.bank.engine.connect() as conn:
        events = Counter(conn.execute(select(outbox_events.c.request_no)).scalars())
    assert all(events[no] == 1 for no in by_no)                      # one event each
    assert api.bank.set_based is not None
    assert api.bank.set_based.items >= 56
    assert api.bank.set_based.groups < api.bank.set_based.items      # some run together


def test_r_c21_set_based_requests_have_their_nonces_recorded_by_the_writer(api: Api) -> None:
    """A request checked on the event loop (``platform_command``) brings its nonce to the
    set-based writer, which records it before the command: a nonce seen before, or the second
    of twins in one call, refuses its request before the command sees it."""
    api.onboard("P2P")
    user = api.open_user("P2P", 1)
    assert api.bank.access.remember_nonces([("pk_a", "seen")]) == [True]
    entries = [(("pk_a", "n1"), ("rp-1", user, 100)),
               (("pk_a", "n1"), ("rp-2", user, 100)),        # twin nonce: a replay
               (("pk_a", "seen"), ("rp-3", user, 100)),      # recorded before
               (None, ("rp-4", user, 100)),                   # admitted elsewhere already
               (("pk_b", "n1"), ("rp-5", user, 100))]         # another key's nonce
    outcomes = api.bank.run_signed(("P2P", "red_packet"), entries)
    codes = [o.code for o in outcomes]
    assert codes == ["ok", "signature_replayed", "signature_replayed", "ok", "ok"]
    assert isinstance(outcomes[1], AccessError)
    assert api.bank.ledger.account("P2P", f"U-{user}").balance_fen == 300
    assert api.bank.custody.request_status("P2P", "rp-2") is None   # never reached the command


def test_r_c21_a_nonce_is_spent_only_with_its_requests_outcome(api: Api) -> None:
    """The writer records a set-based call's nonces in the call's own DB transaction (its
    gate): when the call fails as a whole (here its work raises after the gate ran), nothing
    of it commits, its nonces included, and they are still free afterwards; when it commits,
    they are spent."""
    api.onboard("P2P")
    user = api.open_user("P2P", 1)
    nonces = [("pk_a", "n1"), ("pk_a", "n2")]
    items = [("rp-1", {"user": user, "amount": 100}), ("rp-2", {"user": user, "amount": 100})]

    def gate(conn: Connection) -> list[AccessError | None]:
        return [None if new else replayed()
                for new in api.bank.access.remember_nonces_in(conn, nonces)]

    def failing(conn: Connection, new: list[int]) -> list[Any]:
        raise RuntimeError("the call fails after its gate")
    with pytest.raises(RuntimeError):
        api.bank.custody.commands_many("P2P", "red_packet", items, failing, gate)
    assert api.bank.custody.request_status("P2P", "rp-1") is None
    outcomes = api.bank.run_signed(("P2P", "red_packet"), [(nonces[0], ("rp-1", user, 100))])
    assert [o.code for o in outcomes] == ["ok"]
    assert api.bank.ledger.account("P2P", f"U-{user}").balance_fen == 100
    assert api.bank.access.remember_nonces(nonces) == [False, True]


def test_r_c21_the_same_signed_request_sent_twice_at_once_applies_once(api: Api) -> None:
    p2p = api.onboard("P2P")
    user = api.open_user("P2P", 1)
    body = json.dumps({"request_no": "rp-1", "user_id": user, "amount_fen": 100}).encode()
    signed = signing.sign_request(p2p.key_id, signing.HMAC_SHA256, p2p.secret, "POST",
                                  "/v1/red-packets", body, int(api.clock().timestamp()))
    headers = {**signed.headers(), "Content-Type": "application/json"}
    replies: list[tuple[int, str]] = []
    start = threading.Barrier(4)

    def send() -> None:
        start.wait()
        reply = api.http.post("/v1/red-packets", content=body, headers=headers)
        answered = reply.json()
        replies.append((reply.status_code, answered.get("code") or answered["status"]))

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(replies) == [(200, "ok")] + [(401, "signature_replayed")] * 3
    assert api.bank.ledger.account("P2P", f"U-{user}").balance_fen == 100


def test_r_c15_r_c7_recharges_and_withdrawals_coalesce_through_their_set_based_form(
        api: Api) -> None:
    p2p = api.onboard("P2P")
    user = api.open_user("P2P", 1)
    api.authorize("P2P", user)
    card = icbc_card(1)
    recharge = p2p.post("/v1/recharges", {"request_no": "rc-1", "user_id": user,
                                          "card_no": card, "amount_fen": 100_000})
    assert recharge.status == 200 and recharge.body["data"]["channel_fee_fen"] == 150
    out = p2p.post("/v1/withdrawals", {"request_no": "wd-1", "user_id": user,
                                       "card_no": card, "amount_fen": 10_000})
    assert out.status == 200, out.body
    again = p2p.post("/v1/withdrawals", {"request_no": "wd-1", "user_id": user,
                                         "card_no": card, "amount_fen": 10_000})
    assert again.replayed and again.body == out.body
    too_much = p2p.post("/v1/withdrawals", {"request_no": "wd-2", "user_id": user,
                                            "card_no": card, "amount_fen": 5_000_000})
    assert too_much.status == 422 and too_much.body["code"] == "exceeds_available"
    assert too_much.body["details"]["max_withdrawable_fen"] == 90_000 - 300   # the 2nd: a fee
    with api.bank.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(outbox_events)).scalar_one() >= 3


def test_r_c21_a_nonce_is_new_once_per_key(engine: Engine) -> None:
    seen_at = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
    first = nonce_store.record_new(engine, [("k1", "n1"), ("k1", "n1"), ("k2", "n1")], seen_at)
    assert first == {("k1", "n1"), ("k2", "n1")}
    assert nonce_store.record_new(engine, [("k1", "n1"), ("k1", "n2")], seen_at) == {
        ("k1", "n2")}
    with pytest.raises(ValueError):
        nonce_store.record_new(engine, [("k1", "n3")], seen_at.replace(tzinfo=None))


def test_r_c4_concurrent_openings_coalesce_and_each_is_answered_alone(api: Api) -> None:
    """Openings (the bank's page, the CLI, Python) hash their passwords in their own threads
    and are then gathered into set-based calls: each answered as alone — the second opening
    of one mobile refused ``mobile_taken`` — and each in the request log once."""
    from cunguan.custody.rules.kyc import IdKind
    from tests.custody_helpers import PASSWORD, resident_id

    api.onboard("P2P")
    items_before = api.bank.set_based.items if api.bank.set_based else 0
    answers: dict[int, Any] = {}

    def open_one(n: int) -> None:
        answers[n] = api.bank.custody.open_user(
            "P2P", f"open-{n}", user_id=f"c{n}", role="lender", name=f"用户{n}",
            id_kind=IdKind.RESIDENT_ID, id_no=resident_id(100 + n),
            mobile=f"139{min(n, 6):08d}", card_no=icbc_card(100 + n), password=PASSWORD)
    threads = [threading.Thread(target=open_one, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    codes = Counter(answer.code for answer in answers.values())
    assert codes == {"ok": 7, "mobile_taken": 1}           # c6 and c7 share a mobile
    assert api.bank.set_based is not None
    assert api.bank.set_based.items - items_before == 8    # all through the coalescer
    assert api.bank.custody.open_user(
        "P2P", "open-3", user_id="c3", role="lender", name="用户3", id_kind=IdKind.RESIDENT_ID,
        id_no=resident_id(103), mobile=f"139{3:08d}", card_no=icbc_card(103),
        password=PASSWORD).replayed
