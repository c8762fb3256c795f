"""Custody handlers (资金存管): platforms, users, cards, authorizations, money in and out.

Each handler is a short script: check with the pure rules of ``cunguan.custody``, post through
the ledger, write the custody rows — all in the one transaction ``command`` opens. The use
cases live in their own modules (``platforms``, ``users``, ``cards``, ``money_in``,
``marketing``, ``withdrawals``), each a mixin; ``CustodyService`` composes them.
"""

from cunguan.core.calendar import WorkingCalendar
from cunguan.core.clock import Clock, system_clock
from cunguan.custody.cards import BinTable
from cunguan.custody.handlers.cards import Cards
from cunguan.custody.handlers.commands import (
    BepsRail,
    CardRequest,
    ChannelAnswer,
    CustodyPolicy,
    RedPacket,
    ReservedPhones,
)
from cunguan.custody.handlers.common import QUICK_PAY_BANKS, need_card
from cunguan.custody.handlers.marketing import Marketing
from cunguan.custody.handlers.money_in import MoneyIn
from cunguan.custody.handlers.platforms import Platforms
from cunguan.custody.handlers.users import Users
from cunguan.custody.handlers.withdrawals import Withdrawals
from cunguan.custody.rules import fields as custody_fields
from cunguan.db.connection import Engine
from cunguan.ledger.service import LedgerService

AUTHORIZATION_KINDS = custody_fields.AUTHORIZATION_KINDS

#: Names imported from here before the use cases had modules of their own.
__all__ = ["AUTHORIZATION_KINDS", "QUICK_PAY_BANKS", "CardRequest", "ChannelAnswer",
           "CustodyPolicy", "CustodyService", "RedPacket", "ReservedPhones", "need_card"]


class CustodyService(Platforms, Users, Cards, MoneyIn, Marketing, Withdrawals):
    def __init__(self, engine: Engine, ledger: LedgerService, *, clock: Clock = system_clock,
                 calendar: WorkingCalendar | None = None, bins: BinTable | None = None,
                 policy: CustodyPolicy | None = None, beps: BepsRail | None = None) -> None:
        super().__init__(engine, ledger, clock=clock, calendar=calendar or ledger.calendar)
        self.bins = bins or BinTable.shipped()
        self.policy = policy or CustodyPolicy()
        self.beps = beps
        self.password_lock = self.policy.password_lock
