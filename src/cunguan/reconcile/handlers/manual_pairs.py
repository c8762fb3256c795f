"""Pairing items in transit by hand (人工勾对): see rules/manual_pairs.py. One transaction:
the items paired recorded as a match of rule ``manual`` (its group id names the break that
explains a difference) and as arrived on the day named. A later match run of the same day on
changed inputs makes the day's pairs again (``remake``), those it still can."""

from collections.abc import Sequence
from datetime import date
from typing import Any

from cunguan.core import fields
from cunguan.db.connection import Connection
from cunguan.reconcile.handlers.accounts import Accounts
from cunguan.reconcile.rules import manual_pairs as rules
from cunguan.reconcile.rules import register
from cunguan.reconcile.rules.breaks import break_id
from cunguan.reconcile.rules.match_kinds import MatchRule
from cunguan.reconcile.rules.refusals import ReconcileError, Refusal
from cunguan.reconcile.rules.statements import Direction
from cunguan.reconcile.store import breaks as break_rows
from cunguan.reconcile.store import matches as store


def _keys(value: object, field: str) -> tuple[str, ...]:
    if not isinstance(value, list | tuple) or not all(isinstance(k, str) for k in value):
        raise fields.FieldInvalid(field, "must be a list of keys")
    if len(set(value)) != len(value):   # else one line's money counted twice
        raise fields.FieldInvalid(field, "a key is given twice")
    return tuple(value)


class ManualPairs(Accounts):
    def pair_in_transit(self, account_no: str, as_of: date, *, bank_keys: Sequence[str],
                        book_keys: Sequence[str], explained_by: int | None = None,
                        operator: str) -> dict[str, Any]:
        """Pair bank lines with book items in transit on the account at the end of ``as_of``
        (they arrive that day); a difference needs the break explaining it. See the module."""
        account_no = register.bank_account_no(account_no, "account")
        day = fields.day(as_of, "date")
        register.operator(operator)
        wanted = [("bank", k) for k in _keys(bank_keys, "bank_keys")] + [
            ("book", k) for k in _keys(book_keys, "book_keys")]
        if explained_by is not None:
            explained_by = break_id(explained_by, "explained_by")

        def work(conn: Connection) -> dict[str, Any]:
            self.need_account(conn, account_no, lock=True)
            later = store.runs_after(conn, account_no, day)
            if later:   # they carried these items on: a pair now would contradict them
                raise ReconcileError(Refusal.IN_TRANSIT_PAIR_DAY_PASSED,
                                     f"{account_no} was matched up to {later[-1].as_of}: "
                                     "pair on that day", latest=str(later[-1].as_of))
            return pair(conn, account_no, day, wanted, explained_by)
        return self.unit(work)


def pair(conn: Connection, account_no: str, day: date, wanted: Sequence[tuple[str, str]],
         explained_by: int | None, group: str | None = None) -> dict[str, Any]:
    """Pair ``wanted`` in the caller's transaction, or refuse by name writing nothing."""
    open_items = {(r.side, r.item_key): rules.OpenItem(   # and not arrived since
        r.side, r.item_key, Direction(r.direction), int(r.amount_fen))
        for r in store.in_transit_on(conn, account_no, day) if r.arrived_on is None}
    cited = None if explained_by is None else break_rows.get(conn, explained_by)
    if explained_by is not None and cited is None:
        raise ReconcileError(Refusal.BREAK_NOT_FOUND, f"no break {explained_by}")
    items = rules.judge(wanted, open_items, None if cited is None else (
        str(cited.state), int(cited.difference_fen)))
    group = group or rules.group_id(explained_by, items[0].key)
    store.insert_matches(conn, [
        {"account_no": account_no, "as_of": day, "side": i.side, "item_key": i.key,
         "group_id": group, "rule": str(MatchRule.MANUAL),
         "amount_fen": i.amount_fen} for i in items])
    store.arrived(conn, wanted, day)
    return {"group_id": group, "items": len(items),
            "difference_fen": rules.difference_fen(items), "explained_by": explained_by}


def remake(conn: Connection, account_no: str, day: date,
           pairs: dict[str, list[tuple[str, str]]]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The day's earlier hand pairs made again after a new run: (kept, dropped) group ids. A
    pair is dropped when the run matched one of its items itself, or an item is no longer in
    transit, or its break no longer explains it."""
    kept, dropped = [], []
    for group, wanted in pairs.items():
        try:
            pair(conn, account_no, day, wanted, rules.cited_break(group), group)
        except ReconcileError:
            dropped.append(group)
        else:
            kept.append(group)
    return tuple(kept), tuple(dropped)
