"""Room on each page for a row's next version, on the tables whose rows change after insert.

A claim, bid, withdrawal, project, installment or batch item is written once, then has its
status (and amounts) changed one to a few times. PostgreSQL can update a row in place of its
index entries (a HOT update) only when the new version fits on the same page; rows written by
COPY fill each page to the brim (fillfactor 100), so in the set-based custody mix not one of
7,690 claim updates was HOT: each wrote a new entry in every index of the table. A set-based
step (a settlement, the channel's answer file) updates every row of a page in one statement,
before any old version can be pruned, so each row needs room for its next version: measured,
fillfactor 80 made a quarter of those updates HOT, 50 all of them (the claims' UPDATE went from
0.20 s to 0.04 s). The price is twice the pages for these tables, small beside ``fund_log``.

Affects pages written from now on (a bank upgrading a populated database can rewrite a table
with ``VACUUM FULL`` in a quiet window; see docs/OPERATIONS.md). SQLite has no such setting.

Revision ID: 0010
Revises: 0009
"""

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

#: Percent of each page that inserts fill; the rest waits for the rows' next versions.
FILLFACTOR_PERCENT = 50
TABLES = ("custody_claims", "custody_bids", "custody_withdrawals", "custody_projects",
          "custody_installments", "custody_batch_items")


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in TABLES:
        op.execute(f"ALTER TABLE {table} SET (fillfactor = {FILLFACTOR_PERCENT})")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in TABLES:
        op.execute(f"ALTER TABLE {table} RESET (fillfactor)")
