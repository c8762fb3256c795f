"""Sessions, settlement and cutover (R-S5, R-S6, R-S9).

Closing a session sums its netted items' positions in the database, checks the trial balance
(an unbalanced result is never submitted) and submits it: its items become irrevocable and its
positions wait for settlement on the day ``settlement_day`` gives (the next working day after a
holiday). Settling moves money on the ledger: each net debit from the bank's settlement account
(available funds only — earmarked funds are held) into the clearing account, and once every
debit of the session is in, each net credit out to its bank. A bank short of funds waits in the
settlement queue; its session settles on a later pass. A leg settled frees its bank's cap, and
the queues are released against it.
"""

import os
import signal
from datetime import date, timedelta
from typing import Any

from cunguan.clearing.handlers.base import CLEARING_ACCOUNT, settlement_account
from cunguan.clearing.handlers.packages import Packages
from cunguan.clearing.rules.refusals import ClearingError, Refusal
from cunguan.clearing.rules.sessions import (
    CUTOVER_SESSION,
    settlement_day,
    settlement_step,
    trial_balance,
)
from cunguan.clearing.store import items, sessions, systems
from cunguan.core.clock import CST
from cunguan.core.errors import invariant
from cunguan.core.settings import settings
from cunguan.db.connection import Connection
from cunguan.ledger.model import Transfer


def _fault(point: str) -> None:
    """Fault injection for the SIGKILL test (``fault_kill_in_clearing_submit``, never set in
    production): the process dies here, its transaction never committed (or just committed)."""
    if settings().fault_kill_in_clearing_submit == point:
        os.kill(os.getpid(), signal.SIGKILL)


