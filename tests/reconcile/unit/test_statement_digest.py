"""R-B2: an import is recognised again by its statement's content digest, stored with it; the
digest is built without ``asdict``'s deep copies and must stay the very same value — the SHA-256
of the JSON of ``asdict(statement)`` without its source format — on every kind of statement."""

import hashlib
import json
from dataclasses import asdict

import pytest
from bench import reconcile_bench
from hypothesis import HealthCheck, given, settings

from cunguan.reconcile.formats import read_statement
from cunguan.reconcile.handlers.statements import content_digest
from cunguan.reconcile.rules.statements import Statement

from .formats_helpers import sample
from .test_camt_reader_before_after import _statement


def _digest_as_stored(statement: Statement) -> str:
    """The digest as every import so far stored it."""
    content = asdict(statement)
    content.pop("source_format")
    return hashlib.sha256(json.dumps(content, sort_keys=True, default=str).encode()).hexdigest()


@pytest.mark.parametrize(("name", "format_name"), [
    ("camt053_20261207.xml", "camt.053"), ("camt054_20261207.xml", "camt.054"),
    ("icbc_20261207.csv", "csv:icbc"), ("ccb_20261207.csv", "csv:ccb"),
    ("boc_20261207.csv", "csv:boc"), ("cunguan_20261207.sta", "mt940"),
    ("quickpay_20261207.txt", "channel:quickpay")])
def test_r_b2_a_sample_statements_digest_is_the_one_stored(name: str, format_name: str) -> None:
    statement = read_statement(sample(name), format_name)
    assert statement.lines
    assert content_digest(statement) == _digest_as_stored(statement)


def test_r_b2_the_bench_statements_digest_is_the_one_stored() -> None:
    statement = read_statement(reconcile_bench.camt_file(3_000), "camt.053")
    assert content_digest(statement) == _digest_as_stored(statement)


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=_statement())
def test_r_b2_a_generated_statements_digest_is_the_one_stored(data: bytes) -> None:
    try:
        statement = read_statement(data, "camt.053")
    except Exception:
        return
    assert content_digest(statement) == _digest_as_stored(statement)
