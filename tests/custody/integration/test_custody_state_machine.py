"""A hypothesis state machine over random custody operations (R-C1, R-C10, R-C13, R-C15).

After every step: summary account + channel in transit = Σ sub-accounts (R-C1); for every lent
project, claims outstanding = loan principal outstanding; for every user, frozen = open bids +
frozen repayments + withdrawals in flight.
"""

import itertools
from datetime import datetime, timedelta

import pytest
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from sqlalchemy import Engine, select

from cunguan.core.clock import CST, FixedClock
from cunguan.custody.handlers.lending_service import LendingService
from cunguan.custody.rules import accounts as chart
from cunguan.custody.rules.kyc import IdKind
from cunguan.custody.rules.schedules import Method
from cunguan.custody.store.tables import (
    custody_bids,
    custody_installments,
    custody_projects,
    custody_withdrawals,
)
from cunguan.ledger.service import LedgerService
from tests.conftest import BACKENDS, fresh_engine, run_state_machine
from tests.custody_helpers import MONDAY, PASSWORD, icbc_card, resident_id

LENDERS = ["L1", "L2", "L3"]
BORROWER = "B1"
_platforms = itertools.count(1)


class CustodyMachine(RuleBasedStateMachine):
    engine: Engine

    def __init__(self) -> None:
        super().__init__()
        self.tenant = f"SM{next(_platforms)}"
        self.clock = FixedClock(datetime(2026, 11, 23, 10, tzinfo=CST))
        ledger = LedgerService(self.engine, clock=self.clock)
        self.custody = LendingService(self.engine, ledger, clock=self.clock)
        self.serial = itertools.count(1)
        self.projects: list[str] = []
        self.withdrawals: list[str] = []

    def no(self) -> str:
        return f"r{next(self.serial)}"

    @initialize()
    def platform_and_users(self) -> None:
        self.custody.onboard_platform(self.tenant, "sm", MONDAY)
        assert self.custody.fund_platform(self.tenant, self.no(), chart.OWN, 10**9).ok
        assert self.custody.fund_platform(self.tenant, self.no(), chart.MARKETING, 10**8).ok
        until = self.clock() + timedelta(days=365)
        for seq, user in enumerate([*LENDERS, BORROWER], start=1):
            role = "borrower" if user == BORROWER else "lender"
            opened = self.custody.open_user(
                self.tenant, self.no(), user_id=user, role=role, name=user,
                id_kind=IdKind.RESIDENT_ID, id_no=resident_id(seq), mobile=f"1380000000{seq}",
                card_no=icbc_card(seq), password=PASSWORD)
            assert opened.ok, opened
            assert self.custody.authorize(self.tenant, self.no(), user,
                                          ("recharge", "bid", "repay", "withdraw"), 10**12,
                                          until, PASSWORD).ok
        # Every run starts with one project lent, so repayments are reachable at once.
        self.register(months=3, method=Method.EQUAL_INSTALLMENT, amount=60_000)
        for user in LENDERS[:2]:
            assert self.custody.recharge(self.tenant, self.no(), user,
                                         icbc_card(LENDERS.index(user) + 1), 30_000).ok
            assert self.custody.bid(self.tenant, self.no(), user, "P1", 30_000).ok
        assert self.custody.lend(self.tenant, self.no(), "P1").ok

    @rule(user=st.sampled_from([*LENDERS, BORROWER]),
          amount=st.integers(1, 3_000).map(lambda n: n * 100))
    def recharge(self, user: str, amount: int) -> None:
        seq = [*LENDERS, BORROWER].index(user) + 1
        result = self.custody.recharge(self.tenant, self.no(), user, icbc_card(seq), amount)
        assert result.ok, result

    @rule(months=st.integers(1, 4), method=st.sampled_from(list(Method)),
          amount=st.integers(2, 10).map(lambda n: n * 10_000))
    def register(self, months: int, method: Method, amount: int) -> None:
        project_id = f"P{len(self.projects) + 1}"
        result = self.custody.register_project(
            self.tenant, self.no(), project_id=project_id, borrower_user_id=BORROWER,
            amount_fen=amount, annual_rate="0.12", months=months, method=method,
            bid_min_fen=10_000, bid_max_fen=amount, bid_step_fen=10_000,
            service_fee_rate="0.01")
        assert result.ok, result
        self.projects.append(project_id)

    @rule(data=st.data(), user=st.sampled_from(LENDERS), steps=st.integers(1, 5),
          packet=st.booleans())
    def bid(self, data: st.DataObject, user: str, steps: int, packet: bool) -> None:
        if self.projects:
            project = data.draw(st.sampled_from(self.projects))
            self.custody.bid(self.tenant, self.no(), user, project, steps * 10_000,
                             red_packet_fen=500 if packet else 0)

    @rule(data=st.data())
    def lend(self, data: st.DataObject) -> None:
        if self.projects:
            self.custody.lend(self.tenant, self.no(), data.draw(st.sampled_from(self.projects)))

    @rule(data=st.data())
    def fail_raise(self, data: st.DataObject) -> None:
        if self.projects:
            self.custody.fail_raise(self.tenant, self.no(),
                                    data.draw(st.sampled_from(self.projects)))

    @rule(data=st.data(), user=st.sampled_from(LENDERS))
    def fill_and_lend(self, data: st.DataObject, user: str) -> None:
        """Bid what is left of a raising project (recharging first) and lend it."""
        if not self.projects:
            return
        project_id = data.draw(st.sampled_from(self.projects))
        project = self.custody._read_project(self.tenant, project_id)
        left = project.amount_fen - project.raised_fen
        if project.status == "raising" and left > 0:
            seq = LENDERS.index(user) + 1
            assert self.custody.recharge(self.tenant, self.no(), user, icbc_card(seq),
                                         left).ok
            bid = self.custody.bid(self.tenant, self.no(), user, project_id, left)
            assert bid.ok, bid
            lent = self.custody.lend(self.tenant, self.no(), project_id)
            assert lent.ok, lent

    @rule(data=st.data(), settle=st.booleans())
    def repay(self, data: st.DataObject, settle: bool) -> None:
        if self.projects:
            project = data.draw(st.sampled_from(self.projects))
            self.custody.repay(self.tenant, self.no(), project)
            if settle:
                self.custody.settle_repayment(self.tenant, self.no(), project)

    @rule(user=st.sampled_from(LENDERS), amount=st.integers(1, 2_000).map(lambda n: n * 100))
    def withdraw(self, user: str, amount: int) -> None:
        seq = LENDERS.index(user) + 1
        request_no = self.no()
        if self.custody.withdraw(self.tenant, request_no, user, icbc_card(seq), amount).ok:
            self.withdrawals.append(request_no)

    @rule(data=st.data(), succeeded=st.booleans())
    def channel(self, data: st.DataObject, succeeded: bool) -> None:
        if self.withdrawals:
            withdrawal = data.draw(st.sampled_from(self.withdrawals))
            self.custody.channel_result(self.tenant, self.no(), withdrawal, succeeded)

    @rule(user=st.sampled_from(LENDERS))
    def red_packet(self, user: str) -> None:
        assert self.custody.red_packet(self.tenant, self.no(), user, 88).ok

    @invariant()
    def r_c1_summary_equals_sub_accounts(self) -> None:
        accounts = self.custody.ledger.accounts(self.tenant)
        if not accounts:
            return
        held = sum(a.balance_fen for a in accounts if a.account_no in chart.BANK_HELD)
        owed = sum(a.balance_fen for a in accounts if a.account_no not in chart.BANK_HELD)
        assert held == owed

    @invariant()
    def claims_equal_loans(self) -> None:
        for project in self.projects:
            claims, loan = self.custody.outstanding(self.tenant, project)
            assert claims == loan

    @invariant()
    def frozen_equals_what_is_in_flight(self) -> None:
        expected = self._in_flight()
        for account in self.custody.ledger.accounts(self.tenant):
            if account.account_no.startswith("U-"):
                assert account.frozen_fen == expected.get(account.account_no, 0), account

    def _in_flight(self) -> dict[str, int]:
        t = self.tenant
        expected: dict[str, int] = {}

        def add(user: str, amount: int) -> None:
            key = chart.user_account_no(user)
            expected[key] = expected.get(key, 0) + amount

        with self.engine.connect() as conn:
            b, w, i, p = (custody_bids.c, custody_withdrawals.c, custody_installments.c,
                          custody_projects.c)
            for user, amount, packet in conn.execute(select(
                    b.user_id, b.amount_fen, b.red_packet_fen).where(
                    b.tenant_id == t, b.status == "frozen")):
                add(user, amount - packet)
            for user, amount, fee in conn.execute(select(
                    w.user_id, w.amount_fen, w.fee_fen).where(
                    w.tenant_id == t, w.status.in_(("processing", "pending_review")))):
                add(user, amount + fee)
            for borrower, principal, interest, penalty in conn.execute(select(
                    p.borrower_user_id, i.principal_fen, i.interest_fen, i.penalty_fen).where(
                    i.tenant_id == t, i.status == "frozen", p.tenant_id == t,
                    p.project_id == i.project_id)):
                add(borrower, principal + interest + penalty)
        return expected


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.slow
def test_r_c1_r_c13_custody_state_machine(backend: str) -> None:
    with fresh_engine(backend) as engine:
        CustodyMachine.engine = engine
        run_state_machine(CustodyMachine, examples=25 if backend == "sqlite" else 10,
                          steps=40)
