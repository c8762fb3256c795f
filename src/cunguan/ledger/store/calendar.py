"""The working-day calendar with the operators' overrides (R-L7).

The chinesecalendar package carries the official calendar up to its release year; each year's
State Council notice is loaded here (``cunguan calendar load``) as soon as it is published.
"""

import csv
from datetime import date
from pathlib import Path

from sqlalchemy import Engine, delete, insert, select
from sqlalchemy.exc import DBAPIError

from cunguan.core import limits
from cunguan.core.calendar import WorkingCalendar
from cunguan.core.errors import CunguanError
from cunguan.db.check import database_problem
from cunguan.db.connection import read_connection
from cunguan.ledger.store.tables import calendar_days


def load_calendar(engine: Engine) -> WorkingCalendar:
    """The calendar the services use: the package's, with every loaded override."""
    try:
        with read_connection(engine) as conn:
            rows = conn.execute(select(calendar_days.c.day,
                                       calendar_days.c.is_working_day)).all()
    except DBAPIError as exc:   # missing tables, or no database at all: say which
        raise database_problem(exc, engine.url.render_as_string(hide_password=False)) from exc
    return WorkingCalendar({day: bool(working) for day, working in rows})


def import_overrides(engine: Engine, path: Path) -> int:
    """Load ``date,working[,name]`` rows (working: 1 or 0); a day loaded again is replaced."""
    rows = []
    with path.open(encoding="utf-8-sig", newline="") as handle:
        for number, row in enumerate(csv.DictReader(handle), start=2):
            try:
                day = date.fromisoformat(row["date"].strip())
                working = {"1": 1, "0": 0}[row["working"].strip()]
            except (KeyError, ValueError, AttributeError) as exc:
                raise CunguanError("calendar_row_invalid",
                                   f"line {number}: need date (YYYY-MM-DD) and working (1/0)"
                                   ) from exc
            rows.append({"day": day, "is_working_day": working,
                         "name": (row.get("name") or "").strip()[:64]})
    if not rows or len(rows) > limits.calendar_rows_max:
        raise CunguanError("calendar_row_invalid", f"1 to {limits.calendar_rows_max} rows")
    with engine.begin() as conn:
        conn.execute(delete(calendar_days).where(
            calendar_days.c.day.in_([r["day"] for r in rows])))
        conn.execute(insert(calendar_days), rows)
    return len(rows)