class Sessions(Packages):
    def close_sessions(self) -> list[dict[str, Any]]:
        """Submit every session whose cut-off has passed (R-S5): of earlier working days all
        of them, of today those before the session now running. All in one transaction: a
        process killed on the way leaves none of them submitted, and the next run submits
        them all."""
        def work(conn: Connection) -> list[dict[str, Any]]:
            work_date, params = self.system(conn, lock=True)
            current = self._session_now(work_date, params, self.clock())
            due = [(d, s) for d, s in items.open_sessions_with_items(conn, self.system_id)
                   if d < work_date or s < current]
            return [self._submit(conn, d, s) for d, s in due]
        submitted = self.unit(work)
        _fault("committed")
        return submitted

    def _submit(self, conn: Connection, work_date: date, session_no: int) -> dict[str, Any]:
        positions, count = items.session_positions(conn, self.system_id, work_date, session_no)
        balance = trial_balance(positions)
        if not balance.balanced:   # positions come from whole items: this is a defect
            raise ClearingError(Refusal.SESSION_UNBALANCED,
                                f"session {work_date} #{session_no}: debits "
                                f"{balance.net_debits_fen} ≠ credits {balance.net_credits_fen}")
        settles_on = settlement_day(work_date, self.calendar)
        sessions.insert_session(conn, self.system_id, work_date, session_no,
                                positions=positions, debits_fen=balance.net_debits_fen,
                                credits_fen=balance.net_credits_fen, items=count,
                                settles_on=settles_on, now=self.clock())
        _fault("session_written")
        # its netted items are submitted by the session's status (rules.exceptions.
        # effective_state): no item row is written
        _fault("items_submitted")
        sessions.insert_events(conn, self.system_id, "session_submitted", [
            (bank, {"work_date": work_date.isoformat(), "session_no": session_no,
                    "position_fen": position, "settles_on": settles_on.isoformat()})
            for bank, position in sorted(positions.items())], self.clock())
        _fault("events_written")
        return {"work_date": work_date.isoformat(), "session_no": session_no, "items": count,
                "net_debits_fen": balance.net_debits_fen, "settles_on": settles_on.isoformat()}

    def settle(self) -> list[dict[str, Any]]:
        """One settlement pass over every submitted session due today or before (R-S6)."""
        def work(conn: Connection) -> list[dict[str, Any]]:
            self.system(conn, lock=True)
            today = self.clock().astimezone(CST).date()
            done = [self._settle_one(conn, row)
                    for row in sessions.unsettled(conn, self.system_id, today)]
            self.release(conn)
            return done
        return self.unit(work)

    def _settle_one(self, conn: Connection, row: Any) -> dict[str, Any]:
        legs = sessions.positions(conn, self.system_id, row.work_date, row.session_no)
        owed = {leg.bank_code: -leg.position_fen for leg in legs
                if leg.position_fen < 0 and not leg.settled}
        credits = {leg.bank_code: leg.position_fen for leg in legs if leg.position_fen > 0}
        available = {b: self.ledger.account(self.system_id, settlement_account(b)).available_fen
                     for b in owed}
        step = settlement_step(owed, credits, available)
        key = f"beps:{row.work_date}:{row.session_no}"
        # Each debit on its own: one the ledger refuses (funds earmarked meanwhile) waits.
        results = self.ledger.post_in(conn, self.system_id, [
            Transfer(f"{key}:{b}:dr", settlement_account(b), CLEARING_ACCOUNT, fen,
                     "clearing_settlement") for b, fen in step.collect.items()])
        collected = [b for b, r in zip(step.collect, results, strict=True) if r.ok]
        waiting = {b: fen for b, fen in owed.items() if b not in collected}
        paid = [] if waiting else sorted(credits)
        if paid:
            results = self.ledger.post_in(conn, self.system_id, [
                Transfer(f"{key}:{b}:cr", CLEARING_ACCOUNT, settlement_account(b), credits[b],
                         "clearing_settlement") for b in paid], linked=True)
            invariant(all(r.ok for r in results),
                      f"{key}: the clearing account holds every debit, so pays every credit")
        settled = collected + paid
        sessions.mark_positions_settled(conn, self.system_id, row.work_date, row.session_no,
                                        settled)
        by_bank = {leg.bank_code: leg.position_fen for leg in legs}
        sessions.insert_events(conn, self.system_id, "session_settled", [
            (bank, {"work_date": row.work_date.isoformat(), "session_no": row.session_no,
                    "position_fen": by_bank[bank]}) for bank in settled], self.clock())
        self._unwind_positions(conn, {leg.bank_code: leg.position_fen for leg in legs
                                      if leg.bank_code in settled})
        if not waiting:
            # its netted items are settled by the session's status (effective_state)
            sessions.mark_session_settled(conn, self.system_id, row.work_date, row.session_no,
                                          self.clock())
        return {"work_date": row.work_date.isoformat(), "session_no": row.session_no,
                "collected": {b: owed[b] for b in collected}, "waiting": waiting,
                "settled": not waiting}

    def _unwind_positions(self, conn: Connection, settled: dict[str, int]) -> None:
        """A settled leg leaves the bank's unsettled position (its debt paid, its credit
        received), which frees its cap."""
        rows = systems.banks(conn, self.system_id, settled, lock=True)
        systems.set_positions(conn, self.system_id, {
            b: rows[b].position_fen - fen for b, fen in settled.items()})

    def cutover(self) -> dict[str, Any]:
        """Close the working day (R-S9): what netted after the last timed session is the
        session at cutover, submitted now; the working day moves on and business keeps
        flowing into it."""
        def work(conn: Connection) -> dict[str, Any]:
            work_date, _ = self.system(conn, lock=True)
            items_left = [(d, s) for d, s in items.open_sessions_with_items(conn, self.system_id)
                          if d <= work_date]
            submitted = [self._submit(conn, d, s) for d, s in items_left]
            next_day = work_date + timedelta(days=1)
            systems.set_work_date(conn, self.system_id, next_day)
            return {"closed": work_date.isoformat(), "work_date": next_day.isoformat(),
                    "submitted": submitted, "cutover_session": CUTOVER_SESSION}
        return self.unit(work)
