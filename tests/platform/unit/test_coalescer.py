"""The coalescer (platform/coalescer.py): concurrent items run together, grouped by key,
each answered with its own outcome; a failing group is run again item by item."""

import threading
import time

from cunguan.platform.coalescer import Coalescer


def _submit_from_threads(coalescer: Coalescer, items: list[tuple[str, int]]) -> dict:
    answers: dict[tuple[str, int], object] = {}
    lock = threading.Lock()

    def client(key: str, item: int) -> None:
        try:
            outcome: object = coalescer.call(key, item)
        except Exception as exc:
            outcome = exc
        with lock:
            answers[(key, item)] = outcome
    threads = [threading.Thread(target=client, args=pair) for pair in items]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def test_items_are_grouped_by_key_and_each_answered_with_its_own_result() -> None:
    seen: list[tuple[str, list[int]]] = []
    release = threading.Event()

    def run_many(key: str, items: list[int]) -> list[str]:
        release.wait(5)            # hold the first group so that the others queue up
        seen.append((key, items))
        return [f"{key}:{item * 10}" for item in items]
    coalescer: Coalescer[str, int, str] = Coalescer(run_many, 50, name="test")
    pending = [(key, n) for n in range(20) for key in ("a", "b")]
    timer = threading.Timer(0.2, release.set)
    timer.start()
    answers = _submit_from_threads(coalescer, pending)
    # an item run under another key would answer with that key
    assert answers == {(key, n): f"{key}:{n * 10}" for key, n in pending}
    assert sorted(n for key, items in seen if key == "a" for n in items) == list(range(20))
    assert coalescer.items == 40 and coalescer.groups < 40      # some ran together


def test_a_group_that_fails_is_run_again_item_by_item() -> None:
    calls: list[list[int]] = []

    def run_many(_: str, items: list[int]) -> list[object]:
        calls.append(items)
        if 13 in items:
            raise ValueError("13 is refused by this run_many")
        return [item if item != 7 else KeyError(7) for item in items]
    coalescer: Coalescer[str, int, object] = Coalescer(run_many, 50, name="test")
    answers = _submit_from_threads(coalescer, [("k", n) for n in range(20)])
    assert isinstance(answers[("k", 13)], ValueError)
    assert isinstance(answers[("k", 7)], KeyError)          # an item's own failure, raised
    assert {n: answers[("k", n)] for n in range(20) if n not in (7, 13)} == {
        n: n for n in range(20) if n not in (7, 13)}
    assert [13] in calls                                      # the failure was its alone


class _Writer:
    """A coalescer whose ``run_many`` records its groups; ``with_company`` makes its next group
    one with company: a first item held in ``run_many`` while two more queue behind it."""

    def __init__(self, gap_ms: float, linger_ms: float) -> None:
        self.groups: list[list[str]] = []
        self._entered, self._release = threading.Event(), threading.Event()
        self._answered = threading.Semaphore(0)
        self._unanswered = 0
        self.coalescer: Coalescer[str, str, str] = Coalescer(
            self._run_many, 50, name="test", gap_ms=gap_ms, linger_ms=linger_ms)

    def _run_many(self, _: str, items: list[str]) -> list[str]:
        if items == ["blocker"]:
            self._entered.set()
            self._release.wait(5)
        self.groups.append(items)
        return items

    def submit(self, item: str) -> None:
        self._unanswered += 1
        self.coalescer.submit("k", item, lambda _: self._answered.release())

    def wait_answered(self) -> None:
        for _ in range(self._unanswered):
            assert self._answered.acquire(timeout=5)
        self._unanswered = 0

    def with_company(self) -> None:
        self.submit("blocker")
        assert self._entered.wait(5)               # the writer runs the blocker alone…
        self.submit("a")
        self.submit("b")                           # …while these two queue behind it
        self._release.set()


def test_after_a_group_with_company_items_arriving_within_the_gap_run_together() -> None:
    writer = _Writer(gap_ms=300, linger_ms=1_000)
    writer.with_company()
    writer.wait_answered()
    assert writer.groups == [["blocker"], ["a", "b"]]   # a group with company: it lingers
    for item in ("c", "d", "e"):               # three requests 50 ms apart, inside the gap
        writer.submit(item)
        time.sleep(0.05)
    writer.wait_answered()
    assert writer.groups[-1] == ["c", "d", "e"]


def test_a_lone_request_is_not_held_for_the_gap() -> None:
    coalescer: Coalescer[str, int, int] = Coalescer(lambda _, items: items, 50, name="test",
                                                    gap_ms=2_000, linger_ms=2_000)
    for n in range(3):                        # one at a time: no group ever has company
        started = time.monotonic()
        assert coalescer.call("k", n) == n
        assert time.monotonic() - started < 1.0    # held for the gap, it would take 2 s
    assert coalescer.groups == 3


def test_requests_arriving_steadily_within_the_gap_are_held_no_longer_than_the_linger() -> None:
    writer = _Writer(gap_ms=200, linger_ms=300)
    writer.with_company()
    trickle = [f"t{n}" for n in range(12)]
    for item in trickle:                       # one every 50 ms for 600 ms, inside the gap
        writer.submit(item)
        time.sleep(0.05)
    writer.wait_answered()
    groups = writer.groups
    assert groups[0] == ["blocker"] and groups[1][:2] == ["a", "b"]   # then with company
    assert [n for group in groups[1:] for n in group] == ["a", "b", *trickle]
    assert len(groups[2:]) >= 2               # a 300-ms linger cannot hold the rest at once
    assert len(groups[2]) > 1                 # …but it did linger for them


def test_with_two_writers_the_next_group_runs_while_one_is_still_running() -> None:
    """A server process's set-based coalescer has two writers: a group waiting on its commit
    does not hold up the requests that arrived meanwhile."""
    first_running, release_first = threading.Event(), threading.Event()

    def run_many(_: str, items: list[int]) -> list[int]:
        if items == [1]:
            first_running.set()
            release_first.wait(5)      # the first group's commit, taking long
        return [item * 10 for item in items]
    coalescer: Coalescer[str, int, int] = Coalescer(run_many, 50, name="test", writers=2)
    first = threading.Thread(target=coalescer.call, args=("k", 1))
    first.start()
    assert first_running.wait(5)
    assert coalescer.call("k", 2) == 20          # answered while the first still runs
    assert first.is_alive()
    release_first.set()
    first.join(5)
    assert (coalescer.groups, coalescer.items) == (2, 2)


def test_with_two_writers_every_item_is_answered_once_with_its_own_result() -> None:
    def run_many(key: str, items: list[int]) -> list[str]:
        time.sleep(0.001)
        return [f"{key}:{item}" for item in items]
    coalescer: Coalescer[str, int, str] = Coalescer(run_many, 8, name="test", writers=2)
    pending = [(key, n) for n in range(100) for key in ("a", "b")]
    answers = _submit_from_threads(coalescer, pending)
    assert answers == {(key, n): f"{key}:{n}" for key, n in pending}
    assert coalescer.items == 200
