"""A hypothesis state machine over BEPS through the clearing service on SQLite (issue 22):
intake of credit packages (ordinary, periodic, real-time), cap changes and earmarks, the
exceptions (revoke, reversal, return, and exceptions asked by a bank not entitled), session
closes, and a participant bank's own side (ICBC's customer sends credits, CCB takes them in,
returning those for an account it does not keep), in any order.

Invariants after every step (R-S3, R-S4, R-S5, R-S7): the net positions sum to zero; no payer
bank owes beyond its cap (unless its cap was lowered under its position since, and it has not
come back within it); each payer's queue is in arrival order and nothing of a payer nets past an
item of it still queued; an item once netted stays netted (a return is a netted item's end);
every submitted session balances; a refused command changes nothing; ICBC's customer has
exactly its pending and sent outward credits held, a transfer settled only once its item
netted, and each bank's BEPS account is what it settled out less what it credited in.
"""

import itertools
from datetime import datetime, timedelta
from typing import Any

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule
from sqlalchemy import Engine, text

from cunguan.clearing.handlers.service import ClearingService
from cunguan.clearing.rules.caps import net_debit_fen
from cunguan.clearing.rules.exceptions import NETTED_STATES, ItemState
from cunguan.clearing.rules.participant_bank import BEPS_ACCOUNT, bank_tenant
from cunguan.clearing.store.items import ITEMS_READ
from cunguan.clearing.store.tables import clearing_items
from cunguan.core.clock import CST, FixedClock
from cunguan.core.errors import CunguanError
from tests.clearing.integration.helpers import ABC, BOC, CCB, DAY, ICBC, credit
from tests.conftest import fresh_engine, run_state_machine

BANKS = [ICBC, CCB, BOC, ABC]
_NETTED = {s.value for s in NETTED_STATES}
bank = st.sampled_from(BANKS)
pair = st.tuples(bank, bank).filter(lambda p: p[0] != p[1])
amounts = st.lists(st.integers(1, 300_000), min_size=1, max_size=3)


