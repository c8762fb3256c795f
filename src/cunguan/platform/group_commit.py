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

from collections.abc import Callable

from cunguan.core import limits
from cunguan.core.errors import CunguanError, present
from cunguan.custody.handlers.base import CustodyResult, Refused, Unit
from cunguan.db.connection import Engine
from cunguan.platform.coalescer import Coalescer

Queued = tuple[Unit, Refused]


class GroupCommit:
    """A ``CustodyBase.runner`` that groups commands; ``alone`` is the one-at-a-time runner."""

    def __init__(self, engine: Engine, alone: Callable[[Unit, Refused], CustodyResult],
                 commands_max: int = limits.group_commit_commands_max) -> None:
        self.engine = engine
        self.alone = alone
        self._coalescer: Coalescer[None, Queued, CustodyResult] = Coalescer(
            self._run, commands_max, name="group-commit")

    @property
    def groups(self) -> int:
        return self._coalescer.groups

    @property
    def items(self) -> int:
        return self._coalescer.items

    def __call__(self, unit: Unit, refused: Refused) -> CustodyResult:
        return self._coalescer.call(None, (unit, refused))

    def _run(self, _: None, group: list[Queued]) -> list[CustodyResult | BaseException]:
        results: list[CustodyResult | None] = [None] * len(group)
        again: list[int] = []   # run alone after the group
        try:
            with self.engine.begin() as conn:
                for index, (unit, refused) in enumerate(group):
                    try:
                        with conn.begin_nested():
                            results[index] = unit(conn)
                    except CunguanError as exc:
                        try:
                            with conn.begin_nested():
                                results[index] = refused(conn, exc)
                        except Exception:
                            again.append(index)
                    except Exception:  # a lost race, a deadlock: undone, run alone below
                        again.append(index)
        except Exception:  # the commit failed: nothing of the group happened
            again = list(range(len(group)))
        outcomes: list[CustodyResult | BaseException] = []
        for index, result in enumerate(results):
            if index in again:
                outcomes.append(self._run_alone(*group[index]))
            else:
                outcomes.append(present(result, "a grouped command has its result"))
        return outcomes

    def _run_alone(self, unit: Unit, refused: Refused) -> CustodyResult | BaseException:
        try:
            return self.alone(unit, refused)
        except Exception as exc:
            return exc
