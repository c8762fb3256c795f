"""Real databases for the tests: a fresh SQLite file and a fresh PostgreSQL schema per test.

PostgreSQL comes from CUNGUAN_TEST_DATABASE_URL (default: 127.0.0.1:5432, database ``test``).
With CI=true an unreachable server fails the run; otherwise its tests skip with the reason.
"""

import os
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from hypothesis import HealthCheck, settings
from hypothesis.stateful import RuleBasedStateMachine
from sqlalchemy import Engine, create_engine, text

from cunguan.db.connection import make_engine, normalise_url, upgrade

PG_URL = os.environ.get("CUNGUAN_TEST_DATABASE_URL",
                        "postgresql://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() == "true"
BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]

_pg_ran: list[str] = []
_pg_problem: list[str] = []


def _pg_reachable() -> str | None:
    if _pg_problem:
        return _pg_problem[0]
    try:
        probe = create_engine(normalise_url(PG_URL))
        with probe.connect() as conn:
            conn.execute(text("SELECT 1"))
        probe.dispose()
    except Exception as exc:
        _pg_problem.append(f"PostgreSQL at {PG_URL} unreachable: {exc.__class__.__name__}")
        return _pg_problem[0]
    return None


def pg_schema_engine(pool_size: int = 8) -> tuple[Engine, str]:
    problem = _pg_reachable()
    if problem:
        if IN_CI:
            pytest.fail(f"{problem} (CI=true: the PostgreSQL suite must run)")
        pytest.skip(problem)
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(normalise_url(PG_URL))
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    admin.dispose()
    sep = "&" if "?" in PG_URL else "?"
    engine = make_engine(f"{PG_URL}{sep}options=-csearch_path%3D{schema}", pool_size=pool_size)
    return engine, schema


def drop_pg_schema(engine: Engine, schema: str) -> None:
    engine.dispose()
    admin = create_engine(normalise_url(PG_URL))
    with admin.begin() as conn:
        conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


@pytest.fixture(params=BACKENDS)
def engine(request: pytest.FixtureRequest) -> Iterator[Engine]:
    """A migrated, empty database on each backend."""
    with fresh_engine(request.param, label=request.node.nodeid) as eng:
        yield eng


@pytest.fixture
def pg_engine(request: pytest.FixtureRequest) -> Iterator[Engine]:
    eng, schema = pg_schema_engine(pool_size=16)
    upgrade(eng)
    _pg_ran.append(request.node.nodeid)
    yield eng
    drop_pg_schema(eng, schema)


@contextmanager
def fresh_engine(backend: str, *, label: str = "state machine") -> Iterator[Engine]:
    """A migrated, empty database: a temporary SQLite file or a PostgreSQL schema."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            eng = make_engine(f"sqlite:///{folder}/machine.db")
            upgrade(eng)
            yield eng
            eng.dispose()
        return
    eng, schema = pg_schema_engine()
    try:
        upgrade(eng)
        _pg_ran.append(label)
        yield eng
    finally:
        drop_pg_schema(eng, schema)


def run_state_machine(machine: type[RuleBasedStateMachine], *, examples: int,
                      steps: int) -> None:
    test = machine.TestCase
    test.settings = settings(max_examples=examples, stateful_step_count=steps, deadline=None,
                             suppress_health_check=[HealthCheck.too_slow])
    test("runTest").runTest()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _pg_ran:
        terminalreporter.write_line(
            f"PostgreSQL suite: {len(_pg_ran)} tests ran against {PG_URL}", green=True)
    else:
        reason = _pg_problem[0] if _pg_problem else "no PostgreSQL test selected"
        terminalreporter.write_line(f"PostgreSQL suite: did not run ({reason})", yellow=True)
