"""Debt transfer listings and claim kinds (recourse claims after compensation).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "custody_listings",
        sa.Column("tenant_id", sa.String(length=32), nullable=False),
        sa.Column("listing_id", sa.String(length=64), nullable=False),
        sa.Column("claim_id", sa.String(length=64), nullable=False),
        sa.Column("seller_user_id", sa.String(length=64), nullable=False),
        sa.Column("price_fen", sa.BigInteger(), nullable=False),
        sa.Column("fee_fen", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("buyer_user_id", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("tenant_id", "listing_id"),
    )
    with op.batch_alter_table("custody_listings") as batch_op:
        batch_op.create_index("ix_custody_listings_claim", ["tenant_id", "claim_id"])
    with op.batch_alter_table("custody_claims") as batch_op:
        batch_op.add_column(sa.Column("kind", sa.String(length=16), nullable=False,
                                      server_default="investment"))


def downgrade() -> None:
    with op.batch_alter_table("custody_claims") as batch_op:
        batch_op.drop_column("kind")
    op.drop_table("custody_listings")
