"""A driver error that escapes a command, named for what it says about the database (missing,
not migrated, unreachable): the one place above the stores that meets SQLAlchemy's errors."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy.exc import DBAPIError

from cunguan.db.check import database_problem


@contextmanager
def named_database_errors(url_of: Callable[[], str]) -> Iterator[None]:
    """Raise a driver error inside as ``database_problem`` for the URL ``url_of`` gives
    (asked only when one is raised)."""
    try:
        yield
    except DBAPIError as exc:
        raise database_problem(exc, url_of()) from exc
