"""Coalescing: concurrent callers' requests handed to one writer thread and run together.

A caller submits an item under a key (say a platform and an operation); the writer takes
whatever has queued (up to ``items_max``), groups it by key in arrival order, and runs each
group with one call of ``run_many`` — one DB transaction for many requests instead of one
each. Every item is answered with its own outcome, through the ``done`` callback it came
with: a value, or the exception to raise in the caller.

``run_many`` must answer every item of a group, in order; an element that is an exception is
that item's failure. If ``run_many`` raises for a whole group, each of its items is run again
in a group of its own, so one item's failure is never another's (the callers' requests are
idempotent by serial no., so running one again is safe).

Under load the writer lingers: after a group of more than one item, it keeps taking items while
they arrive less than ``gap_ms`` apart, for at most ``linger_ms`` (``limits.coalesce_gap_ms``,
``limits.coalesce_linger_ms_max``: requests arriving steadily faster than the gap must not
hold the first of them until the group is full). Requests come in bursts —
a group's answers go out together and their clients' next requests come back together, each
parsed and checked by the event loop in turn — and a writer that ran whatever had queued the
moment the first of a burst arrived split each process's clients into two cohorts whose groups
alternated, every request waiting for the other cohort's group and then its own. A lone
request (the last group had no company) is never held.

The writer is a thread rather than a task of an event loop because the store is synchronous;
async callers resolve a future from ``done`` (``loop.call_soon_threadsafe``). With
``writers`` > 1, the writers take in turn (one gathers a group while the others run theirs):
a group waiting for its commit's WAL flush no longer holds back the requests that arrived
meanwhile. Groups then commit in either order, as concurrent requests over HTTP may. A
server process's set-based coalescer runs two (``limits.coalesce_writers``): measured at 64
API clients in 7 alternating pairs against one, more requests/s in 6 (median of the last 4:
2,865 against 2,597) and a lower p99 (39 against 44 ms), CPU per request no higher; since the
command lane, one writer gains at 64 clients and loses at 16 (see limits.py).
"""

import queue
import threading
import time
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from cunguan.core import limits
from cunguan.core.errors import invariant

K = TypeVar("K", bound=Hashable)
I = TypeVar("I")  # noqa: E741 - the item, as K is the key and R the result
R = TypeVar("R")

Done = Callable[[object], None]


@dataclass(eq=False, slots=True)
class _Queued(Generic[K, I]):
    key: K
    item: I
    done: Done


class Coalescer(Generic[K, I, R]):
    def __init__(self, run_many: Callable[[K, list[I]], Sequence[R | BaseException]],
                 items_max: int, *, name: str, gap_ms: float = limits.coalesce_gap_ms,
                 linger_ms: float = limits.coalesce_linger_ms_max, writers: int = 1) -> None:
        invariant(items_max >= 1 and 0 <= gap_ms <= linger_ms and writers >= 1,
                  "a coalescer takes at least one item and one writer, gap within linger")
        self.run_many = run_many
        self.items_max = items_max
        self.gap_s = gap_ms / 1000
        self.linger_s = linger_ms / 1000
        self._queue: queue.SimpleQueue[_Queued[K, I]] = queue.SimpleQueue()
        #: One writer takes at a time: a group is whatever arrived together.
        self._taking = threading.Lock()
        self._company = False   # the last group took more than one item: requests come in bursts
        #: Groups run and items answered so far (for tests and the benchmark's report).
        self.groups = 0
        self.items = 0
        self._counting = threading.Lock()
        self._writers = [threading.Thread(target=self._loop, name=f"{name}-{n}", daemon=True)
                         for n in range(writers)]
        for writer in self._writers:
            writer.start()

    def submit(self, key: K, item: I, done: Done) -> None:
        """Queue ``item``; ``done`` is called once, from the writer thread, with its outcome."""
        self._queue.put(_Queued(key, item, done))

    def call(self, key: K, item: I) -> R:
        """Submit and wait: the item's result, or its failure raised."""
        finished = threading.Event()
        box: list[object] = []

        def done(outcome: object) -> None:
            box.append(outcome)
            finished.set()
        self.submit(key, item, done)
        finished.wait()
        if isinstance(box[0], BaseException):
            raise box[0]
        return box[0]  # type: ignore[return-value]

    def _loop(self) -> None:
        while True:
            with self._taking:
                taken = self._take(self.gap_s if self._company else 0)
                self._company = len(taken) > 1
            groups: dict[K, list[_Queued[K, I]]] = {}
            for queued in taken:
                groups.setdefault(queued.key, []).append(queued)
            for key, group in groups.items():
                self._run(key, group)

    def _take(self, gap_s: float) -> list[_Queued[K, I]]:
        """The next item, waited for, then those that follow within ``gap_s`` of each other
        for at most ``linger_s`` in all (only those already queued when ``gap_s`` is 0), up
        to ``items_max``."""
        taken = [self._queue.get()]
        deadline = time.monotonic() + self.linger_s
        while len(taken) < self.items_max:
            wait_s = min(gap_s, deadline - time.monotonic())
            try:
                taken.append(self._queue.get(timeout=wait_s) if wait_s > 0 else
                             self._queue.get_nowait())
            except queue.Empty:
                break
        return taken

    def _run(self, key: K, group: list[_Queued[K, I]]) -> None:
        try:
            outcomes = list(self.run_many(key, [q.item for q in group]))
            invariant(len(outcomes) == len(group), "run_many answers every item")
        except BaseException as exc:
            if len(group) == 1:
                outcomes = [exc]
            else:   # one item's failure must not be the others': each again on its own
                for queued in group:
                    self._run(key, [queued])
                return
        with self._counting:
            self.groups += 1
            self.items += len(group)
        for queued, outcome in zip(group, outcomes, strict=True):
            queued.done(outcome)
