"""Clearing's use cases composed: set-up and caps, packages and answers, sessions and
settlement, exceptions, and what operators and participants read."""

from typing import Any

from cunguan.clearing.handlers.exceptions import Exceptions
from cunguan.clearing.rules.caps import available_cap_fen
from cunguan.clearing.store import items, sessions, systems


class ClearingService(Exceptions):
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

    def queue(self, bank: str | None = None) -> dict[str, list[str]]:
        """The payer banks' queues, head first (R-S4)."""
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

    def events(self, bank: str | None = None) -> list[dict[str, Any]]:
        return self.unit(lambda conn: [
            {"kind": r.kind, "bank_code": r.bank_code, "details": r.details}
            for r in sessions.events(conn, self.system_id, bank)])
