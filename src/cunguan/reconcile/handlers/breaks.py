"""Working a break (R-B2 (1)) to its resolution: an owner, notes, and — when the books must
change — an adjustment entered by a maker and approved by a checker who is not the maker; one
above the write-off limit (``limits.adjustment_second_approval_above_fen``) needs a second
approver besides them. The approval that completes it posts it, in its transaction, through
the ledger (the only code that changes balances), linked to the break, which is resolved.

States of a break: ``open`` (found; an owner may be assigned) → ``proposed`` (an adjustment
awaits approval) → ``resolved``; a rejected proposal puts it back to ``open``. A break the
bank or the next day explains is resolved without an adjustment. Every action is recorded
with its operator. Replays post nothing: the ledger request no. is the adjustment's, and an
adjustment posted is never posted again.
"""

from typing import Any

from cunguan.core import limits
from cunguan.db.connection import Connection, read_connection
from cunguan.ledger.model import Transfer
from cunguan.reconcile.handlers.accounts import Accounts
from cunguan.reconcile.rules import register
from cunguan.reconcile.rules.refusals import ReconcileError, Refusal
from cunguan.reconcile.store import accounts as account_rows
from cunguan.reconcile.store import books
from cunguan.reconcile.store import breaks as store


def _state(found: Any, *allowed: str) -> None:
    if found.state not in allowed:
        raise ReconcileError(Refusal.BREAK_STATE_INVALID, f"break {found.break_id} is "
                             f"{found.state}, not {' or '.join(allowed)}", state=found.state)


