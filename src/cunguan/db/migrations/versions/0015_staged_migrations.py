"""Staged, funded, maker-checker migrations (R-C20): a platform's migration files are read
and counted into ``custody_migrations`` and ``custody_migration_rows``; nothing is credited
until the funding arrived and two different operators approved.

Revision ID: 0015
Revises: 0014
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "custody_migrations",
        sa.Column("tenant_id", sa.String(length=32), nullable=False),
        sa.Column("migration_id", sa.String(length=48), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("files_digest", sa.String(length=64), nullable=False),
        sa.Column("users_count", sa.Integer(), nullable=False),
        sa.Column("balance_total_fen", sa.BigInteger(), nullable=False),
        sa.Column("projects_count", sa.Integer(), nullable=False),
        sa.Column("claims_count", sa.Integer(), nullable=False),
        sa.Column("funded_fen", sa.BigInteger(), nullable=False),
        sa.Column("staged_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("maker", sa.String(length=64), nullable=True),
        sa.Column("maker_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("checker", sa.String(length=64), nullable=True),
        sa.Column("checker_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.String(length=128), nullable=True),
        sa.PrimaryKeyConstraint("tenant_id", "migration_id"),
    )
    op.create_table(
        "custody_migration_rows",
        sa.Column("tenant_id", sa.String(length=32), nullable=False),
        sa.Column("migration_id", sa.String(length=48), nullable=False),
        sa.Column("file", sa.String(length=16), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("row_key", sa.String(length=64), nullable=False),
        sa.Column("outcome", sa.String(length=24), nullable=False),
        sa.Column("code", sa.String(length=48), nullable=False),
        sa.Column("message", sa.String(length=256), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "migration_id", "file", "line_no"),
    )


def downgrade() -> None:
    op.drop_table("custody_migration_rows")
    op.drop_table("custody_migrations")
