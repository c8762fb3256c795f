"""Working a break (R-B2 (1)) to its resolution, the workflow being ``rules.breaks``'s: an
owner, notes, an adjustment proposed by a maker and approved by a checker who is not the maker
(a write-off above ``limits.writeoff_second_approval_fen`` by a second checker too). The
approval that completes it posts it, in its transaction, through the ledger (the only code
that changes balances) as a ``recon_adjustment`` transaction linked to the break, which
closes. A break the bank or a later day explains is cleared without posting.

Each step loads the case from its rows, lets the rule decide, and writes what changed: the
break's state, owner and resolution, the adjustment and its approvals, and the step's notes as
actions. Replays post nothing: approving a case closed by its posted adjustment answers that
posting, and the ledger request no. is the adjustment's own.
"""

from typing import Any

from cunguan.core import fields, limits
from cunguan.db.connection import Connection, read_connection
from cunguan.ledger.model import Transfer
from cunguan.reconcile.handlers.accounts import Accounts
from cunguan.reconcile.rules import breaks as flow
from cunguan.reconcile.rules.match_kinds import BreakClass
from cunguan.reconcile.rules.refusals import ReconcileError, Refusal
from cunguan.reconcile.rules.register import AccountKind
from cunguan.reconcile.store import accounts as account_rows
from cunguan.reconcile.store import books
from cunguan.reconcile.store import breaks as store

#: The states a break keeps its adjustment in (proposed, approved; posted when closed).
_LIVE = ("proposed", "approved", "posted")


def _case(row: Any, adjustment: Any) -> flow.BreakCase:
    """The case as stored (its history stays in the actions; steps add to it)."""
    adj, approvals = None, ()
    if adjustment is not None and adjustment.state in _LIVE:
        adj = flow.Adjustment(flow.AdjustmentKind(adjustment.kind), adjustment.debit_account_no,
                              adjustment.credit_account_no, adjustment.amount_fen,
                              adjustment.memo, adjustment.maker)
        approvals = tuple(a for a in (adjustment.checker, adjustment.second_approver) if a)
    return flow.BreakCase(str(row.break_id), BreakClass(row.break_class), row.account_no,
                          row.difference_fen, row.opened_on, flow.BreakState(row.state),
                          row.owner, (), adj, approvals)


