"""Real-time bilateral netting decided over arrays (R-S3, R-S4): the same decisions as
``netting.net_arrivals``, item for item, at array speed.

Items arrive in order; a window of them is decided at once under one assumption: every item
nets, except a non-real-time one whose payer bank already has a queue (it joins the queue, FIFO).
Under that assumption each bank's position in the window is its starting position plus the
running sum of its credits less its debits, in arrival order. The assumption holds up to the
first *event*: an item over its payer's cap, or a credit that lets the head of the payee's queue
fit (a release). Before any per-item sum is taken, two bounds decide most windows outright: a
bank can fail no check if its position less *all* its debits in the window still fits its cap,
and a queue can release nothing if its bank's position plus *all* its credits does not reach the
head; the same bound says when no cap-warning threshold can be crossed. Only the banks these
bounds cannot clear get running sums (a stable sort by bank, a cumulative sum); the event item
itself is decided by the exact item-by-item steps of ``netting`` (queue, refuse, release
cascade), and the next window starts after it.

Exactness: positions are int64 and the window sums float64; the caller guarantees every sum
stays below 2**52 (``vector_sums_fit``), where float64 adds integers exactly.
"""

from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from cunguan.clearing.rules.caps import NetDebitCap
from cunguan.clearing.rules.netting import Fate, Flow, NettingResult, Warning, net_arrivals
from cunguan.core import limits
from cunguan.core.errors import invariant

NETTED, QUEUED, REFUSED = 0, 1, 2
#: Sums in a window stay below this: float64 then adds whole fen exactly.
EXACT_SUM_MAX = 2**52

I64 = npt.NDArray[np.int64]
Banks = npt.NDArray[np.int16]
Flags = npt.NDArray[np.bool_]


def vector_sums_fit(amounts_fen: I64, positions_fen: I64, caps_fen: I64) -> bool:
    """Whether every running sum the vector path takes stays exact (below 2**52)."""
    total = int(amounts_fen.sum(dtype=np.float64))    # no int64 overflow on the way
    largest = int(np.abs(positions_fen).max(initial=0))
    return 100 * (total + largest + int(caps_fen.max(initial=0))) < EXACT_SUM_MAX


@dataclass
class VectorOutcome:
    """What a vector pass decided (indices are into the item arrays).

    Attributes:
      fates: per item, NETTED / QUEUED / REFUSED (only the arrivals' entries are meaningful).
      netted: the items netted, in netting order (arrivals and releases).
      positions_fen: every bank's position after the pass.
      known: the banks whose position the result reports (given, or moved by a netted item).
      queues: each bank's queue after the pass (item indices, head first).
      touched_queues: the banks whose queue changed.
      warnings: (bank, used pct, position after, cap) per threshold crossed, in order.
      events: how many items were decided one by one.
    """

    fates: npt.NDArray[np.int8]
    netted: I64
    positions_fen: I64
    known: Flags
    queues: list[deque[int]]
    touched_queues: set[int]
    warnings: list[tuple[int, int, int, int]]
    events: int


