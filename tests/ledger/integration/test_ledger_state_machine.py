"""A hypothesis state machine over random ledger operations, checked against a plain model.

Invariants after every step (R-L1, R-L3, R-L4, R-L5, R-L6): each transaction's postings sum to
zero; every balance equals the sum of its fund-log movements and the last line's balance-after;
frozen equals the open holds; nothing is below its floor; a rejected or replayed operation leaves
every balance byte-identical; the model and the ledger agree on every outcome and balance.
"""

import itertools
from dataclasses import dataclass
from datetime import datetime

import pytest
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    MultipleResults,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    rule,
)
from sqlalchemy import Engine, text

from cunguan.core.clock import CST, FixedClock
from cunguan.ledger.model import (
    AccountFlag,
    Freeze,
    Payee,
    Reject,
    Release,
    Result,
    Reverse,
    Settle,
    Side,
    Transfer,
)
from cunguan.ledger.service import LedgerService
from tests.conftest import BACKENDS, fresh_engine, run_state_machine
from tests.helpers import DAY, FEE, MARKETING, OD, SUMMARY, chart

USER_ACCOUNTS = ["U1", "U2", "U3", "U4"]
ALL_ACCOUNTS = [SUMMARY, FEE, MARKETING, OD, *USER_ACCOUNTS]
_tenants = itertools.count(1)


@dataclass
class ModelAccount:
    side: Side
    flags: AccountFlag
    floor_fen: int
    balance_fen: int = 0
    frozen_fen: int = 0


def _model_accounts() -> dict[str, ModelAccount]:
    return {s.account_no: ModelAccount(s.normal_side, s.flags, -s.overdraft_limit_fen)
            for s in chart()}


