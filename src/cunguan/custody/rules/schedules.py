"""Repayment schedules (R-C12) and each investor's share of every installment.

Installments are rounded half-up to the fen and the last one absorbs the rounding, so the
principal repaid is exactly the principal lent. Shares are split on the running total
(``split_running``): every investor's parts add up exactly to each installment, and what each
has received stays within one fen of their exact share, period after period.

Zero installments (R-C12): a schedule carries a 0.00 installment only where it cannot be
avoided. A level principal rounded up would run the balance out before the last month (1.00
yuan over 36 months: 3 fen a month), so then the principal is spread fen by fen instead — the
floor of principal ÷ months each month, the fen left over one each to the last months — and
an equal installment's principal keeps a fen for every later month. Every month then repays
principal when the principal is at least a fen a month, and the last installment always
carries principal. What is left at 0.00 (interest-first at rate 0, interest rounding to
nothing, a principal of fewer fen than months at rate 0) owes nothing: it is paid at lending
(``owes_nothing``), reported in the lending's answer, and never waits for a repayment.
"""

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from fractions import Fraction

from cunguan.core import limits
from cunguan.core.money import Rate, round_half_up, split_pro_rata, split_running, to_fraction


class Method(StrEnum):
    EQUAL_INSTALLMENT = "equal_installment"   # 等额本息
    EQUAL_PRINCIPAL = "equal_principal"       # 等额本金
    INTEREST_FIRST = "interest_first"         # 先息后本 / 每月还息到期还本
    BULLET = "bullet"                         # 一次性还本付息


class DayCount(StrEnum):
    MONTHLY = "monthly"   # annual rate / 12 per month
    ACT_360 = "act_360"   # annual rate × days / 360
    ACT_365 = "act_365"   # annual rate × days / 365


@dataclass(frozen=True, slots=True)
class Installment:
    period: int
    due_date: date
    principal_fen: int
    interest_fen: int

    @property
    def total_fen(self) -> int:
        return self.principal_fen + self.interest_fen


def add_months(day: date, months: int) -> date:
    """Same day ``months`` later, clamped to the month's end (31 Jan + 1 month = 28/29 Feb)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _period_rate(annual: Fraction, day_count: DayCount, start: date, end: date) -> Fraction:
    if day_count is DayCount.MONTHLY:
        return annual / 12
    days = (end - start).days
    return annual * days / (360 if day_count is DayCount.ACT_360 else 365)


def schedule(principal_fen: int, annual_rate: Rate, months: int, method: Method, *,
             start: date, day_count: DayCount = DayCount.MONTHLY) -> list[Installment]:
    """The installments of a loan of ``principal_fen`` lent on ``start`` for ``months``."""
    if principal_fen <= 0 or not 1 <= months <= limits.loan_term_months_max:
        raise ValueError("principal must be positive and the term 1 to 600 months")
    annual = to_fraction(annual_rate)
    if annual < 0:
        raise ValueError("a rate cannot be negative")
    dues = [add_months(start, k) for k in range(months + 1)]
    rates = [_period_rate(annual, day_count, dues[k], dues[k + 1]) for k in range(months)]
    if method is Method.BULLET:
        interest = round_half_up(principal_fen * sum(rates, Fraction(0)))
        return [Installment(1, dues[-1], principal_fen, interest)]
    if method is Method.EQUAL_INSTALLMENT and day_count is not DayCount.MONTHLY:
        raise ValueError("equal installments use the monthly rate (annual / 12)")
    level_fen = _level_fen(principal_fen, annual / 12, months, method)
    spread = _spread_fen(principal_fen, months, level_fen)
    result, balance = [], principal_fen
    for k in range(months):
        interest = round_half_up(balance * rates[k])
        later_months = months - 1 - k
        if k == months - 1:
            part = balance  # the last installment absorbs every rounding
        elif method is Method.INTEREST_FIRST:
            part = 0
        elif method is Method.EQUAL_INSTALLMENT and annual:
            # a fen of principal kept for every later month the balance can cover
            part = max(0, min(level_fen - interest, balance - later_months))
        else:
            part = min(level_fen, balance) if spread is None else spread[k]
        result.append(Installment(k + 1, dues[k + 1], part, interest))
        balance -= part
    return result


def _spread_fen(principal_fen: int, months: int, level_fen: int) -> list[int] | None:
    """A level principal's months spread fen by fen, when the rounded level would leave the
    last month nothing (``level × (months − 1) ≥ principal``); None when it leaves some."""
    if level_fen * (months - 1) < principal_fen:
        return None
    floor_fen, extra = divmod(principal_fen, months)
    return [floor_fen + (k >= months - extra) for k in range(months)]


def owes_nothing(installment: Installment) -> bool:
    """A 0.00 installment: paid at lending, it never waits for a repayment (see above)."""
    return installment.total_fen == 0


def _level_fen(principal_fen: int, monthly: Fraction, months: int, method: Method) -> int:
    """The level amount: the whole payment (等额本息) or the principal part (等额本金)."""
    if method is Method.EQUAL_INSTALLMENT and monthly:
        growth = (1 + monthly) ** months
        return round_half_up(principal_fen * monthly * growth / (growth - 1))
    return round_half_up(Fraction(principal_fen, months))


def split_installment(installment: Installment, shares_fen: Sequence[int]
                      ) -> list[tuple[int, int]]:
    """Each investor's (principal, interest) of an installment, pro rata to their shares."""
    principals = split_pro_rata(installment.principal_fen, shares_fen)
    interests = split_pro_rata(installment.interest_fen, shares_fen)
    return list(zip(principals, interests, strict=True))


def split_schedule(installments: Sequence[Installment], shares_fen: Sequence[int]
                   ) -> list[list[tuple[int, int]]]:
    """Each investor's (principal, interest) of every installment, split on the running
    totals, so that no investor drifts more than a fen from their exact share."""
    principals = split_running([i.principal_fen for i in installments], shares_fen)
    interests = split_running([i.interest_fen for i in installments], shares_fen)
    return [list(zip(p, i, strict=True)) for p, i in zip(principals, interests, strict=True)]