@dataclass
class _State:
    payer: Banks
    payee: Banks
    amount: I64
    realtime: Flags
    pos: I64
    cap: I64
    known: Flags
    queues: list[deque[int]]
    pcts: tuple[int, ...]
    fates: npt.NDArray[np.int8]
    qmask: Flags = field(init=False)
    amount_float: npt.NDArray[np.float64] = field(init=False)
    head: I64 = field(init=False)
    netted: list[I64] = field(default_factory=list)
    touched: set[int] = field(default_factory=set)
    warnings: list[tuple[int, int, int, int]] = field(default_factory=list)
    events: int = 0

    def __post_init__(self) -> None:
        banks = self.pos.size
        self.qmask = np.zeros(banks, dtype=np.bool_)
        self.head = np.zeros(banks, dtype=np.int64)
        self.amount_float = self.amount.astype(np.float64)
        for b in range(banks):
            self._refresh(b)

    def _refresh(self, bank: int) -> None:
        queue = self.queues[bank]
        self.qmask[bank] = bool(queue)
        self.head[bank] = int(self.amount[queue[0]]) if queue else 0

    # -- the exact steps (netting._Book, on indices) -----------------------------------------

    def _fits(self, item: int) -> bool:
        payer = int(self.payer[item])
        return -(int(self.pos[payer]) - int(self.amount[item])) <= int(self.cap[payer])

    def _apply(self, item: int, netted: list[int]) -> None:
        payer, payee, amount = int(self.payer[item]), int(self.payee[item]), int(self.amount[item])
        before = int(self.pos[payer])
        after = before - amount
        self.pos[payer] = after
        self.pos[payee] = int(self.pos[payee]) + amount
        self.known[payer] = self.known[payee] = True
        netted.append(item)
        cap = int(self.cap[payer])
        if cap:
            used_before, used_after = max(0, -before) * 100, max(0, -after) * 100
            self.warnings += [(payer, p, after, cap) for p in self.pcts
                              if used_before < p * cap <= used_after]

    def _release_from(self, first_bank: int, netted: list[int]) -> None:
        pending = deque([first_bank])
        while pending:
            bank = pending.popleft()
            queue = self.queues[bank]
            released = 0
            while queue and released < limits.clearing_queue_release_max \
                    and self._fits(queue[0]):
                item = queue.popleft()
                self.touched.add(bank)
                self._refresh(bank)
                released += 1
                self._apply(item, netted)
                pending.append(int(self.payee[item]))

    def arrive(self, item: int) -> None:
        """Decide one item exactly as ``netting._Book.arrive`` does."""
        self.events += 1
        payer = int(self.payer[item])
        netted: list[int] = []
        if self.realtime[item]:
            if not self._fits(item):
                self.fates[item] = REFUSED
                return
        elif self.queues[payer] or not self._fits(item):
            self.queues[payer].append(item)
            self.touched.add(payer)
            self._refresh(payer)
            self.fates[item] = QUEUED
            return
        self.fates[item] = NETTED
        self._apply(item, netted)
        self._release_from(int(self.payee[item]), netted)
        self.netted.append(np.asarray(netted, dtype=np.int64))

    # -- a window at once ---------------------------------------------------------------------

    def _sums(self, start: int, end: int, nets: Flags) -> tuple[I64, I64]:
        banks = self.pos.size
        weights = self.amount_float[start:end]
        if not nets.all():
            weights = np.where(nets, weights, 0.0)
        debits = np.bincount(self.payer[start:end], weights=weights, minlength=banks)
        credits = np.bincount(self.payee[start:end], weights=weights, minlength=banks)
        return debits.astype(np.int64), credits.astype(np.int64)

    def _accept(self, start: int, end: int, joins: Flags, sums: tuple[I64, I64]) -> None:
        """Items start..end-1 decided as assumed: queue joiners queue, the others net."""
        if end <= start:
            return
        debits, credits = sums
        self.fates[start:end] = joins
        self.netted.append(start + np.flatnonzero(~joins))
        self.pos += credits - debits
        self.known |= (debits > 0) | (credits > 0)
        queued = start + np.flatnonzero(joins)
        if queued.size:
            payers = self.payer[queued]
            for bank in np.unique(payers).tolist():
                self.queues[bank].extend(queued[payers == bank].tolist())
                self.touched.add(bank)

    def window(self, start: int, end: int) -> int:
        """Decide items from ``start``; the index of the first item not yet decided."""
        joins = (~self.realtime[start:end] & self.qmask[self.payer[start:end]]
                 if self.qmask.any() else np.zeros(end - start, dtype=np.bool_))
        nets = ~joins
        debits, credits = self._sums(start, end, nets)
        low = self.pos - debits
        may_fail = low + self.cap < 0
        high = self.pos + credits
        may_release = self.qmask & (high - self.head + self.cap >= 0)
        may_warn = np.zeros_like(may_fail)
        if self.pcts:     # a threshold is crossed only by a bank that reaches the lowest one
            # and is not beyond the highest one all the window long
            may_warn = ((self.cap > 0)
                        & (np.maximum(0, -low) * 100 >= min(self.pcts) * self.cap)
                        & (np.maximum(0, -high) * 100 < max(self.pcts) * self.cap))
        risky = may_fail | may_release | may_warn
        if not risky.any():
            self._accept(start, end, joins, (debits, credits))
            return end
        return self._window_exact(start, end, joins, (may_fail, may_release, may_warn))

    def _window_exact(self, start: int, end: int, joins: Flags,
                      risks: tuple[Flags, Flags, Flags]) -> int:
        may_fail, may_release, may_warn = risks
        risky = may_fail | may_release | may_warn
        payer, payee = self.payer[start:end], self.payee[start:end]
        picked = np.flatnonzero(risky[payer] | risky[payee])
        p, q = payer[picked], payee[picked]
        nets = ~joins[picked]
        moved = np.where(nets, self.amount[start:end][picked], 0)
        after_debit, after_credit = self._running(p, q, moved)
        failing = nets & may_fail[p] & (after_debit + self.cap[p] < 0)
        releasing = nets & may_release[q] & (after_credit - self.head[q] + self.cap[q] >= 0)
        event = failing | releasing
        stop = int(picked[np.argmax(event)]) if event.any() else end - start
        if self.pcts:
            self._warnings(picked, p, nets & may_warn[p] & (picked < stop), after_debit, moved)
        prefix = joins[:stop]
        self._accept(start, start + stop, prefix, self._sums(start, start + stop, ~prefix))
        if stop == end - start:
            return end
        self.arrive(start + stop)
        return start + stop + 1

    def _running(self, p: Banks, q: Banks, moved: I64) -> tuple[I64, I64]:
        """Each picked item's payer position after its debit and payee position after its
        credit, for banks all of whose window items are picked."""
        banks = self.pos.size
        ev_bank = np.empty(2 * p.size, dtype=np.int16)
        ev_bank[0::2], ev_bank[1::2] = p, q
        ev_move = np.empty(2 * p.size, dtype=np.int64)
        ev_move[0::2], ev_move[1::2] = -moved, moved
        order = np.argsort(ev_bank, kind="stable")
        sorted_bank = ev_bank[order]
        running = np.cumsum(ev_move[order])
        counts = np.bincount(ev_bank, minlength=banks)
        starts = np.cumsum(counts) - counts
        base = np.concatenate((np.zeros(1, dtype=np.int64), running))[starts]
        out = np.empty_like(running)
        out[order] = running - base[sorted_bank] + self.pos[sorted_bank]
        return out[0::2], out[1::2]

    def _warnings(self, picked: I64, p: Banks, netted: Flags, after: I64, moved: I64) -> None:
        caps = self.cap[p]
        used_after = np.maximum(0, -after) * 100
        used_before = np.maximum(0, -(after + moved)) * 100
        found: list[tuple[int, int, int, int, int]] = []
        for order, pct in enumerate(self.pcts):
            hit = np.flatnonzero(netted & (caps > 0) & (used_before < pct * caps)
                                 & (pct * caps <= used_after))
            found += [(int(picked[i]), order, int(p[i]), int(after[i]), int(caps[i]))
                      for i in hit.tolist()]
        self.warnings += [(bank, self.pcts[order], position, cap)
                          for _, order, bank, position, cap in sorted(found)]