class Breaks(Accounts):
    def breaks(self, *, account_no: str | None = None, state: str | None = None,
               open_only: bool = True) -> list[dict[str, Any]]:
        """Breaks, oldest first (the open ones unless a state is named)."""
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

    def break_tenant(self, break_id: int) -> str:
        """The tenant whose ledger a break's adjustment is posted in."""
        with read_connection(self.engine) as conn:
            found = self._need(conn, break_id)
            tenant = self.need_account(conn, found.account_no).tenant_id
        if tenant is None:
            raise ReconcileError(Refusal.FIELD_INVALID, f"bank account {found.account_no} "
                                 "mirrors no ledger (report mode)", field="break_id",
                                 reason="report mode")
        return str(tenant)

    def assign(self, break_id: int, owner: str, *, operator: str) -> None:
        who, to = register.operator(operator), register.operator(owner, "owner")
        self._act(break_id, who, "assign", to, {"owner": to}, "open", "proposed")

    def note(self, break_id: int, text: str, *, operator: str) -> None:
        who, note = register.operator(operator), register.note_text(text)
        self._act(break_id, who, "note", note, {}, "open", "proposed", "resolved")

    def resolve(self, break_id: int, resolution: str, *, operator: str) -> None:
        """Resolved without changing the books (the bank corrected it, it arrived …)."""
        who, text = register.operator(operator), register.note_text(resolution, "resolution")
        self._act(break_id, who, "resolve", text,
                  {"state": "resolved", "resolution": text[:256],
                   "resolved_on": self.clock().date()}, "open")

    def propose(self, break_id: int, legs: register.AdjustmentLegs, *, operator: str) -> int:
        """The maker's adjustment (legs built by ``register.adjustment_legs``): its id."""
        maker = register.operator(operator)

        def work(conn: Connection) -> int:
            found = self._need(conn, break_id, lock=True)
            _state(found, "open")
            self._check_legs(conn, found, legs)
            number = len(store.adjustments(conn, break_id)) + 1
            adjustment_id = store.insert_adjustment(conn, {
                "break_id": break_id, "tenant_id": legs.tenant_id,
                "debit_account_no": legs.debit_account_no,
                "credit_account_no": legs.credit_account_no, "amount_fen": legs.amount_fen,
                "memo": legs.memo, "state": "proposed", "maker": maker,
                "proposed_at": self.clock(), "request_no": f"RECON-{break_id}-{number}"})
            store.change(conn, break_id, {"state": "proposed", "updated_at": self.clock()})
            store.act(conn, break_id, "propose", maker,
                      f"adjustment {adjustment_id}: Dr {legs.debit_account_no} / Cr "
                      f"{legs.credit_account_no} {legs.amount_fen} fen", self.clock())
            return adjustment_id
        return self.unit(work)

    def approve(self, break_id: int, *, operator: str) -> dict[str, Any]:
        """A checker's approval (or the second approver's); the last one needed posts the
        adjustment. Approving a break already resolved by its adjustment is a replay."""
        who = register.operator(operator)

        def work(conn: Connection) -> dict[str, Any]:
            found = self._need(conn, break_id, lock=True)
            adjustment = store.live_adjustment(conn, break_id)
            if found.state == "resolved" and adjustment is not None \
                    and adjustment.state == "posted":
                return {"adjustment_id": adjustment.adjustment_id, "state": "posted",
                        "tx_id": adjustment.tx_id, "replayed": True}
            _state(found, "proposed")
            adjustment = _need_adjustment(adjustment, break_id)
            return {**self._approve(conn, found, adjustment, who), "replayed": False}
        return self.unit(work)

    def reject(self, break_id: int, reason: str, *, operator: str) -> None:
        """A checker sends the proposal back: the break is open again."""
        who, text = register.operator(operator), register.note_text(reason, "reason")

        def work(conn: Connection) -> None:
            found = self._need(conn, break_id, lock=True)
            _state(found, "proposed")
            adjustment = _need_adjustment(store.live_adjustment(conn, break_id), break_id)
            if who == adjustment.maker:
                raise ReconcileError(Refusal.MAKER_CANNOT_CHECK,
                                     f"{who} made adjustment {adjustment.adjustment_id}")
            store.change_adjustment(conn, adjustment.adjustment_id, {
                "state": "rejected", "checker": who, "decided_at": self.clock()})
            store.change(conn, break_id, {"state": "open", "updated_at": self.clock()})
            store.act(conn, break_id, "reject", who, text, self.clock())
        self.unit(work)

    # -- steps -------------------------------------------------------------------------------
    def _approve(self, conn: Connection, found: Any, adjustment: Any,
                 who: str) -> dict[str, Any]:
        if who in (adjustment.maker, adjustment.checker):
            raise ReconcileError(Refusal.MAKER_CANNOT_CHECK, f"{who} made or approved "
                                 f"adjustment {adjustment.adjustment_id} already")
        now, first = self.clock(), adjustment.checker is None
        values = {"checker": who} if first else {"second_approver": who}
        store.act(conn, found.break_id, "approve", who,
                  f"adjustment {adjustment.adjustment_id}", now)
        if first and adjustment.amount_fen > limits.adjustment_second_approval_above_fen:
            store.change_adjustment(conn, adjustment.adjustment_id, {**values, "decided_at": now})
            return {"adjustment_id": adjustment.adjustment_id, "state": "approved_once",
                    "tx_id": None}
        tx_id = self._post(conn, adjustment)
        store.change_adjustment(conn, adjustment.adjustment_id, {
            **values, "state": "posted", "decided_at": now, "tx_id": tx_id})
        store.change(conn, found.break_id, {
            "state": "resolved", "resolved_on": self.ledger_day(conn, adjustment.tenant_id),
            "resolution": f"adjustment {adjustment.adjustment_id} posted as transaction "
                          f"{tx_id}", "tenant_id": adjustment.tenant_id, "tx_id": tx_id,
            "updated_at": now})
        return {"adjustment_id": adjustment.adjustment_id, "state": "posted", "tx_id": tx_id}

    def _post(self, conn: Connection, adjustment: Any) -> int:
        result = self.ledger.post_in(conn, adjustment.tenant_id, [Transfer(
            adjustment.request_no, adjustment.debit_account_no, adjustment.credit_account_no,
            adjustment.amount_fen, books.ADJUSTMENT_BUSINESS_TYPE,
            memo=adjustment.memo or f"break {adjustment.break_id}")])[0]
        if not result.ok or result.tx_id is None:
            raise ReconcileError(Refusal.ADJUSTMENT_POSTING_REFUSED,
                                 f"the ledger refused adjustment {adjustment.adjustment_id}: "
                                 f"{result.reject} {result.detail}", reject=str(result.reject))
        return result.tx_id

    def ledger_day(self, conn: Connection, tenant_id: str) -> Any:
        return books.accounting_date(conn, tenant_id)

    def _check_legs(self, conn: Connection, found: Any,
                    legs: register.AdjustmentLegs) -> None:
        """The adjustment is in the break's account's ledger and moves one of its mirrors."""
        account = self.need_account(conn, found.account_no)
        mirrors = account_rows.mirrors(conn, found.account_no)
        if legs.tenant_id != account.tenant_id or not (
                {legs.debit_account_no, legs.credit_account_no} & set(mirrors)):
            raise ReconcileError(Refusal.FIELD_INVALID, "an adjustment moves a ledger account "
                                 f"the bank account mirrors ({', '.join(mirrors)}) in tenant "
                                 f"{account.tenant_id}", field="legs",
                                 reason="not the break's ledger")

    def _act(self, break_id: int, who: str, kind: str, text: str, values: dict[str, Any],
             *allowed: str) -> None:
        def work(conn: Connection) -> None:
            found = self._need(conn, break_id, lock=True)
            _state(found, *allowed)
            if values:
                store.change(conn, break_id, {**values, "updated_at": self.clock()})
            store.act(conn, break_id, kind, who, text, self.clock())
        self.unit(work)

    def _need(self, conn: Connection, break_id: int, *, lock: bool = False) -> Any:
        if type(break_id) is not int:
            raise ReconcileError(Refusal.FIELD_INVALID, "break id must be an int",
                                 field="break_id", reason="not an int")
        found = store.get(conn, break_id, lock=lock)
        if found is None:
            raise ReconcileError(Refusal.BREAK_NOT_FOUND, f"no break {break_id}")
        return found


def _need_adjustment(adjustment: Any, break_id: int) -> Any:
    if adjustment is None or adjustment.state != "proposed":
        raise ReconcileError(Refusal.BREAK_STATE_INVALID, f"break {break_id} has no "
                             "adjustment awaiting approval", state="none")
    return adjustment
