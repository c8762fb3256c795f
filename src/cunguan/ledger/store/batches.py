"""Loads and writes a ledger batch on the raw driver connection (the hot path).

Accounts are locked in a fixed order (sorted account nos.); rows are written set-based: on
PostgreSQL by COPY (a few rows by INSERTs) and ``unnest`` updates, pipelined (bulk.write_pg);
by ``executemany`` on SQLite (in-process: a C call per row, not a round trip). SQLAlchemy
Core serves everything else; here its per-statement cost would be most of a single
transfer's client time.
"""

import json
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any

from cunguan.db.bulk import Statement, insert_sql, write_pg
from cunguan.db.connection import sqlite_datetime_text
from cunguan.ledger.engine import (
    LOG_COLUMNS,
    TX_COLUMNS,
    AccountVersion,
    BatchPlan,
    BatchState,
    OriginalTx,
    PriorRequest,
    rebase,
)
from cunguan.ledger.model import (
    AccountFlag,
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
from cunguan.ledger.store.ids import NEXT_BLOCK_SQL
from cunguan.ledger.store.tables import DAY_LOCK_SHARED_SQL, fund_log, holds, transactions

# Dict look-ups: building enums by value costs more than the rest of a row.
_SIDES = {side.value: side for side in Side}
_STATUSES = {status.value: status for status in AccountStatus}
_HOT = int(AccountFlag.HOT)
_HOLD_COLUMNS = ("tenant_id", "hold_id", "account_no", "amount_fen", "status", "reason",
                 "expires_at", "created_at", "closed_tx_id")


#: Typed, so the prepared statement's types never depend on a value (psycopg sizes ints).
_TENANT_DATE_SQL = "SELECT accounting_date FROM tenants WHERE tenant_id = ?"
_POST_TRANSFER_SQL = (
    "SELECT o_code, o_tx_id, o_detail FROM ledger_post_transfer(%s::text, %s::bigint, "
    "%s::text, %s::text, %s::text, %s::bigint, %s::text, %s::text, %s::boolean, %s::bigint, "
    "%s::timestamptz)")


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


def _account(row: Sequence[Any]) -> AccountState:
    return AccountState(row[0], _SIDES[row[1]], _STATUSES[row[2]], row[3], row[4], row[5],
                        row[6], row[7])


def _version(row: Sequence[Any]) -> AccountVersion:
    """An account row of ``_ACCOUNT_SQL`` as the version ``engine.rebase`` compares."""
    return AccountVersion(*row[2:])


def _columns(rows: Sequence[Sequence[Any]]) -> list[list[Any]]:
    """Rows of equal length as one list per column (the arrays an ``unnest`` update binds).
    Not ``zip(*rows, strict=True)``: on 2,000 rows that took 20-160 ms (its end-of-input check
    walks every one of its 2,000 argument iterators), more than the UPDATE itself."""
    return [[row[i] for row in rows] for i in range(len(rows[0]))] if rows else []


def _utc(value: datetime | str | None) -> datetime | None:
    """SQLite hands back the stored UTC text; PostgreSQL an aware datetime."""
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(value).replace(tzinfo=UTC)


class BatchStore:
    """One DB transaction of the ledger on a raw DBAPI connection (psycopg 3 or sqlite3)."""

    def __init__(self, raw: Any, *, postgres: bool) -> None:
        self.raw = raw
        self.postgres = postgres

    @staticmethod
    @lru_cache(maxsize=64)
    def _pg_sql(sql: str) -> str:
        return sql.replace("?", "%s")

    def _run(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self.raw.execute(self._pg_sql(sql) if self.postgres else sql, params)

    def _select_in(self, sql: str, column: str, tenant_id: str, values: list[Any]) -> Any:
        """Run ``sql`` whose ``{match}`` selects the tenant's rows whose ``column`` is one of
        ``values``, bound as ONE parameter.

        A batch names thousands of accounts and request nos.; one array (PostgreSQL) or one
        JSON text (SQLite) keeps the statement the same whatever the batch size, so it is
        parsed and planned once instead of compiled with thousands of placeholders. On
        PostgreSQL the (tenant, key) pairs are joined to the index as a whole: written as
        ``tenant_id = ? AND key = ANY(?)``, statistics older than the table's growth (before
        autovacuum's next ANALYZE) led the planner to scan the tenant's whole index range for
        every batch — a cost that grew with every row written (measured: 2.4 ms at 7,700
        transactions against 0.13 ms). Statistics far older still — taken when the table held
        a row or two, and never again (autovacuum off) — can still lead the planner there (seen
        on 2026-12-04: the request-no. look-up probing the primary key by tenant alone); hence
        autovacuum on, and ANALYZE after a bulk load (docs/OPERATIONS.md).
        """
        if self.postgres:   # typed: psycopg sends a list of str as an untyped array
            array = "bigint[]" if values and isinstance(values[0], int) else "text[]"
            match = f"(tenant_id, {column}) IN (SELECT ?::text, unnest(?::{array}))"
            return self._run(sql.format(match=match), (tenant_id, values))
        match = f"tenant_id = ? AND {column} IN (SELECT value FROM json_each(?))"
        return self._run(sql.format(match=match), (tenant_id, json.dumps(values)))

    def post_transfer(self, tenant_id: str, tx_id: int, cmd: Transfer, digest: int,
                      now: datetime) -> tuple[str | None, int | None, str | None]:
        """PostgreSQL: one ``Transfer`` posted by ``ledger_post_transfer`` (migration 0024) as
        one prepared statement in autocommit — the statement is the transaction, one round
        trip. Its (code, tx id, detail): code None when posted, ``replayed``, or a refusal's
        code, nothing written."""
        raw = self.raw
        raw.autocommit = True
        try:
            row = raw.execute(_POST_TRANSFER_SQL, (
                tenant_id, tx_id, cmd.request_no, cmd.debit_account_no, cmd.credit_account_no,
                cmd.amount_fen, cmd.business_type, cmd.memo, cmd.funding, digest, now),
                prepare=True).fetchone()
        finally:
            raw.autocommit = False
        return row[0], row[1], row[2]

    def row_stamps(self, accounting_date: date, now: datetime) -> tuple[object, object]:
        """The accounting date and ``now`` as a batch's rows carry them: on SQLite the text
        its adapters would write (formatted once, not once a row), on PostgreSQL the values."""
        if self.postgres:
            return accounting_date, now
        return accounting_date.isoformat(), sqlite_datetime_text(now)

    def next_id_block(self) -> int:
        """The start of a new block of transaction ids, on this connection (PostgreSQL):
        sequences are not transactional, so the block stays ours even on rollback."""
        return int(self.raw.execute(NEXT_BLOCK_SQL).fetchone()[0])

    # -- transaction -----------------------------------------------------------------------
    def begin(self) -> None:
        # psycopg opens the transaction by itself; SQLite takes the write lock up front so
        # that writers queue here instead of failing at commit.
        if not self.postgres:
            self.raw.execute("BEGIN IMMEDIATE")

    def commit(self) -> None:
        self.raw.commit() if self.postgres else self.raw.execute("COMMIT")

    def rollback(self) -> None:
        if self.postgres:
            self.raw.rollback()
        elif self.raw.in_transaction:
            self.raw.execute("ROLLBACK")

    # -- reads -----------------------------------------------------------------------------
    def lock_tenant_date(self, tenant_id: str) -> date | None:
        """The open accounting date; on PostgreSQL the day lock, shared, holds cutover off
        (R-L7) — taken by a statement of its own before the read, which then sees the date
        of any cutover it waited for."""
        if self.postgres:
            with self.raw.pipeline():
                self.raw.execute(DAY_LOCK_SHARED_SQL, (tenant_id,))
                cursor = self._run(_TENANT_DATE_SQL, (tenant_id,))
        else:
            cursor = self._run(_TENANT_DATE_SQL, (tenant_id,))
        row = cursor.fetchone()
        if row is None:
            return None
        value = row[0]
        return value if isinstance(value, date) else date.fromisoformat(value)

    def load(self, tenant_id: str, commands: Sequence[Command], *, lock_hot: bool = False
             ) -> tuple[date | None, BatchState]:
        """The tenant's accounting date and everything ``commands`` touch, locked — hot
        accounts only read, unless ``lock_hot`` (``lock_hot_accounts`` locks them later).

        Transfers name all their accounts up front, so on PostgreSQL the reads go in one
        pipeline: one round trip instead of four. The server still runs them in order, so the
        request-no. look-up happens after the account locks are held.
        """
        if not self.postgres or not all(isinstance(c, (Transfer, CompoundTransfer, Freeze))
                                        for c in commands):
            return (self.lock_tenant_date(tenant_id),
                    self.load_state(tenant_id, commands, lock_hot=lock_hot))
        account_nos: set[str] = set()
        for cmd in commands:
            account_nos.update(_account_nos(cmd))
        with self.raw.pipeline():
            self.raw.execute(DAY_LOCK_SHARED_SQL, (tenant_id,))
            tenant = self._run(_TENANT_DATE_SQL, (tenant_id,))
            locked, hot = self._account_rows(tenant_id, sorted(account_nos), lock_hot)
            prior = self._prior_rows(tenant_id, commands)
        row = tenant.fetchone()
        state = self._state(locked, hot)
        state.prior = self._prior(prior)
        return (row[0] if row else None), state

    def load_state(self, tenant_id: str, commands: Sequence[Command], *,
                   lock_hot: bool = False) -> BatchState:
        """Lock and read everything ``commands`` touch. Locks go holds → accounts, sorted."""
        account_nos: set[str] = set()
        for cmd in commands:
            account_nos.update(_account_nos(cmd))
        hold_ids = sorted({c.hold_id for c in commands if isinstance(c, (Settle, Release))})
        held = self._load_holds(tenant_id, hold_ids)
        account_nos.update(h.account_no for h in held.values())
        original_ids = sorted({c.original_tx_id for c in commands if isinstance(c, Reverse)})
        originals = self._load_originals(tenant_id, original_ids)
        for original in originals.values():
            account_nos.update(p.account_no for p in original.postings)
        state = self._state(*self._account_rows(tenant_id, sorted(account_nos), lock_hot))
        state.holds, state.originals = held, originals
        # Looked up after the account locks: a concurrent duplicate that touches the same
        # accounts has committed by now, so it is replayed here instead of posted twice (R-L5).
        # One that touches only hot accounts collides on the request no.'s unique index, and
        # its retry replays it.
        state.prior = self._prior(self._prior_rows(tenant_id, commands))
        return state

    _ACCOUNT_SQL = ("SELECT account_no, normal_side, status, flags, overdraft_limit_fen, "
                    "balance_fen, frozen_fen, entry_seq FROM accounts WHERE {match}")

    def _account_rows(self, tenant_id: str, account_nos: list[str],
                      lock_hot: bool) -> tuple[Any, Any]:
        """The accounts, locked in account-no. order; on PostgreSQL unless ``lock_hot`` the
        hot ones apart, read without a lock (on SQLite the write lock covers everything)."""
        if not self.postgres:
            return self._select_in(self._ACCOUNT_SQL + " ORDER BY account_no", "account_no",
                                   tenant_id, account_nos), ()
        if lock_hot:
            return self._select_in(self._ACCOUNT_SQL + " ORDER BY account_no FOR UPDATE",
                                   "account_no", tenant_id, account_nos), ()
        return (self._select_in(self._ACCOUNT_SQL + f" AND flags & {_HOT} = 0 "
                                "ORDER BY account_no FOR UPDATE", "account_no", tenant_id,
                                account_nos),
                self._select_in(self._ACCOUNT_SQL + f" AND flags & {_HOT} <> 0",
                                "account_no", tenant_id, account_nos))

    @staticmethod
    def _state(locked: Any, hot: Any) -> BatchState:
        accounts = {row[0]: _account(row) for row in locked}
        versions: dict[str, AccountVersion] = {}
        for row in hot:
            accounts[row[0]] = _account(row)
            versions[row[0]] = _version(row)
        return BatchState(accounts, hot=versions)

    def lock_hot_accounts(self, tenant_id: str, account_nos: list[str]
                          ) -> dict[str, AccountVersion]:
        """Lock hot accounts (before writing lines on them): their versions now."""
        rows = self._select_in(self._ACCOUNT_SQL + " ORDER BY account_no FOR UPDATE",
                               "account_no", tenant_id, sorted(account_nos))
        return {row[0]: _version(row) for row in rows}

    def _load_holds(self, tenant_id: str, hold_ids: list[int]) -> dict[int, HoldState]:
        if not hold_ids:
            return {}
        lock = " FOR UPDATE" if self.postgres else ""
        rows = self._select_in(
            "SELECT hold_id, account_no, amount_fen, status, expires_at, closed_tx_id "
            "FROM holds WHERE {match} ORDER BY hold_id" + lock, "hold_id", tenant_id, hold_ids)
        return {row[0]: HoldState(row[0], row[1], row[2], HoldStatus(row[3]), _utc(row[4]),
                                  row[5]) for row in rows}

    def _load_originals(self, tenant_id: str, tx_ids: list[int]) -> dict[int, OriginalTx]:
        if not tx_ids:
            return {}
        kinds = self._select_in("SELECT tx_id, kind FROM transactions WHERE {match}", "tx_id",
                                tenant_id, tx_ids).fetchall()
        reversed_ids = {row[0] for row in self._select_in(
            "SELECT reverses_tx_id FROM transactions WHERE {match}", "reverses_tx_id",
            tenant_id, tx_ids)}
        originals = {tx_id: OriginalTx(TxKind(kind), [], tx_id in reversed_ids)
                     for tx_id, kind in kinds}
        lines = self._select_in(
            "SELECT tx_id, account_no, side, amount_fen FROM fund_log WHERE {match} "
            "AND line_kind = 'posting' ORDER BY tx_id, account_no, entry_seq", "tx_id",
            tenant_id, tx_ids)
        for tx_id, account_no, side, amount_fen in lines:
            originals[tx_id].postings.append(Posting(account_no, _SIDES[side], amount_fen))
        return originals

    def _prior_rows(self, tenant_id: str, commands: Sequence[Command]) -> Any:
        return self._select_in("SELECT request_no, tx_id, content_hash FROM transactions "
                               "WHERE {match}", "request_no", tenant_id,
                               list({c.request_no for c in commands}))

    @staticmethod
    def _prior(rows: Any) -> dict[str, PriorRequest]:
        return {row[0]: PriorRequest(row[1], row[2]) for row in rows}

    # -- writes ----------------------------------------------------------------------------
    def allocate_ids(self, count: int) -> Iterator[int]:
        """SQLite: ``count`` transaction ids from ``id_blocks`` inside this transaction (it holds
        the only write lock, so no one else can take them; a rollback returns them)."""
        end = self.raw.execute("UPDATE id_blocks SET next_id = next_id + ? WHERE name = 'tx_id' "
                               "RETURNING next_id", (count,)).fetchone()[0]
        return iter(range(end - count, end))

    def write(self, tenant_id: str, plan: BatchPlan, *, commit: bool) -> bool:
        """Write every row of a plan, its hot accounts' lines moved onto their versions once
        locked (``engine.rebase``); ``commit`` ends the DB transaction too. False, having
        written nothing, when the plan does not hold on those versions."""
        if plan.hot_read:
            rebased = rebase(plan, self.lock_hot_accounts(tenant_id, list(plan.hot_read)))
            if rebased is None:
                return False
            plan = rebased
        if not plan.writes_anything:
            if commit:
                self.commit()
            return True
        created_at = plan.tx_rows[0][7]
        hold_rows = [(tenant_id, hold_id, account_no, amount_fen, HoldStatus.OPEN.value,
                      reason, expires_at, created_at, None)
                     for hold_id, account_no, amount_fen, reason, expires_at in plan.new_holds]
        account_rows = [(a.balance_fen, a.frozen_fen, a.entry_seq, tenant_id, a.account_no)
                        for a in plan.touched_accounts]
        closed_rows = [(h.status.value, h.closed_tx_id, tenant_id, h.hold_id)
                       for h in plan.closed_holds]
        if self.postgres:
            self._write_pg(plan, hold_rows, account_rows, closed_rows, commit)
        else:
            self._write_sqlite(plan, hold_rows, account_rows, closed_rows)
            if commit:
                self.commit()
        return True

    def _write_pg(self, plan: BatchPlan, hold_rows: list[tuple[Any, ...]],
                  account_rows: list[tuple[Any, ...]],
                  closed_rows: list[tuple[Any, ...]], commit: bool) -> None:
        # Lines before their transactions: the insert of a transaction row checks that its
        # lines are there and balance (R-L1, migration 0009). A batch of a few dozen transfers
        # goes in one round trip with its updates and its commit.
        write_pg(self.raw, [(fund_log, LOG_COLUMNS, plan.log_rows),
                            (transactions, TX_COLUMNS, plan.tx_rows),
                            (holds, _HOLD_COLUMNS, hold_rows)],
                 self._updates_pg(account_rows, closed_rows), commit=commit)

    @staticmethod
    def _updates_pg(account_rows: list[tuple[Any, ...]],
                    closed_rows: list[tuple[Any, ...]]) -> list[Statement]:
        updates: list[Statement] = []
        if closed_rows:
            updates.append((
                "UPDATE holds h SET status = v.status, closed_tx_id = v.closed "
                "FROM unnest(%s::text[], %s::bigint[], %s::text[], %s::bigint[]) "
                "AS v(status, closed, tenant, hold) "
                "WHERE h.tenant_id = v.tenant AND h.hold_id = v.hold",
                _columns(closed_rows)))
        updates.append((
            "UPDATE accounts a SET balance_fen = v.balance, frozen_fen = v.frozen, "
            "entry_seq = v.seq "
            "FROM unnest(%s::bigint[], %s::bigint[], %s::bigint[], %s::text[], %s::text[]) "
            "AS v(balance, frozen, seq, tenant, account) "
            "WHERE a.tenant_id = v.tenant AND a.account_no = v.account",
            _columns(account_rows)))
        return updates

    def _write_sqlite(self, plan: BatchPlan, hold_rows: list[tuple[Any, ...]],
                      account_rows: list[tuple[Any, ...]],
                      closed_rows: list[tuple[Any, ...]]) -> None:
        raw = self.raw
        raw.executemany(insert_sql("fund_log", LOG_COLUMNS, "?"), plan.log_rows)
        raw.executemany(insert_sql("transactions", TX_COLUMNS, "?"), plan.tx_rows)
        if hold_rows:
            raw.executemany(insert_sql("holds", _HOLD_COLUMNS, "?"), hold_rows)
        if closed_rows:
            raw.executemany("UPDATE holds SET status = ?, closed_tx_id = ? "
                            "WHERE tenant_id = ? AND hold_id = ?", closed_rows)
        raw.executemany("UPDATE accounts SET balance_fen = ?, frozen_fen = ?, entry_seq = ? "
                        "WHERE tenant_id = ? AND account_no = ?", account_rows)

