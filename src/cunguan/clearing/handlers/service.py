"""Clearing's use cases composed: set-up and caps, packages and answers, sessions and
settlement, exceptions, and what operators and participants read."""

import json
from collections.abc import Sequence
from typing import Any

from cunguan.clearing.handlers.participant_bank import ParticipantBanks
from cunguan.clearing.rules.caps import available_cap_fen
from cunguan.clearing.rules.participants import bank_code
from cunguan.clearing.rules.refusals import ClearingError, Refusal
from cunguan.clearing.store import items, sessions, systems
from cunguan.core import limits
from cunguan.core.fields import FieldInvalid, identifier, whole_number


class ClearingService(ParticipantBanks):
    """The use cases an edge (CLI, routes) or a test calls."""

    def positions(self) -> list[dict[str, Any]]:
        """Every direct participant's unsettled position and what is left of its cap."""
        def work(conn: Any) -> list[dict[str, Any]]:
            self.system(conn)
            return [{"bank_code": b, "position_fen": r.position_fen,
                     "cap_fen": systems.cap_of(r).cap_fen,
                     "available_cap_fen": available_cap_fen(systems.cap_of(r), r.position_fen)}
                    for b, r in systems.banks(conn, self.system_id).items()]
        return self.unit(work)

    def queue(self, bank: object | None = None) -> dict[str, list[str]]:
        """The payer banks' queues, head first (R-S4)."""
        bank = None if bank is None else bank_code(bank)
        def work(conn: Any) -> dict[str, list[str]]:
            queues = items.queued(conn, self.system_id)
            return {b: [f.item_id for f in q] for b, q in sorted(queues.items())
                    if bank is None or b == bank}
        return self.unit(work)

    def sessions(self) -> list[dict[str, Any]]:
        def work(conn: Any) -> list[dict[str, Any]]:
            return [{"work_date": r.work_date.isoformat(), "session_no": r.session_no,
                     "status": r.status, "net_debits_fen": r.net_debits_fen, "items": r.items,
                     "settles_on": r.settles_on.isoformat()}
                    for r in sessions.sessions(conn, self.system_id)]
        return self.unit(work)

    def item_state(self, item_id: str) -> str | None:
        row = self.unit(lambda conn: items.item(conn, self.system_id, item_id))
        return None if row is None else str(row.state)

    def events(self, bank: object | None = None, *, after: object = 0,
               limit: object = limits.events_per_page_max) -> list[dict[str, Any]]:
        """Cap warnings, receipts and session results, a bank's own or all (R-S3, R-S5, R-S6),
        oldest first after the cursor ``after`` (an event id)."""
        bank = None if bank is None else bank_code(bank)
        cursor = whole_number(after, "after", minimum=0, maximum=limits.id_max)
        page = whole_number(limit, "limit", minimum=1, maximum=limits.events_per_page_max)
        return self.unit(lambda conn: [
            {"event_id": r.event_id, "kind": r.kind, "bank_code": r.bank_code,
             "details": json.loads(r.details), "at": r.at.isoformat()}
            for r in sessions.events(conn, self.system_id, bank, after=cursor, limit=page)])

    def item(self, item_id: object, *, for_bank: str | None = None) -> dict[str, Any]:
        """One item as its payer's or payee's bank may see it (another bank: not found)."""
        ident = identifier(item_id, "item_id", limits.clearing_item_id_length_max)
        row = self.unit(lambda conn: items.item(conn, self.system_id, ident))
        if row is None or (for_bank is not None
                           and for_bank not in (row.payer_bank, row.payee_bank)):
            raise ClearingError(Refusal.ITEM_NOT_FOUND, f"no item {ident}")
        return _item_view(row)

    def items_of(self, item_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """The items of ``item_ids`` that exist, by id, read in one statement (at most
        ``limits.events_per_page_max`` ids: a page of events)."""
        ids = [identifier(i, "item_ids", limits.clearing_item_id_length_max) for i in item_ids]
        if len(ids) > limits.events_per_page_max:
            raise FieldInvalid("item_ids", f"at most {limits.events_per_page_max}")
        rows = self.unit(lambda conn: items.items_by_id(conn, self.system_id, ids))
        return {i: _item_view(row) for i, row in rows.items()}


def _item_view(row: Any) -> dict[str, Any]:
    return {"item_id": row.item_id, "business_type": row.business_type,
            "state": row.state, "payer_bank": row.payer_bank, "payee_bank": row.payee_bank,
            "amount_fen": row.amount_fen, "end_to_end_id": row.end_to_end_id,
            "work_date": None if row.work_date is None else row.work_date.isoformat(),
            "session_no": row.session_no}
