"""R-L7: the Chinese working-day calendar, adjusted working days included."""

from datetime import date

from cunguan.core.calendar import WorkingCalendar, covered_years


def test_r_l7_official_holidays_and_adjusted_working_days() -> None:
    calendar = WorkingCalendar()
    assert not calendar.is_working_day(date(2026, 10, 1))   # National Day
    assert calendar.is_working_day(date(2026, 10, 10))      # adjusted Saturday (调休)
    assert calendar.is_working_day(date(2026, 11, 23))      # a Monday
    assert not calendar.is_working_day(date(2026, 11, 22))  # a Sunday
    assert calendar.is_official(date(2026, 5, 1))


def test_r_l7_beyond_the_package_years_weekdays_work_until_overrides_load() -> None:
    beyond = date(covered_years().stop + 1, 1, 1)
    calendar = WorkingCalendar()
    assert not calendar.is_official(beyond)
    assert calendar.is_working_day(beyond) == (beyond.weekday() < 5)
    overridden = WorkingCalendar({beyond: False})
    assert overridden.is_official(beyond)
    assert not overridden.is_working_day(beyond)


def test_next_working_day_skips_the_golden_week() -> None:
    assert WorkingCalendar().next_working_day(date(2026, 9, 30)) == date(2026, 10, 8)
