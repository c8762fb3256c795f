"""Bid checks (R-C9): pure, one named code per failed check, in the order a platform fixes them."""

from dataclasses import dataclass
from enum import StrEnum

from cunguan.custody.rules.refusals import Refusal


class ProjectStatus(StrEnum):
    RAISING = "raising"
    FULL = "full"
    LENT = "lent"
    FAILED = "failed"          # 流标
    REPAYING = "repaying"
    SETTLED = "settled"


@dataclass(frozen=True, slots=True)
class BidTerms:
    """What a project allows a bid to be."""

    borrower_user_id: str
    status: ProjectStatus
    amount_fen: int
    raised_fen: int
    bid_min_fen: int
    bid_max_fen: int
    bid_step_fen: int
    newbie_only: bool
    risk_level: int


@dataclass(frozen=True, slots=True)
class Bidder:
    user_id: str
    account_open: bool
    authorized: bool           # password verified now, or a standing authorization covers it
    available_fen: int
    has_bid_before: bool       # any earlier bid on any project (for newbie projects)
    risk_tolerance: int        # from the risk assessment; must be ≥ the project's level


def check_bid(terms: BidTerms, bidder: Bidder, amount_fen: int) -> str | None:
    """The first failed check's code, or None."""
    checks: list[tuple[bool, str]] = [
        (bidder.account_open, Refusal.INVESTOR_ACCOUNT_NOT_OPEN),
        (bidder.authorized, Refusal.AUTHORIZATION_REQUIRED),
        (bidder.user_id != terms.borrower_user_id, Refusal.BORROWER_CANNOT_BID),
        (terms.status in (ProjectStatus.RAISING, ProjectStatus.FULL), Refusal.PROJECT_NOT_RAISING),
        (terms.raised_fen < terms.amount_fen, Refusal.PROJECT_FULL),
        (amount_fen >= terms.bid_min_fen, Refusal.BID_BELOW_MINIMUM),
        (amount_fen <= terms.bid_max_fen, Refusal.BID_ABOVE_MAXIMUM),
        ((amount_fen - terms.bid_min_fen) % terms.bid_step_fen == 0, Refusal.BID_NOT_ON_STEP),
        (terms.raised_fen + amount_fen <= terms.amount_fen, Refusal.BID_EXCEEDS_REMAINING),
        (not (terms.newbie_only and bidder.has_bid_before), Refusal.NEWBIE_PROJECT_ONLY_ONCE),
        (bidder.risk_tolerance >= terms.risk_level, Refusal.RISK_LEVEL_UNSUITABLE),
        (bidder.available_fen >= amount_fen, Refusal.EXCEEDS_AVAILABLE),
    ]
    return next((code for passed, code in checks if not passed), None)
