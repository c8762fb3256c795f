"""What every clearing handler shares: the engine, the ledger (the only code that changes
balances: settlement accounts, earmarks, settlement), the clock, the calendar, the system's id
(also its ledger tenant), and the one transaction per command."""

from collections.abc import Callable
from datetime import date
from typing import TypeVar

from cunguan.clearing.rules.parameters import ClearingParameters
from cunguan.clearing.rules.refusals import ClearingError, Refusal
from cunguan.clearing.store import systems
from cunguan.core.calendar import WorkingCalendar
from cunguan.core.clock import Clock, system_clock
from cunguan.db.connection import Connection, Engine
from cunguan.db.unit_of_work import in_transaction
from cunguan.ledger.service import LedgerService

T = TypeVar("T")

#: The system's id when none is named: one clearing system per database is the usual case.
DEFAULT_SYSTEM_ID = "beps"
#: The clearing account between a settlement's two legs: net debits in, net credits out.
CLEARING_ACCOUNT = "BEPS-CLEARING"
#: Where money enters settlement accounts from outside the system (HVPS transfers, the
#: central bank's own funding): the debit-normal counterpart of a funding move.
FUNDING_ACCOUNT = "SAPS-FUNDING"
#: The NPC's fee income (手续费收入): the day-end fees go there (R-S9).
FEE_ACCOUNT = "NPC-FEES"


def settlement_account(bank_code: str) -> str:
    """A direct participant's settlement account (清算账户) in the system's ledger tenant."""
    return f"SA{bank_code}"


class ClearingBase:
    def __init__(self, engine: Engine, ledger: LedgerService | None = None, *,
                 clock: Clock = system_clock, system_id: str = DEFAULT_SYSTEM_ID,
                 calendar: WorkingCalendar | None = None) -> None:
        self.engine = engine
        self.ledger = ledger or LedgerService(engine, clock=clock)
        self.clock = clock
        self.system_id = system_id
        self.calendar = calendar or self.ledger.calendar

    def unit(self, work: Callable[[Connection], T]) -> T:
        """``work`` in one DB transaction, retried when it loses a race."""
        return in_transaction(self.engine, work)

    def system(self, conn: Connection, *, lock: bool = False
               ) -> tuple[date, ClearingParameters]:
        found = systems.system(conn, self.system_id, lock=lock)
        if found is None:
            raise ClearingError(Refusal.SYSTEM_NOT_FOUND, f"no clearing system {self.system_id}")
        return found
