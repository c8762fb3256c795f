"""What every context's tables share: one SQLAlchemy ``MetaData`` (one Alembic history) and
the one way times are stored (aware, UTC, on both backends)."""

from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import DateTime, MetaData, TypeDecorator

metadata = MetaData()


@lru_cache(maxsize=256)
def _in_utc(value: datetime) -> datetime:
    # Cached: a set-based call stamps thousands of rows with the same time. Equal instants in
    # other zones hit the same entry, and have the same UTC value.
    return value.astimezone(UTC)


class UtcDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out, on both backends (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are refused: times are stored in UTC")
        return _in_utc(value)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
