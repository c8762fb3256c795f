"""Reconciliation (issue 21): the bank accounts register and the ledger accounts each mirrors,
statement imports and their lines, match runs and matches, breaks with their actions and
adjustments, items in transit carried forward, and the daily checks' findings.

New tables only; nothing existing changes.

Revision ID: 0020
Revises: 0019
"""

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

_TENANT = 32
_LEDGER = 32
_BANK = 34
_KEY = 128
_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_OPEN_BREAKS = sa.text("state NOT IN ('resolved', 'written_off')")


def _at(name: str, nullable: bool = False) -> sa.Column[Any]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    _register()
    _statements()
    _matching()
    _breaks()
    op.create_table(
        "reconcile_findings",
        sa.Column("finding_id", _ID, autoincrement=True, nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("tenant_id", sa.String(length=_TENANT), nullable=False),
        sa.Column("rule", sa.String(length=16), nullable=False),
        sa.Column("check_name", sa.String(length=64), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("details", sa.Text(), nullable=False),
        _at("run_at"),
        sa.PrimaryKeyConstraint("finding_id"),
    )
    op.create_index("ix_reconcile_findings_day", "reconcile_findings", ["tenant_id", "as_of"])


def _register() -> None:
    op.create_table(
        "reconcile_accounts",
        sa.Column("account_no", sa.String(length=_BANK), nullable=False),
        sa.Column("bank_name", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("tenant_id", sa.String(length=_TENANT), nullable=True),
        _at("created_at"),
        sa.Column("operator", sa.String(length=64), nullable=False),
        sa.CheckConstraint("kind IN ('custody', 'receipt_payment', 'collection', "
                           "'cooperating', 'channel')", name="ck_reconcile_accounts_kind"),
        sa.PrimaryKeyConstraint("account_no"),
    )
    op.create_index("ix_reconcile_accounts_tenant", "reconcile_accounts", ["tenant_id"])
    op.create_table(
        "reconcile_account_mirrors",
        sa.Column("account_no", sa.String(length=_BANK), nullable=False),
        sa.Column("ledger_account_no", sa.String(length=_LEDGER), nullable=False),
        sa.PrimaryKeyConstraint("account_no", "ledger_account_no"),
    )


def _statements() -> None:
    op.create_table(
        "reconcile_statements",
        sa.Column("import_id", _ID, autoincrement=True, nullable=False),
        sa.Column("file_sha256", sa.String(length=64), nullable=False),
        sa.Column("content_sha256", sa.String(length=64), nullable=False),
        sa.Column("account_no", sa.String(length=_BANK), nullable=False),
        sa.Column("statement_id", sa.String(length=128), nullable=False),
        sa.Column("source_format", sa.String(length=32), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("from_date", sa.Date(), nullable=False),
        sa.Column("to_date", sa.Date(), nullable=False),
        sa.Column("opening_balance_fen", sa.BigInteger(), nullable=False),
        sa.Column("closing_balance_fen", sa.BigInteger(), nullable=False),
        sa.Column("line_count", sa.Integer(), nullable=False),
        _at("imported_at"),
        sa.Column("operator", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("import_id"),
    )
    op.create_index("ux_reconcile_statements_file", "reconcile_statements", ["file_sha256"],
                    unique=True)
    op.create_index("ux_reconcile_statements_id", "reconcile_statements",
                    ["account_no", "statement_id"], unique=True)
    op.create_index("ix_reconcile_statements_period", "reconcile_statements",
                    ["account_no", "to_date"])
    op.create_table(
        "reconcile_lines",
        sa.Column("import_id", _ID, autoincrement=False, nullable=False),
        sa.Column("line_no", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("line_key", sa.String(length=_KEY), nullable=False),
        sa.Column("account_no", sa.String(length=_BANK), nullable=False),
        sa.Column("value_date", sa.Date(), nullable=False),
        sa.Column("booking_date", sa.Date(), nullable=False),
        sa.Column("direction", sa.String(length=6), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("fee_fen", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("bank_ref", sa.String(length=_KEY), nullable=False),
        sa.Column("end_to_end_ref", sa.String(length=_KEY), nullable=False),
        sa.Column("counterparty_account", sa.String(length=_BANK), nullable=False),
        sa.Column("counterparty_name", sa.String(length=128), nullable=False),
        sa.Column("description", sa.String(length=256), nullable=False),
        sa.Column("balance_after_fen", sa.BigInteger(), nullable=True),
        sa.Column("original_ref", sa.String(length=_KEY), nullable=False),
        sa.CheckConstraint("amount_fen > 0", name="ck_reconcile_lines_amount_positive"),
        sa.PrimaryKeyConstraint("import_id", "line_no"),
    )
    op.create_index("ux_reconcile_lines_key", "reconcile_lines", ["line_key"], unique=True)
    op.create_index("ix_reconcile_lines_day", "reconcile_lines", ["account_no", "booking_date"])


def _matching() -> None:
    op.create_table(
        "reconcile_match_runs",
        sa.Column("account_no", sa.String(length=_BANK), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("policy", sa.Text(), nullable=False),
        sa.Column("inputs_sha256", sa.String(length=64), nullable=False),
        sa.Column("bank_lines", sa.Integer(), nullable=False),
        sa.Column("book_items", sa.Integer(), nullable=False),
        sa.Column("matched", sa.Integer(), nullable=False),
        sa.Column("breaks", sa.Integer(), nullable=False),
        sa.Column("in_transit", sa.Integer(), nullable=False),
        _at("run_at"),
        sa.Column("operator", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("account_no", "as_of"),
    )
    op.create_table(
        "reconcile_matches",
        sa.Column("account_no", sa.String(length=_BANK), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("side", sa.String(length=4), nullable=False),
        sa.Column("item_key", sa.String(length=_KEY), nullable=False),
        sa.Column("group_id", sa.String(length=_KEY), nullable=False),
        sa.Column("rule", sa.String(length=32), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("account_no", "as_of", "side", "item_key"),
    )
    op.create_index("ix_reconcile_matches_item", "reconcile_matches", ["side", "item_key"])
    op.create_table(
        "reconcile_in_transit",
        sa.Column("side", sa.String(length=4), nullable=False),
        sa.Column("item_key", sa.String(length=_KEY), nullable=False),
        sa.Column("account_no", sa.String(length=_BANK), nullable=False),
        sa.Column("first_seen", sa.Date(), nullable=False),
        sa.Column("last_seen", sa.Date(), nullable=False),
        sa.Column("value_date", sa.Date(), nullable=False),
        sa.Column("direction", sa.String(length=6), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("age_days", sa.Integer(), nullable=False),
        sa.Column("overdue", sa.Integer(), nullable=False),
        sa.Column("arrived_on", sa.Date(), nullable=True),
        sa.Column("item", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("side", "item_key"),
    )
    op.create_index("ix_reconcile_in_transit_open", "reconcile_in_transit",
                    ["account_no", "arrived_on"])


def _breaks() -> None:
    op.create_table(
        "reconcile_breaks",
        sa.Column("break_id", _ID, autoincrement=True, nullable=False),
        sa.Column("break_key", sa.String(length=64), nullable=False),
        sa.Column("account_no", sa.String(length=_BANK), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("break_class", sa.String(length=24), nullable=False),
        sa.Column("side", sa.String(length=4), nullable=False),
        sa.Column("item_keys", sa.Text(), nullable=False),
        sa.Column("value_date", sa.Date(), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("difference_fen", sa.BigInteger(), nullable=False),
        sa.Column("owner", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=24), nullable=False),
        sa.Column("opened_on", sa.Date(), nullable=False),
        sa.Column("resolved_on", sa.Date(), nullable=True),
        sa.Column("resolution", sa.String(length=256), nullable=False),
        sa.Column("tenant_id", sa.String(length=_TENANT), nullable=True),
        sa.Column("tx_id", sa.BigInteger(), nullable=True),
        _at("updated_at"),
        sa.PrimaryKeyConstraint("break_id"),
    )
    op.create_index("ux_reconcile_breaks_key", "reconcile_breaks", ["break_key"], unique=True)
    op.create_index("ix_reconcile_breaks_open", "reconcile_breaks", ["account_no", "state"],
                    sqlite_where=_OPEN_BREAKS, postgresql_where=_OPEN_BREAKS)
    op.create_index("ix_reconcile_breaks_day", "reconcile_breaks", ["account_no", "as_of"])
    op.create_table(
        "reconcile_break_actions",
        sa.Column("action_id", _ID, autoincrement=True, nullable=False),
        sa.Column("break_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("operator", sa.String(length=64), nullable=False),
        sa.Column("note", sa.String(length=1000), nullable=False),
        _at("at"),
        sa.PrimaryKeyConstraint("action_id"),
    )
    op.create_index("ix_reconcile_break_actions_break", "reconcile_break_actions",
                    ["break_id", "action_id"])
    op.create_table(
        "reconcile_adjustments",
        sa.Column("adjustment_id", _ID, autoincrement=True, nullable=False),
        sa.Column("break_id", sa.BigInteger(), nullable=False),
        sa.Column("tenant_id", sa.String(length=_TENANT), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("debit_account_no", sa.String(length=_LEDGER), nullable=False),
        sa.Column("credit_account_no", sa.String(length=_LEDGER), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("memo", sa.String(length=256), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("maker", sa.String(length=64), nullable=False),
        sa.Column("checker", sa.String(length=64), nullable=True),
        sa.Column("second_approver", sa.String(length=64), nullable=True),
        _at("proposed_at"),
        _at("decided_at", nullable=True),
        sa.Column("request_no", sa.String(length=64), nullable=False),
        sa.Column("tx_id", sa.BigInteger(), nullable=True),
        sa.CheckConstraint("amount_fen > 0", name="ck_reconcile_adjustments_amount_positive"),
        sa.PrimaryKeyConstraint("adjustment_id"),
    )
    op.create_index("ix_reconcile_adjustments_break", "reconcile_adjustments", ["break_id"])
    op.create_index("ux_reconcile_adjustments_request", "reconcile_adjustments",
                    ["request_no"], unique=True)


def downgrade() -> None:
    for table in ("reconcile_findings", "reconcile_adjustments", "reconcile_break_actions",
                  "reconcile_breaks", "reconcile_in_transit", "reconcile_matches",
                  "reconcile_match_runs", "reconcile_lines", "reconcile_statements",
                  "reconcile_account_mirrors", "reconcile_accounts"):
        op.drop_table(table)
