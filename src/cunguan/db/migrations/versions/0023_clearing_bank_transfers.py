"""Clearing (issue 22): a participant bank's own side of BEPS — its outward credit items held
on customers' accounts and its inward items credited or returned.

A new table only; nothing existing changes.

Revision ID: 0023
Revises: 0022
"""

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "clearing_bank_transfers",
        sa.Column("transfer_no", _ID, autoincrement=True, nullable=False),
        sa.Column("system_id", sa.String(length=32), nullable=False),
        sa.Column("bank_code", sa.String(length=12), nullable=False),
        sa.Column("serial_no", sa.String(length=64), nullable=False),
        sa.Column("direction", sa.String(length=8), nullable=False),
        sa.Column("customer_account", sa.String(length=32), nullable=False),
        sa.Column("customer_name", sa.String(length=128), nullable=False),
        sa.Column("counterparty_bank", sa.String(length=12), nullable=False),
        sa.Column("counterparty_account", sa.String(length=32), nullable=False),
        sa.Column("counterparty_name", sa.String(length=128), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("hold_id", sa.BigInteger(), nullable=True),
        sa.Column("item_id", sa.String(length=64), nullable=True),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("direction IN ('outward', 'inward')",
                           name="ck_clearing_bank_transfers_direction"),
        sa.PrimaryKeyConstraint("transfer_no"),
    )
    op.create_index("ix_clearing_bank_transfers_state", "clearing_bank_transfers",
                    ["system_id", "bank_code", "state"], unique=False)
    op.create_index("ux_clearing_bank_transfers_serial", "clearing_bank_transfers",
                    ["system_id", "bank_code", "direction", "serial_no"], unique=True)


def downgrade() -> None:
    op.drop_table("clearing_bank_transfers")