class LedgerMachine(RuleBasedStateMachine):
    engine: Engine

    holds = Bundle("holds")
    posted = Bundle("posted")

    def __init__(self) -> None:
        super().__init__()
        self.tenant = f"SM{next(_tenants)}"
        self.ledger = LedgerService(self.engine, clock=FixedClock(
            datetime(2026, 11, 23, 10, tzinfo=CST)))
        self.ledger.create_tenant(self.tenant, "state machine", DAY)
        self.ledger.open_accounts(self.tenant, chart())
        self.model = _model_accounts()
        self.open_holds: dict[int, tuple[str, int]] = {}
        self.sent: dict[str, Transfer] = {}
        self.postings: dict[int, list[tuple[str, int]]] = {}
        self.serial = itertools.count(1)
        self.seed_money()

    def seed_money(self) -> None:
        for account_no in USER_ACCOUNTS:
            self._transfer(Transfer(f"seed-{account_no}", SUMMARY, account_no, 50_000))
        self._transfer(Transfer("seed-mk", SUMMARY, MARKETING, 20_000, funding=True))

    # -- model ---------------------------------------------------------------------------------
    def _move(self, account_no: str, delta_fen: int) -> None:
        self.model[account_no].balance_fen += delta_fen

    def _signed(self, account_no: str, side: Side, amount_fen: int) -> int:
        return amount_fen if self.model[account_no].side is side else -amount_fen

    def _expect_transfer(self, cmd: Transfer) -> Reject | None:
        if cmd.amount_fen <= 0:
            return Reject.AMOUNT_MUST_BE_POSITIVE
        if cmd.debit_account_no == cmd.credit_account_no:
            return Reject.ACCOUNTS_MUST_BE_DIFFERENT
        debit, credit = self.model[cmd.debit_account_no], self.model[cmd.credit_account_no]
        deltas = {cmd.debit_account_no: self._signed(cmd.debit_account_no, Side.DEBIT,
                                                     cmd.amount_fen),
                  cmd.credit_account_no: self._signed(cmd.credit_account_no, Side.CREDIT,
                                                      cmd.amount_fen)}
        for account_no, account in ((cmd.debit_account_no, debit),
                                    (cmd.credit_account_no, credit)):
            rises = deltas[account_no] > 0
            if not cmd.funding and rises and account.flags & AccountFlag.OUT_ONLY:
                return Reject.ACCOUNT_OUT_ONLY
            if not cmd.funding and not rises and account.flags & AccountFlag.IN_ONLY:
                return Reject.ACCOUNT_IN_ONLY
        for account_no, delta in deltas.items():
            account = self.model[account_no]
            if delta < 0 and account.balance_fen - account.frozen_fen + delta < account.floor_fen:
                return Reject.EXCEEDS_AVAILABLE
        return None

    def _transfer(self, cmd: Transfer) -> Result:
        expected = self._expect_transfer(cmd)
        result = self.ledger.execute(self.tenant, [cmd])[0]
        assert result.reject is expected, (cmd, result)
        if result.ok and result.tx_id is not None:
            self._move(cmd.debit_account_no, self._signed(cmd.debit_account_no, Side.DEBIT,
                                                          cmd.amount_fen))
            self._move(cmd.credit_account_no, self._signed(cmd.credit_account_no, Side.CREDIT,
                                                           cmd.amount_fen))
            self.sent[cmd.request_no] = cmd
            self.postings[result.tx_id] = [
                (cmd.debit_account_no, self._signed(cmd.debit_account_no, Side.DEBIT,
                                                    cmd.amount_fen)),
                (cmd.credit_account_no, self._signed(cmd.credit_account_no, Side.CREDIT,
                                                     cmd.amount_fen))]
        return result

    def _balances(self) -> list[tuple[str, int, int]]:
        return [(a.account_no, a.balance_fen, a.frozen_fen)
                for a in self.ledger.accounts(self.tenant)]

    # -- rules ---------------------------------------------------------------------------------
    @rule(target=posted, debit=st.sampled_from(ALL_ACCOUNTS),
          credit=st.sampled_from(ALL_ACCOUNTS), amount=st.integers(-5, 30_000),
          funding=st.booleans())
    def transfer(self, debit: str, credit: str, amount: int, funding: bool) -> int:
        before = self._balances()
        result = self._transfer(Transfer(f"t{next(self.serial)}", debit, credit, amount,
                                         funding=funding))
        if not result.ok:
            assert self._balances() == before
        return result.tx_id or 0

    @rule(data=st.data())
    def replay(self, data: st.DataObject) -> None:
        if not self.sent:
            return
        request_no = data.draw(st.sampled_from(sorted(self.sent)))
        original = self.sent[request_no]
        before = self._balances()
        same = self.ledger.execute(self.tenant, [original])[0]
        assert same.ok and same.replayed
        changed = Transfer(request_no, original.debit_account_no, original.credit_account_no,
                           original.amount_fen + 1)
        conflict = self.ledger.execute(self.tenant, [changed])[0]
        assert conflict.reject is Reject.DUPLICATE_WITH_DIFFERENT_CONTENT
        assert self._balances() == before

    @initialize(target=holds)
    def first_holds(self) -> MultipleResults[int]:
        return self.freeze_many(USER_ACCOUNTS, 5_000)

    def freeze_many(self, accounts: list[str], amount: int) -> MultipleResults[int]:
        return multiple(*(h for h in (self.freeze_one(a, amount) for a in accounts) if h))

    @rule(target=holds, account=st.sampled_from(USER_ACCOUNTS), amount=st.integers(1, 40_000))
    def freeze(self, account: str, amount: int) -> MultipleResults[int]:
        return self.freeze_many([account], amount)

    def freeze_one(self, account: str, amount: int) -> int:
        model = self.model[account]
        expected = (Reject.EXCEEDS_AVAILABLE
                    if model.balance_fen - model.frozen_fen - amount < model.floor_fen else None)
        result = self.ledger.execute(self.tenant, [Freeze(f"f{next(self.serial)}", account,
                                                          amount, "bid")])[0]
        assert result.reject is expected
        if result.ok and result.tx_id is not None:
            model.frozen_fen += amount
            self.open_holds[result.tx_id] = (account, amount)
            return result.tx_id
        return 0

    @rule(hold_id=holds, payee=st.sampled_from([*USER_ACCOUNTS, SUMMARY]),
          part=st.integers(0, 100))
    def settle(self, hold_id: int, payee: str, part: int) -> None:
        if hold_id not in self.open_holds:
            return
        account, amount = self.open_holds[hold_id]
        paid = amount * part // 100
        result = self.ledger.execute(self.tenant, [Settle(f"s{next(self.serial)}", hold_id, (
            Payee(payee, paid),))])[0]
        if paid == 0:
            assert result.reject is Reject.AMOUNT_MUST_BE_POSITIVE
            return
        if payee == account:
            assert result.reject is Reject.ACCOUNTS_MUST_BE_DIFFERENT
            return
        # Paying the debit-normal summary account (a payout) lowers it: it must have the money.
        payee_delta = paid if self.model[payee].side is Side.CREDIT else -paid
        target = self.model[payee]
        if target.balance_fen - target.frozen_fen + payee_delta < target.floor_fen:
            assert result.reject is Reject.EXCEEDS_AVAILABLE
            return
        assert result.ok, result
        del self.open_holds[hold_id]
        self.model[account].frozen_fen -= amount
        self._move(account, -paid)
        self._move(payee, payee_delta)

    @rule(hold_id=holds)
    def release(self, hold_id: int) -> None:
        result = self.ledger.execute(self.tenant, [Release(f"r{next(self.serial)}", hold_id)])[0]
        if hold_id not in self.open_holds:
            assert result.reject in (Reject.HOLD_NOT_OPEN, Reject.HOLD_NOT_FOUND)
            return
        assert result.ok
        account, amount = self.open_holds.pop(hold_id)
        self.model[account].frozen_fen -= amount

    @rule(tx_id=posted)
    def reverse(self, tx_id: int) -> None:
        legs = self.postings.get(tx_id)
        result = self.ledger.execute(self.tenant, [Reverse(f"v{next(self.serial)}", tx_id)])[0]
        if legs is None:
            assert not result.ok
            return
        undo = {account_no: -delta for account_no, delta in legs}
        short = any(d < 0 and self.model[a].balance_fen - self.model[a].frozen_fen + d
                    < self.model[a].floor_fen for a, d in undo.items())
        assert result.reject is (Reject.EXCEEDS_AVAILABLE if short else None), result
        if result.ok:
            for account_no, delta in undo.items():
                self._move(account_no, delta)
            del self.postings[tx_id]

    @rule(items=st.lists(st.tuples(st.sampled_from(USER_ACCOUNTS),
                                   st.sampled_from(USER_ACCOUNTS), st.integers(1, 20_000)),
                         min_size=1, max_size=6), linked=st.booleans())
    def batch(self, items: list[tuple[str, str, int]], linked: bool) -> None:
        before = self._balances()
        commands = [Transfer(f"b{next(self.serial)}", d, c, a) for d, c, a in items]
        results = self.ledger.execute(self.tenant, commands, linked=linked)
        if linked and not all(r.ok for r in results):
            assert self._balances() == before
            return
        for cmd, result in zip(commands, results, strict=True):
            if result.ok and result.tx_id is not None:
                self._move(cmd.debit_account_no, -cmd.amount_fen)
                self._move(cmd.credit_account_no, cmd.amount_fen)
                self.sent[cmd.request_no] = cmd

    # -- invariants ----------------------------------------------------------------------------
    @invariant()
    def ledger_matches_model_and_history(self) -> None:
        accounts = {a.account_no: a for a in self.ledger.accounts(self.tenant)}
        for account_no, model in self.model.items():
            account = accounts[account_no]
            assert (account.balance_fen, account.frozen_fen) == (model.balance_fen,
                                                                 model.frozen_fen)
            assert account.available_fen + account.frozen_fen == account.balance_fen
            assert account.available_fen >= model.floor_fen
            assert account.frozen_fen == self.ledger.open_holds_total(self.tenant, account_no)
        with self.engine.connect() as conn:
            unbalanced = conn.execute(text(
                "SELECT tx_id FROM fund_log WHERE tenant_id = :t AND line_kind = 'posting' "
                "GROUP BY tx_id HAVING SUM(CASE WHEN side = 'D' THEN amount_fen "
                "ELSE -amount_fen END) <> 0"), {"t": self.tenant}).all()
            assert unbalanced == []
            sums = dict(conn.execute(text(
                "SELECT f.account_no, SUM(CASE WHEN f.side = a.normal_side THEN f.amount_fen "
                "ELSE -f.amount_fen END) FROM fund_log f JOIN accounts a ON "
                "a.tenant_id = f.tenant_id AND a.account_no = f.account_no "
                "WHERE f.tenant_id = :t AND f.line_kind = 'posting' GROUP BY f.account_no"),
                {"t": self.tenant}).all())
        for account_no, account in accounts.items():
            assert int(sums.get(account_no, 0)) == account.balance_fen
            lines = self.ledger.fund_log(self.tenant, account_no)
            if lines:
                assert lines[-1].balance_after_fen == account.balance_fen
                assert lines[-1].frozen_after_fen == account.frozen_fen


@pytest.mark.parametrize("backend", BACKENDS)
def test_r_l1_r_l5_state_machine(backend: str) -> None:
    with fresh_engine(backend) as engine:
        LedgerMachine.engine = engine
        run_state_machine(LedgerMachine, examples=40 if backend == "sqlite" else 20,
                          steps=25)
