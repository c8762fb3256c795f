"""BEPS's business types and parameters (R-S1, R-S5, R-S8): every figure the seed gives is a
named, configurable parameter with the seed's value as its default.

Seed 002 (二代小额支付系统): credits only up to 50,000 yuan (规定金额起点以下贷记业务); ordinary and
periodic credits are cleared on T, ordinary and periodic debits answered by T+N; real-time items
complete within 20 seconds; sessions at 10:00, 11:00, 13:00, 14:00, 15:00 and 16:00 plus the last
at cutover, parameters adjustable during the day with immediate effect.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import time
from enum import StrEnum
from typing import Any

from cunguan.core import fields, limits
from cunguan.core.fields import FieldInvalid


class BusinessType(StrEnum):
    """The seven kinds of BEPS business (R-S1)."""

    ORDINARY_CREDIT = "ordinary_credit"     # 普通贷记: 汇兑, 国库汇款
    PERIODIC_CREDIT = "periodic_credit"     # 定期贷记: 批量代付
    REALTIME_CREDIT = "realtime_credit"     # 实时贷记: 通存
    ORDINARY_DEBIT = "ordinary_debit"       # 普通借记: 支票截留, 国库借记划拨
    PERIODIC_DEBIT = "periodic_debit"       # 定期借记: 批量代收
    REALTIME_DEBIT = "realtime_debit"       # 实时借记: 通兑
    INFORMATION = "information"             # 信息类: no money moves

    @property
    def is_credit(self) -> bool:
        return self in _CREDITS

    @property
    def is_debit(self) -> bool:
        return self in _DEBITS

    @property
    def is_realtime(self) -> bool:
        return self in (BusinessType.REALTIME_CREDIT, BusinessType.REALTIME_DEBIT)

    @property
    def is_periodic(self) -> bool:
        return self in (BusinessType.PERIODIC_CREDIT, BusinessType.PERIODIC_DEBIT)

    @property
    def moves_money(self) -> bool:
        return self is not BusinessType.INFORMATION


_CREDITS = frozenset({BusinessType.ORDINARY_CREDIT, BusinessType.PERIODIC_CREDIT,
                      BusinessType.REALTIME_CREDIT})
_DEBITS = frozenset({BusinessType.ORDINARY_DEBIT, BusinessType.PERIODIC_DEBIT,
                     BusinessType.REALTIME_DEBIT})

#: The seed's sessions (R-S5); the last session of the day runs at cutover besides these.
DEFAULT_SESSION_TIMES = (time(10), time(11), time(13), time(14), time(15), time(16))


@dataclass(frozen=True, slots=True)
class ClearingParameters:
    """The operator-set parameters of the clearing system (each with the seed's default).

    Attributes:
      credit_item_max_fen: a credit item above this is not small-value business (R-S1).
      debit_answer_days_max: the largest N of a debit's T+N answer period (R-S8).
      realtime_receipt_timeout_s: a real-time item without its receipt after this may be
        reversed (R-S8).
      session_times: the day's netting sessions before the one at cutover (R-S5).
      cap_warning_used_pcts: the shares of a participant's net debit cap whose crossing raises a
        warning event (R-S3), ascending.
      items_per_package_max: the most items one package may carry (R-S2).
      fee_per_item_fen: what the NPC bills the sending bank for each money item netted, at
        day end (R-S9; the seed names the billing, not the price: 0 until the operator sets it).
    """

    credit_item_max_fen: int = 5_000_000
    debit_answer_days_max: int = 5
    realtime_receipt_timeout_s: int = 20
    session_times: tuple[time, ...] = field(default=DEFAULT_SESSION_TIMES)
    cap_warning_used_pcts: tuple[int, ...] = (80, 90)
    items_per_package_max: int = limits.clearing_items_per_package_max
    fee_per_item_fen: int = 0

    def __post_init__(self) -> None:
        """Each parameter checked as a command's field: the Python API, the CLI and the
        stored row refuse the same values the same way (``field_invalid`` naming it)."""
        fields.amount_fen(self.credit_item_max_fen, "credit_item_max_fen")
        fields.whole_number(self.debit_answer_days_max, "debit_answer_days_max", minimum=0,
                            maximum=limits.clearing_debit_answer_days_max)
        fields.whole_number(self.realtime_receipt_timeout_s, "realtime_receipt_timeout_s",
                            minimum=1, maximum=limits.clearing_receipt_timeout_s_max)
        _ascending(self.session_times, "session_times", limits.clearing_sessions_per_day_max,
                   lambda t: type(t) is time and t.tzinfo is None, "a time of day, no zone")
        _ascending(self.cap_warning_used_pcts, "cap_warning_used_pcts", 99,
                   lambda p: type(p) is int and 0 < p < 100, "a whole percent, 1..99")
        fields.whole_number(self.items_per_package_max, "items_per_package_max", minimum=1,
                            maximum=limits.clearing_items_per_package_max)
        fields.amount_fen(self.fee_per_item_fen, "fee_per_item_fen", minimum=0)


def _ascending(values: object, name: str, count_max: int, each: Callable[[Any], bool],
               what: str) -> None:
    """A tuple of at most ``count_max`` values, each ``what``, ascending without repeats."""
    if not isinstance(values, tuple):
        raise FieldInvalid(name, f"must be a tuple, got {type(values).__name__}")
    if len(values) > count_max:
        raise FieldInvalid(name, f"at most {count_max}")
    if not all(each(v) for v in values):
        raise FieldInvalid(name, f"each must be {what}")
    if list(values) != sorted(set(values)):
        raise FieldInvalid(name, "must ascend without repeats")
