"""Repayment rules (R-C12, R-C13): which installments are owed, overdue penalty interest, early
repayment's interest, the investors' shares of an installment and interest coupons. Pure: the
handlers read the rows and post what these compute.

Inputs are read through small protocols (a database row or a frozen record will do); amounts
are int fen, rates exact decimal text.
"""

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Protocol, TypeVar

from cunguan.core.money import round_half_up, split_cumulative, split_running, to_fraction
from cunguan.custody.rules import accounts as chart
from cunguan.custody.rules.bids import ProjectStatus
from cunguan.custody.rules.refusals import CustodyError, Refusal
from cunguan.ledger.model import Command, Transfer

#: Overdue penalty interest per day on the unpaid installment (configurable per service).
PENALTY_DAILY_RATE_DEFAULT = "0.0005"

#: The largest interest coupon: 24 % a year, the ceiling Chinese courts protect for loans.
COUPON_RATE_MAX = "0.24"

#: Interest owed on early repayment: "current" (this period's), "full" (all scheduled) or
#: "none"; the platform's loan contract decides.
EARLY_INTEREST_RULES = ("current", "full", "none")

#: An open claim's statuses (a listed claim is paid to its holder until sold).
OPEN_CLAIM = ("holding", "listed")


class Owed(Protocol):
    """An installment's amounts, as the schedule has them."""

    @property
    def principal_fen(self) -> int: ...
    @property
    def interest_fen(self) -> int: ...


class Charged(Owed, Protocol):
    """An installment with the penalty interest charged on it."""

    @property
    def penalty_fen(self) -> int: ...


class Claim(Protocol):
    """An investment claim: what it lent and what it is still owed."""

    @property
    def principal_fen(self) -> int: ...
    @property
    def outstanding_fen(self) -> int: ...


class CouponClaim(Protocol):
    """An open claim carrying an interest coupon: its rate a year and what it has left."""

    @property
    def outstanding_fen(self) -> int: ...
    @property
    def coupon_rate(self) -> str: ...
    @property
    def coupon_due_fen(self) -> int: ...


class ScheduleRow(Owed, Protocol):
    """An installment of a project's schedule as stored: its period and status too."""

    @property
    def period(self) -> int: ...
    @property
    def status(self) -> str: ...


class Dated(Owed, Protocol):
    """An installment with its due date."""

    @property
    def due_date(self) -> date: ...


class Stated(Protocol):
    """A row with a status: a claim, a project."""

    @property
    def status(self) -> str: ...


class CouponHolder(CouponClaim, Protocol):
    """An open claim with a coupon, as a settlement pays it: its id and holder too."""

    @property
    def claim_id(self) -> str: ...
    @property
    def holder_user_id(self) -> str: ...


_C = TypeVar("_C", bound=CouponClaim)
_S = TypeVar("_S", bound=ScheduleRow)
_T = TypeVar("_T", bound=Stated)


@dataclass(frozen=True, slots=True)
class Due:
    """An installment as a repayment charges it.

    Attributes:
      principal_fen: the installment's principal.
      interest_fen: its interest.
      penalty_fen: the overdue penalty interest charged on it (``penalty_fen``).
    """

    principal_fen: int
    interest_fen: int
    penalty_fen: int


def penalty_fen(owed: Owed, due_date: date, day: date, daily_rate: str) -> int:
    """Penalty interest on an installment's principal and interest: ``daily_rate`` for each
    day it is overdue on ``day`` (none on or before its due date), rounded half up."""
    overdue_days = max(0, (day - due_date).days)
    rate = to_fraction(daily_rate) * overdue_days
    return round_half_up((owed.principal_fen + owed.interest_fen) * rate)


def early_interest_fen(rule: str, due: Owed, rest: Sequence[Owed]) -> int:
    """The interest an early repayment owes under ``rule`` (one of EARLY_INTEREST_RULES):
    ``due``'s (the current period's), every installment's still ``rest``ing, or none."""
    return {"current": due.interest_fen, "none": 0,
            "full": sum(r.interest_fen for r in rest)}[rule]


@functools.lru_cache(maxsize=256)
def coupon_rate_ok(rate: str) -> bool:
    """A coupon rate is decimal text from 0 to COUPON_RATE_MAX a year. Cached: the same few
    coupon texts come with thousands of bids (two Fractions compared cost ~5 µs a bid)."""
    try:
        return 0 <= to_fraction(rate) <= to_fraction(COUPON_RATE_MAX)
    except ValueError:
        return False


def received_fen(amounts_fen: Sequence[int], weights: Sequence[int]) -> list[int]:
    """What each party has received of ``amounts_fen``, each split in turn on the running
    totals (``split_running``, as the settlements split them)."""
    received = [0] * len(weights)
    for parts in split_running(amounts_fen, weights):
        received = [r + p for r, p in zip(received, parts, strict=True)]
    return received


