"""Finance plans (理财计划, R-C19): plans, holdings, and the holding a bid or claim belongs to.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "custody_plans",
        sa.Column("tenant_id", sa.String(length=32), nullable=False),
        sa.Column("plan_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("annual_rate", sa.String(length=16), nullable=False),
        sa.Column("term_days", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "plan_id"),
    )
    op.create_table(
        "custody_plan_holdings",
        sa.Column("tenant_id", sa.String(length=32), nullable=False),
        sa.Column("holding_id", sa.String(length=64), nullable=False),
        sa.Column("plan_id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("idle_fen", sa.BigInteger(), nullable=False),
        sa.Column("idle_hold_id", sa.BigInteger(), nullable=True),
        sa.Column("matures_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "holding_id"),
    )
    for table in ("custody_bids", "custody_claims"):
        with op.batch_alter_table(table) as batch_op:
            batch_op.add_column(sa.Column("holding_id", sa.String(length=64), nullable=True))


def downgrade() -> None:
    for table in ("custody_claims", "custody_bids"):
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_column("holding_id")
    op.drop_table("custody_plan_holdings")
    op.drop_table("custody_plans")
