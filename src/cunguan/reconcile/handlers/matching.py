"""Matching a bank account's day (R-B2 (1), (2)): the bank's lines booked that day and the
items carried in transit, against the books' items — the postings that day of the ledger
accounts it mirrors, and the book items carried. The matching rules decide; this script reads
their inputs and writes what they found: matches, breaks, items in transit (aged, overdue
past T+N) and the run.

Lines the statement's import kept as breaks (R-C15: a return custody could not act on) are
decided: matching leaves them out, so no line is raised twice.

Re-running a day on the same inputs answers the recorded run and writes nothing. On changed
inputs (a statement imported late) the day is matched again from the day before's state, and
then every later day already matched, in order, with its recorded policy (what a day carries
depends on the days before it):
its matches and new in-transit items are replaced, breaks it found again are the same rows
(as worked so far), breaks not found again that nobody touched are dropped (worked ones are
kept and named: ``MatchRun.worked_breaks_not_found``), and the day's hand pairs are made again
where they still can be (``MatchRun.pairs_kept``, ``pairs_dropped``).
"""

import hashlib
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, is_dataclass, replace
from datetime import date
from typing import Any

import polars as pl

from cunguan.core import fields
from cunguan.db.connection import Connection
from cunguan.reconcile.handlers.accounts import Accounts
from cunguan.reconcile.handlers.manual_pairs import remake
from cunguan.reconcile.rules import matching, register
from cunguan.reconcile.rules.refusals import ReconcileError, Refusal
from cunguan.reconcile.rules.statements import BookItem, Direction, LineStatus, StatementLine
from cunguan.reconcile.store import accounts as account_rows
from cunguan.reconcile.store import books
from cunguan.reconcile.store import breaks as break_rows
from cunguan.reconcile.store import matches as store
from cunguan.reconcile.store import statements as lines_store

BankLine = tuple[str, str, StatementLine]


@dataclass(frozen=True, slots=True)
class MatchRun:
    """What a day's run found (the recorded run's, on a replay)."""

    account_no: str
    as_of: date
    bank_lines: int
    book_items: int
    matched: int
    breaks: int
    in_transit: int
    replayed: bool
    #: The hand pairs made again (of this day and the days after it), and those that could
    #: not be (a replay: none).
    pairs_kept: tuple[str, ...] = ()
    pairs_dropped: tuple[str, ...] = ()
    #: The days after this one that had been matched, matched again after it in order.
    later_days_matched_again: tuple[date, ...] = ()
    #: Breaks an operator worked that a run on changed inputs no longer finds (of this day
    #: and the days after it): kept as they are, to be looked at again.
    worked_breaks_not_found: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class _DayRun:
    """What every day of one account's run shares."""

    account_no: str
    tenant_id: str
    mirrors: Sequence[str]
    operator: str


def _run(row: Any, *, replayed: bool) -> MatchRun:
    return MatchRun(row.account_no, row.as_of, row.bank_lines, row.book_items, row.matched,
                    row.breaks, row.in_transit, replayed)


def _policy_text(policy: object) -> str:
    content = asdict(policy) if is_dataclass(policy) and not isinstance(policy, type) \
        else repr(policy)
    return json.dumps(content, sort_keys=True, default=str)


def _policy(text: str) -> matching.MatchPolicy:
    """A recorded run's policy (``_policy_text`` of a MatchPolicy), to match its day again."""
    return matching.MatchPolicy(**json.loads(text))


def _digest(bank: Sequence[BankLine], items: Sequence[BookItem], policy: str) -> str:
    keys = sorted(key for key, _, _ in bank) + sorted(item.item_id for item in items)
    return hashlib.sha256("\n".join([policy, *keys]).encode()).hexdigest()


def _item_json(item: BookItem) -> str:
    return json.dumps(asdict(item), sort_keys=True, default=str)


