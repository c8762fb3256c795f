"""Day cutover and close (日切, R-L7/R-L8): switch the date, check, snapshot — or stop, report."""

from dataclasses import dataclass
from datetime import date
from typing import Any

from cunguan.core import limits
from cunguan.core.calendar import WorkingCalendar
from cunguan.core.clock import Clock, system_clock
from cunguan.core.errors import CunguanError
from cunguan.custody.rules import checks as custody_checks
from cunguan.db.connection import Engine, read_connection
from cunguan.ledger.daybook import (
    CloseOutcome,
    Finding,
    close_decision,
    decision_message,
    format_report,
    run_checks,
)
from cunguan.ledger.model import Reject
from cunguan.ledger.store import daybook as daybook_store
from cunguan.ledger.store.calendar import load_calendar

#: Contexts whose day-end checks register themselves on import.
CHECK_MODULES = (custody_checks,)


@dataclass(frozen=True, slots=True)
class DayClose:
    """The outcome of one close attempt: the day it concerns, what became of it (a named
    outcome, ``CloseOutcome``), the checks' findings, and the report or message."""

    accounting_date: date
    outcome: CloseOutcome
    findings: list[Finding]
    report: str

    @property
    def closed(self) -> bool:
        """This call closed the day (a retry of a closed day's close is not a close)."""
        return self.outcome is CloseOutcome.CLOSED


class DayService:
    def __init__(self, engine: Engine, *, clock: Clock = system_clock,
                 calendar: WorkingCalendar | None = None) -> None:
        self.engine = engine
        self.clock = clock
        self.calendar = calendar or load_calendar(engine)

    def close(self, tenant_id: str, day: date | None = None) -> DayClose:
        """Cut over the open day (unless a cut-over day still waits to close), then close it
        — once its business date has passed in CST, and once (``close_decision``); ``day``
        names the day meant, so that a retry of its close is known for one.

        Business goes on, dated the next day, while the checks run. A finding leaves the day
        ``cut_over`` with its report; fix the cause and run close again.
        """
        with self.engine.begin() as conn:
            state = daybook_store.close_state(conn, tenant_id, day)
            if state is None:
                raise CunguanError(Reject.TENANT_NOT_FOUND, f"no tenant {tenant_id}")
            open_day, pending, last_closed, asked_closed = state
            next_day = pending or open_day
            outcome, target = close_decision(next_day, last_closed, day, asked_closed,
                                             self.clock())
            if outcome is not CloseOutcome.CLOSED:
                return DayClose(target, outcome, [],
                                decision_message(outcome, target, next_day))
            if pending is None:
                daybook_store.cut_over(conn, tenant_id, self.calendar.is_working_day)
        return self._check_and_close(tenant_id, target)

    def _check_and_close(self, tenant_id: str, day: date) -> DayClose:
        with read_connection(self.engine, snapshot=True) as conn:
            facts = daybook_store.gather_facts(conn, tenant_id, day)
        findings = run_checks(facts)
        report = format_report(facts, findings)
        with self.engine.begin() as conn:
            if findings:
                daybook_store.mark_day(conn, tenant_id, day, daybook_store.CUT_OVER, report,
                                       None)
                return DayClose(day, CloseOutcome.FINDINGS, findings, report)
            if not daybook_store.record_close(conn, facts, report, self.clock()):
                return DayClose(day, CloseOutcome.ALREADY_CLOSED, [],
                                f"day {day} is already closed")
        return DayClose(day, CloseOutcome.CLOSED, findings, report)

    def days(self, tenant_id: str) -> list[tuple[Any, ...]]:
        with read_connection(self.engine) as conn:
            return daybook_store.list_days(conn, tenant_id, limits.days_listed_max)

    def subject_balances(self, tenant_id: str, day: date) -> list[tuple[Any, ...]]:
        with read_connection(self.engine) as conn:
            return daybook_store.subject_balances(conn, tenant_id, day)
