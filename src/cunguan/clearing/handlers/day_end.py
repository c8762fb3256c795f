"""Day end (R-S9): the top-down reconciliation of a working day and the NPC's fees.

Top-down: SAPS (the settlement accounts on the ledger) against the NPC (the sessions' positions),
then the NPC against each direct participant (its own counts and sums, when it reports them).
On a mismatch the lower node adjusts to the upper one: the finding names both figures and which
one stands. The fees are billed once a day per sending bank (``fee_per_item_fen`` × its money
items netted that day), from its settlement account to the NPC's fee income; a bank short of
funds is reported, its fee left unbilled for the next run (billing is idempotent per bank and
day)."""

from collections.abc import Mapping
from datetime import date
from typing import Any

from cunguan.clearing.handlers.base import FEE_ACCOUNT, settlement_account
from cunguan.clearing.handlers.exceptions import Exceptions
from cunguan.clearing.rules.participants import bank_code
from cunguan.clearing.rules.refusals import ClearingError, Refusal
from cunguan.clearing.store import items, sessions, systems
from cunguan.core import fields, limits
from cunguan.core.fields import FieldInvalid, iso_day, whole_number
from cunguan.db.connection import Connection
from cunguan.ledger.model import Side, Transfer

_FIGURES = ("sent_count", "sent_fen", "received_count", "received_fen")


class DayEnd(Exceptions):
    def day_end(self, work_day: object, *,
                reports: Mapping[str, Mapping[str, object]] | None = None) -> dict[str, Any]:
        """Reconcile a closed working day top-down and bill its fees."""
        day = iso_day(work_day, "work_date") if isinstance(work_day, str) \
            else fields.day(work_day, "work_date")
        reported = _reports(reports)

        def work(conn: Connection) -> dict[str, Any]:
            work_date, params = self.system(conn)
            if not isinstance(day, date) or day >= work_date:
                raise ClearingError(Refusal.WRONG_WORK_DATE,
                                    f"day end runs on a day cut over already (before {work_date})")
            npc = items.bank_totals(conn, self.system_id, day)
            saps = self._saps_findings(conn, day)
            participants = _participant_findings(npc, reported)
            fees = self._bill_fees(conn, day, npc, params.fee_per_item_fen)
            return {"work_date": day.isoformat(), "saps_npc": saps,
                    "npc_participants": participants, "fees": fees,
                    "passed": not saps and not participants}
        return self.unit(work)

    def npc_figures(self, work_day: date) -> dict[str, dict[str, int]]:
        """The NPC's figures of a working day per direct participant (money items netted:
        sent and received, counts and sums) — what a participant reconciles against."""
        return self.unit(lambda conn: items.bank_totals(conn, self.system_id, work_day))

    def _saps_findings(self, conn: Connection, day: date) -> list[dict[str, Any]]:
        """Each settled session leg against the ledger's settlement postings of it."""
        found = []
        for session in sessions.sessions(conn, self.system_id, day):
            key = f"beps:{day}:{session.session_no}:"
            for leg in sessions.positions(conn, self.system_id, day, session.session_no):
                if not leg.settled:
                    continue
                posted = self._posted(leg.bank_code, key)
                if posted != leg.position_fen:
                    found.append({"session_no": session.session_no, "bank_code": leg.bank_code,
                                  "npc_fen": leg.position_fen, "saps_fen": posted,
                                  "adjust": "npc"})
        return found

    def _posted(self, bank: str, key: str) -> int:
        """The net the ledger posted on a bank's settlement account under a session's key."""
        total, after = 0, 0
        while True:
            page = self.ledger.fund_log(self.system_id, settlement_account(bank),
                                        after_seq=after)
            for line in page:
                if line.request_no.startswith(key) and line.side is not None:
                    total += line.amount_fen if line.side is Side.CREDIT else -line.amount_fen
            if len(page) < limits.page_rows_max:
                return total
            after = page[-1].entry_seq

    def _bill_fees(self, conn: Connection, day: date, npc: Mapping[str, Mapping[str, int]],
                   fee_per_item_fen: int) -> list[dict[str, Any]]:
        if fee_per_item_fen == 0:
            return []
        direct = systems.banks(conn, self.system_id)
        bills = [(bank, figures["sent_count"] * fee_per_item_fen)
                 for bank, figures in sorted(npc.items())
                 if bank in direct and figures["sent_count"]]
        results = self.ledger.post_in(conn, self.system_id, [
            Transfer(f"beps-fee:{day}:{bank}", settlement_account(bank), FEE_ACCOUNT, fen,
                     "clearing_fee") for bank, fen in bills])
        return [{"bank_code": bank, "fee_fen": fen, "billed": r.ok,
                 "reason": None if r.ok else r.reject}
                for (bank, fen), r in zip(bills, results, strict=True)]


def _participant_findings(npc: Mapping[str, Mapping[str, int]],
                          reported: Mapping[str, Mapping[str, int]]) -> list[dict[str, Any]]:
    """Each reporting participant's figures against the NPC's; the participant adjusts."""
    zero = dict.fromkeys(_FIGURES, 0)
    return [{"bank_code": bank, "participant": dict(figures), "npc": dict(npc.get(bank, zero)),
             "adjust": "participant"}
            for bank, figures in sorted(reported.items())
            if dict(figures) != dict(npc.get(bank, zero))]


def _reports(raw: object) -> dict[str, dict[str, int]]:
    """Participants' own figures, each checked like any field."""
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise FieldInvalid("reports", "must be an object of bank code → figures")
    out = {}
    for key, figures in raw.items():
        bank = bank_code(key, "reports")
        if not isinstance(figures, Mapping):
            raise FieldInvalid(f"reports.{bank}", "must be an object of figures")
        out[bank] = {f: whole_number(figures.get(f), f"reports.{bank}.{f}", minimum=0,
                                     maximum=limits.amount_fen_max) for f in _FIGURES}
    return out
