"""Sessions (场次, R-S5) and settlement (R-S6): which session an item nets in, the trial balance
a session must pass before it is submitted, and what settles now and what waits.

A session collects every item netted after the previous session's cut-off up to its own; the
last session of the day runs at cutover. Times change during the day with immediate effect: an
item belongs to the first session whose time is after the moment it netted, under the times in
force at that moment.

Settlement, decided here as a bank would (the seed says net debits settle from funds outside the
earmarked ones and a short one waits; it does not say how the credits wait): each net debit is
collected from its bank's settlement account into the clearing account as soon as the bank has
the available funds; the net credits are paid out of the clearing account once every net debit of
the session is collected, so the clearing account never goes below zero and no bank is paid
money another has not yet paid in.
"""

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from cunguan.core import limits
from cunguan.core.calendar import WorkingCalendar
from cunguan.core.clock import CST
from cunguan.core.errors import invariant

#: The number of the session at cutover: after every timed session whatever the day's times.
CUTOVER_SESSION = limits.clearing_sessions_per_day_max


def session_index(moment: time, times: Sequence[time]) -> int:
    """The index (0-based) of the session an item netted at ``moment`` belongs to, or
    ``CUTOVER_SESSION`` when it netted after the last timed session."""
    for index, cut_off in enumerate(times):
        if moment < cut_off:
            return index
    return CUTOVER_SESSION


@dataclass(frozen=True, slots=True)
class TrialBalance:
    """A session's positions summed by side (R-S5)."""

    net_debits_fen: int
    net_credits_fen: int

    @property
    def balanced(self) -> bool:
        return self.net_debits_fen == self.net_credits_fen


def trial_balance(positions: Mapping[str, int]) -> TrialBalance:
    """Σ net debits and Σ net credits of a session's positions: equal, or never submitted."""
    return TrialBalance(sum(-p for p in positions.values() if p < 0),
                        sum(p for p in positions.values() if p > 0))


def settlement_day(work_day: date, calendar: WorkingCalendar) -> date:
    """The day a working day's netting settles: itself when it is a working day; on a legal
    holiday the first working day after (R-S6)."""
    day = work_day
    for _ in range(limits.working_day_search_days_max):
        if calendar.is_working_day(day):
            return day
        day += timedelta(days=1)
    invariant(False, f"no working day within {limits.working_day_search_days_max} days")
    return day


def times_change_refusal(old: Sequence[time], new: Sequence[time], work_day: date,
                         now: datetime, submitted: Collection[int]) -> str | None:
    """Why the timed sessions of ``work_day`` may not change from ``old`` to ``new`` at ``now``,
    or None; ``submitted`` are the day's sessions already handed to settlement.

    Times change with immediate effect (R-S5), but never behind us: the cut-offs already
    passed stay as they are (so they keep their session numbers) and no new one is put behind
    us. Else an item netting now would be numbered into a session already submitted — read as
    settled without ever being in its settlement (R-S6: submitted positions are final) — or
    items already netted would change session. A session submitted before its cut-off (none
    is, today) is kept too."""
    def behind(times: Sequence[time]) -> list[time]:
        return [t for t in times if datetime.combine(work_day, t, CST) <= now]
    if behind(new) != behind(old):
        return (f"the cut-offs passed ({_times(behind(old))}) stay as they are; "
                f"the new times would make them {_times(behind(new))}")
    reached = sorted(s for s in submitted if len(behind(old)) <= s < CUTOVER_SESSION)
    if reached:
        return f"session {reached[0]} is submitted already"
    return None


def _times(times: Sequence[time]) -> str:
    return ", ".join(t.strftime("%H:%M") for t in times) or "none"


def sessions_on(work_day: date, calendar: WorkingCalendar, times: Sequence[time]
                ) -> tuple[time, ...]:
    """The timed sessions of a day: the parameter's on a working day, none on a holiday (its
    one netting a day is the cutover's, R-S6)."""
    return tuple(times) if calendar.is_working_day(work_day) else ()


@dataclass(frozen=True, slots=True)
class SettlementStep:
    """What one settlement pass of a session may do now.

    Attributes:
      collect: net debits to take now from each bank's available funds (bank → fen).
      waiting: banks short of funds, in the settlement queue (bank → fen still owed).
      pay_credits: whether every net debit is collected, so the net credits may be paid.
      credits: the net credits to pay (bank → fen), when ``pay_credits``.
    """

    collect: Mapping[str, int]
    waiting: Mapping[str, int]
    pay_credits: bool
    credits: Mapping[str, int]


def settlement_step(owed_fen: Mapping[str, int], credits_fen: Mapping[str, int],
                    available_fen: Mapping[str, int]) -> SettlementStep:
    """One pass over a submitted session: each bank still owing is collected in full when its
    available funds (outside earmarked funds) cover it, else it waits whole (R-S6). Partial
    collection is not done: a net debit settles in one move."""
    collect = {b: owed for b, owed in sorted(owed_fen.items())
               if owed > 0 and available_fen.get(b, 0) >= owed}
    waiting = {b: owed for b, owed in sorted(owed_fen.items()) if owed > 0 and b not in collect}
    done = not waiting
    return SettlementStep(collect, waiting, done, dict(sorted(credits_fen.items())) if done else {})