class Breaks(Accounts):
    def breaks(self, *, account_no: str | None = None, state: str | None = None,
               open_only: bool = True) -> list[dict[str, Any]]:
        """Breaks, oldest first (the open ones unless a state is named)."""
        account_no = fields.optional_identifier(account_no, "account_no",
                                                limits.bank_account_no_length_max)
        state = None if state is None else fields.choice(
            state, "state", tuple(s.value for s in flow.BreakState))
        open_only = fields.flag(open_only, "open_only")
        with read_connection(self.engine) as conn:
            rows = store.listed(conn, account_no=account_no, state=state, open_only=open_only,
                                rows_max=limits.breaks_listed_max)
        return [row._asdict() for row in rows]

    def break_detail(self, break_id: int) -> dict[str, Any]:
        """A break with its actions and adjustments."""
        with read_connection(self.engine) as conn:
            found = self._need(conn, break_id)
            return {**found._asdict(),
                    "actions": [a._asdict() for a in store.actions(conn, break_id)],
                    "adjustments": [a._asdict() for a in store.adjustments(conn, break_id)]}

    def assign(self, break_id: int, owner: str, *, operator: str) -> None:
        self._step(break_id, "assign", lambda case, on: flow.assign(case, owner, by=operator,
                                                                    on=on))

    def note(self, break_id: int, text: str, *, operator: str) -> None:
        self._step(break_id, "note", lambda case, on: flow.add_note(case, operator, text, on=on))

    def resolve(self, break_id: int, reason: str, *, operator: str) -> None:
        """Cleared with nothing posted (the bank corrected it, the item arrived …)."""
        self._step(break_id, "clear", lambda case, on: flow.clear(case, reason, by=operator,
                                                                  on=on))

    def reject(self, break_id: int, reason: str, *, operator: str) -> None:
        """A checker sends the proposed adjustment back to its maker."""
        self._step(break_id, "reject", lambda case, on: flow.reject(case, operator, reason,
                                                                    on=on))

    def propose(self, break_id: int, *, kind: str, debit_account_no: str,
                credit_account_no: str, amount_fen: int, memo: str, operator: str) -> None:
        """The maker's adjustment (``correction`` or ``write_off``) for an assigned break:
        it moves a ledger account the break's bank account mirrors."""
        if kind not in tuple(flow.AdjustmentKind):
            raise ReconcileError(Refusal.FIELD_INVALID, "kind: correction or write_off",
                                 field="kind", reason="must be correction or write_off")
        adjustment = flow.Adjustment(flow.AdjustmentKind(kind), debit_account_no,
                                     credit_account_no, amount_fen, memo, operator)
        self._step(break_id, "propose", lambda case, on: flow.propose(case, adjustment, on=on))

    def approve(self, break_id: int, *, operator: str) -> dict[str, Any]:
        """A checker's approval; the last one needed posts the adjustment. Approving a case
        closed by its posted adjustment is a replay of that posting."""
        def work(conn: Connection) -> dict[str, Any]:
            row = self._need(conn, break_id, lock=True)
            adjustment = store.live_adjustment(conn, break_id)
            if adjustment is not None and adjustment.state == "posted":
                return {"adjustment_id": adjustment.adjustment_id, "state": "posted",
                        "tx_id": adjustment.tx_id, "replayed": True}
            on = self.clock().date()
            case = flow.approve(_case(row, adjustment), operator, on=on)
            tx_id = None
            if case.state is flow.BreakState.APPROVED:
                tx_id = self._post(conn, row, adjustment)
                case = flow.post(case, str(tx_id), by=operator, on=on)
            self._write(conn, row, adjustment, case, "approve", tx_id)
            return {"adjustment_id": adjustment.adjustment_id,
                    "state": "posted" if tx_id else "approved_once", "tx_id": tx_id,
                    "replayed": False}
        return self.unit(work)

    # -- steps -------------------------------------------------------------------------------
    def _step(self, break_id: int, action: str, step: Any) -> None:
        def work(conn: Connection) -> None:
            row = self._need(conn, break_id, lock=True)
            adjustment = store.live_adjustment(conn, break_id)
            case = step(_case(row, adjustment), self.clock().date())
            if action == "propose":
                self._check_legs(conn, row, case.adjustment)
                adjustment = None
            self._write(conn, row, adjustment, case, action, None)
        self.unit(work)

    def _write(self, conn: Connection, row: Any, adjustment: Any, case: flow.BreakCase,
               action: str, tx_id: int | None) -> None:
        """What the step changed: the break, its adjustment, its notes as actions."""
        now, break_id = self.clock(), row.break_id
        values: dict[str, Any] = {"state": str(case.state), "owner": case.owner,
                                  "updated_at": now}
        if case.resolution is not None:
            values.update(resolved_on=case.resolution.on,
                          resolution=f"{case.resolution.kind}: {case.resolution.text}"[:256])
        if tx_id is not None:
            values.update(tenant_id=self._tenant(conn, row), tx_id=tx_id)
        store.change(conn, break_id, values)
        if action == "propose" and case.adjustment is not None:
            self._insert_adjustment(conn, row, case.adjustment)
        elif adjustment is not None and action in ("approve", "reject"):
            checker, second = (*case.approvals, None, None)[:2]
            if action == "reject":
                checker = case.notes[-1].author
            state = {flow.BreakState.REJECTED: "rejected",
                     flow.BreakState.ADJUSTMENT_PROPOSED: "proposed"}.get(case.state, "posted")
            store.change_adjustment(conn, adjustment.adjustment_id, {
                "state": state, "checker": checker or adjustment.checker,
                "second_approver": second, "decided_at": now, "tx_id": tx_id})
        for note in case.notes:
            store.act(conn, break_id, action, note.author, note.text, now)

    def _insert_adjustment(self, conn: Connection, row: Any, adj: flow.Adjustment) -> None:
        number = len(store.adjustments(conn, row.break_id)) + 1
        store.insert_adjustment(conn, {
            "break_id": row.break_id, "tenant_id": self._tenant(conn, row),
            "kind": str(adj.kind), "debit_account_no": adj.debit_account,
            "credit_account_no": adj.credit_account, "amount_fen": adj.amount_fen,
            "memo": adj.memo, "state": "proposed", "maker": adj.maker,
            "proposed_at": self.clock(), "request_no": f"RECON-{row.break_id}-{number}"})

    def _post(self, conn: Connection, row: Any, adjustment: Any) -> int:
        result = self.ledger.post_in(conn, adjustment.tenant_id, [Transfer(
            adjustment.request_no, adjustment.debit_account_no, adjustment.credit_account_no,
            adjustment.amount_fen, books.ADJUSTMENT_BUSINESS_TYPE,
            memo=f"break {row.break_id}: {adjustment.memo}"[:limits.memo_length_max])])[0]
        if not result.ok or result.tx_id is None:
            raise ReconcileError(Refusal.ADJUSTMENT_POSTING_REFUSED,
                                 f"the ledger refused adjustment {adjustment.adjustment_id}: "
                                 f"{result.reject} {result.detail}", reject=str(result.reject))
        return result.tx_id

    def _check_legs(self, conn: Connection, row: Any, adj: flow.Adjustment | None) -> None:
        """The adjustment moves a ledger account the break's bank account mirrors (a channel
        account's break: or one its tenant's custody accounts mirror, where the channel's
        money settles, R-C15)."""
        mirrors = account_rows.mirrors(conn, row.account_no)
        account = self.need_account(conn, row.account_no)
        if account.kind == str(AccountKind.CHANNEL) and account.tenant_id is not None:
            mirrors += [m for found in account_rows.accounts(conn, str(account.tenant_id))
                        if found.kind == str(AccountKind.CUSTODY)
                        for m in account_rows.mirrors(conn, found.account_no)]
        if adj is None or not {adj.debit_account, adj.credit_account} & set(mirrors):
            raise ReconcileError(Refusal.FIELD_INVALID, "an adjustment moves a ledger account "
                                 f"the bank account mirrors ({', '.join(mirrors)})",
                                 field="debit_account", reason="not the break's ledger")

    def _tenant(self, conn: Connection, row: Any) -> str:
        tenant = self.need_account(conn, row.account_no).tenant_id
        if tenant is None:
            raise ReconcileError(Refusal.FIELD_INVALID, f"bank account {row.account_no} "
                                 "mirrors no ledger (report mode)", field="break_id",
                                 reason="report mode")
        return str(tenant)

    def _need(self, conn: Connection, break_id: int, *, lock: bool = False) -> Any:
        found = store.get(conn, flow.break_id(break_id), lock=lock)
        if found is None:
            raise ReconcileError(Refusal.BREAK_NOT_FOUND, f"no break {break_id}")
        return found