def _item(text: str) -> BookItem:
    raw = json.loads(text)
    return BookItem(**{**raw, "value_date": date.fromisoformat(raw["value_date"]),
                       "direction": Direction(raw["direction"]),
                       "status": LineStatus(raw["status"])})


class Matching(Accounts):
    def match_day(self, account_no: str, as_of: date, *, operator: str,
                  policy: matching.MatchPolicy | None = None) -> MatchRun:
        """Match the account's day T = ``as_of`` in one transaction; see the module."""
        account_no = register.bank_account_no(account_no, "account")
        day = fields.day(as_of, "date")
        who = register.operator(operator)
        chosen = policy or matching.MatchPolicy()

        def work(conn: Connection) -> MatchRun:
            account = self.need_account(conn, account_no, lock=True)   # one run at a time
            mirrors = account_rows.mirrors(conn, account_no)
            if not mirrors:
                raise ReconcileError(Refusal.FIELD_INVALID, f"bank account {account_no} "
                                     "mirrors no ledger account (report mode): nothing to "
                                     "match", field="account", reason="report mode")
            day_run = _DayRun(account_no, account.tenant_id, mirrors, who)
            run = self._run_day(conn, day_run, day, chosen, replay=True)
            if run.replayed:
                return run
            later = store.runs_after(conn, account_no, day)
            again = [self._run_day(conn, day_run, row.as_of, _policy(row.policy),
                                   replay=False) for row in later]
            return replace(run, later_days_matched_again=tuple(r.as_of for r in again),
                           pairs_kept=sum((r.pairs_kept for r in again), run.pairs_kept),
                           pairs_dropped=sum((r.pairs_dropped for r in again),
                                             run.pairs_dropped),
                           worked_breaks_not_found=sum(
                               (r.worked_breaks_not_found for r in again),
                               run.worked_breaks_not_found))
        return self.unit(work)

    def _run_day(self, conn: Connection, at: "_DayRun", day: date,
                 policy: matching.MatchPolicy, *, replay: bool) -> MatchRun:
        """Match one day from the state the days before it left; on the same inputs as its
        recorded run, that run (``replay``)."""
        policy_text = _policy_text(policy)
        bank, items, carried = self._inputs(conn, at.account_no, at.tenant_id, at.mirrors,
                                            day)
        inputs = _digest(bank, items, policy_text)
        found = store.run(conn, at.account_no, day)
        if replay and found is not None and found.inputs_sha256 == inputs:
            return _run(found, replayed=True)
        pairs = store.manual_pairs(conn, at.account_no, day)
        store.undo_run(conn, at.account_no, day)
        result = matching.match(matching.bank_frame(bank), matching.book_frame(items),
                                as_of=day, policy=policy)
        counts, worked = self._record(conn, at.account_no, day, result, bank, items, carried)
        store.insert_run(conn, {
            "account_no": at.account_no, "as_of": day, "policy": policy_text,
            "inputs_sha256": inputs, "bank_lines": len(bank), "book_items": len(items),
            **counts, "run_at": self.clock(), "operator": at.operator})
        kept, dropped = remake(conn, at.account_no, day, pairs)
        return MatchRun(at.account_no, day, len(bank), len(items), counts["matched"],
                        counts["breaks"], counts["in_transit"], replayed=False,
                        pairs_kept=kept, pairs_dropped=dropped,
                        worked_breaks_not_found=worked)

    def _inputs(self, conn: Connection, account_no: str, tenant_id: str,
                mirrors: Sequence[str], day: date
                ) -> tuple[list[BankLine], list[BookItem], set[tuple[str, str]]]:
        """The day's lines and postings, and the items carried in transit into it (and their
        keys)."""
        carried = store.carried(conn, account_no, day)
        bank = lines_store.lines_of_day(conn, account_no, day)
        bank += lines_store.lines_by_key(conn, [c.item_key for c in carried
                                                if c.side == "bank"])
        kept = break_rows.kept_line_keys(conn, account_no)   # decided by their import
        bank = [line for line in bank if line[0] not in kept]
        items = books.book_items(conn, tenant_id, account_no, mirrors, day)
        items += [_item(c.item) for c in carried if c.side == "book"]
        return bank, items, {(c.side, c.item_key) for c in carried}

    def _record(self, conn: Connection, account_no: str, day: date, result: Any,
                bank: Sequence[BankLine], items: Sequence[BookItem],
                carried: set[tuple[str, str]]) -> tuple[dict[str, int], tuple[int, ...]]:
        """The run's matches, breaks and in-transit items written; their counts, and the
        worked breaks of the day it no longer finds. Of the carried items, those matched or
        decided arrive today (only carried ones have a row to mark: a million matched lines
        are not a million UPDATEs)."""
        matched = result.matches
        store.insert_matches(conn, [
            {"account_no": account_no, "as_of": day, "side": r["side"], "item_key": r["key"],
             "group_id": r["group_id"], "rule": str(r["rule"]),
             "amount_fen": int(r["amount_fen"])} for r in matched.iter_rows(named=True)])
        found = _breaks(result.breaks)
        worked = break_rows.record_found(conn, account_no, day, found, self.clock())
        left = set(zip(matched["side"], matched["key"], strict=True)) | _decided(result)
        store.arrived(conn, sorted(left & carried), day)
        store.carry(conn, _in_transit(result.in_transit, bank, items), day)
        return {"matched": matched.height, "breaks": len(found),
                "in_transit": result.in_transit.height}, tuple(worked)


