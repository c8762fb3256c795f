"""Clearing (issue 22, BEPS): the systems with their parameters and working day, participants
with their caps and unsettled positions, earmarks, packages, items, sessions with their
positions, and events.

New tables only; nothing existing changes.

Revision ID: 0022
Revises: 0021
"""

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "clearing_systems",
        sa.Column("system_id", sa.String(length=32), nullable=False),
        sa.Column("work_date", sa.Date(), nullable=False),
        sa.Column("session_times", sa.String(length=144), nullable=False),
        sa.Column("credit_item_max_fen", sa.BigInteger(), nullable=False),
        sa.Column("debit_answer_days_max", sa.Integer(), nullable=False),
        sa.Column("realtime_receipt_timeout_s", sa.Integer(), nullable=False),
        sa.Column("cap_warning_used_pcts", sa.String(length=64), nullable=False),
        sa.Column("fee_per_item_fen", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("system_id"),
    )
    op.create_table(
        "clearing_participants",
        sa.Column("system_id", sa.String(length=32), nullable=False),
        sa.Column("bank_code", sa.String(length=12), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("role", sa.String(length=8), nullable=False),
        sa.Column("clearing_bank_code", sa.String(length=12), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("settlement_account_no", sa.String(length=32), nullable=True),
        sa.Column("collateral_fen", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("haircut_bps", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("credit_line_fen", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("earmarked_fen", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("position_fen", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "collateral_fen >= 0 AND credit_line_fen >= 0 AND earmarked_fen >= 0 AND haircut_bps BETWEEN 0 AND 10000",
            name="ck_clearing_participants_cap_parts"),
        sa.CheckConstraint(
            "role IN ('direct', 'indirect', 'npc', 'saps')",
            name="ck_clearing_participants_role"),
        sa.PrimaryKeyConstraint("system_id", "bank_code"),
    )
    op.create_table(
        "clearing_earmarks",
        sa.Column("system_id", sa.String(length=32), nullable=False),
        sa.Column("request_no", sa.String(length=64), nullable=False),
        sa.Column("bank_code", sa.String(length=12), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("hold_id", sa.BigInteger(), nullable=False),
        sa.Column("released", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("system_id", "request_no"),
    )
    op.create_table(
        "clearing_packages",
        sa.Column("package_no", _ID, autoincrement=True, nullable=False),
        sa.Column("system_id", sa.String(length=32), nullable=False),
        sa.Column("sender_bank", sa.String(length=12), nullable=False),
        sa.Column("message_id", sa.String(length=35), nullable=False),
        sa.Column("business_type", sa.String(length=16), nullable=False),
        sa.Column("receiver_bank", sa.String(length=12), nullable=False),
        sa.Column("work_date", sa.Date(), nullable=False),
        sa.Column("control_count", sa.Integer(), nullable=False),
        sa.Column("control_sum_fen", sa.BigInteger(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("is_receipt", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("package_no"),
    )
    op.create_index("ux_clearing_packages_message", "clearing_packages", ["system_id", "sender_bank", "message_id"],
                    unique=True)
    op.create_table(
        "clearing_items",
        sa.Column("arrival_seq", _ID, autoincrement=True, nullable=False),
        sa.Column("system_id", sa.String(length=32), nullable=False),
        sa.Column("item_id", sa.String(length=64), nullable=False),
        sa.Column("package_no", sa.BigInteger(), nullable=False),
        sa.Column("item_no", sa.Integer(), nullable=False),
        sa.Column("business_type", sa.String(length=16), nullable=False),
        sa.Column("end_to_end_id", sa.String(length=35), nullable=False),
        sa.Column("debtor_bank", sa.String(length=12), nullable=False),
        sa.Column("debtor_account", sa.String(length=32), nullable=False),
        sa.Column("creditor_bank", sa.String(length=12), nullable=False),
        sa.Column("creditor_account", sa.String(length=32), nullable=False),
        sa.Column("payer_bank", sa.String(length=12), nullable=False),
        sa.Column("payee_bank", sa.String(length=12), nullable=False),
        sa.Column("sender_bank", sa.String(length=12), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("debit_term_days", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("netted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("work_date", sa.Date(), nullable=True),
        sa.Column("session_no", sa.Integer(), nullable=True),
        sa.Column("returns_item_id", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("arrival_seq"),
    )
    op.create_index("ix_clearing_items_package", "clearing_items", ["package_no"],
                    unique=False)
    op.create_index("ix_clearing_items_session", "clearing_items", ["system_id", "work_date", "session_no"],
                    unique=False)
    op.create_index("ix_clearing_items_state", "clearing_items", ["system_id", "state", "payer_bank"],
                    unique=False)
    op.create_index("ux_clearing_items_id", "clearing_items", ["system_id", "item_id"],
                    unique=True)
    op.create_table(
        "clearing_sessions",
        sa.Column("system_id", sa.String(length=32), nullable=False),
        sa.Column("work_date", sa.Date(), nullable=False),
        sa.Column("session_no", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("net_debits_fen", sa.BigInteger(), nullable=False),
        sa.Column("net_credits_fen", sa.BigInteger(), nullable=False),
        sa.Column("items", sa.Integer(), nullable=False),
        sa.Column("settles_on", sa.Date(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("settled_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "net_debits_fen = net_credits_fen",
            name="ck_clearing_sessions_balanced"),
        sa.PrimaryKeyConstraint("system_id", "work_date", "session_no"),
    )
    op.create_table(
        "clearing_session_positions",
        sa.Column("system_id", sa.String(length=32), nullable=False),
        sa.Column("work_date", sa.Date(), nullable=False),
        sa.Column("session_no", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("bank_code", sa.String(length=12), nullable=False),
        sa.Column("position_fen", sa.BigInteger(), nullable=False),
        sa.Column("settled", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.PrimaryKeyConstraint("system_id", "work_date", "session_no", "bank_code"),
    )
    op.create_table(
        "clearing_events",
        sa.Column("event_id", _ID, autoincrement=True, nullable=False),
        sa.Column("system_id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("bank_code", sa.String(length=12), nullable=False),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("event_id"),
    )
    op.create_index("ix_clearing_events_bank", "clearing_events", ["system_id", "bank_code", "event_id"],
                    unique=False)


def downgrade() -> None:
    op.drop_table("clearing_events")
    op.drop_table("clearing_session_positions")
    op.drop_table("clearing_sessions")
    op.drop_table("clearing_items")
    op.drop_table("clearing_packages")
    op.drop_table("clearing_earmarks")
    op.drop_table("clearing_participants")
    op.drop_table("clearing_systems")
