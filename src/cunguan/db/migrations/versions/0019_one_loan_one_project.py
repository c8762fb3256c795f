"""One exchange loan, one project (R-C8): a loan contract no. and a disbursement no. back at most
one project of a platform — unique indexes on ``custody_project_origins`` (tenant_id,
contract_no) and (tenant_id, disbursement_no).

Before 0019 one contract could register any number of projects, for any borrower. The upgrade
refuses, changing nothing, when stored records already share a contract or a disbursement; the
error lists them, and an operator settles which project the loan backs (the others are
cancelled or their records corrected) before upgrading again.

Revision ID: 0019
Revises: 0018
"""

from collections import defaultdict

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

#: How many conflicts the refusal lists before it says how many more there are.
_CONFLICTS_SHOWN = 50

_origins = sa.table("custody_project_origins", sa.column("tenant_id"),
                    sa.column("project_id"), sa.column("contract_no"),
                    sa.column("disbursement_no"))


class OriginConflicts(RuntimeError):
    """Stored exchange records already back more than one project with one loan."""


def upgrade() -> None:
    rows = op.get_bind().execute(sa.select(_origins)).all()
    backs: dict[tuple[str, str, str], list[str]] = defaultdict(list)
    for r in rows:
        backs[(r.tenant_id, "contract", r.contract_no)].append(r.project_id)
        backs[(r.tenant_id, "disbursement", r.disbursement_no)].append(r.project_id)
    conflicts = [f"platform {tenant}: {what} {no} backs projects {', '.join(sorted(projects))}"
                 for (tenant, what, no), projects in sorted(backs.items())
                 if len(projects) > 1]
    if conflicts:
        more = len(conflicts) - _CONFLICTS_SHOWN
        raise OriginConflicts(
            "migration 0019 refused: one exchange loan backs several projects (R-C8: one "
            "contract and one disbursement per project). Resolve these and upgrade again:\n  "
            + "\n  ".join(conflicts[:_CONFLICTS_SHOWN])
            + (f"\n  … and {more} more" if more > 0 else ""))
    op.create_index("ux_custody_project_origins_contract", "custody_project_origins",
                    ["tenant_id", "contract_no"], unique=True)
    op.create_index("ux_custody_project_origins_disbursement", "custody_project_origins",
                    ["tenant_id", "disbursement_no"], unique=True)


def downgrade() -> None:
    op.drop_index("ux_custody_project_origins_disbursement",
                  table_name="custody_project_origins")
    op.drop_index("ux_custody_project_origins_contract", table_name="custody_project_origins")