def _decided(result: Any) -> set[tuple[str, str]]:
    """Items the run put in a break and not in transit (an amount mismatch, not an overdue
    item): a carried one leaves the in-transit items today, its break tracks it now — else
    it would be carried again and raised a second time, overdue."""
    waiting = set(zip(result.in_transit["side"], result.in_transit["key"], strict=True))
    return set(zip(result.breaks["side"], result.breaks["key"], strict=True)) - waiting


def _breaks(frame: pl.DataFrame) -> list[dict[str, Any]]:
    """One row per break: its lines' and items' keys together, digested into its key."""
    rows: list[dict[str, Any]] = []
    for _, group in frame.group_by("break_id", maintain_order=True):
        first = group.row(0, named=True)
        sides = set(group["side"].to_list())
        keys = sorted(f"{s}:{k}" for s, k in zip(group["side"], group["key"], strict=True))
        side = sides.pop() if len(sides) == 1 else "both"
        key = hashlib.sha256("|".join([first["account_no"], str(first["break_class"]), *keys])
                             .encode()).hexdigest()
        rows.append({"break_key": key, "break_class": str(first["break_class"]), "side": side,
                     "item_keys": ",".join(keys), "value_date": min(group["value_date"]),
                     "amount_fen": int(group["amount_fen"].max()),  # type: ignore[arg-type]
                     "difference_fen": int(first["difference_fen"])})
    return rows


def _in_transit(frame: pl.DataFrame, bank: Sequence[BankLine],
                items: Sequence[BookItem]) -> list[dict[str, Any]]:
    """The in-transit rows to carry, with what each needs to be matched again tomorrow."""
    lines = {key: line for key, _, line in bank}
    book = {item.item_id: item for item in items}
    rows = []
    for r in frame.iter_rows(named=True):
        if r["side"] == "bank":
            direction, text = lines[r["key"]].direction, ""
        else:
            direction, text = book[r["key"]].direction, _item_json(book[r["key"]])
        rows.append({"side": r["side"], "item_key": r["key"], "account_no": r["account_no"],
                     "value_date": r["value_date"], "direction": str(direction),
                     "amount_fen": int(r["amount_fen"]), "age_days": int(r["age_days"]),
                     "overdue": int(bool(r["overdue"])), "item": text})
    return rows
