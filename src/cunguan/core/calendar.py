"""The Chinese working-day calendar (adjusted working days included).

Official holidays come from the maintained ``chinesecalendar`` package, which covers the years it
was released for (see ``covered_years``). Beyond them a bank must load the State Council notice as
overrides; until it does, weekdays count as working days and ``is_official`` says False so that
callers (day status, reports) can warn. Overrides always win.
"""

from collections.abc import Mapping
from datetime import date, timedelta

import chinese_calendar

from cunguan.core import limits


def covered_years() -> range:
    """The years for which the package carries the official calendar."""
    years = sorted({d.year for d in chinese_calendar.holidays} | {
        d.year for d in chinese_calendar.workdays})
    return range(years[0], years[-1] + 1)


class WorkingCalendar:
    """Answers whether a date is a working day (工作日)."""

    def __init__(self, overrides: Mapping[date, bool] | None = None) -> None:
        self._overrides = dict(overrides or {})
        self._covered = covered_years()

    def is_official(self, day: date) -> bool:
        return day in self._overrides or day.year in self._covered

    def is_working_day(self, day: date) -> bool:
        if day in self._overrides:
            return self._overrides[day]
        if day.year in self._covered:
            return bool(chinese_calendar.is_workday(day))
        return day.weekday() < 5

    def next_working_day(self, day: date) -> date:
        """The first working day strictly after ``day``."""
        candidate = day
        for _ in range(limits.working_day_search_days_max):
            candidate += timedelta(days=1)
            if self.is_working_day(candidate):
                return candidate
        raise ValueError(f"no working day within {limits.working_day_search_days_max} days "
                         f"after {day}")