def shares_fen(due: Charged, claims: Sequence[Claim], paid: Sequence[Charged], *,
               last: bool) -> list[tuple[int, int]]:
    """(principal, interest + penalty) per claim — every investment claim of the project,
    by claim id, closed ones too — pro rata to the principal lent, split on the running
    totals (R-C13): the principal by what each claim has been repaid (lent − outstanding),
    the income by the project's ``paid`` installments split the same way before, so that
    no claim drifts more than a fen from its exact share; the last installment closes
    every claim exactly."""
    weights = [c.principal_fen for c in claims]
    if last:
        principals = [c.outstanding_fen for c in claims]  # closes every claim exactly
    else:
        principals = split_cumulative(
            due.principal_fen, weights, [c.principal_fen - c.outstanding_fen for c in claims])
    earned = received_fen([i.interest_fen + i.penalty_fen for i in paid], weights)
    income = split_cumulative(due.interest_fen + due.penalty_fen, weights, earned)
    return list(zip(principals, income, strict=True))


def coupons_fen(claims: Sequence[_C], *, last: bool) -> list[tuple[_C, int]]:
    """Coupon interest for the month on each open claim's outstanding principal (rate a year
    / 12, rounded half up, at most what the coupon has left); the last installment pays what
    is left. Only the claims paid something, in their order."""
    paid: list[tuple[_C, int]] = []
    for claim in claims:
        if not claim.coupon_due_fen:
            continue
        monthly = round_half_up(claim.outstanding_fen * to_fraction(claim.coupon_rate) / 12)
        amount_fen = claim.coupon_due_fen if last else min(monthly, claim.coupon_due_fen)
        if amount_fen:
            paid.append((claim, amount_fen))
    return paid


def owed(installments: Sequence[_S]) -> list[_S]:
    """The installments still to repay, in period order: due or frozen, and not 0.00 — one
    that owes nothing never waits for a repayment (R-C12: paid at lending; a schedule
    written before that rule, or migrated, has its 0.00 ones paid with the next settlement)."""
    return [i for i in installments if i.status == "frozen"
            or (i.status == "due" and i.principal_fen + i.interest_fen)]


def owing_nothing(installments: Sequence[ScheduleRow]) -> list[int]:
    """The periods of the 0.00 installments still marked due (see ``owed``)."""
    return [i.period for i in installments
            if i.status == "due" and not i.principal_fen + i.interest_fen]


def paid(installments: Sequence[_S]) -> list[_S]:
    """The installments repaid (their income split weighs in the next split, ``shares_fen``)."""
    return [i for i in installments if i.status == "paid"]


def next_due(installments: Sequence[_S]) -> _S:
    """The earliest unpaid installment (earlier installments are paid first, R-C13), if it
    is not already frozen for repayment; ``installments`` in period order."""
    row = next(iter(owed(installments)), None)
    if row is None:
        raise CustodyError(Refusal.NOTHING_DUE, "every installment is paid")
    if row.status != "due":
        raise CustodyError(Refusal.REPAYMENT_IN_PROGRESS, f"installment {row.period} is frozen")
    return row


def repaying(project: _T) -> _T:
    """``project`` if it is being repaid (lent, not yet settled); refused otherwise."""
    if project.status != ProjectStatus.REPAYING.value:
        raise CustodyError(Refusal.PROJECT_NOT_REPAYING, f"project is {project.status}")
    return project


def overdue_penalty_fen(due: Dated, day: date, daily_rate: str) -> int:
    """``penalty_fen`` on an installment overdue since its own due date."""
    return penalty_fen(due, due.due_date, day, daily_rate)


def open_claims(claims: Sequence[_T]) -> list[_T]:
    """The investors' open claims among ``claims`` (``OPEN_CLAIM``)."""
    return [c for c in claims if c.status in OPEN_CLAIM]


def coupon_moves(request_no: str, claims: Sequence[CouponHolder], *, last: bool
                 ) -> tuple[list[Command], dict[str, int]]:
    """The coupons of ``coupons_fen`` as transfers from the marketing account; and what each
    paid claim has left to receive."""
    moves: list[Command] = []
    left: dict[str, int] = {}
    for claim, amount_fen in coupons_fen(claims, last=last):
        moves.append(Transfer(f"{request_no}#coupon#{claim.claim_id}", chart.MARKETING,
                              chart.user_account_no(claim.holder_user_id), amount_fen,
                              "interest_coupon"))
        left[claim.claim_id] = claim.coupon_due_fen - amount_fen
    return moves, left
