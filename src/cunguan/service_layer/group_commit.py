"""Group commit: many custody commands in one DB transaction.

Under load, most of a command's time is spent waiting: for the commit's fsync, and for the row
locks of accounts every command touches (a platform's marketing, channel or summary account),
each held until its transaction commits. Here concurrent callers hand their commands to one
writer thread per process, which runs whatever has queued up — each command inside its own
SAVEPOINT, so a refusal or a failure undoes only that command — and commits them together:
one fsync and one hold of each hot lock per group instead of per command.

Each command keeps its meaning: it sees the commands before it in the group (one transaction,
in queue order), its refusal is recorded in the same transaction, and its answer is given only
after the commit. If the commit itself fails, nothing of the group was committed and every
command is run again on its own (with the usual retries; request nos. make that safe). A
command that fails for any reason but a refusal is also run again on its own, after the group.
"""

import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import Engine

from cunguan.core import limits
from cunguan.core.errors import CunguanError
from cunguan.service_layer.custody_base import CustodyResult, Refused, Unit


@dataclass(eq=False)
class _Item:
    unit: Unit
    refused: Refused
    done: threading.Event = field(default_factory=threading.Event)
    result: CustodyResult | None = None
    error: BaseException | None = None


class GroupCommit:
    """A ``CustodyBase.runner`` that groups commands; ``alone`` is the one-at-a-time runner."""

    def __init__(self, engine: Engine, alone: Callable[[Unit, Refused], CustodyResult],
                 commands_max: int = limits.group_commit_commands_max) -> None:
        self.engine = engine
        self.alone = alone
        self.commands_max = commands_max
        self._queue: queue.SimpleQueue[_Item] = queue.SimpleQueue()
        self._writer = threading.Thread(target=self._loop, name="group-commit", daemon=True)
        self._writer.start()
        self.groups = 0
        self.commands = 0

    def __call__(self, unit: Unit, refused: Refused) -> CustodyResult:
        item = _Item(unit, refused)
        self._queue.put(item)
        item.done.wait()
        if item.error is not None:
            raise item.error
        assert item.result is not None
        return item.result

    def _loop(self) -> None:
        while True:
            group = [self._queue.get()]
            while len(group) < self.commands_max:
                try:
                    group.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            self._run(group)

    def _run(self, group: list[_Item]) -> None:
        again: list[_Item] = []   # run alone after the group
        try:
            with self.engine.begin() as conn:
                for item in group:
                    try:
                        with conn.begin_nested():
                            item.result = item.unit(conn)
                    except CunguanError as exc:
                        try:
                            with conn.begin_nested():
                                item.result = item.refused(conn, exc)
                        except Exception:
                            again.append(item)
                    except Exception:  # a lost race, a deadlock: undone, run alone below
                        again.append(item)
            self.groups += 1
            self.commands += len(group) - len(again)
        except Exception:  # the commit failed: nothing of the group happened
            again = group
        retried = {id(item) for item in again}
        for item in group:
            if id(item) not in retried:
                item.done.set()
        for item in again:
            self._run_alone(item)

    def _run_alone(self, item: _Item) -> None:
        try:
            item.result = self.alone(item.unit, item.refused)
        except BaseException as exc:
            item.error = exc
        finally:
            item.done.set()