def decide(payer: Banks, payee: Banks, amount_fen: I64, realtime: Flags, *,
           first_arrival: int, positions_fen: I64, caps_fen: I64, known: Flags,
           queues: list[deque[int]], warning_pcts: tuple[int, ...] = (),
           window_items: int = 256, window_items_max: int = 1 << 16) -> VectorOutcome:
    """Net, queue or refuse items ``first_arrival``.. in arrival order (R-S3, R-S4).

    Items before ``first_arrival`` are those already queued (``queues`` holds their indices per
    payer bank, head first). Banks are indices into ``positions_fen``/``caps_fen``/``known``
    (int16). The caller checks ``vector_sums_fit`` first.
    """
    state = _State(payer, payee, amount_fen, realtime, positions_fen.copy(), caps_fen,
                   known.copy(), [deque(q) for q in queues], warning_pcts,
                   np.zeros(payer.size, dtype=np.int8))
    start, size, items = first_arrival, window_items, payer.size
    while start < items:
        end = min(items, start + size)
        reached = state.window(start, end)
        size = min(size * 2, window_items_max) if reached == end else window_items
        start = reached
    netted = (np.concatenate(state.netted) if state.netted else np.zeros(0, dtype=np.int64))
    return VectorOutcome(state.fates, netted.astype(np.int64), state.pos, state.known,
                         state.queues, state.touched, state.warnings, state.events)


