"""Loads and writes a ledger batch: accounts locked in a fixed order, rows written set-based.

PostgreSQL writes with COPY and ``unnest`` updates; SQLite with ``executemany`` (in-process, so
the per-row cost is a C call, not a round trip).
"""

import json
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from sqlalchemy import Connection, select

from cunguan.adapters.store.tables import fund_log, holds, tenants, transactions
from cunguan.ledger.engine import (
    LOG_COLUMNS,
    TX_COLUMNS,
    BatchPlan,
    BatchState,
    OriginalTx,
    PriorRequest,
)
from cunguan.ledger.model import (
    AccountStatus,
    Command,
    CompoundTransfer,
    Freeze,
    HoldStatus,
    Posting,
    Release,
    Reverse,
    Settle,
    Side,
    Transfer,
    TxKind,
)
from cunguan.ledger.rules import AccountState, HoldState

# Dict look-ups: building enums by value costs more than the rest of a row.
_SIDES = {side.value: side for side in Side}
_STATUSES = {status.value: status for status in AccountStatus}
_HOLD_COLUMNS = ("tenant_id", "hold_id", "account_no", "amount_fen", "status", "reason",
                 "expires_at", "created_at", "closed_tx_id")


def _is_pg(conn: Connection) -> bool:
    return conn.dialect.name == "postgresql"


def lock_tenant_date(conn: Connection, tenant_id: str) -> date | None:
    """The tenant's open accounting date; on PostgreSQL a share lock holds cutover off (R-L7)."""
    query = select(tenants.c.accounting_date).where(tenants.c.tenant_id == tenant_id)
    if _is_pg(conn):
        query = query.with_for_update(read=True)
    value = conn.execute(query).scalar_one_or_none()
    return value


def _account_nos(cmd: Command) -> Iterable[str]:
    if isinstance(cmd, Transfer):
        return (cmd.debit_account_no, cmd.credit_account_no)
    if isinstance(cmd, CompoundTransfer):
        return (p.account_no for p in cmd.postings)
    if isinstance(cmd, Freeze):
        return (cmd.account_no,)
    if isinstance(cmd, Settle):
        return (p.account_no for p in cmd.payees)
    return ()


def load_state(conn: Connection, tenant_id: str, commands: Sequence[Command]) -> BatchState:
    """Lock and read everything ``commands`` touch. Locks go holds → accounts, sorted."""
    account_nos: set[str] = set()
    for cmd in commands:
        account_nos.update(_account_nos(cmd))
    hold_ids = sorted({c.hold_id for c in commands if isinstance(c, (Settle, Release))})
    held = _load_holds(conn, tenant_id, hold_ids)
    account_nos.update(h.account_no for h in held.values())
    original_ids = sorted({c.original_tx_id for c in commands if isinstance(c, Reverse)})
    originals = _load_originals(conn, tenant_id, original_ids)
    for original in originals.values():
        account_nos.update(p.account_no for p in original.postings)
    state = BatchState(_load_accounts(conn, tenant_id, sorted(account_nos)), held,
                       originals=originals)
    # Looked up after the account locks: a concurrent duplicate that touches the same accounts
    # has committed by now, so it is seen here and replayed instead of posted twice (R-L5).
    state.prior = _load_prior(conn, tenant_id, [c.request_no for c in commands])
    return state


def _select_in(conn: Connection, sql: str, tenant_id: str, values: list[Any]) -> Any:
    """Run ``sql`` whose ``{in_values}`` tests membership in a list bound as ONE parameter.

    A batch names thousands of accounts and request nos.; one array (PostgreSQL) or one JSON
    text (SQLite) keeps the statement the same whatever the batch size, so it is parsed and
    planned once instead of compiled with thousands of placeholders.
    """
    raw = conn.connection.driver_connection
    assert raw is not None
    if _is_pg(conn):
        return raw.execute(sql.format(tenant="%s", in_values="= ANY(%s)"), (tenant_id, values))
    return raw.execute(sql.format(tenant="?", in_values="IN (SELECT value FROM json_each(?))"),
                       (tenant_id, json.dumps(values)))


def _load_accounts(conn: Connection, tenant_id: str, account_nos: list[str]
                   ) -> dict[str, AccountState]:
    if not account_nos:
        return {}
    lock = " FOR UPDATE" if _is_pg(conn) else ""
    rows = _select_in(conn, (
        "SELECT account_no, normal_side, status, flags, overdraft_limit_fen, balance_fen, "
        "frozen_fen, entry_seq FROM accounts WHERE tenant_id = {tenant} "
        "AND account_no {in_values} ORDER BY account_no" + lock), tenant_id, account_nos)
    return {
        row[0]: AccountState(row[0], _SIDES[row[1]], _STATUSES[row[2]], row[3], row[4], row[5],
                             row[6], row[7])
        for row in rows
    }


def _load_holds(conn: Connection, tenant_id: str, hold_ids: list[int]) -> dict[int, HoldState]:
    if not hold_ids:
        return {}
    c = holds.c
    query = (select(c.hold_id, c.account_no, c.amount_fen, c.status, c.expires_at,
                    c.closed_tx_id)
             .where(c.tenant_id == tenant_id, c.hold_id.in_(hold_ids)).order_by(c.hold_id))
    if _is_pg(conn):
        query = query.with_for_update()
    return {row[0]: HoldState(row[0], row[1], row[2], HoldStatus(row[3]), row[4],
                             row[5])
            for row in conn.execute(query)}


