"""Array parameters on PostgreSQL (db/pg_arrays.py): a flat list of str or int
arrives as exactly that list, whatever its elements hold; any other list as psycopg sends it."""

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, text

# Text PostgreSQL can store: no NUL, no lone surrogates.
_texts = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
                 max_size=12)


def _echo(engine: Engine, sql: str, value: list[Any]) -> Any:
    with engine.connect() as conn:
        return conn.execute(text(sql), {"v": value}).scalar_one()


@pytest.mark.postgres
@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # read-only use
@given(st.lists(_texts, max_size=30), st.lists(st.integers(-2**63, 2**63 - 1), max_size=30))
def test_flat_lists_arrive_as_sent(pg_engine: Engine, texts: list[str],
                                   numbers: list[int]) -> None:
    assert _echo(pg_engine, "SELECT CAST(:v AS text[])", texts) == texts
    assert _echo(pg_engine, "SELECT CAST(:v AS bigint[])", numbers) == numbers


@pytest.mark.postgres
def test_other_lists_go_through_psycopg_unchanged(pg_engine: Engine) -> None:
    awkward = ['a"b', "c\\d", "NULL", "", " x ", "{}", "a,b", "用户"]
    assert _echo(pg_engine, "SELECT CAST(:v AS text[])", awkward) == awkward
    assert _echo(pg_engine, "SELECT CAST(:v AS text[])", ["a", None, "NULL"]) == [
        "a", None, "NULL"]
    assert _echo(pg_engine, "SELECT CAST(:v AS bigint[])", [1, None]) == [1, None]
    assert _echo(pg_engine, "SELECT CAST(:v AS boolean[])", [True, False]) == [True, False]
    assert _echo(pg_engine, "SELECT CAST(:v AS text[])", [["a", "b"], ["c", "d"]]) == [
        ["a", "b"], ["c", "d"]]
