"""Batch windows (R-C11): when batch lending and repayment instructions run."""

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from cunguan.core.clock import CST


@dataclass(frozen=True, slots=True)
class WindowPolicy:
    """Default: every two hours from 08:00 to 22:00, pre-processing 30 minutes before."""

    first: time = time(8, 0)
    last: time = time(22, 0)
    every: timedelta = timedelta(hours=2)
    pre_processing: timedelta = timedelta(minutes=30)

    def windows_on(self, day: datetime) -> list[datetime]:
        start = datetime.combine(day.astimezone(CST).date(), self.first, CST)
        end = datetime.combine(day.astimezone(CST).date(), self.last, CST)
        slots = []
        while start <= end:
            slots.append(start)
            start += self.every
        return slots


def next_window(submitted_at: datetime, policy: WindowPolicy = WindowPolicy()) -> datetime:
    """The first window whose pre-processing has not started yet when the batch arrives."""
    day = submitted_at.astimezone(CST)
    for _ in range(3):
        for window in policy.windows_on(day):
            if submitted_at <= window - policy.pre_processing:
                return window
        day = day + timedelta(days=1)
    raise AssertionError("a window exists within three days")