_FATES = (Fate.NETTED, Fate.QUEUED, Fate.REFUSED)


def net_arrivals_vector(arriving: Sequence[Flow], *, positions: Mapping[str, int],
                        caps: Mapping[str, NetDebitCap], queues: Mapping[str, Sequence[Flow]],
                        warning_pcts: tuple[int, ...] = (), window_items: int = 256
                        ) -> NettingResult:
    """``netting.net_arrivals`` with the same result, decided over arrays; it falls back to
    ``net_arrivals`` itself where the arrays could not be exact (sums near 2**52, a queue held
    under another bank than its items' payer, more banks than int16 numbers)."""
    waiting_flows = [f for q in queues.values() for f in q]
    codes = sorted({*positions, *caps, *queues,
                    *(f.payer_bank for f in arriving), *(f.payee_bank for f in arriving),
                    *(f.payee_bank for f in waiting_flows)})
    strange_queue = any(f.payer_bank != bank for bank, q in queues.items() for f in q)
    if strange_queue or len(codes) > np.iinfo(np.int16).max:
        return net_arrivals(arriving, positions=positions, caps=caps, queues=queues,
                            warning_pcts=warning_pcts)
    index = {code: i for i, code in enumerate(codes)}
    waiting = [f for bank in codes for f in queues.get(bank, ())]
    flows = [*waiting, *arriving]
    amounts = np.fromiter((f.amount_fen for f in flows), dtype=np.int64, count=len(flows))
    pos = np.array([positions.get(c, 0) for c in codes], dtype=np.int64)
    cap = np.array([caps[c].cap_fen if c in caps else 0 for c in codes], dtype=np.int64)
    if not vector_sums_fit(amounts, pos, cap):
        return net_arrivals(arriving, positions=positions, caps=caps, queues=queues,
                            warning_pcts=warning_pcts)
    queue_items: list[deque[int]] = [deque() for _ in codes]
    for i, f in enumerate(waiting):
        queue_items[index[f.payer_bank]].append(i)
    out = decide(
        np.fromiter((index[f.payer_bank] for f in flows), dtype=np.int16, count=len(flows)),
        np.fromiter((index[f.payee_bank] for f in flows), dtype=np.int16, count=len(flows)),
        amounts,
        np.fromiter((f.business_type.is_realtime for f in flows), dtype=np.bool_,
                    count=len(flows)),
        first_arrival=len(waiting), positions_fen=pos, caps_fen=cap,
        known=np.array([c in positions for c in codes], dtype=np.bool_),
        queues=queue_items, warning_pcts=warning_pcts, window_items=window_items)
    after = {codes[b]: int(out.positions_fen[b]) for b in np.flatnonzero(out.known).tolist()}
    invariant(sum(after.values()) == sum(positions.values()),
              "netting moved the sum of positions (R-S4: it is always 0)")
    return NettingResult(
        fates=tuple((f.item_id, _FATES[int(out.fates[len(waiting) + i])])
                    for i, f in enumerate(arriving)),
        netted=tuple(flows[i].item_id for i in out.netted.tolist()),
        positions=after,
        queues={codes[b]: tuple(flows[i].item_id for i in out.queues[b])
                for b in sorted(out.touched_queues)},
        warnings=tuple(Warning(codes[b], pct, position, cap_fen)
                       for b, pct, position, cap_fen in out.warnings))
