"""The holds' partial indexes (migration 0014) serve the open-hold queries even in the generic
plans of prepared statements, which psycopg switches to after a statement's fifth run: the
status must be named as a literal for PostgreSQL to prove the index's predicate."""

import re
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Engine, Select, text
from sqlalchemy.dialects import postgresql

from cunguan.ledger.store import queries

pytestmark = pytest.mark.postgres


HOLDS, OPEN_EVERY = 20_000, 50


def _day_of_holds(engine: Engine) -> None:
    """Holds as a busy day leaves them: most settled, one in ``OPEN_EVERY`` open, some of
    those past their expiry."""
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO holds (tenant_id, hold_id, account_no, amount_fen, status, reason, "
            "expires_at, created_at) SELECT 'P1', n, 'U' || (n % 500), 100, "
            f"CASE WHEN n % {OPEN_EVERY} = 0 THEN 'open' ELSE 'settled' END, 'bid', "
            "TIMESTAMPTZ '2026-12-04 00:00+00' + n * INTERVAL '1 second', "
            "TIMESTAMPTZ '2026-12-03 00:00+00' FROM generate_series(1, :n) AS n"),
            {"n": HOLDS})
        conn.execute(text("ANALYZE holds"))


def _generic_plan(engine: Engine, statement: Select[Any]) -> str:
    compiled = statement.compile(dialect=postgresql.dialect(),
                                 compile_kwargs={"render_postcompile": True})
    names = list(compiled.params)
    sql = re.sub(r"%\((\w+)\)s", lambda m: f"${names.index(m.group(1)) + 1}", str(compiled))
    values = ", ".join(f"'{compiled.params[name]}'" for name in names)
    with engine.connect() as conn:
        conn.execute(text("SET plan_cache_mode = force_generic_plan"))
        conn.execute(text(f"PREPARE q AS {sql}"))
        return "\n".join(conn.execute(text(f"EXPLAIN EXECUTE q ({values})")).scalars())


def test_open_holds_of_an_account_are_read_through_its_partial_index(pg_engine: Engine
                                                                     ) -> None:
    _day_of_holds(pg_engine)
    plan = _generic_plan(pg_engine, queries.open_holds_sum("P1", "U1"))
    assert "ix_holds_open_by_account" in plan, plan


def test_the_expiry_sweep_reads_through_its_partial_index(pg_engine: Engine) -> None:
    _day_of_holds(pg_engine)
    plan = _generic_plan(pg_engine, queries.expired_holds("P1", datetime(2026, 12, 4, 1,
                                                                          tzinfo=UTC), 100))
    assert "ix_holds_open_by_expiry" in plan, plan
