"""The coalescer (service_layer/coalescer.py): concurrent items run together, grouped by key,
each answered with its own outcome; a failing group is run again item by item."""

import threading
import time

from cunguan.service_layer.coalescer import Coalescer


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


def test_after_a_group_with_company_items_arriving_within_the_gap_run_together() -> None:
    groups: list[list[str]] = []
    entered, release = threading.Event(), threading.Event()

    def run_many(_: str, items: list[str]) -> list[str]:
        if items == ["blocker"]:
            entered.set()
            release.wait(5)
        groups.append(items)
        return items
    coalescer: Coalescer[str, str, str] = Coalescer(run_many, 50, name="test", gap_ms=300,
                                                    linger_ms=1_000)
    answered: list[object] = []
    all_answered = threading.Event()

    def submit(item: str, expected: int) -> None:
        def done(outcome: object) -> None:
            answered.append(outcome)
            if len(answered) == expected:
                all_answered.set()
        coalescer.submit("k", item, done)

    submit("blocker", 3)
    assert entered.wait(5)                     # the writer runs the blocker alone…
    submit("a", 3)
    submit("b", 3)                             # …while these two queue behind it
    release.set()
    assert all_answered.wait(5)
    assert groups == [["blocker"], ["a", "b"]]   # a group with company: the writer lingers
    answered.clear()
    all_answered.clear()
    for item in ("c", "d", "e"):               # three requests 50 ms apart, inside the gap
        submit(item, 3)
        time.sleep(0.05)
    assert all_answered.wait(5)
    assert groups[-1] == ["c", "d", "e"]


def test_a_lone_request_is_not_held_for_the_gap() -> None:
    coalescer: Coalescer[str, int, int] = Coalescer(lambda _, items: items, 50, name="test",
                                                    gap_ms=2_000, linger_ms=2_000)
    for n in range(3):                        # one at a time: no group ever has company
        started = time.monotonic()
        assert coalescer.call("k", n) == n
        assert time.monotonic() - started < 1.0    # held for the gap, it would take 2 s
    assert coalescer.groups == 3


def test_requests_arriving_steadily_within_the_gap_are_held_no_longer_than_the_linger() -> None:
    groups: list[list[int]] = []
    entered, release = threading.Event(), threading.Event()

    def run_many(_: str, items: list[int]) -> list[int]:
        if items == [-3]:
            entered.set()
            release.wait(5)
        groups.append(items)
        return items
    coalescer: Coalescer[str, int, int] = Coalescer(run_many, 50, name="test", gap_ms=200,
                                                    linger_ms=300)
    answered = threading.Semaphore(0)
    coalescer.submit("k", -3, lambda _: answered.release())
    assert entered.wait(5)
    for n in (-2, -1):                        # queued behind -3: a group with company next
        coalescer.submit("k", n, lambda _: answered.release())
    release.set()
    for n in range(12):                       # one every 50 ms for 600 ms, inside the gap
        coalescer.submit("k", n, lambda _: answered.release())
        time.sleep(0.05)
    for _ in range(15):
        assert answered.acquire(timeout=5)
    assert groups[0] == [-3] and groups[1][:2] == [-2, -1]   # then a group with company
    assert [n for group in groups[1:] for n in group] == [-2, -1, *range(12)]
    assert len(groups[2:]) >= 2               # a 300-ms linger cannot hold the rest at once
    assert len(groups[2]) > 1                 # …but it did linger for them
