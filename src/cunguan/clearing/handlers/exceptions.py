"""The four exceptions as commands (R-S7, R-S8): the pure rules decide, this writes.

A revoked package's queued items leave their queue; a return is a new ordinary credit flowing
back from the payee's bank to the payer's, netted (or queued) like any other."""

from collections.abc import Callable
from datetime import datetime
from typing import Any

from cunguan.clearing.handlers.sessions import Sessions
from cunguan.clearing.rules import exceptions as rules
from cunguan.clearing.rules.commands import message_id
from cunguan.clearing.rules.exceptions import ItemState, ItemView
from cunguan.clearing.rules.packages import return_id
from cunguan.clearing.rules.parameters import BusinessType, ClearingParameters
from cunguan.clearing.rules.participants import bank_code
from cunguan.clearing.rules.refusals import ClearingError, Refusal
from cunguan.clearing.store import items
from cunguan.core import limits
from cunguan.core.fields import flag, identifier
from cunguan.db.connection import Connection, as_utc

#: An exception's rule applied to an item's row: (row, asking bank, now, parameters) → state.
Decide = Callable[[Any, str, datetime, ClearingParameters], ItemState]


def view(row: Any) -> ItemView:
    kind = BusinessType(row.business_type)
    # a debit that its payer's bank answered paid is a debit receipt from then on
    answered = kind.is_debit and row.state not in (ItemState.AWAITING_RECEIPT.value,
                                                   ItemState.STOP_REQUESTED.value)
    return ItemView(kind, ItemState(row.state), row.payer_bank, row.payee_bank,
                    row.sender_bank, as_utc(row.sent_at), is_receipt=answered,
                    is_return=row.returns_item_id is not None)


class Exceptions(Sessions):
    def revoke(self, sender: object, message: object, by_bank: object) -> dict[str, Any]:
        """Revoke a whole package not yet netted (撤销)."""
        sender_bank, msg = bank_code(sender, "sender_bank"), message_id(message)
        asking = bank_code(by_bank, "by_bank")

        def work(conn: Connection) -> dict[str, Any]:
            self.system(conn)
            package = items.package_row(conn, self.system_id, sender_bank, msg)
            if package is None:
                raise ClearingError(Refusal.PACKAGE_NOT_FOUND, f"no package {sender_bank}/{msg}")
            rows = items.items_of_package(conn, package.package_no)
            state = rules.revoke_package(tuple(view(r) for r in rows), asking)
            items.set_state(conn, self.system_id, [r.item_id for r in rows], state)
            return {"package_no": package.package_no, "state": state.value, "items": len(rows)}
        return self.unit(work)

    def reverse(self, item_id: object, by_bank: object) -> dict[str, Any]:
        """Reverse a real-time item whose answer is overdue (冲正)."""
        return self._step(item_id, by_bank, lambda row, bank, now, params: rules.reverse_item(
            view(row), bank, now, params))

    def request_stop(self, item_id: object, by_bank: object) -> dict[str, Any]:
        """Ask to stop a debit before its receipt (止付 request)."""
        return self._step(item_id, by_bank,
                          lambda row, bank, now, _: rules.request_stop(view(row), bank))

    def answer_stop(self, item_id: object, by_bank: object, *, accepted: object
                    ) -> dict[str, Any]:
        """The payer's bank answers a stop request (止付 answer, paired with it)."""
        yes = flag(accepted, "accepted")
        return self._step(item_id, by_bank, lambda row, bank, now, _: rules.answer_stop(
            view(row), bank, accepted=yes))

    def return_item(self, item_id: object, by_bank: object) -> dict[str, Any]:
        """Return a netted credit or debit receipt not yet credited to the payee (退回)."""
        return self._step(item_id, by_bank,
                          lambda row, bank, now, _: rules.return_item(view(row), bank),
                          self._send_back)

    def return_in(self, conn: Connection, row: Any, by_bank: str) -> None:
        """``return_item`` inside the caller's transaction (a payee's bank whose customer's
        account cannot take the money returns it itself)."""
        items.set_state(conn, self.system_id, [row.item_id],
                        rules.return_item(view(row), by_bank))
        self._send_back(conn, row)

    def _send_back(self, conn: Connection, row: Any) -> None:
        back = return_id(row.item_id)
        items.insert_return(conn, self.system_id, row, back, self.clock())
        self.net(conn, items.flows(conn, self.system_id, [back]))

    def _step(self, item_id: object, by_bank: object, decide: Decide,
              after: Callable[[Connection, Any], None] | None = None) -> dict[str, Any]:
        ident = identifier(item_id, "item_id", limits.clearing_item_id_length_max)
        asking = bank_code(by_bank, "by_bank")

        def work(conn: Connection) -> dict[str, Any]:
            _, params = self.system(conn)
            row = items.item(conn, self.system_id, ident)
            if row is None:
                raise ClearingError(Refusal.ITEM_NOT_FOUND, f"no item {ident}")
            state = decide(row, asking, self.clock(), params)
            items.set_state(conn, self.system_id, [ident], state)
            if after is not None:
                after(conn, row)
            return {"item_id": ident, "state": state.value}
        return self.unit(work)
