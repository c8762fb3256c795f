"""Reconciliation's use cases composed: the register, statement imports, matching, breaks and
the reserve-fund checks and reports. Each use case is its own module's mixin."""

from cunguan.reconcile.handlers.breaks import Breaks
from cunguan.reconcile.handlers.manual_pairs import ManualPairs
from cunguan.reconcile.handlers.matching import Matching
from cunguan.reconcile.handlers.reserve import ReserveChecks
from cunguan.reconcile.handlers.statements import Statements


class ReconcileService(Statements, Matching, ManualPairs, Breaks, ReserveChecks):
    """The use cases an edge (CLI, routes) or a test calls."""
