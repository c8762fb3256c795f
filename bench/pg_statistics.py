"""Planner statistics during a PostgreSQL benchmark, as autovacuum keeps them on a live bank.

A benchmark starts from an empty database and grows its tables many times over within a
minute: the statistics of the last ANALYZE soon describe tables a fraction of their size, and
the planner then chooses index-range scans whose cost grows with every row written. A bank's
server runs autovacuum, which re-analyzes a table once its changes since the last ANALYZE pass
``autovacuum_analyze_threshold + autovacuum_analyze_scale_factor × rows``; some servers (this
machine's among them) run with ``autovacuum = off``. There this keeper applies the same rule
itself every ``INTERVAL_S``, so that the figures measure the code, not the stale plans.
"""

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, text

from cunguan.db.connection import normalise_url

INTERVAL_S = 5.0
#: PostgreSQL's defaults for autovacuum_analyze_threshold and _scale_factor.
ANALYZE_THRESHOLD_ROWS = 50
ANALYZE_SCALE_FACTOR = 0.1

_DUE = text(
    "SELECT quote_ident(s.schemaname) || '.' || quote_ident(s.relname) FROM pg_stat_user_tables s "
    "JOIN pg_class c ON c.oid = s.relid "
    "WHERE s.n_mod_since_analyze > :threshold + :scale * greatest(c.reltuples, 0)")


@contextmanager
def fresh_statistics(url: str) -> Iterator[list[str]]:
    """While the block runs, ANALYZE each table autovacuum would analyze, if autovacuum is off.
    Yields the list of tables analyzed (for the record)."""
    engine = create_engine(normalise_url(url), isolation_level="AUTOCOMMIT")
    analyzed: list[str] = []
    with engine.connect() as conn:
        autovacuum_on = conn.execute(text("SHOW autovacuum")).scalar_one() == "on"
    stop = threading.Event()

    def keep() -> None:
        with engine.connect() as conn:
            while not stop.wait(INTERVAL_S):
                due = conn.execute(_DUE, {"threshold": ANALYZE_THRESHOLD_ROWS,
                                          "scale": ANALYZE_SCALE_FACTOR}).scalars().all()
                for table in due:
                    conn.execute(text(f"ANALYZE {table}"))
                analyzed.extend(due)

    keeper = None if autovacuum_on else threading.Thread(target=keep, daemon=True)
    if keeper:
        keeper.start()
    try:
        yield analyzed
    finally:
        stop.set()
        if keeper:
            keeper.join()
        engine.dispose()
