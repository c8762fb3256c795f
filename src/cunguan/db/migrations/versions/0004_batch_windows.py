"""Batch windows: batch instructions and their items (R-C11).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "custody_batches",
        sa.Column("tenant_id", sa.String(length=32), nullable=False),
        sa.Column("batch_no", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("window_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "batch_no"),
    )
    with op.batch_alter_table("custody_batches") as batch_op:
        batch_op.create_index("ix_custody_batches_due", ["status", "window_at"])
    op.create_table(
        "custody_batch_items",
        sa.Column("tenant_id", sa.String(length=32), nullable=False),
        sa.Column("batch_no", sa.String(length=64), nullable=False),
        sa.Column("item_no", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.String(length=64), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("code", sa.String(length=48), nullable=False),
        sa.Column("message", sa.String(length=256), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "batch_no", "item_no"),
    )


def downgrade() -> None:
    op.drop_table("custody_batch_items")
    op.drop_table("custody_batches")