class ClearingMachine(RuleBasedStateMachine):
    engine: Engine

    def __init__(self) -> None:
        super().__init__()
        self.system = f"sm{next(_systems)}"   # one database, a clearing system per example
        self.service, self.clock = _service(self.engine, self.system)
        self.customer, self.payee = _books(self.service, self.system)
        self.beps_at_start = {code: self._account(code, BEPS_ACCOUNT)[0]
                              for code in (ICBC, CCB)}
        self.serial = itertools.count(1)
        self.arrival: list[str] = []                  # money items, in arrival order
        self.payer: dict[str, str] = {}
        self.realtime: set[str] = set()
        self.packages: list[tuple[str, str]] = []     # (sender, message id)
        self.earmarks: list[str] = []
        self.ever_netted: set[str] = set()
        self.lowered: set[str] = set()                # banks whose cap fell under them
        self.items_of_transfers: set[str] = set()

    # -- a participant bank's own side -------------------------------------------------------
    @rule(value=st.integers(1, 400_000), known=st.booleans())
    def customer_sends(self, value: int, known: bool) -> None:
        serial = f"{self.system}S{next(self.serial)}"     # the bank's books outlive examples
        to = self.payee if known else "NOBODY"
        self._try(lambda: self.service.send_credit(ICBC, serial, self.customer, "张三", CCB, to,
                                                   "李四", value))

    @rule()
    def banks_sync(self) -> None:
        self.service.sync_outward(ICBC)

    @rule()
    def banks_run(self) -> None:
        sent = self.service.send_outward(ICBC)
        self.packages += [(ICBC, p["message_id"]) for p in sent["packages"]]
        for row in self._transfers(ICBC, "outward"):
            if row.item_id is not None and row.item_id not in self.items_of_transfers:
                self.items_of_transfers.add(row.item_id)
                self.arrival.append(row.item_id)
                self.payer[row.item_id] = ICBC
        for code in (CCB, ICBC):
            for item_id in self.service.take_inward(code)["returned"]:
                back = f"{item_id}:R"
                self.arrival.append(back)
                self.payer[back] = self.service.item(back)["payer_bank"]

    # -- intake ------------------------------------------------------------------------------
    @rule(banks=pair, values=amounts, periodic=st.booleans())
    def send_credits(self, banks: tuple[str, str], values: list[int], periodic: bool) -> None:
        payer, payee = banks
        msg = f"M{next(self.serial)}"
        kind = "periodic_credit" if periodic else "ordinary_credit"
        intake = self.service.submit_package(credit(msg, payer, payee, *values, kind=kind))
        self._arrived(intake, payer, realtime=False)
        self.packages.append((payer, msg))

    @rule(banks=pair, value=st.integers(1, 300_000), paid=st.booleans())
    def send_realtime(self, banks: tuple[str, str], value: int, paid: bool) -> None:
        payer, payee = banks
        msg = f"R{next(self.serial)}"
        intake = self._try(lambda: self.service.submit_package(
            credit(msg, payer, payee, value, kind="realtime_credit")))
        if intake is None:
            return
        self._arrived(intake, payer, realtime=True)
        [(item_id, _)] = intake.states
        if paid:
            self._try(lambda: self.service.answer_items([item_id], payee, paid=True))

    # -- caps --------------------------------------------------------------------------------
    @rule(code=bank, line=st.integers(0, 1_000_000))
    def set_cap(self, code: str, line: int) -> None:
        before = self._cap(code)
        self.service.set_cap(code, collateral_fen=0, haircut_bps=0, credit_line_fen=line)
        if self._cap(code) < before:
            self.lowered.add(code)

    @rule(code=bank, value=st.integers(1, 500_000))
    def earmark(self, code: str, value: int) -> None:
        request = f"E{next(self.serial)}"
        if self._try(lambda: self.service.earmark(request, code, value)) is not None:
            self.earmarks.append(request)

    @precondition(lambda self: self.earmarks)
    @rule(data=st.data())
    def release_earmark(self, data: st.DataObject) -> None:
        request = data.draw(st.sampled_from(self.earmarks))
        mark = self._try(lambda: self.service.release_earmark(request))
        if mark is not None:
            self.lowered.add(mark["bank_code"])

    # -- exceptions --------------------------------------------------------------------------
    @precondition(lambda self: self.packages)
    @rule(data=st.data(), by=bank)
    def revoke(self, data: st.DataObject, by: str) -> None:
        sender, msg = data.draw(st.sampled_from(self.packages))
        self._try(lambda: self.service.revoke(sender, msg, by))

    @precondition(lambda self: self.arrival)
    @rule(data=st.data(), by=bank)
    def return_item(self, data: st.DataObject, by: str) -> None:
        item_id = data.draw(st.sampled_from(self.arrival))
        answer = self._try(lambda: self.service.return_item(item_id, by))
        if answer is not None:
            back = f"{item_id}:R"
            self.arrival.append(back)
            self.payer[back] = self.service.item(back)["payer_bank"]

    @precondition(lambda self: self.realtime)
    @rule(data=st.data(), by=bank, seconds=st.integers(0, 40))
    def reverse(self, data: st.DataObject, by: str, seconds: int) -> None:
        self.clock.advance(timedelta(seconds=seconds))
        item_id = data.draw(st.sampled_from(sorted(self.realtime)))
        self._try(lambda: self.service.reverse(item_id, by))

    @precondition(lambda self: self.arrival)
    @rule(data=st.data(), by=bank)
    def credit_payee(self, data: st.DataObject, by: str) -> None:
        item_id = data.draw(st.sampled_from(self.arrival))
        self._try(lambda: self.service.credit_payees([item_id], by))

    # -- sessions ----------------------------------------------------------------------------
    @rule(minutes=st.integers(10, 90))
    def close_sessions(self, minutes: int) -> None:
        self.clock.advance(timedelta(minutes=minutes))
        self.service.close_sessions()

    # -- invariants --------------------------------------------------------------------------
    @invariant()
    def positions_sum_to_zero(self) -> None:
        assert sum(p["position_fen"] for p in self.service.positions()) == 0

    @invariant()
    def no_payer_beyond_its_cap(self) -> None:
        for row in self.service.positions():
            within = net_debit_fen(row["position_fen"]) <= row["cap_fen"]
            if within:
                self.lowered.discard(row["bank_code"])
            assert within or row["bank_code"] in self.lowered, row

    @invariant()
    def queues_release_in_arrival_order(self) -> None:
        states = self._states()
        order = {item_id: n for n, item_id in enumerate(self.arrival)}
        for payer, queue in self.service.queue().items():
            assert [order[i] for i in queue] == sorted(order[i] for i in queue)
            head = order[queue[0]]
            later_netted = [i for i in self.arrival[head + 1:]
                            if self.payer[i] == payer and i not in self.realtime
                            and states[i] in _NETTED]
            assert later_netted == [], (payer, queue, later_netted)

    @invariant()
    def netted_stays_netted(self) -> None:
        states = self._states()
        for item_id in self.ever_netted:
            assert states[item_id] in _NETTED, (item_id, states[item_id])
        self.ever_netted |= {i for i, s in states.items() if s in _NETTED}

    @invariant()
    def submitted_sessions_balance(self) -> None:
        for session in self.service.sessions():
            assert session["net_debits_fen"] >= 0
        with self.engine.connect() as conn:
            sums = conn.execute(text(
                "SELECT sum(position_fen) FROM clearing_session_positions "
                "WHERE system_id = :s GROUP BY work_date, session_no"),
                {"s": self.system}).scalars().all()
        assert all(int(total) == 0 for total in sums)

    @invariant()
    def a_participant_banks_books_follow_its_items(self) -> None:
        states = self._states()
        outward = self._transfers(ICBC, "outward")
        held = sum(r.amount_fen for r in outward if r.state in ("pending", "sent"))
        assert self._account(ICBC, self.customer)[1] == held
        for row in outward:
            if row.state == "settled":
                assert states[row.item_id] in _NETTED
        settled_out = sum(r.amount_fen for r in outward if r.state == "settled")
        credited_in = {code: sum(r.amount_fen for r in self._transfers(code, "inward")
                                 if r.state in ("credited", "suspended"))
                       for code in (ICBC, CCB)}
        assert self._account(ICBC, BEPS_ACCOUNT)[0] - self.beps_at_start[ICBC] == (
            settled_out - credited_in[ICBC])
        assert self._account(CCB, BEPS_ACCOUNT)[0] - self.beps_at_start[CCB] == -credited_in[CCB]

    # -- helpers -----------------------------------------------------------------------------
    def _transfers(self, code: str, direction: str) -> list[Any]:
        with self.engine.connect() as conn:
            return list(conn.execute(text(
                "SELECT serial_no, state, item_id, amount_fen FROM clearing_bank_transfers "
                "WHERE system_id = :s AND bank_code = :b AND direction = :d "
                "ORDER BY transfer_no"), {"s": self.system, "b": code, "d": direction}).all())

    def _account(self, code: str, account_no: str) -> tuple[int, int]:
        found = self.service.ledger.account(f"{bank_tenant(code)}", account_no)
        return found.balance_fen, found.frozen_fen

    def _arrived(self, intake: Any, payer: str, *, realtime: bool) -> None:
        for item_id, _ in intake.states:
            self.arrival.append(item_id)
            self.payer[item_id] = payer
            if realtime:
                self.realtime.add(item_id)

    def _try(self, call: Any) -> Any:
        """Run a command; refused, it must have changed nothing."""
        before = self._snapshot()
        try:
            return call()
        except CunguanError:
            assert self._snapshot() == before
            return None

    def _snapshot(self) -> tuple[object, ...]:
        return (self.service.positions(), self.service.queue(), self._states(),
                self.service.sessions(), len(self.service.events()))

    def _states(self) -> dict[str, str]:
        with self.engine.connect() as conn:   # as read: through their sessions' status
            return {r.item_id: r.state for r in conn.execute(
                ITEMS_READ.where(clearing_items.c.system_id == self.system))}

    def _cap(self, code: str) -> int:
        return int(self.service.available_cap(code)["cap_fen"])


