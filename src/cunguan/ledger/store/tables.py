"""The schema, as SQLAlchemy Core tables. Every table leads its key with ``tenant_id`` so the
schema can be distributed by tenant (e.g. Citus, distribution column ``tenant_id``).

Balances live in ``accounts``; their history is the append-only ``fund_log`` (one line per posting
or hold movement, with the balances after it) and ``transactions`` (one row per applied request).
"""


from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Date,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Table,
    Text,
    text,
)

from cunguan.core import limits
from cunguan.db.schema import UtcDateTime, metadata

_tenant = limits.tenant_id_length_max
_account = limits.account_no_length_max

tenants = Table(
    "tenants", metadata,
    Column("tenant_id", String(_tenant), primary_key=True),
    Column("name", String(128), nullable=False),
    Column("accounting_date", Date, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
)

#: PostgreSQL advisory lock class of a tenant's open day (R-L7), keyed by
#: ``hashtext(tenant_id)``: every transaction that posts holds it shared, the day cutover takes
#: it exclusive, so the cutover waits for every posting dated the old day and a posting that
#: waited on it reads the new date. An advisory lock instead of ``FOR SHARE`` on the tenant's
#: row (before migration 0024): four clients share-locking one row made PostgreSQL build a
#: MultiXact and rewrite that row's header for nearly every transaction (measured: 943/798
#: against 1,081/1,041 single transfers/s through ``ledger_post_transfer`` from pgbench, 4
#: clients). ``ledger_post_transfer`` (migration 0024) names the class as a literal.
DAY_LOCK_CLASS = 7
DAY_LOCK_SHARED_SQL = f"SELECT pg_advisory_xact_lock_shared({DAY_LOCK_CLASS}, hashtext(%s))"
DAY_LOCK_EXCLUSIVE_SQL = f"SELECT pg_advisory_xact_lock({DAY_LOCK_CLASS}, hashtext(:tenant_id))"

accounts = Table(
    "accounts", metadata,
    Column("tenant_id", String(_tenant), primary_key=True),
    Column("account_no", String(_account), primary_key=True),
    Column("owner", String(64), nullable=False),
    Column("role", String(32), nullable=False),
    Column("subject_code", String(16), nullable=False),
    Column("normal_side", String(1), nullable=False),
    Column("status", String(16), nullable=False),
    Column("flags", Integer, nullable=False),
    Column("overdraft_limit_fen", BigInteger, nullable=False),
    Column("balance_fen", BigInteger, nullable=False),
    Column("frozen_fen", BigInteger, nullable=False),
    Column("entry_seq", BigInteger, nullable=False),
    Column("opened_at", UtcDateTime(), nullable=False),
    CheckConstraint("normal_side IN ('D', 'C')", name="ck_accounts_normal_side"),
    CheckConstraint("status IN ('normal', 'frozen_for_debit', 'frozen', 'closed')",
                    name="ck_accounts_status"),
    CheckConstraint("overdraft_limit_fen >= 0", name="ck_accounts_overdraft_limit"),
    CheckConstraint("frozen_fen >= 0", name="ck_accounts_frozen_not_negative"),
    # R-L3: available never goes below the floor (0, or -limit for overdraft accounts).
    CheckConstraint("balance_fen - frozen_fen >= "
                    "CASE WHEN flags & 4 = 4 THEN -overdraft_limit_fen ELSE 0 END",
                    name="ck_accounts_available_floor"),
    ForeignKeyConstraint(["tenant_id"], ["tenants.tenant_id"]),
)

transactions = Table(
    "transactions", metadata,
    Column("tenant_id", String(_tenant), primary_key=True),
    Column("tx_id", BigInteger, primary_key=True, autoincrement=False),
    Column("request_no", String(limits.request_no_length_max), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("business_type", String(limits.business_type_length_max), nullable=False),
    Column("content_hash", BigInteger, nullable=False),
    Column("accounting_date", Date, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("hold_id", BigInteger),
    Column("reverses_tx_id", BigInteger),
    Column("memo", String(limits.memo_length_max), nullable=False),
    Index("ux_transactions_request", "tenant_id", "request_no", unique=True),
    # R-L9: a transaction is reversed at most once.
    Index("ux_transactions_reverses", "tenant_id", "reverses_tx_id", unique=True,
          sqlite_where=text("reverses_tx_id IS NOT NULL"),
          postgresql_where=text("reverses_tx_id IS NOT NULL")),
)

fund_log = Table(
    "fund_log", metadata,
    Column("tenant_id", String(_tenant), primary_key=True),
    Column("account_no", String(_account), primary_key=True),
    Column("entry_seq", BigInteger, primary_key=True, autoincrement=False),
    Column("tx_id", BigInteger, nullable=False),
    Column("line_kind", String(8), nullable=False),
    Column("side", String(1)),
    Column("amount_fen", BigInteger, nullable=False),
    Column("balance_after_fen", BigInteger, nullable=False),
    Column("frozen_after_fen", BigInteger, nullable=False),
    Column("available_after_fen", BigInteger, nullable=False),
    Column("counterparty_account_no", String(_account)),
    Column("request_no", String(limits.request_no_length_max), nullable=False),
    Column("business_type", String(limits.business_type_length_max), nullable=False),
    Column("accounting_date", Date, nullable=False),
    Column("posted_at", UtcDateTime(), nullable=False),
    CheckConstraint("amount_fen > 0", name="ck_fund_log_amount_positive"),
    CheckConstraint("(line_kind = 'posting') = (side IS NOT NULL)", name="ck_fund_log_side"),
    Index("ix_fund_log_tx", "tenant_id", "tx_id"),
    # No index on the accounting date: the day close reads each account's lines after its
    # last closed one (day_balances.last_entry_seq) by the primary key (migration 0013).
)

_OPEN_HOLDS = text("status = 'open'")

holds = Table(
    "holds", metadata,
    Column("tenant_id", String(_tenant), primary_key=True),
    Column("hold_id", BigInteger, primary_key=True, autoincrement=False),
    Column("account_no", String(_account), nullable=False),
    Column("amount_fen", BigInteger, nullable=False),
    Column("status", String(16), nullable=False),
    Column("reason", String(limits.reason_length_max), nullable=False),
    Column("expires_at", UtcDateTime()),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("closed_tx_id", BigInteger),
    CheckConstraint("amount_fen > 0", name="ck_holds_amount_positive"),
    # Open holds only (migration 0014): queries name the status as the literal 'open'.
    Index("ix_holds_open_by_account", "tenant_id", "account_no",
          sqlite_where=_OPEN_HOLDS, postgresql_where=_OPEN_HOLDS),
    Index("ix_holds_open_by_expiry", "tenant_id", "expires_at",
          sqlite_where=_OPEN_HOLDS, postgresql_where=_OPEN_HOLDS),
)

ledger_days = Table(
    "ledger_days", metadata,
    Column("tenant_id", String(_tenant), primary_key=True),
    Column("accounting_date", Date, primary_key=True),
    Column("status", String(8), nullable=False),
    Column("is_working_day", Integer, nullable=False),
    Column("closed_at", UtcDateTime()),
    Column("report", Text, nullable=False),
)

day_balances = Table(
    "day_balances", metadata,
    Column("tenant_id", String(_tenant), primary_key=True),
    Column("accounting_date", Date, primary_key=True),
    Column("account_no", String(_account), primary_key=True),
    Column("subject_code", String(16), nullable=False),
    Column("normal_side", String(1), nullable=False),
    Column("balance_fen", BigInteger, nullable=False),
    Column("frozen_fen", BigInteger, nullable=False),
    Column("debit_fen", BigInteger, nullable=False),
    Column("credit_fen", BigInteger, nullable=False),
    #: The account's last fund-log line dated this day or before (0: none yet); the next
    #: close reads the lines after it.
    Column("last_entry_seq", BigInteger, nullable=False, server_default="0"),
)

#: Hands out blocks of transaction ids on SQLite (PostgreSQL uses the sequence ``tx_id_seq``).
id_blocks = Table(
    "id_blocks", metadata,
    Column("name", String(32), primary_key=True),
    Column("next_id", BigInteger, nullable=False),
)

#: The State Council's holiday notice as loaded by an operator (R-L7). National, not per
#: tenant: under Citus it is a reference table replicated to every node.
calendar_days = Table(
    "calendar_days", metadata,
    Column("day", Date, primary_key=True),
    Column("is_working_day", Integer, nullable=False),
    Column("name", String(64), nullable=False),
)
