"""Reads on the custody service users hold (``LendingService``): a project, its repayment
schedule, its claims, a withdrawal. Read-only: nothing here writes or takes a lock.

The SQL is ``CustodyQueries``' (custody_queries.py), the one the platform API answers
``GET /v1/projects/{id}`` and the rest with, so Python, the CLI and HTTP read the same
views: plain dicts of JSON-ready values, dates as ISO text, money as int fen, card numbers
masked. An unknown id — or one of another platform — is refused with a ``CustodyError`` whose
code names what was not found (``project_not_found``, ``withdrawal_not_found``).
"""

from typing import Any

from cunguan.custody.store.queries import CustodyQueries
from cunguan.db.connection import Engine


class CustodyReads:
    """Mixed into ``LendingService``: the reads need only its engine."""

    engine: Engine

    def project(self, tenant_id: str, project_id: str) -> dict[str, Any]:
        """A project's terms and where it stands: amount, raised, rate, months, method, bid
        limits, status."""
        return CustodyQueries(self.engine).project(tenant_id, project_id)

    def schedule(self, tenant_id: str, project_id: str) -> list[dict[str, Any]]:
        """The project's repayment plan, one dict per installment in order: period, due date,
        principal, interest, penalty and status (due, frozen, paid …)."""
        return CustodyQueries(self.engine).schedule(tenant_id, project_id)

    def project_claims(self, tenant_id: str, project_id: str) -> list[dict[str, Any]]:
        """Every claim on the project (open and closed): holder, kind, principal, outstanding
        and status, by claim id."""
        return CustodyQueries(self.engine).claims(tenant_id, project_id=project_id)

    def withdrawal(self, tenant_id: str, withdrawal_no: str) -> dict[str, Any]:
        """A withdrawal by its request no.: amount, fee, rail, state, card masked."""
        return CustodyQueries(self.engine).withdrawal(tenant_id, withdrawal_no)
