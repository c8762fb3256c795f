"""What a long-running process of the bank (a server process, the worker) does once it is built."""

import gc

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
