"""What every reconciliation handler shares: the engine, the ledger (the only code that
changes balances), custody's service (whose own commands a custody account's statement
asks to act, R-C15), the clock, and the one transaction per command."""

from collections.abc import Callable
from typing import TypeVar

from cunguan.core.clock import Clock, system_clock
from cunguan.custody.handlers.lending_service import LendingService
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
                 clock: Clock = system_clock, custody: LendingService | None = None) -> None:
        self.engine = engine
        self.ledger = ledger or LedgerService(engine, clock=clock)
        self.clock = clock
        self._custody = custody

    @property
    def custody(self) -> LendingService:
        """Custody's service (the edge's, when given; else one on the same engine, ledger
        and clock, made when first asked for)."""
        if self._custody is None:
            self._custody = LendingService(self.engine, self.ledger, clock=self.clock)
        return self._custody

    def unit(self, work: Callable[[Connection], T]) -> T:
        """``work`` in one DB transaction, retried when it loses a race."""
        return in_transaction(self.engine, work)
