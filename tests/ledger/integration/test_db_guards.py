"""The database checks the ledger too: balanced transactions (PG), append-only history,
CHECK constraints on balances (R-L1, R-L3, R-L9)."""

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from cunguan.ledger.model import Transfer
from tests.helpers import SUMMARY, TENANT, ledger_with_tenant


def _posted(engine: Engine) -> int:
    ledger = ledger_with_tenant(engine)
    tx_id = ledger.execute(TENANT, [Transfer("fund", SUMMARY, "U1", 1_000, "recharge")])[0].tx_id
    assert tx_id is not None
    return tx_id


@pytest.mark.parametrize("statement", [
    "UPDATE fund_log SET amount_fen = 1", "DELETE FROM fund_log",
    "UPDATE transactions SET memo = 'edited'", "DELETE FROM transactions",
])
def test_r_l9_history_is_append_only(engine: Engine, statement: str) -> None:
    _posted(engine)
    with pytest.raises(DBAPIError, match="append_only"), engine.begin() as conn:
        conn.execute(text(statement))


def test_r_l3_available_floor_is_a_check_constraint(engine: Engine) -> None:
    _posted(engine)
    with pytest.raises(DBAPIError, match="ck_accounts_available_floor"), engine.begin() as conn:
        conn.execute(text("UPDATE accounts SET frozen_fen = 1001 WHERE account_no = 'U1'"))


@pytest.mark.postgres
def test_r_l1_postgres_refuses_an_unbalanced_transaction(pg_engine: Engine) -> None:
    tx_id = _posted(pg_engine)
    with pytest.raises(DBAPIError, match="unbalanced_transaction"), \
            pg_engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO transactions (tenant_id, tx_id, request_no, kind, business_type, "
            "content_hash, accounting_date, created_at, memo) VALUES "
            "('P1', :t, 'forged', 'transfer', 'x', 0, '2026-11-23', now(), '')"),
            {"t": tx_id + 7})
        conn.execute(text(
            "INSERT INTO fund_log (tenant_id, account_no, entry_seq, tx_id, line_kind, side, "
            "amount_fen, balance_after_fen, frozen_after_fen, available_after_fen, request_no, "
            "business_type, accounting_date, posted_at) VALUES "
            "('P1', 'U2', 1, :t, 'posting', 'C', 5, 5, 0, 5, 'forged', 'x', '2026-11-23', now())"),
            {"t": tx_id + 7})


_FORGED_LINE = (
    "INSERT INTO fund_log (tenant_id, account_no, entry_seq, tx_id, line_kind, side, "
    "amount_fen, balance_after_fen, frozen_after_fen, available_after_fen, request_no, "
    "business_type, accounting_date, posted_at) VALUES "
    "('P1', :account, :seq, :t, 'posting', :side, 5, 5, 0, 5, 'forged', 'x', '2026-11-23', "
    "now())")
_FORGED_TX = (
    "INSERT INTO transactions (tenant_id, tx_id, request_no, kind, business_type, "
    "content_hash, accounting_date, created_at, memo) VALUES "
    "('P1', :t, 'forged', 'transfer', 'x', 0, '2026-11-23', now(), '')")


@pytest.mark.postgres
@pytest.mark.parametrize(("sides", "refused"), [(("C",), True), (("D", "D"), True),
                                                 (("D", "C"), False)])
def test_r_l1_postgres_checks_the_lines_written_before_their_transaction(
        pg_engine: Engine, sides: tuple[str, ...], refused: bool) -> None:
    tx_id = _posted(pg_engine) + 11

    def forge() -> None:
        with pg_engine.begin() as conn:
            for n, side in enumerate(sides):
                conn.execute(text(_FORGED_LINE), {"account": f"U{n + 1}", "seq": 900 + n,
                                                  "t": tx_id, "side": side})
            conn.execute(text(_FORGED_TX), {"t": tx_id})
    if refused:
        with pytest.raises(DBAPIError, match="unbalanced_transaction"):
            forge()
    else:   # balanced lines pass the check: it is the balance that is checked, not the path
        forge()
    with pg_engine.connect() as conn:
        kept = conn.execute(text("SELECT count(*) FROM transactions WHERE tx_id = :t"),
                            {"t": tx_id}).scalar_one()
    assert kept == (0 if refused else 1)
