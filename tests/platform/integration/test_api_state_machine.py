"""A hypothesis state machine over the HTTP API (R-L5, R-C21): random red packets and cash
withdrawals, request nos. reused with the same and with other content, through group commit.

Checked after every step against a model: each request no. answers the same status and body
every time it is sent with its first content (marked replayed after the first), 409 naming the
field with any other; balances are exactly what the applied requests make them; every request
no. that reached a command is one event."""

import itertools
from typing import Any

import pytest
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from sqlalchemy import Engine, func, select

from cunguan.db.outbox import outbox_events
from cunguan.platform.group_commit import GroupCommit
from tests.api_helpers import Api, api_for
from tests.conftest import BACKENDS, fresh_engine, run_state_machine
from tests.custody_helpers import icbc_card

USERS = ["u0001", "u0002"]
_tenants = itertools.count(1)


class ApiMachine(RuleBasedStateMachine):
    engine: Engine

    def __init__(self) -> None:
        super().__init__()
        self.context = api_for(self.engine)
        self.api: Api = self.context.__enter__()
        self.bank = self.api.bank
        self.bank.custody.runner = GroupCommit(self.engine, self.bank.custody.run_alone)
        self.tenant = f"API{next(_tenants)}"
        self.first: dict[str, tuple[dict[str, Any], int, Any]] = {}  # no → (sent, status, body)
        self.balance = dict.fromkeys(USERS, 0)
        self.withdrawn = dict.fromkeys(USERS, 0)

    def teardown(self) -> None:
        self.context.__exit__(None, None, None)

    @initialize()
    def platform(self) -> None:
        self.p2p = self.api.onboard(self.tenant)
        for seq, user in enumerate(USERS, start=1):
            assert self.api.open_user(self.tenant, seq) == user
            self.api.authorize(self.tenant, user)

    def _send(self, path: str, body: dict[str, Any]) -> None:
        answer = self.p2p.post(path, body)
        no = body["request_no"]
        if no not in self.first:
            self.first[no] = (body, answer.status, answer.body)
            if answer.status == 200:
                self._apply(path, body)
            return
        sent, status, first_body = self.first[no]
        if body == sent:
            assert (answer.status, answer.body, answer.replayed) == (status, first_body, True)
        elif answer.status != 422 or answer.body["code"] != "field_invalid":
            assert answer.status == 409, answer.body
            assert answer.body["details"]["fields"], answer.body

    def _apply(self, path: str, body: dict[str, Any]) -> None:
        if path == "/v1/red-packets":
            self.balance[body["user_id"]] += body["amount_fen"]
        else:
            self.withdrawn[body["user_id"]] += body["amount_fen"]

    @rule(user=st.sampled_from(USERS), amount=st.integers(1, 5_000), reuse=st.integers(0, 9))
    def red_packet(self, user: str, amount: int, reuse: int) -> None:
        self._send("/v1/red-packets", {"request_no": self._no(reuse), "user_id": user,
                                       "amount_fen": amount})

    @rule(user=st.sampled_from(USERS), amount=st.integers(100, 3_000), reuse=st.integers(0, 9))
    def withdraw(self, user: str, amount: int, reuse: int) -> None:
        seq = USERS.index(user) + 1
        self._send("/v1/withdrawals", {"request_no": self._no(reuse), "user_id": user,
                                       "card_no": icbc_card(seq), "amount_fen": amount})

    def _no(self, reuse: int) -> str:
        """A new request no., or (1 time in 10 … 3 in 10) one sent before."""
        if self.first and reuse < 3:
            return sorted(self.first)[reuse % len(self.first)]
        return f"n{len(self.first) + 1}"

    @invariant()
    def money_matches_the_model(self) -> None:
        if not hasattr(self, "p2p"):
            return
        for user in USERS:
            account = self.p2p.get(f"/v1/accounts/U-{user}").body
            # a withdrawal freezes amount + fee; its money leaves the balance at the channel
            assert account["balance_fen"] == self.balance[user]
            assert account["frozen_fen"] >= self.withdrawn[user]

    @invariant()
    def one_event_per_request(self) -> None:
        if not hasattr(self, "p2p"):
            return
        with self.engine.connect() as conn:
            counts = dict(conn.execute(select(outbox_events.c.request_no, func.count()).where(
                outbox_events.c.tenant_id == self.tenant).group_by(
                outbox_events.c.request_no)).all())
        assert all(count == 1 for count in counts.values())
        applied = {no for no, (_, status, _) in self.first.items() if status == 200}
        assert applied <= set(counts)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.slow
def test_r_l5_r_c21_api_idempotency_state_machine(backend: str) -> None:
    with fresh_engine(backend) as engine:
        ApiMachine.engine = engine
        run_state_machine(ApiMachine, examples=8 if backend == "sqlite" else 5, steps=25)
