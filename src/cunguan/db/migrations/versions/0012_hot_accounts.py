"""Platform chart accounts become hot accounts (热点账户, AccountFlag.HOT = 8).

Every batch of a platform's users moves its summary, marketing or fee account, so a batch that
locked them when it started planning made every other batch of the platform wait for its whole
planning and writing. A hot account is read without a lock, locked only while its lines are
written, and the planned lines are moved onto whatever committed in between
(ledger/engine.rebase). Accounts opened with a platform's chart since this revision carry the
flag; this sets it on the chart accounts opened before. Downgrade clears it.

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_HOT = 8
#: The roles of a platform chart's accounts (custody/accounts.platform_chart), as of 0012.
_CHART_ROLES = ("custody_summary", "channel_in_transit", "platform_fee", "platform_marketing",
                "platform_own", "risk_reserve", "interest_distribution",
                "unallocated_receipts", "advance_funding")


def _set_flags(expression: str) -> None:
    op.get_bind().execute(
        sa.text(f"UPDATE accounts SET flags = {expression} WHERE role IN :roles")
        .bindparams(sa.bindparam("roles", _CHART_ROLES, expanding=True)))


def upgrade() -> None:
    _set_flags(f"flags | {_HOT}")


def downgrade() -> None:
    _set_flags(f"flags & ~{_HOT}")
