"""One DB transaction per command, retried when it loses a lock or uniqueness race."""

import random
import sqlite3
import time
from collections.abc import Callable
from typing import TypeVar

import psycopg
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError

from cunguan.core import limits

T = TypeVar("T")

#: PostgreSQL states worth a retry: serialization failure, deadlock, unique violation (a
#: concurrent duplicate request no. committed first; the retry replays it).
_RETRYABLE_SQLSTATES = frozenset({"40001", "40P01", "23505"})


def retryable(exc: BaseException) -> bool:
    """Driver errors arrive raw from the hot path and wrapped from SQLAlchemy elsewhere."""
    cause = exc.orig if isinstance(exc, DBAPIError) else exc
    if getattr(cause, "sqlstate", None) in _RETRYABLE_SQLSTATES:
        return True
    return isinstance(cause, sqlite3.OperationalError) and "locked" in str(cause)


def with_retries(attempt: Callable[[], T]) -> T:
    """Run ``attempt`` again (with jittered back-off) while it loses races; other errors pass."""
    for number in range(limits.db_retries_max):
        try:
            return attempt()
        except (DBAPIError, psycopg.Error, sqlite3.Error) as exc:
            if not retryable(exc) or number == limits.db_retries_max - 1:
                raise
            backoff_ms = random.uniform(0, min(limits.db_retry_backoff_ms_max, 2**number * 5))
            time.sleep(backoff_ms / 1000)
    raise AssertionError("unreachable: the last attempt re-raises")


def in_transaction(engine: Engine, work: Callable[[Connection], T]) -> T:
    """``work`` in one DB transaction: committed if it returns, rolled back if it raises."""
    def attempt() -> T:
        with engine.begin() as conn:
            return work(conn)
    return with_retries(attempt)
