"""Packages in (R-S1, R-S2), answers to real-time items and debits, and payees credited.

A package is checked whole and refused whole (nothing written); accepted, its items take their
first step at once:
- an ordinary or periodic credit nets (or queues) in arrival order (R-S4);
- a real-time item is checked against its payer bank's cap: refused at once when over it
  (``cap_exceeded``), else it waits for the other bank's answer, and nets on a paid answer;
- an ordinary or periodic debit waits for the payer bank's answer (its receipt), and nets —
  or queues — when paid.
The same message id again from the same sender with the same content answers the first intake;
with other content it is refused ``duplicate_with_different_content``.
"""

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import Any

from cunguan.clearing.handlers.participants import Participants
from cunguan.clearing.rules.caps import passes_cap
from cunguan.clearing.rules.commands import package_from
from cunguan.clearing.rules.exceptions import ItemState
from cunguan.clearing.rules.netting import Fate, Flow, NettingResult
from cunguan.clearing.rules.packages import (
    AcceptedPackage,
    Item,
    Package,
    check_package,
)
from cunguan.clearing.rules.packages import item_id as new_item_id
from cunguan.clearing.rules.parameters import BusinessType
from cunguan.clearing.rules.participants import bank_code, clearing_bank
from cunguan.clearing.rules.refusals import ClearingError, Refusal
from cunguan.clearing.store import items, sessions, systems
from cunguan.core import limits
from cunguan.core.fields import FieldInvalid, flag, identifier
from cunguan.db.connection import Connection


@dataclass(frozen=True, slots=True)
class Intake:
    """What intake answered: the package's no. and each item's state after its first step."""

    package_no: int
    message_id: str
    states: tuple[tuple[str, str], ...]
    replayed: bool = False


#: An item's state after netting decided its fate.
_FATE_STATES = {Fate.NETTED: ItemState.NETTED, Fate.QUEUED: ItemState.QUEUED,
                Fate.REFUSED: ItemState.REFUSED}
def final_states(result: NettingResult) -> dict[str, ItemState]:
    """Each arriving item's state after a netting pass: netted if it netted in the pass
    (a queued one may be released by a later arrival's credit), else its fate."""
    netted = set(result.netted)
    return {i: ItemState.NETTED if i in netted else _FATE_STATES[fate]
            for i, fate in result.fates}


_PACKAGE_FIELDS = tuple(f.name for f in fields(Package) if f.name != "items")
_ITEM_FIELDS = tuple(f.name for f in fields(Item))


def digest(package: Package) -> str:
    """The package's content digest: the JSON of ``dataclasses.asdict(package)``, built
    without its deep copies (a tenth of the time on a 10,000-item package)."""
    plain = {name: getattr(package, name) for name in _PACKAGE_FIELDS}
    plain["items"] = [{name: getattr(item, name) for name in _ITEM_FIELDS}
                      for item in package.items]
    return hashlib.sha256(json.dumps(plain, sort_keys=True, default=str)
                          .encode()).hexdigest()


