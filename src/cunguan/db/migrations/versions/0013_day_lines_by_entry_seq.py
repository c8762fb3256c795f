"""The day close finds a day's fund-log lines from each account's last closed line; the index
on the fund log's accounting date goes.

Every posting wrote an entry into ``ix_fund_log_date`` (tenant, accounting date) only for the
day close to find the day's lines: on the custody day that index cost 9–23 % of the whole
throughput (bench/README.md). An account's lines are numbered in posting order
(``entry_seq``), and their accounting dates never go back: the cutover waits for every
posting that read the old date (ledger_store: the tenant row's share lock), so every line of
day T+1 follows every line of day T. The close now records each account's last line of the
day (``day_balances.last_entry_seq``) and the next close reads, per account, the lines after
it through the fund log's primary key (daybook_store.gather_facts). This fills
``last_entry_seq`` for the days closed before this revision (one pass over the fund log),
then drops the index; downgrade builds it again.

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("day_balances") as batch_op:
        batch_op.add_column(sa.Column("last_entry_seq", sa.BigInteger(), nullable=False,
                                      server_default="0"))
    # Each account's last line per accounting date, in one pass over the fund log; a snapshot
    # takes the one of its day or the latest day before it (entry_seq rises with the date).
    op.execute("CREATE TEMPORARY TABLE day_last_lines AS SELECT tenant_id, account_no, "
               "accounting_date, MAX(entry_seq) AS entry_seq FROM fund_log "
               "GROUP BY tenant_id, account_no, accounting_date")
    op.execute("CREATE INDEX ix_day_last_lines ON day_last_lines "
               "(tenant_id, account_no, accounting_date)")
    op.execute(
        "UPDATE day_balances SET last_entry_seq = COALESCE(("
        "SELECT d.entry_seq FROM day_last_lines d WHERE d.tenant_id = day_balances.tenant_id "
        "AND d.account_no = day_balances.account_no "
        "AND d.accounting_date <= day_balances.accounting_date "
        "ORDER BY d.accounting_date DESC LIMIT 1), 0)")
    op.execute("DROP TABLE day_last_lines")
    op.drop_index("ix_fund_log_date", table_name="fund_log")


def downgrade() -> None:
    op.create_index("ix_fund_log_date", "fund_log", ["tenant_id", "accounting_date"])
    with op.batch_alter_table("day_balances") as batch_op:
        batch_op.drop_column("last_entry_seq")
