"""Partial rules: strict reserved-phone matching (R-A1), the custody fee (R-C2), exchange-
originated projects' contract and disbursement records (R-C8).

``custody_platforms`` gains the per-platform setting ``strict_reserved_phone`` and the custody
fee terms (none by default: a platform's terms are set by an operator); ``custody_fee_charges``
holds one row a month charged or owed; ``custody_project_origins`` the exchange's records.

Revision ID: 0017
Revises: 0016
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

_TENANT = 32


def upgrade() -> None:
    with op.batch_alter_table("custody_platforms") as batch_op:
        batch_op.add_column(sa.Column("strict_reserved_phone", sa.Integer(), nullable=False,
                                      server_default="0"))
        batch_op.add_column(sa.Column("custody_fee_monthly_fen", sa.BigInteger(),
                                      nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("custody_fee_annual_rate", sa.String(length=16),
                                      nullable=False, server_default="0"))
    op.create_table(
        "custody_fee_charges",
        sa.Column("tenant_id", sa.String(length=_TENANT), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("monthly_fen", sa.BigInteger(), nullable=False),
        sa.Column("annual_rate", sa.String(length=16), nullable=False),
        sa.Column("closed_days", sa.Integer(), nullable=False),
        sa.Column("balance_days_fen", sa.BigInteger(), nullable=False),
        sa.Column("fee_fen", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("tx_id", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("tenant_id", "period"),
    )
    op.create_table(
        "custody_project_origins",
        sa.Column("tenant_id", sa.String(length=_TENANT), nullable=False),
        sa.Column("project_id", sa.String(length=64), nullable=False),
        sa.Column("contract_no", sa.String(length=64), nullable=False),
        sa.Column("signed_on", sa.Date(), nullable=False),
        sa.Column("lender_name", sa.String(length=128), nullable=False),
        sa.Column("principal_fen", sa.BigInteger(), nullable=False),
        sa.Column("annual_rate", sa.String(length=16), nullable=False),
        sa.Column("months", sa.Integer(), nullable=False),
        sa.Column("disbursement_no", sa.String(length=64), nullable=False),
        sa.Column("disbursed_on", sa.Date(), nullable=False),
        sa.Column("disbursed_fen", sa.BigInteger(), nullable=False),
        sa.Column("payee_account_no", sa.String(length=32), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "project_id"),
    )


def downgrade() -> None:
    op.drop_table("custody_project_origins")
    op.drop_table("custody_fee_charges")
    with op.batch_alter_table("custody_platforms") as batch_op:
        batch_op.drop_column("custody_fee_annual_rate")
        batch_op.drop_column("custody_fee_monthly_fen")
        batch_op.drop_column("strict_reserved_phone")