class Packages(Participants):
    def submit_package(self, raw: object, *, by_bank: object | None = None,
                       content_digest: str | None = None) -> Intake:
        """Take a package (raw fields: a JSON body, a parsed message). ``by_bank``, when a
        participant sends it, must be the clearing bank of its sender (itself or an indirect
        participant behind it). ``content_digest`` is ``digest(package)`` when the caller
        already computed it (a bulk intake's reading workers do)."""
        package = raw if isinstance(raw, Package) else package_from(raw)
        sent_by = None if by_bank is None else bank_code(by_bank, "by_bank")
        return self.unit(lambda conn: self._intake(conn, package, sent_by, content_digest))

    def _intake(self, conn: Connection, package: Package, sent_by: str | None,
                content_digest: str | None = None) -> Intake:
        work_date, params = self.system(conn)
        register = systems.register(conn, self.system_id)
        if sent_by is not None and clearing_bank(package.sender_bank, register,
                                                 "sender_bank").bank_code != sent_by:
            raise ClearingError(Refusal.NOT_ENTITLED,
                                f"{sent_by} may send only its own and its indirect "
                                "participants' packages")
        known = items.package_row(conn, self.system_id, package.sender_bank, package.message_id)
        if known is not None:
            return self._replay(conn, known, content_digest or digest(package))
        accepted = check_package(package, register, work_date=work_date, params=params)
        kind = package.business_type
        first = ItemState.ACCEPTED if kind.is_credit and not kind.is_realtime else (
            ItemState.AWAITING_RECEIPT if kind.moves_money else ItemState.CREDITED)
        if kind.is_realtime:
            self._refuse_over_cap(conn, accepted)
        states: dict[str, ItemState] = {}
        netted = None
        if first is ItemState.ACCEPTED:   # netted before written: each row written once
            result, netted = self.net_new(conn, accepted.flows)
            states = final_states(result)
        package_no = items.insert_package(conn, self.system_id, accepted,
                                          digest=content_digest or digest(package),
                                          is_receipt=False, now=self.clock(), state=first,
                                          states=states, netted=netted)
        ids = [new_item_id(package.sender_bank, package.message_id, i.item_no)
               for i in package.items]
        return Intake(package_no, package.message_id,
                      tuple((i, states.get(i, first).value) for i in ids))

    def _refuse_over_cap(self, conn: Connection, accepted: AcceptedPackage) -> None:
        [flow] = accepted.flows
        rows = systems.banks(conn, self.system_id, [flow.payer_bank])
        row = rows[flow.payer_bank]
        if not passes_cap(systems.cap_of(row), row.position_fen, flow.amount_fen):
            raise ClearingError(Refusal.CAP_EXCEEDED,
                                f"{flow.amount_fen} fen would take {flow.payer_bank} beyond "
                                "its net debit cap: a real-time item is refused, not queued")

    def _replay(self, conn: Connection, known: Any, new_digest: str) -> Intake:
        if known.digest != new_digest:
            raise ClearingError(Refusal.DUPLICATE_WITH_DIFFERENT_CONTENT,
                                f"message {known.message_id} was taken with other content")
        return self._answer(conn, known.package_no, known.message_id, replayed=True)

    def _answer(self, conn: Connection, package_no: int, message_id: str, *,
                replayed: bool) -> Intake:
        rows = items.items_of_package(conn, package_no)
        return Intake(package_no, message_id, tuple((r.item_id, r.state) for r in rows),
                      replayed)

    def refresh_statistics(self) -> None:
        """The planner's statistics of the clearing tables refreshed (after a bulk load)."""
        self.unit(items.refresh_statistics)

    def answer_items(self, item_ids: object, by_bank: object, *, paid: object) -> dict[str, str]:
        """The other bank's answer to real-time items (the payee's bank checks its account)
        or to debits (the payer's bank pays or refuses: its receipt). Paid items net —
        a real-time one is refused if its payer's cap no longer takes it; a debit may queue."""
        ids = _item_ids(item_ids)
        bank = bank_code(by_bank, "by_bank")
        is_paid = flag(paid, "paid")

        def work(conn: Connection) -> dict[str, str]:
            rows = self._items(conn, ids)
            for row in rows:
                self._check_answer(row, bank)
            if not is_paid:
                items.set_state(conn, self.system_id, ids, ItemState.REFUSED)
                states = {i: ItemState.REFUSED.value for i in ids}
            else:   # netted from the rows read, in arrival order; each row updated once
                result = self.net(conn, [
                    Flow(r.item_id, BusinessType(r.business_type), r.payer_bank,
                         r.payee_bank, r.amount_fen)
                    for r in sorted(rows, key=lambda r: r.arrival_seq)],
                    arrival_seqs={r.item_id: r.arrival_seq for r in rows})
                states = {i: state.value for i, state in final_states(result).items()}
            sessions.insert_events(conn, self.system_id, "receipt", [
                (r.sender_bank, {"item_id": r.item_id, "paid": is_paid,
                                 "state": states[r.item_id], "business_type": r.business_type,
                                 "end_to_end_id": r.end_to_end_id,
                                 "amount_fen": r.amount_fen}) for r in rows], self.clock())
            return states
        return self.unit(work)

    def _check_answer(self, row: Any, bank: str) -> None:
        kind = BusinessType(row.business_type)
        answerer = row.payee_bank if kind.is_credit else row.payer_bank
        if bank != answerer:
            raise ClearingError(Refusal.NOT_ENTITLED,
                                f"{row.item_id} is answered by {answerer}, not {bank}")
        if row.state != ItemState.AWAITING_RECEIPT.value:
            raise ClearingError(Refusal.ITEM_STATE_INVALID,
                                f"{row.item_id} is {row.state}: nothing to answer",
                                state=row.state)

    def credit_payees(self, item_ids: object, by_bank: object) -> None:
        """The payee's bank put the money on its customers' accounts: those items can no
        longer be returned (R-S7)."""
        ids = _item_ids(item_ids)
        bank = bank_code(by_bank, "by_bank")

        def work(conn: Connection) -> None:
            for row in (self._item(conn, i) for i in ids):
                if row.payee_bank != bank:
                    raise ClearingError(Refusal.NOT_ENTITLED, f"{row.item_id} is not for {bank}")
                if row.state not in (ItemState.NETTED, ItemState.SUBMITTED, ItemState.SETTLED):
                    raise ClearingError(Refusal.ITEM_STATE_INVALID,
                                        f"{row.item_id} is {row.state}, not netted",
                                        state=row.state)
            items.set_state(conn, self.system_id, ids, ItemState.CREDITED)
        self.unit(work)

    def credit_in(self, conn: Connection, row: Any) -> None:
        """A netted item its payee's bank credited (in the caller's transaction)."""
        items.set_state(conn, self.system_id, [row.item_id], ItemState.CREDITED)

    def _items(self, conn: Connection, item_ids: Sequence[str]) -> list[Any]:
        """The rows of ``item_ids`` in their order, read in one statement; the first missing
        one is refused."""
        found = items.items_by_id(conn, self.system_id, item_ids)
        for item_id in item_ids:
            if item_id not in found:
                raise ClearingError(Refusal.ITEM_NOT_FOUND, f"no item {item_id}")
        return [found[i] for i in item_ids]

    def _item(self, conn: Connection, item_id: str) -> Any:
        row = items.item(conn, self.system_id, item_id)
        if row is None:
            raise ClearingError(Refusal.ITEM_NOT_FOUND, f"no item {item_id}")
        return row


def _item_ids(value: object) -> list[str]:
    if not isinstance(value, Sequence) or isinstance(value, str | bytes) or not value:
        raise FieldInvalid("item_ids", "must be a non-empty list of item ids")
    if len(value) > limits.clearing_items_per_package_max:
        raise FieldInvalid("item_ids", f"at most {limits.clearing_items_per_package_max}")
    ids = [identifier(v, f"item_ids[{i}]", limits.clearing_item_id_length_max)
           for i, v in enumerate(value)]
    if len(set(ids)) != len(ids):
        raise FieldInvalid("item_ids", "an item id repeats")
    return ids
