"""What every reconciliation handler shares: the engine, the ledger (the only code that
changes balances), the clock, and the one transaction per command."""

from collections.abc import Callable
from typing import TypeVar

from cunguan.core.clock import Clock, system_clock
from cunguan.db.connection import Connection, Engine
from cunguan.db.unit_of_work import in_transaction
from cunguan.ledger.service import LedgerService

T = TypeVar("T")

#: Told how far a long command has got: (done, total).
Progress = Callable[[int, int], None]


def no_progress(done: int, total: int) -> None:
    """The progress callback of callers that show none."""


class ReconcileBase:
    def __init__(self, engine: Engine, ledger: LedgerService | None = None, *,
                 clock: Clock = system_clock) -> None:
        self.engine = engine
        self.ledger = ledger or LedgerService(engine, clock=clock)
        self.clock = clock

    def unit(self, work: Callable[[Connection], T]) -> T:
        """``work`` in one DB transaction, retried when it loses a race."""
        return in_transaction(self.engine, work)
