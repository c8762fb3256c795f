"""The holds' secondary indexes hold open holds only.

Both are read only for open holds: an account's open holds (``queries.open_holds_total``, the
day close's R-L4 check) and the expiry sweep's due holds (``queries.expired_hold_ids``). Yet
they held every hold ever made, and settling or releasing one — an update of its status,
which PostgreSQL cannot make in place while an index names the status — wrote an entry into
each for the closed version too. On the custody day about every second operation closes a
hold (a withdrawal's channel answer, a bid lent). Partial on ``status = 'open'``, a hold's
entries go with it when it closes, and the indexes stay the size of what is open. Queries
must name the status as the literal ``'open'`` for the planners to use them (a bound
parameter does not prove the predicate).

Building them blocks writes to ``holds`` while it runs; on a large table build them first
with ``CREATE INDEX CONCURRENTLY`` under the same names and definitions (docs/OPERATIONS.md),
and this migration finds and keeps them.

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

_OPEN = sa.text("status = 'open'")


def upgrade() -> None:
    op.create_index("ix_holds_open_by_account", "holds", ["tenant_id", "account_no"],
                    postgresql_where=_OPEN, sqlite_where=_OPEN, if_not_exists=True)
    op.create_index("ix_holds_open_by_expiry", "holds", ["tenant_id", "expires_at"],
                    postgresql_where=_OPEN, sqlite_where=_OPEN, if_not_exists=True)
    op.drop_index("ix_holds_account", table_name="holds")
    op.drop_index("ix_holds_open_expiry", table_name="holds")


def downgrade() -> None:
    op.create_index("ix_holds_open_expiry", "holds", ["tenant_id", "status", "expires_at"])
    op.create_index("ix_holds_account", "holds", ["tenant_id", "account_no"])
    op.drop_index("ix_holds_open_by_expiry", table_name="holds")
    op.drop_index("ix_holds_open_by_account", table_name="holds")
