"""Hosted pages' rate-limit counts shared by every server process (owner: API edge).

Each process kept its own counts, so N processes allowed N times the limit; the counts are
now rows per client address and fixed one-minute window (``api_rate_limits``).

Revision ID: 0016
Revises: 0015
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "api_rate_limits",
        sa.Column("bucket", sa.String(length=80), nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("bucket", "window_start"),
    )
    op.create_index("ix_api_rate_limits_window_start", "api_rate_limits", ["window_start"])


def downgrade() -> None:
    op.drop_index("ix_api_rate_limits_window_start", table_name="api_rate_limits")
    op.drop_table("api_rate_limits")
