"""An injectable clock so that tests and the demo can run a business day at any time."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone

#: China Standard Time; the custody bank's business day runs on it.
CST = timezone(timedelta(hours=8), "CST")

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


class FixedClock:
    """A clock that moves only when told to."""

    def __init__(self, now: datetime) -> None:
        if now.tzinfo is None:
            raise ValueError("FixedClock needs an aware datetime")
        self._now = now

    def __call__(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> None:
        self._now += delta
