"""Bid checks (R-C9): pure, one named code per failed check, in the order a platform fixes them."""

from dataclasses import dataclass
from enum import StrEnum


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
        (bidder.account_open, "investor_account_not_open"),
        (bidder.authorized, "authorization_required"),
        (bidder.user_id != terms.borrower_user_id, "borrower_cannot_bid"),
        (terms.status in (ProjectStatus.RAISING, ProjectStatus.FULL), "project_not_raising"),
        (terms.raised_fen < terms.amount_fen, "project_full"),
        (amount_fen >= terms.bid_min_fen, "bid_below_minimum"),
        (amount_fen <= terms.bid_max_fen, "bid_above_maximum"),
        ((amount_fen - terms.bid_min_fen) % terms.bid_step_fen == 0, "bid_not_on_step"),
        (terms.raised_fen + amount_fen <= terms.amount_fen, "bid_exceeds_remaining"),
        (not (terms.newbie_only and bidder.has_bid_before), "newbie_project_only_once"),
        (bidder.risk_tolerance >= terms.risk_level, "risk_level_unsuitable"),
        (bidder.available_fen >= amount_fen, "exceeds_available"),
    ]
    return next((code for passed, code in checks if not passed), None)
