"""Interest coupons (加息券, R-C18) on bids and claims.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("custody_bids") as batch_op:
        batch_op.add_column(sa.Column("coupon_rate", sa.String(length=16), nullable=False,
                                      server_default="0"))
    with op.batch_alter_table("custody_claims") as batch_op:
        batch_op.add_column(sa.Column("coupon_rate", sa.String(length=16), nullable=False,
                                      server_default="0"))
        batch_op.add_column(sa.Column("coupon_due_fen", sa.BigInteger(), nullable=False,
                                      server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("custody_claims") as batch_op:
        batch_op.drop_column("coupon_due_fen")
        batch_op.drop_column("coupon_rate")
    with op.batch_alter_table("custody_bids") as batch_op:
        batch_op.drop_column("coupon_rate")