_systems = itertools.count(1)


def _service(engine: Engine, system: str) -> tuple[ClearingService, FixedClock]:
    clock = FixedClock(datetime(DAY.year, DAY.month, DAY.day, 9, 0, tzinfo=CST))
    service = ClearingService(engine, clock=clock, system_id=system)
    service.create_system(DAY)
    for code in BANKS:
        service.add_participant(code, code, "direct")
        service.fund(f"fund-{code}", code, 10_000_000)
        service.set_cap(code, collateral_fen=0, haircut_bps=0, credit_line_fen=500_000)
    return service, clock


def _books(service: ClearingService, system: str) -> tuple[str, str]:
    """ICBC's customer with 2,000,000 fen and CCB's, new accounts on each bank's books (the
    books are the bank's, not the clearing system's: they outlive an example)."""
    customer, payee = f"C{system}", f"D{system}"
    for code, account_no in ((ICBC, customer), (CCB, payee)):
        service.open_bank_books(code)
        service.open_customer_account(code, account_no, f"cust-{account_no}")
    service.deposit(ICBC, f"cash-{system}", customer, 2_000_000)
    return customer, payee


def test_r_s3_r_s4_r_s5_r_s7_clearing_state_machine() -> None:
    with fresh_engine("sqlite") as engine:
        ClearingMachine.engine = engine
        run_state_machine(ClearingMachine, examples=30, steps=40)
    assert ItemState.NETTED.value in _NETTED
