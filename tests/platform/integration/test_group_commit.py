"""Group commit (platform/group_commit.py): commands that share a DB transaction keep
their one-at-a-time meaning — each applied or refused alone, answered after the commit,
recorded once, replayable."""

import threading
from collections import Counter

from sqlalchemy import Engine, func, select

from cunguan.custody.handlers.base import CustodyResult
from cunguan.db.outbox import outbox_events
from cunguan.platform.group_commit import GroupCommit
from tests.custody_helpers import PLATFORM, open_user, services


def _captured(custody) -> list[tuple]:
    """Commands as (unit, refused) pairs, not yet run: to put them in one group by hand."""
    captured: list[tuple] = []

    def capture(unit, refused) -> CustodyResult:
        captured.append((unit, refused))
        return CustodyResult("", True, "queued")
    custody.runner = capture
    return captured


def _events(engine: Engine, request_no: str) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).where(
            outbox_events.c.request_no == request_no)).scalar_one()


def test_r_l1_r_c21_a_refusal_or_a_failure_in_a_group_undoes_only_itself(engine: Engine
                                                                         ) -> None:
    custody, ledger, _, _ = services(engine)
    user = open_user(custody, 1)
    captured = _captured(custody)
    custody.red_packet(PLATFORM, "rp-1", user, 100)
    custody.red_packet(PLATFORM, "rp-2", "nobody", 100)            # refused: user_not_found
    custody.red_packet(PLATFORM, "rp-3", user, 10**12)             # refused: exceeds_available
    custody.red_packet(PLATFORM, "rp-4", user, 200)
    custody.red_packet(PLATFORM, "rp-1", user, 100)                # its twin, in the same group
    broken = (lambda conn: 1 / 0, captured[0][1])                # a bug, not a refusal
    custody.runner = custody.run_alone
    group = GroupCommit(engine, custody.run_alone)
    outcomes = group._run(None, [*captured[:2], broken, *captured[2:]])
    results = [*outcomes[:2], *outcomes[3:]]
    codes = [result.code for result in results]
    assert codes == ["ok", "user_not_found", "exceeds_available", "ok", "ok"]
    assert results[4].replayed and results[4].data == results[0].data
    assert isinstance(outcomes[2], ZeroDivisionError)              # run alone, failed alone
    assert ledger.account(PLATFORM, f"U-{user}").balance_fen == 300
    assert [_events(engine, f"rp-{n}") for n in range(1, 5)] == [1, 1, 1, 1]
    assert custody.red_packet(PLATFORM, "rp-2", "nobody", 100).replayed


def test_r_l5_concurrent_commands_grouped_post_once_each(engine: Engine) -> None:
    custody, ledger, _, _ = services(engine)
    users = [open_user(custody, n) for n in range(1, 5)]
    group = GroupCommit(engine, custody.run_alone)
    custody.runner = group
    answers: list[CustodyResult] = []
    lock = threading.Lock()

    def client(worker: int) -> None:
        for n in range(30):
            request_no = f"rp-{n % 20}-{worker % 4}"     # every request sent twice
            user = users[worker % 4]
            result = custody.red_packet(PLATFORM, request_no, user, 1 + n % 20)
            with lock:
                answers.append(result)

    threads = [threading.Thread(target=client, args=(w,)) for w in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(a.ok for a in answers) and len(answers) == 240
    for index, user in enumerate(users):
        assert ledger.account(PLATFORM, f"U-{user}").balance_fen == sum(
            1 + n for n in range(20)), index
    sent = Counter(a.request_no for a in answers)
    assert sorted(set(sent.values())) == [2, 4]          # every request no. sent 2 or 4 times
    assert all(_events(engine, no) == 1 for no in sent)
    assert group.items >= 80 and group.groups < group.items   # some were grouped
