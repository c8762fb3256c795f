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

The writer is a thread rather than a task of an event loop because the store is synchronous;
async callers resolve a future from ``done`` (``loop.call_soon_threadsafe``).
"""

import queue
import threading
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

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
                 items_max: int, *, name: str) -> None:
        assert items_max >= 1
        self.run_many = run_many
        self.items_max = items_max
        self._queue: queue.SimpleQueue[_Queued[K, I]] = queue.SimpleQueue()
        self._writer = threading.Thread(target=self._loop, name=name, daemon=True)
        self._writer.start()
        #: Groups run and items answered so far (for tests and the benchmark's report).
        self.groups = 0
        self.items = 0

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
            taken = [self._queue.get()]
            while len(taken) < self.items_max:
                try:
                    taken.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            groups: dict[K, list[_Queued[K, I]]] = {}
            for queued in taken:
                groups.setdefault(queued.key, []).append(queued)
            for key, group in groups.items():
                self._run(key, group)

    def _run(self, key: K, group: list[_Queued[K, I]]) -> None:
        try:
            outcomes = list(self.run_many(key, [q.item for q in group]))
            assert len(outcomes) == len(group), "run_many answers every item"
        except BaseException as exc:
            if len(group) == 1:
                outcomes = [exc]
            else:   # one item's failure must not be the others': each again on its own
                for queued in group:
                    self._run(key, [queued])
                return
        self.groups += 1
        self.items += len(group)
        for queued, outcome in zip(group, outcomes, strict=True):
            queued.done(outcome)