def _load_originals(conn: Connection, tenant_id: str, tx_ids: list[int]
                    ) -> dict[int, OriginalTx]:
    if not tx_ids:
        return {}
    t = transactions.c
    kinds: dict[int, str] = {row[0]: row[1] for row in conn.execute(select(t.tx_id, t.kind).where(
        t.tenant_id == tenant_id, t.tx_id.in_(tx_ids)))}
    reversed_ids = set(conn.execute(select(t.reverses_tx_id).where(
        t.tenant_id == tenant_id, t.reverses_tx_id.in_(tx_ids))).scalars())
    originals = {tx_id: OriginalTx(TxKind(kind), [], tx_id in reversed_ids)
                 for tx_id, kind in kinds.items()}
    f = fund_log.c
    lines = conn.execute(select(f.tx_id, f.account_no, f.side, f.amount_fen).where(
        f.tenant_id == tenant_id, f.tx_id.in_(tx_ids), f.line_kind == "posting"
    ).order_by(f.tx_id, f.account_no, f.entry_seq))
    for tx_id, account_no, side, amount_fen in lines:
        originals[tx_id].postings.append(Posting(account_no, Side(side), amount_fen))
    return originals


def _load_prior(conn: Connection, tenant_id: str, request_nos: list[str]
                ) -> dict[str, PriorRequest]:
    rows = _select_in(conn, "SELECT request_no, tx_id, content_hash FROM transactions "
                      "WHERE tenant_id = {tenant} AND request_no {in_values}", tenant_id,
                      list(set(request_nos)))
    return {row[0]: PriorRequest(row[1], row[2]) for row in rows}


def write_plan(conn: Connection, tenant_id: str, plan: BatchPlan) -> None:
    """Write every row of a plan in the caller's DB transaction."""
    if not plan.writes_anything:
        return
    hold_rows = [(tenant_id, hold_id, account_no, amount_fen, HoldStatus.OPEN.value, reason,
                  expires_at, plan.tx_rows[0][7], None)
                 for hold_id, account_no, amount_fen, reason, expires_at in plan.new_holds]
    account_rows = [(a.balance_fen, a.frozen_fen, a.entry_seq, tenant_id, a.account_no)
                    for a in plan.touched_accounts]
    closed_rows = [(h.status.value, h.closed_tx_id, tenant_id, h.hold_id)
                   for h in plan.closed_holds]
    if _is_pg(conn):
        _write_pg(conn, plan, hold_rows, account_rows, closed_rows)
    else:
        _write_sqlite(conn, plan, hold_rows, account_rows, closed_rows)


def _write_pg(conn: Connection, plan: BatchPlan, hold_rows: list[tuple[Any, ...]],
              account_rows: list[tuple[Any, ...]], closed_rows: list[tuple[Any, ...]]) -> None:
    raw = conn.connection.driver_connection
    assert raw is not None
    with raw.cursor() as cur:
        _copy(cur, "transactions", TX_COLUMNS, plan.tx_rows)
        _copy(cur, "fund_log", LOG_COLUMNS, plan.log_rows)
        if hold_rows:
            _copy(cur, "holds", _HOLD_COLUMNS, hold_rows)
        if closed_rows:
            cur.execute(
                "UPDATE holds h SET status = v.status, closed_tx_id = v.closed "
                "FROM unnest(%s::text[], %s::bigint[], %s::text[], %s::bigint[]) "
                "AS v(status, closed, tenant, hold) "
                "WHERE h.tenant_id = v.tenant AND h.hold_id = v.hold",
                [list(col) for col in zip(*closed_rows, strict=True)])
        cur.execute(
            "UPDATE accounts a SET balance_fen = v.balance, frozen_fen = v.frozen, "
            "entry_seq = v.seq "
            "FROM unnest(%s::bigint[], %s::bigint[], %s::bigint[], %s::text[], %s::text[]) "
            "AS v(balance, frozen, seq, tenant, account) "
            "WHERE a.tenant_id = v.tenant AND a.account_no = v.account",
            [list(col) for col in zip(*account_rows, strict=True)])


def _copy(cur: Any, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
    with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def _write_sqlite(conn: Connection, plan: BatchPlan, hold_rows: list[tuple[Any, ...]],
                  account_rows: list[tuple[Any, ...]],
                  closed_rows: list[tuple[Any, ...]]) -> None:
    raw = conn.connection.driver_connection
    assert raw is not None
    raw.executemany(_insert_sql("transactions", TX_COLUMNS), plan.tx_rows)
    raw.executemany(_insert_sql("fund_log", LOG_COLUMNS), plan.log_rows)
    if hold_rows:
        raw.executemany(_insert_sql("holds", _HOLD_COLUMNS), hold_rows)
    if closed_rows:
        raw.executemany("UPDATE holds SET status = ?, closed_tx_id = ? "
                        "WHERE tenant_id = ? AND hold_id = ?", closed_rows)
    raw.executemany("UPDATE accounts SET balance_fen = ?, frozen_fen = ?, entry_seq = ? "
                    "WHERE tenant_id = ? AND account_no = ?", account_rows)


def _insert_sql(table: str, columns: Sequence[str]) -> str:
    return (f"INSERT INTO {table} ({', '.join(columns)}) "
            f"VALUES ({', '.join('?' for _ in columns)})")
