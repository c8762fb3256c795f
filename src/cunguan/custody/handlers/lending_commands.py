"""The lending cycle's request records, as the set-based calls take them: a bid, a project's
terms, a step of a project's life (lend, repay, settle). Each checks its own fields before
anything is read and names the content its request log records."""

from dataclasses import dataclass

from cunguan.custody.handlers.base import Data
from cunguan.custody.rules.refusals import CustodyError, Refusal
from cunguan.custody.rules.repayments import COUPON_RATE_MAX, coupon_rate_ok
from cunguan.custody.rules.schedules import Method


@dataclass(frozen=True, slots=True)
class BidRequest:
    """A bid (R-C9) as the set-based call takes it; ``holding_id`` marks a finance plan's
    matched bid (R-C19)."""

    request_no: str
    user_id: str
    project_id: str
    amount_fen: int
    red_packet_fen: int = 0
    coupon_rate: str = "0"
    password_checked: bool = False
    holding_id: str | None = None

    def check(self) -> None:
        """The request's own fields, before anything is read."""
        if not 0 <= self.red_packet_fen < self.amount_fen:
            raise CustodyError(Refusal.RED_PACKET_INVALID, "a red packet is less than the bid")
        if not coupon_rate_ok(self.coupon_rate):
            raise CustodyError(Refusal.COUPON_INVALID,
                               f"a coupon adds 0 to {COUPON_RATE_MAX} a year")

    def content(self) -> Data:
        return {"user": self.user_id, "project": self.project_id, "amount": self.amount_fen,
                "red_packet": self.red_packet_fen, "coupon": self.coupon_rate}


@dataclass(frozen=True, slots=True)
class ProjectTerms:
    """A request to register a project (R-C8): its borrower, amount, rate and bid rules."""

    request_no: str
    project_id: str
    borrower_user_id: str
    amount_fen: int
    annual_rate: str
    months: int
    method: Method
    bid_min_fen: int
    bid_max_fen: int
    bid_step_fen: int
    service_fee_rate: str = "0"
    newbie_only: bool = False
    risk_level: int = 1
    raise_days: int = 7
    guarantor_user_id: str | None = None

    def check(self) -> None:
        """The request's own fields, before anything is read."""
        if (self.amount_fen <= 0 or not 0 < self.bid_min_fen <= self.bid_max_fen
                or self.bid_step_fen <= 0):
            raise CustodyError(Refusal.FIELD_INVALID, "bad amounts")

    def content(self) -> Data:
        return {"project": self.project_id, "borrower": self.borrower_user_id,
                "amount": self.amount_fen, "rate": self.annual_rate, "months": self.months,
                "method": self.method, "min": self.bid_min_fen, "max": self.bid_max_fen,
                "step": self.bid_step_fen, "fee": self.service_fee_rate,
                "newbie": self.newbie_only, "risk": self.risk_level,
                "guarantor": self.guarantor_user_id}


@dataclass(frozen=True, slots=True)
class ProjectStep:
    """A request to lend, repay or settle one project (one item of a batch)."""

    request_no: str
    project_id: str
    password_checked: bool = False

    def check(self) -> None:
        """Nothing to check before the project is read."""

    def content(self) -> Data:
        return {"project": self.project_id}



@dataclass(frozen=True, slots=True)
class ClaimPurchase:
    """A request to buy a listed claim (债权转让, R-C14) as the set-based call takes it."""

    request_no: str
    listing_id: str
    buyer_user_id: str
    password_checked: bool = False

    def check(self) -> None:
        """Nothing to check before the listing is read."""

    def content(self) -> Data:
        return {"listing": self.listing_id, "buyer": self.buyer_user_id}
