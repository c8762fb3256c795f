"""Real-time bilateral netting with the net debit cap check and the per-payer queue (R-S3, R-S4).

Every money-moving item that passes its payer bank's cap is netted at once: the payer's position
falls and the payee's rises by the amount, and the item is final. A position is a direct
participant's net of the items netted and not yet settled (positive: the others owe it; negative:
it owes them), so Σ of all positions is 0 after every item.

An item failing the cap: a real-time one is refused at once; any other waits in its payer bank's
queue. A queue is strictly first-in first-out: while a payer bank has items waiting, its later
non-real-time items join the queue behind them even if they would fit (arrival order is the
order of release). Real-time items never wait, so they do not queue behind others: they pass or
are refused. When a cap grows — an incoming credit raises the payer's position, the cap is
raised, funds are earmarked — the queue's head is netted while it fits, and every item netted
may in turn release the payee's queue.

The functions are pure: positions, caps and queues in, a ``NettingResult`` out, which the store
applies in one transaction.
"""

from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from cunguan.clearing.rules.caps import NetDebitCap, passes_cap, warnings_crossed
from cunguan.clearing.rules.parameters import BusinessType
from cunguan.core import limits
from cunguan.core.errors import invariant


@dataclass(frozen=True, slots=True)
class Flow:
    """One money-moving item as netting sees it: money from the payer's clearing bank to the
    payee's. (A credit nets when its package is accepted; a debit when the payer bank's receipt
    says paid; a return is a flow back.)

    Attributes:
      item_id: the item's id (message id and item no.).
      business_type: its kind; real-time items never queue.
      payer_bank: the payer's clearing bank (a direct participant's code).
      payee_bank: the payee's clearing bank.
      amount_fen: > 0.
    """

    item_id: str
    business_type: BusinessType
    payer_bank: str
    payee_bank: str
    amount_fen: int

    def __post_init__(self) -> None:
        invariant(self.amount_fen > 0, f"flow {self.item_id}: amount_fen must be > 0")
        invariant(self.business_type.moves_money, f"flow {self.item_id}: moves no money")


class Fate(StrEnum):
    NETTED = "netted"       # final and irrevocable (R-S4)
    QUEUED = "queued"       # waiting for its payer's cap to grow
    REFUSED = "refused"     # real-time, over the cap: refused at once (cap_exceeded)


@dataclass(frozen=True, slots=True)
class Warning:
    """A payer bank's use of its cap crossed a warning threshold (R-S3)."""

    bank_code: str
    used_pct: int
    position_fen: int
    cap_fen: int


@dataclass(frozen=True, slots=True)
class NettingResult:
    """What one netting pass decided, in the order it decided it.

    Attributes:
      fates: each arriving item's fate, in arrival order.
      netted: every item netted in this pass (arrivals and releases), in netting order.
      positions: every touched bank's position after the pass.
      queues: every touched payer bank's queue after the pass (item ids, head first).
      warnings: thresholds crossed, in order.
    """

    fates: tuple[tuple[str, Fate], ...]
    netted: tuple[str, ...]
    positions: Mapping[str, int]
    queues: Mapping[str, tuple[str, ...]]
    warnings: tuple[Warning, ...]


class _Book:
    """The working state of one pass: copies of what it reads, changed as it decides."""

    def __init__(self, positions: Mapping[str, int], caps: Mapping[str, NetDebitCap],
                 queues: Mapping[str, Sequence[Flow]], warning_pcts: tuple[int, ...]) -> None:
        self.positions = dict(positions)
        self.caps = caps
        self.queues = {bank: deque(q) for bank, q in queues.items()}
        self.warning_pcts = warning_pcts
        self.netted: list[str] = []
        self.warnings: list[Warning] = []
        self.touched_queues: set[str] = set()

    def position(self, bank: str) -> int:
        return self.positions.get(bank, 0)

    def cap(self, bank: str) -> NetDebitCap:
        return self.caps.get(bank, NetDebitCap())

    def fits(self, flow: Flow) -> bool:
        return passes_cap(self.cap(flow.payer_bank), self.position(flow.payer_bank),
                          flow.amount_fen)

    def apply(self, flow: Flow) -> None:
        """Move both positions by the flow (final, R-S4) and note any warning it crosses."""
        before = self.position(flow.payer_bank)
        after = before - flow.amount_fen
        self.positions[flow.payer_bank] = after
        self.positions[flow.payee_bank] = self.position(flow.payee_bank) + flow.amount_fen
        self.netted.append(flow.item_id)
        cap = self.cap(flow.payer_bank)
        self.warnings += [Warning(flow.payer_bank, pct, after, cap.cap_fen)
                          for pct in warnings_crossed(cap, before, after, self.warning_pcts)]

    def release_from(self, first_bank: str) -> None:
        """Net the heads of queues that now fit, starting at ``first_bank`` and following each
        payee whose position grew. Iterative: a cascade never deepens the stack."""
        pending = deque([first_bank])
        while pending:
            bank = pending.popleft()
            queue = self.queues.get(bank)
            released = 0
            while queue and released < limits.clearing_queue_release_max and self.fits(queue[0]):
                flow = queue.popleft()
                self.touched_queues.add(bank)
                released += 1
                self.apply(flow)
                pending.append(flow.payee_bank)

    def arrive(self, flow: Flow) -> Fate:
        waiting = self.queues.get(flow.payer_bank)
        if flow.business_type.is_realtime:
            if not self.fits(flow):
                return Fate.REFUSED
            self.apply(flow)
            self.release_from(flow.payee_bank)
            return Fate.NETTED
        if waiting or not self.fits(flow):
            self.queues.setdefault(flow.payer_bank, deque()).append(flow)
            self.touched_queues.add(flow.payer_bank)
            return Fate.QUEUED
        self.apply(flow)
        self.release_from(flow.payee_bank)
        return Fate.NETTED

    def result(self, fates: list[tuple[str, Fate]], before: Mapping[str, int]) -> NettingResult:
        invariant(sum(self.positions.values()) == sum(before.values()),
                  "netting moved the sum of positions (R-S4: it is always 0)")
        return NettingResult(
            fates=tuple(fates), netted=tuple(self.netted), positions=dict(self.positions),
            queues={b: tuple(f.item_id for f in self.queues.get(b, ()))
                    for b in sorted(self.touched_queues)},
            warnings=tuple(self.warnings))


def net_arrivals(arriving: Iterable[Flow], *, positions: Mapping[str, int],
                 caps: Mapping[str, NetDebitCap], queues: Mapping[str, Sequence[Flow]],
                 warning_pcts: tuple[int, ...] = ()) -> NettingResult:
    """Net, queue or refuse each arriving flow in arrival order (R-S3, R-S4)."""
    book = _Book(positions, caps, queues, warning_pcts)
    fates = [(flow.item_id, book.arrive(flow)) for flow in arriving]
    return book.result(fates, positions)


def release_queues(*, positions: Mapping[str, int], caps: Mapping[str, NetDebitCap],
                   queues: Mapping[str, Sequence[Flow]], banks: Iterable[str] | None = None,
                   warning_pcts: tuple[int, ...] = ()) -> NettingResult:
    """After a cap grew (raised, earmarked, or a settlement cleared a debit), net the queued
    flows that now fit, each payer's queue in its arrival order (R-S4)."""
    book = _Book(positions, caps, queues, warning_pcts)
    for bank in sorted(queues if banks is None else banks):
        book.release_from(bank)
    return book.result([], positions)
