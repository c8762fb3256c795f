"""The records the set-based custody calls take, and the policy a custody service runs under."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Protocol

from cunguan.custody.handlers.base import Data
from cunguan.custody.rules import passwords, withdrawals
from cunguan.db.connection import Connection


@dataclass(frozen=True, slots=True)
class CardRequest:
    """Money between a user's account and a bound card — a quick-pay recharge (R-C7) or a
    withdrawal (R-C15..R-C17) — as the set-based calls take it."""

    request_no: str
    user_id: str
    card_no: str
    amount_fen: int
    password_checked: bool = False
    #: A withdrawal the platform wants paid at once: never batched by BEPS.
    urgent: bool = False

    def content(self) -> Data:
        """What the request log compares a replay with (as the single form records it)."""
        data: Data = {"user": self.user_id, "card": self.card_no, "amount": self.amount_fen}
        return {**data, "urgent": True} if self.urgent else data


@dataclass(frozen=True, slots=True)
class RedPacket:
    """A cash red packet (R-C18) as the set-based call takes it."""

    request_no: str
    user_id: str
    amount_fen: int

    def fields(self) -> tuple[str, str, int]:
        return self.request_no, self.user_id, self.amount_fen


def red_packet_of(packet: tuple[Any, ...]) -> RedPacket:
    """A (request no., user, amount) tuple as a record; one of another length has its missing
    fields None (refused by name)."""
    values = (*packet, None, None, None)[:3] if len(packet) <= 3 else (*packet[:2], None)
    return RedPacket(*values)


@dataclass(frozen=True, slots=True)
class ChannelAnswer:
    """The payment channel's answer to a withdrawal in flight, as the set-based call takes it."""

    request_no: str
    withdrawal_no: str
    succeeded: bool

    def content(self) -> Data:
        return {"withdrawal": self.withdrawal_no, "succeeded": self.succeeded}


class BepsRail(Protocol):
    """What custody needs of BEPS (the clearing service, where the custody bank is a
    participant bank): an ordinary credit sent in custody's own transaction — the money is
    held already on the user's account, so BEPS holds nothing — and what became of it."""

    def send_credit_in(self, conn: Connection, *, hold: bool, **fields: Any) -> dict[str, Any]:
        ...

    def transfer(self, code: object, serial_no: object, *,
                 direction: str = "outward") -> dict[str, Any]:
        ...


@dataclass(frozen=True, slots=True)
class CustodyPolicy:
    quick_pay_fee_rate: str = "0.0015"
    quick_pay_fee_payer: str = "platform"       # or "user"
    withdrawal_review: bool = False
    fees: withdrawals.FeePolicy = field(default_factory=withdrawals.FeePolicy)
    routing: withdrawals.RoutingPolicy = field(default_factory=withdrawals.RoutingPolicy)
    password_lock: timedelta = passwords.LOCK_DEFAULT
    #: Who advances a T+0 payout of money the channel has not settled yet (垫资): "bank",
    #: "platform", or None (such a payout waits for the channel's settlement).
    advance_funder: str | None = "bank"
    #: R-C2 custody fee (存管费) of a platform onboarded under this policy: a fixed amount a
    #: month and an annual rate on its average daily custody balance (service_layer/
    #: platform_fees.py); each platform's own terms are kept on its row and may differ.
    custody_fee_monthly_fen: int = 0
    custody_fee_annual_rate: str = "0"


#: R-A1: the mobile reserved at a card's issuing bank, as the bank's card-verification service
#: answers it (None: not known), by card no.
ReservedPhones = Callable[[str], str | None]
