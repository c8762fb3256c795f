"""The process's garbage-collection helpers (``core/process.py``): a bulk job pauses
collection, or freezes what is alive, without undoing what the process set up for itself."""

import gc
import subprocess
import sys
import threading

from cunguan.core.process import collection_paused


def test_collection_is_paused_until_the_last_of_nested_and_threaded_callers_leaves() -> None:
    assert gc.isenabled()
    inside = threading.Event()
    leave = threading.Event()

    def other() -> None:
        with collection_paused():
            inside.set()
            leave.wait(10)
    with collection_paused():
        worker = threading.Thread(target=other)
        worker.start()
        inside.wait(10)
        with collection_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert not gc.isenabled()   # the other thread is still inside
    leave.set()
    worker.join(10)
    assert gc.isenabled()


def test_a_process_that_runs_without_collection_keeps_it_off() -> None:
    gc.disable()
    try:
        with collection_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()


_FROZEN = """
import gc
from cunguan.core.process import old_objects_frozen
if {server}:
    gc.freeze()              # what a server does once built (tune_garbage_collection)
before = gc.get_freeze_count()
with old_objects_frozen():
    during = gc.get_freeze_count()
print(before, during, gc.get_freeze_count())
"""


def _counts(server: bool) -> list[int]:
    out = subprocess.run([sys.executable, "-c", _FROZEN.format(server=server)], check=True,
                         capture_output=True, text=True).stdout
    return [int(n) for n in out.split()]


def test_a_bulk_job_freezes_what_is_alive_and_gives_it_back_after() -> None:
    before, during, after = _counts(server=False)
    assert before == 0 and during > 0 and after == 0


def test_a_bulk_job_in_a_server_leaves_the_servers_frozen_objects_frozen() -> None:
    before, during, after = _counts(server=True)
    assert 0 < before <= during and after >= before


_FORKED = """
import gc, os, threading
from cunguan.core.process import collection_paused
from cunguan.reconcile.formats import camt_chunks
inside, leave = threading.Event(), threading.Event()

def other():   # inside collection_paused, and holding the pool's lock, as the process forks
    with collection_paused(), camt_chunks._pools_lock:
        inside.set()
        leave.wait(10)
camt_chunks._pool()
threading.Thread(target=other).start()
inside.wait(10)
pid = os.fork()
if pid == 0:
    on = gc.isenabled()
    with collection_paused():
        off = not gc.isenabled()
    works = camt_chunks._pool().submit(lambda: 7).result(timeout=10) == 7
    print(on, off, gc.isenabled(), works, flush=True)
    os._exit(0)
os.waitpid(pid, 0)
leave.set()
"""


def test_a_child_forked_while_another_thread_pauses_collection_collects_and_checks() -> None:
    """The child has only the forking thread: collection is back on, and the checking pool
    (its lock held by the parent at the fork) is the child's own."""
    out = subprocess.run([sys.executable, "-c", _FORKED], check=True, capture_output=True,
                         text=True, timeout=60).stdout
    assert out.split() == ["True", "True", "True", "True"]
