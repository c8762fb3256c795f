"""Today's large-value (HVPS) withdrawals of a user, found without reading the month's others.

A withdrawal looks up the user's withdrawals this month (the free one, R-C17) and the amount
the user sent by HVPS today (its daily quota, R-C16). Both went through
``ix_custody_withdrawals_user`` (tenant, user, month) and read every withdrawal of the user's
month to filter the day's HVPS ones: with a platform's busiest users withdrawing many times a
day, each withdrawal batch read more rows than the one before. This partial index holds only
HVPS withdrawals, by user and business date; the month's count now stops at the free
allowance (custody_service.CustodyService._withdrawals_so_far).

Building the index blocks writes to ``custody_withdrawals`` while it runs. On a large table,
build it first without blocking (docs/OPERATIONS.md: ``CREATE INDEX CONCURRENTLY`` with the
same name and definition); this migration then finds it and leaves it.

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_custody_withdrawals_hvps", "custody_withdrawals",
                    ["tenant_id", "user_id", "business_date"],
                    postgresql_where=sa.text("rail = 'hvps'"),
                    sqlite_where=sa.text("rail = 'hvps'"), if_not_exists=True)


def downgrade() -> None:
    op.drop_index("ix_custody_withdrawals_hvps", table_name="custody_withdrawals")
