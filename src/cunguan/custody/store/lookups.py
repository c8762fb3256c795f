"""Set-based reads for custody commands: one statement per kind of row, however many requests a
call carries, so a command costs the same few round trips for one request or five thousand."""

import functools
from collections.abc import Collection, Iterable, Iterator
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    String,
    Table,
    bindparam,
    func,
    select,
    tuple_,
)
from sqlalchemy.dialects.postgresql import ARRAY

from cunguan.core import limits
from cunguan.custody.store.tables import (
    custody_authorizations,
    custody_cards,
    custody_users,
)
from cunguan.ledger.model import AccountStatus, Side
from cunguan.ledger.rules import AccountState
from cunguan.ledger.store.tables import accounts


def key_in(table: Table, key: str, postgres: bool) -> ColumnElement[bool]:
    """The tenant's rows whose ``key`` is in the parameter ``keys`` (tenant: ``tenant_id``).

    On PostgreSQL as (tenant, key) pairs from one array parameter: the planner then probes the
    (tenant_id, key) index with both, even with statistics older than the table's growth
    (``key IN (…)`` beside ``tenant_id = …`` was planned as a scan of the tenant's whole index
    range, its cost growing with every row written; see ledger_store.BatchStore._select_in).
    """
    if postgres:
        pairs = select(bindparam("tenant_id", type_=String),
                       func.unnest(bindparam("keys", type_=ARRAY(String))))
        return tuple_(table.c.tenant_id, table.c[key]).in_(pairs)
    return (table.c.tenant_id == bindparam("tenant_id")) & table.c[key].in_(
        bindparam("keys", expanding=True))


@functools.lru_cache(maxsize=64)
def _rows_query(table: Table, key: str, postgres: bool, lock: bool,
                equal: tuple[str, ...], then: str | None = None) -> Select[Any]:
    query = select(table).where(key_in(table, key, postgres),
                                *(table.c[name] == bindparam(f"eq_{name}") for name in equal))
    # Locks in key order, whoever asks: two commands never wait on each other in a circle.
    query = query.order_by(table.c[key], *([table.c[then]] if then else []))
    return query.with_for_update() if lock else query


def rows_by(conn: Connection, table: Table, tenant_id: str, key: str, keys: Iterable[str], *,
            lock: bool = False, **equal: Any) -> dict[str, Any]:
    """The tenant's rows of ``table`` whose ``key`` is one of ``keys`` (and whose other columns
    equal ``equal``), by key; locked on PostgreSQL when ``lock``."""
    return {getattr(row, key): row for row in _rows(conn, table, tenant_id, key, keys, lock,
                                                    None, equal)}


def rows_of(conn: Connection, table: Table, tenant_id: str, key: str, keys: Iterable[str],
            then: str, **equal: Any) -> dict[str, list[Any]]:
    """Every one of the tenant's rows of ``table`` whose ``key`` is one of ``keys`` (and whose
    other columns equal ``equal``), grouped by key, each group in the order of ``then`` (say a
    project's bids, by bid)."""
    grouped: dict[str, list[Any]] = {}
    for row in _rows(conn, table, tenant_id, key, keys, False, then, equal):
        grouped.setdefault(getattr(row, key), []).append(row)
    return grouped


def _rows(conn: Connection, table: Table, tenant_id: str, key: str, keys: Iterable[str],
          lock: bool, then: str | None, equal: dict[str, Any]) -> Iterator[Any]:
    wanted = sorted(set(keys))
    postgres = conn.dialect.name == "postgresql"
    query = _rows_query(table, key, postgres, lock and postgres, tuple(sorted(equal)), then)
    for start in range(0, len(wanted), limits.keys_per_statement_max):
        chunk = wanted[start:start + limits.keys_per_statement_max]
        params = {"tenant_id": tenant_id, "keys": chunk,
                  **{f"eq_{name}": value for name, value in equal.items()}}
        yield from conn.execute(query, params)


def users(conn: Connection, tenant_id: str, user_ids: Iterable[str]) -> dict[str, Any]:
    return rows_by(conn, custody_users, tenant_id, "user_id", user_ids)


def bound_cards(conn: Connection, tenant_id: str, card_nos: Iterable[str]) -> dict[str, Any]:
    return rows_by(conn, custody_cards, tenant_id, "card_no", card_nos, status="bound")


def authorizations(conn: Connection, tenant_id: str, kind: str,
                   user_ids: Iterable[str]) -> dict[str, Any]:
    """Active standing authorizations (免密授权) of ``kind``, by user."""
    return rows_by(conn, custody_authorizations, tenant_id, "user_id", user_ids, kind=kind,
                   status="active")


def account_states(conn: Connection, tenant_id: str,
                   account_nos: Collection[str]) -> dict[str, AccountState]:
    """Ledger accounts as the ledger's rules see them, read (not locked: the ledger locks them
    when it posts, and decides again), so a custody command can foresee a hold's outcome."""
    return {no: AccountState(no, Side(row.normal_side), AccountStatus(row.status), row.flags,
                             row.overdraft_limit_fen, row.balance_fen, row.frozen_fen,
                             row.entry_seq)
            for no, row in rows_by(conn, accounts, tenant_id, "account_no",
                                   account_nos).items()}
