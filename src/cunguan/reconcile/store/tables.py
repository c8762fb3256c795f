"""Reconciliation tables (对账). Balances live in the ledger; these rows say which bank accounts
are reconciled against which ledger accounts, what the banks' statements said, what matched,
what broke and how each break was worked to a resolution.

Bank account nos. are the banks' own (not tenant-scoped): one bank account is one row of the
register, whichever tenant's ledger account(s) it mirrors.
"""

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Date,
    Index,
    Integer,
    String,
    Table,
    Text,
    text,
)

from cunguan.core import limits
from cunguan.db.schema import UtcDateTime, metadata

_t = limits.tenant_id_length_max
_ledger = limits.account_no_length_max
_bank = limits.bank_account_no_length_max
_key = limits.reconcile_key_length_max
_id = BigInteger().with_variant(Integer(), "sqlite")  # SQLite autoincrements INTEGER only

#: The kinds of bank account reconciled (R-B1): 存管户, 收付户, 汇缴户, 合作行, and a quick-pay
#: channel's settlement account.
ACCOUNT_KINDS = ("custody", "receipt_payment", "collection", "cooperating", "channel")

reconcile_accounts = Table(
    "reconcile_accounts", metadata,
    Column("account_no", String(_bank), primary_key=True),
    Column("bank_name", String(64), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("currency", String(3), nullable=False),
    #: The tenant (payment institution or custody platform) whose ledger it mirrors; None for
    #: an account reconciled in report mode only (a cooperating bank's, R-B4).
    Column("tenant_id", String(_t)),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("operator", String(64), nullable=False),
    CheckConstraint("kind IN ('custody', 'receipt_payment', 'collection', 'cooperating', "
                    "'channel')", name="ck_reconcile_accounts_kind"),
    Index("ix_reconcile_accounts_tenant", "tenant_id"),
)

#: The ledger accounts whose fund log is the books' side of a bank account (the custody
#: summary account mirrors the custody bank account, R-C1).
reconcile_account_mirrors = Table(
    "reconcile_account_mirrors", metadata,
    Column("account_no", String(_bank), primary_key=True),
    Column("ledger_account_no", String(_ledger), primary_key=True),
)

reconcile_statements = Table(
    "reconcile_statements", metadata,
    Column("import_id", _id, primary_key=True, autoincrement=True),
    Column("file_sha256", String(64), nullable=False),
    #: The parsed statement's digest: the same statement in another file is a replay.
    Column("content_sha256", String(64), nullable=False),
    Column("account_no", String(_bank), nullable=False),
    Column("statement_id", String(limits.statement_id_length_max), nullable=False),
    Column("source_format", String(32), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("from_date", Date, nullable=False),
    Column("to_date", Date, nullable=False),
    Column("opening_balance_fen", BigInteger, nullable=False),
    Column("closing_balance_fen", BigInteger, nullable=False),
    Column("line_count", Integer, nullable=False),
    Column("imported_at", UtcDateTime(), nullable=False),
    Column("operator", String(64), nullable=False),
    Index("ux_reconcile_statements_file", "file_sha256", unique=True),
    Index("ux_reconcile_statements_id", "account_no", "statement_id", unique=True),
    # The account's last statement (continuity, R-B2 (3)): by its period's end.
    Index("ix_reconcile_statements_period", "account_no", "to_date"),
)

reconcile_lines = Table(
    "reconcile_lines", metadata,
    Column("import_id", _id, primary_key=True, autoincrement=False),
    Column("line_no", Integer, primary_key=True, autoincrement=False),
    #: The stable key matches, breaks and in-transit items name the line by.
    Column("line_key", String(_key), nullable=False),
    Column("account_no", String(_bank), nullable=False),
    Column("value_date", Date, nullable=False),
    Column("booking_date", Date, nullable=False),
    Column("direction", String(6), nullable=False),
    Column("amount_fen", BigInteger, nullable=False),
    Column("fee_fen", BigInteger, nullable=False),
    Column("status", String(8), nullable=False),
    Column("bank_ref", String(_key), nullable=False),
    Column("end_to_end_ref", String(_key), nullable=False),
    Column("counterparty_account", String(_bank), nullable=False),
    Column("counterparty_name", String(128), nullable=False),
    Column("description", String(256), nullable=False),
    Column("balance_after_fen", BigInteger),
    Column("original_ref", String(_key), nullable=False),
    CheckConstraint("amount_fen > 0", name="ck_reconcile_lines_amount_positive"),
    Index("ux_reconcile_lines_key", "line_key", unique=True),
    Index("ix_reconcile_lines_day", "account_no", "booking_date"),
)

reconcile_match_runs = Table(
    "reconcile_match_runs", metadata,
    Column("account_no", String(_bank), primary_key=True),
    Column("as_of", Date, primary_key=True),
    Column("policy", Text, nullable=False),
    #: A digest of the lines and items matched: a re-run on the same inputs is a replay.
    Column("inputs_sha256", String(64), nullable=False),
    Column("bank_lines", Integer, nullable=False),
    Column("book_items", Integer, nullable=False),
    Column("matched", Integer, nullable=False),
    Column("breaks", Integer, nullable=False),
    Column("in_transit", Integer, nullable=False),
    Column("run_at", UtcDateTime(), nullable=False),
    Column("operator", String(64), nullable=False),
)

reconcile_matches = Table(
    "reconcile_matches", metadata,
    Column("account_no", String(_bank), primary_key=True),
    Column("as_of", Date, primary_key=True),
    Column("side", String(4), primary_key=True),
    Column("item_key", String(_key), primary_key=True),
    Column("group_id", String(_key), nullable=False),
    Column("rule", String(32), nullable=False),
    Column("amount_fen", BigInteger, nullable=False),
    # Was this line or item matched before (R-B2 (1): each one ends matched once)?
    Index("ix_reconcile_matches_item", "side", "item_key"),
)

_OPEN_BREAKS = text("state NOT IN ('resolved', 'written_off')")

reconcile_breaks = Table(
    "reconcile_breaks", metadata,
    Column("break_id", _id, primary_key=True, autoincrement=True),
    #: Class, side and keys digested: the same break found by a re-run is the same row.
    Column("break_key", String(64), nullable=False),
    Column("account_no", String(_bank), nullable=False),
    Column("as_of", Date, nullable=False),
    Column("break_class", String(24), nullable=False),
    Column("side", String(4), nullable=False),
    Column("item_keys", Text, nullable=False),             # the lines' or items' keys, by ","
    Column("value_date", Date, nullable=False),
    Column("amount_fen", BigInteger, nullable=False),
    Column("difference_fen", BigInteger, nullable=False),  # signed: bank − books
    Column("owner", String(64), nullable=False),
    Column("state", String(24), nullable=False),        # rules.breaks.BreakState
    Column("opened_on", Date, nullable=False),
    Column("resolved_on", Date),
    Column("resolution", String(256), nullable=False),
    Column("tenant_id", String(_t)),                       # of the linked ledger transaction
    Column("tx_id", BigInteger),                           # the adjustment posted, if any
    Column("updated_at", UtcDateTime(), nullable=False),
    Index("ux_reconcile_breaks_key", "break_key", unique=True),
    Index("ix_reconcile_breaks_open", "account_no", "state",
          sqlite_where=_OPEN_BREAKS, postgresql_where=_OPEN_BREAKS),
    Index("ix_reconcile_breaks_day", "account_no", "as_of"),
)

#: Everything done to a break, append-only: assignments, notes, proposals and decisions.
reconcile_break_actions = Table(
    "reconcile_break_actions", metadata,
    Column("action_id", _id, primary_key=True, autoincrement=True),
    Column("break_id", BigInteger, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("operator", String(64), nullable=False),
    Column("note", String(limits.reconcile_note_length_max), nullable=False),
    Column("at", UtcDateTime(), nullable=False),
    Index("ix_reconcile_break_actions_break", "break_id", "action_id"),
)

#: An adjustment proposed for a break (maker), approved by a checker ≠ maker and, above the
#: write-off limit, a second approver; then posted once as a ledger transaction.
reconcile_adjustments = Table(
    "reconcile_adjustments", metadata,
    Column("adjustment_id", _id, primary_key=True, autoincrement=True),
    Column("break_id", BigInteger, nullable=False),
    Column("tenant_id", String(_t), nullable=False),
    Column("kind", String(16), nullable=False),    # correction / write_off
    Column("debit_account_no", String(_ledger), nullable=False),
    Column("credit_account_no", String(_ledger), nullable=False),
    Column("amount_fen", BigInteger, nullable=False),
    Column("memo", String(limits.memo_length_max), nullable=False),
    Column("state", String(16), nullable=False),   # proposed / rejected / posted
    Column("maker", String(64), nullable=False),
    Column("checker", String(64)),
    Column("second_approver", String(64)),
    Column("proposed_at", UtcDateTime(), nullable=False),
    Column("decided_at", UtcDateTime()),
    Column("request_no", String(limits.request_no_length_max), nullable=False),
    Column("tx_id", BigInteger),
    CheckConstraint("amount_fen > 0", name="ck_reconcile_adjustments_amount_positive"),
    Index("ix_reconcile_adjustments_break", "break_id"),
    Index("ux_reconcile_adjustments_request", "request_no", unique=True),
)

#: Items in transit (未达账项): a line or book item not matched yet, carried forward day by day
#: until it arrives (matched on a later day) or is raised overdue (past T+N).
reconcile_in_transit = Table(
    "reconcile_in_transit", metadata,
    Column("side", String(4), primary_key=True),
    Column("item_key", String(_key), primary_key=True),
    Column("account_no", String(_bank), nullable=False),
    Column("first_seen", Date, nullable=False),
    Column("last_seen", Date, nullable=False),
    Column("value_date", Date, nullable=False),
    Column("direction", String(6), nullable=False),
    Column("amount_fen", BigInteger, nullable=False),
    Column("age_days", Integer, nullable=False),
    Column("overdue", Integer, nullable=False),
    Column("arrived_on", Date),
    #: A book item's record (JSON), so it is matched again the next day as it was.
    Column("item", Text, nullable=False),
    Index("ix_reconcile_in_transit_open", "account_no", "arrived_on"),
)

#: The findings of the daily checks (R-B2) and identities (R-B3) for a day, as stored.
reconcile_findings = Table(
    "reconcile_findings", metadata,
    Column("finding_id", _id, primary_key=True, autoincrement=True),
    Column("as_of", Date, nullable=False),
    Column("tenant_id", String(_t), nullable=False),
    Column("rule", String(16), nullable=False),
    Column("check_name", String(64), nullable=False),
    Column("severity", String(16), nullable=False),
    Column("message", Text, nullable=False),
    Column("details", Text, nullable=False),
    Column("run_at", UtcDateTime(), nullable=False),
    Index("ix_reconcile_findings_day", "tenant_id", "as_of"),
)
