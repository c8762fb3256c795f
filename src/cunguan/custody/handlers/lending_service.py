"""The lending cycle (R-C8..R-C21) as one service: projects, bids, lending, failed raises,
repayments, compensation, debt transfer and finance plans.

Every money step goes through the ledger: a bid freezes, lending settles the bid holds into the
borrower account in one linked batch, a repayment freezes the installment and then settles it to
the investors pro rata to their claims. Each use case is a mixin of its own module (projects,
lending, repayments, claims, plans, over the steps they share in project_steps); this module
composes them over the custody service, and keeps the names its importers take from it.
"""

from cunguan.custody.handlers.claims import Claims
from cunguan.custody.handlers.lending import Lending
from cunguan.custody.handlers.lending_commands import (
    BidRequest,
    ClaimPurchase,
    ProjectStep,
    ProjectTerms,
)
from cunguan.custody.handlers.plans import Plans
from cunguan.custody.handlers.projects import Projects
from cunguan.custody.handlers.reads import CustodyReads
from cunguan.custody.handlers.repayments import Repayments
from cunguan.custody.handlers.service import CustodyService

#: What importers of the lending service take from it (the records live in lending_commands).
__all__ = ["BidRequest", "ClaimPurchase", "LendingService", "ProjectStep", "ProjectTerms"]


class LendingService(CustodyReads, Lending, Repayments, Plans, Projects, Claims, CustodyService):
    """The custody service with the whole lending cycle. The order is the mixins' own: lending
    settles a bank batch's repayments, a settlement re-invests finance plans' share, a plan's
    match bids on a project."""
