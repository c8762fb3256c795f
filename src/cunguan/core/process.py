"""What a long-running process of the bank (a server process, the worker) does once it is built."""

import gc
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from cunguan.core import limits


def tune_garbage_collection() -> None:
    """Keep what the process built at start-up out of every later garbage collection, and
    collect what comes later less often (``limits.gc_thresholds``).

    A server process holds ~140,000 objects once the app is built (modules, the SQLAlchemy
    and pydantic models, the routes), and each full collection walked them all: measured at
    64 API clients, 60–90 ms pauses, five in 15 s per process, each stalling every request in
    flight on that process; in the set-based custody benchmark, 0.74 s of full collections in
    a 30,000-operation run against ~0.18 s frozen once the services were built. Frozen, they
    are never walked again; what the process creates later is still collected.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(*limits.gc_thresholds)


class _Pause:
    """Who is inside ``collection_paused`` (all threads, and this thread's depth) and
    whether collection was on when the first of them came."""

    lock = threading.Lock()
    inside = 0
    was_enabled = False
    here = threading.local()

    @classmethod
    def forked(cls) -> None:
        """A forked child keeps only the thread that forked: the others are not inside any
        more, and a lock one of them held would be held for ever."""
        cls.lock = threading.Lock()
        cls.inside = getattr(cls.here, "depth", 0)
        if cls.inside == 0 and cls.was_enabled:
            gc.enable()


os.register_at_fork(after_in_child=_Pause.forked)


@contextmanager
def collection_paused() -> Iterator[None]:
    """No garbage collection while a bulk read builds a million objects that all live.

    Each collection of the oldest generation walks every tracked object, and a reader of a
    million statement lines triggers one every few tens of thousands of lines over a heap that
    keeps growing: measured on the camt bench, 17.8 against 12.9 µs a line (a third of the
    read's time). Nothing the reader builds is a cycle, so nothing is lost by waiting. Callers
    may nest and run on several threads: collection is back on (if it was on) when the last
    one leaves; what other threads built meanwhile is collected then.
    """
    with _Pause.lock:
        if _Pause.inside == 0:
            _Pause.was_enabled = gc.isenabled()
            gc.disable()
        _Pause.inside += 1
        _Pause.here.depth = getattr(_Pause.here, "depth", 0) + 1
    try:
        yield
    finally:
        with _Pause.lock:
            _Pause.here.depth -= 1
            _Pause.inside -= 1
            if _Pause.inside == 0 and _Pause.was_enabled:
                gc.enable()


@contextmanager
def old_objects_frozen() -> Iterator[None]:
    """The objects alive now left out of every collection while a bulk job runs (each full
    collection walked them all again), and given back to the collector after it.

    Python can only give back every frozen object at once. In a process that froze its
    start-up objects (``tune_garbage_collection``: a server, the worker) they stay frozen,
    and so do the few the job found alive: giving back would undo the process's own freeze.
    """
    already = gc.get_freeze_count() > 0
    gc.freeze()
    try:
        yield
    finally:
        if not already:
            gc.unfreeze()
