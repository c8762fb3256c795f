"""The netting step every handler that moves items shares: lock the direct participants in
bank-code order, run the pure netting rules on their positions, caps and queues, and write
what they decided — states, session, positions, warnings — in the caller's transaction."""

from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from cunguan.clearing.handlers.base import ClearingBase
from cunguan.clearing.rules.exceptions import ItemState
from cunguan.clearing.rules.netting import Fate, Flow, NettingResult, net_arrivals, release_queues
from cunguan.clearing.rules.netting_vector import net_arrivals_vector
from cunguan.clearing.rules.parameters import ClearingParameters
from cunguan.clearing.rules.sessions import session_index, sessions_on
from cunguan.clearing.store import items, sessions, systems
from cunguan.core import limits
from cunguan.core.clock import CST
from cunguan.db.connection import Connection

#: A netting decision over the state read: positions, caps, queues and warning thresholds.
Decide = Callable[[Mapping[str, Any]], NettingResult]


class Netting(ClearingBase):
    def net(self, conn: Connection, arriving: Sequence[Flow], *,
            arrival_seqs: Mapping[str, int] | None = None) -> NettingResult:
        """Net, queue or refuse ``arriving`` in order; release what their credits free.
        ``arrival_seqs`` (item id → arrival no.), when the caller read them, name the rows
        written by their primary key."""
        result, netted = self._decide(conn, self._arrivals(arriving))
        self._write(conn, result, netted, arrival_seqs=arrival_seqs)
        return result

    def net_new(self, conn: Connection, arriving: Sequence[Flow]
                ) -> tuple[NettingResult, items.NettedIn]:
        """``net`` for items not written yet: all it decided is written but the arrivals'
        own states, which the caller writes with their rows (an insert, not an insert and
        an update)."""
        result, netted = self._decide(conn, self._arrivals(arriving))
        self._write(conn, result, netted, written=frozenset(f.item_id for f in arriving))
        return result, netted

    def release(self, conn: Connection) -> NettingResult:
        """Release the queues against the caps as they are now (a cap grew, R-S4)."""
        result, netted = self._decide(conn, lambda state: release_queues(**state))
        self._write(conn, result, netted)
        return result

    @staticmethod
    def _arrivals(arriving: Sequence[Flow]) -> Decide:
        decide = (net_arrivals_vector
                  if len(arriving) >= limits.clearing_vector_netting_items_min else net_arrivals)
        return lambda state: decide(arriving, **state)

    def _decide(self, conn: Connection, decide: Decide
                ) -> tuple[NettingResult, items.NettedIn]:
        work_date, params = self.system(conn)
        rows = systems.banks(conn, self.system_id, lock=True)
        state = {"positions": {b: r.position_fen for b, r in rows.items()},
                 "caps": {b: systems.cap_of(r) for b, r in rows.items()},
                 "queues": items.queued(conn, self.system_id),
                 "warning_pcts": params.cap_warning_used_pcts}
        now = self.clock()
        return decide(state), items.NettedIn(
            work_date, self._session_now(work_date, params, now), now)

    def _session_now(self, work_date: date, params: ClearingParameters, now: datetime) -> int:
        times = sessions_on(work_date, self.calendar, params.session_times)
        return session_index(now.astimezone(CST).time(), times)

    def _write(self, conn: Connection, result: NettingResult, netted: items.NettedIn, *,
               written: frozenset[str] = frozenset(),
               arrival_seqs: Mapping[str, int] | None = None) -> None:
        items.mark_netted(conn, self.system_id, [i for i in result.netted if i not in written],
                          work_date=netted.work_date, session_no=netted.session_no,
                          now=netted.at, arrival_seqs=arrival_seqs)
        # an arrival queued and released by a later one's credit in the same pass is netted
        done = written | frozenset(result.netted)
        queued = [i for i, fate in result.fates if fate is Fate.QUEUED and i not in done]
        items.set_state(conn, self.system_id, queued, ItemState.QUEUED)
        refused = [i for i, fate in result.fates if fate is Fate.REFUSED and i not in written]
        items.set_state(conn, self.system_id, refused, ItemState.REFUSED)
        systems.set_positions(conn, self.system_id, result.positions)
        sessions.insert_events(conn, self.system_id, "cap_warning", [
            (w.bank_code, {"used_pct": w.used_pct, "position_fen": w.position_fen,
                           "cap_fen": w.cap_fen}) for w in result.warnings], netted.at)
