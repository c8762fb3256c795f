"""Statement imports on both backends (R-B2 (3), R-C15): idempotent by file and statement id,
refused whole when the balances do not continue or the account is unknown."""

from datetime import timedelta

import pytest
from sqlalchemy import Engine, func, select

from cunguan.reconcile.rules.refusals import ReconcileError, Refusal
from cunguan.reconcile.rules.statements import Direction
from cunguan.reconcile.store.tables import reconcile_lines, reconcile_statements
from tests.helpers import DAY, in_threads
from tests.reconcile.integration.helpers import OPERATOR, line, statement, world

IN, OUT = Direction.CREDIT, Direction.DEBIT


def _counts(engine: Engine) -> tuple[int, int]:
    with engine.connect() as conn:
        return (conn.execute(select(func.count()).select_from(reconcile_statements)).scalar_one(),
                conn.execute(select(func.count()).select_from(reconcile_lines)).scalar_one())


def test_r_b2_the_same_file_twice_is_one_import(engine: Engine) -> None:
    w = world(engine)
    first = statement("ST1", 0, [line(1, IN, 10_000), line(2, OUT, 2_500)])
    done = w.recon.import_statement(first, file_sha256="a" * 64, operator=OPERATOR)
    again = w.recon.import_statement(first, file_sha256="a" * 64, operator=OPERATOR)
    assert not done.replayed and again.replayed
    assert again.import_id == done.import_id and again.lines == 2
    assert _counts(engine) == (1, 2)


def test_r_b2_the_same_statement_in_another_file_is_a_replay(engine: Engine) -> None:
    w = world(engine)
    first = statement("ST1", 0, [line(1, IN, 10_000)])
    done = w.recon.import_statement(first, file_sha256="a" * 64, operator=OPERATOR)
    again = w.recon.import_statement(first, file_sha256="b" * 64, operator="ops-bob")
    assert again.replayed and again.import_id == done.import_id
    assert _counts(engine) == (1, 1)


def test_r_b2_the_same_statement_id_with_other_content_is_refused(engine: Engine) -> None:
    w = world(engine)
    w.recon.import_statement(statement("ST1", 0, [line(1, IN, 10_000)]), file_sha256="a" * 64,
                             operator=OPERATOR)
    with pytest.raises(ReconcileError) as refused:
        w.recon.import_statement(statement("ST1", 0, [line(1, IN, 10_001)]),
                                 file_sha256="b" * 64, operator=OPERATOR)
    assert refused.value.code == Refusal.DUPLICATE_WITH_DIFFERENT_CONTENT
    assert _counts(engine) == (1, 1)


def test_r_b3_a_statement_not_continuing_the_last_is_refused_whole(engine: Engine) -> None:
    w = world(engine)
    w.recon.import_statement(statement("ST1", 0, [line(1, IN, 10_000)]), file_sha256="a" * 64,
                             operator=OPERATOR)
    next_day = DAY + timedelta(days=1)
    gap = statement("ST2", 9_999, [line(1, IN, 5, day=next_day)] * 1, day=next_day)
    with pytest.raises(ReconcileError) as refused:
        w.recon.import_statement(gap, file_sha256="b" * 64, operator=OPERATOR)
    assert refused.value.code == Refusal.STATEMENT_NOT_CONTINUOUS
    assert refused.value.details["last_closing_balance_fen"] == 10_000
    assert _counts(engine) == (1, 1)         # nothing of it written
    follows = statement("ST2", 10_000, [line(1, OUT, 5, day=next_day)], day=next_day)
    assert not w.recon.import_statement(follows, file_sha256="b" * 64,
                                        operator=OPERATOR).replayed
    assert _counts(engine) == (2, 2)


def test_r_b3_a_statement_going_back_in_time_is_refused(engine: Engine) -> None:
    w = world(engine)
    w.recon.import_statement(statement("ST1", 0, [line(1, IN, 10_000)]), file_sha256="a" * 64,
                             operator=OPERATOR)
    before = DAY - timedelta(days=1)
    with pytest.raises(ReconcileError) as refused:
        w.recon.import_statement(statement("ST0", 10_000, [], day=before),
                                 file_sha256="b" * 64, operator=OPERATOR)
    assert refused.value.code == Refusal.STATEMENT_NOT_CONTINUOUS


def test_r_b1_a_statement_of_an_unregistered_account_is_refused(engine: Engine) -> None:
    w = world(engine)
    with pytest.raises(ReconcileError) as refused:
        w.recon.import_statement(statement("ST1", 0, [line(1, IN, 1)], account_no="999"),
                                 file_sha256="a" * 64, operator=OPERATOR)
    assert refused.value.code == Refusal.ACCOUNT_NOT_REGISTERED
    assert _counts(engine) == (0, 0)


def test_r_b2_a_long_import_reports_its_progress_and_keeps_every_line(engine: Engine) -> None:
    w = world(engine)
    lines = [line(n, IN, n) for n in range(1, 2_502)]
    seen: list[tuple[int, int]] = []
    w.recon.import_statement(statement("BIG", 0, lines), file_sha256="c" * 64,
                             operator=OPERATOR, progress=lambda d, t: seen.append((d, t)))
    assert seen == [(1_000, 2_501), (2_000, 2_501), (2_501, 2_501)]
    assert _counts(engine) == (1, 2_501)


def test_r_b2_the_same_file_imported_at_once_twice_is_one_import(engine: Engine) -> None:
    w = world(engine)
    lines = [line(n, IN, n) for n in range(1, 301)]
    done = in_threads(4, lambda _: w.recon.import_statement(
        statement("ST1", 0, lines), file_sha256="d" * 64, operator=OPERATOR))
    assert len({d.import_id for d in done}) == 1
    assert sorted(d.replayed for d in done) == [False, True, True, True]
    assert _counts(engine) == (1, 300)
