"""Reconciliation's refusals: every code a reconciliation command may answer besides ``ok``,
one enum, with each code's rule and meaning. The single source of docs/ERRORS.md's
reconciliation table (``scripts/errors_table.py`` writes it; tests/project/test_docs.py checks
it is current)."""

from enum import StrEnum

from cunguan.core.errors import CunguanError


class Refusal(StrEnum):
    """A reconciliation refusal's code."""

    FIELD_INVALID = "field_invalid"
    DUPLICATE_WITH_DIFFERENT_CONTENT = "duplicate_with_different_content"
    STATEMENT_UNPARSABLE = "statement_unparsable"
    STATEMENT_BALANCE_MISMATCH = "statement_balance_mismatch"
    STATEMENT_NOT_CONTINUOUS = "statement_not_continuous"
    ACCOUNT_NOT_REGISTERED = "account_not_registered"
    ACCOUNT_REGISTERED = "account_registered"
    BREAK_NOT_FOUND = "break_not_found"
    ADJUSTMENT_POSTING_REFUSED = "adjustment_posting_refused"
    MAKER_CANNOT_CHECK = "maker_cannot_check"
    BREAK_STATE_INVALID = "break_state_invalid"


#: Each refusal's rule (SPEC id, or "—") and meaning, as docs/ERRORS.md shows them.
EXPLAINED: dict[Refusal, tuple[str, str]] = {
    Refusal.FIELD_INVALID: ("—",
        "a field of the command is malformed or out of range, whoever called (HTTP, CLI, "
        "Python); `details` carries `field` and `reason`"),
    Refusal.DUPLICATE_WITH_DIFFERENT_CONTENT: ("R-L5",
        "a statement id already imported with other content (the same file again is a replay)"),
    Refusal.STATEMENT_UNPARSABLE: ("R-B2",
        "the file does not parse in the format named: refused whole, with the line and the "
        "reason (`details.line`, `details.reason`)"),
    Refusal.STATEMENT_BALANCE_MISMATCH: ("R-B3",
        "opening balance plus the booked lines is not the closing balance the file states"),
    Refusal.STATEMENT_NOT_CONTINUOUS: ("R-B2, R-B3",
        "the opening balance does not continue the closing balance of the account's last "
        "imported statement: refused whole"),
    Refusal.ACCOUNT_NOT_REGISTERED: ("R-B1",
        "the bank account is not in the reconciliation register (`cunguan reconcile accounts "
        "add`): nothing is imported or matched for it"),
    Refusal.ACCOUNT_REGISTERED: ("R-B1",
        "the bank account is in the register already"),
    Refusal.BREAK_NOT_FOUND: ("R-B2",
        "no break (or no adjustment of it) has that id"),
    Refusal.ADJUSTMENT_POSTING_REFUSED: ("R-L1",
        "the ledger refused the approved adjustment's transaction (its reject is in "
        "`details.reject`): nothing is posted and the adjustment stays approved, to post again"),
    Refusal.MAKER_CANNOT_CHECK: ("R-B2",
        "an adjustment is approved by an operator other than its maker, and a second approval "
        "(above the write-off limit) by a third: the maker, or the first checker again, is "
        "refused"),
    Refusal.BREAK_STATE_INVALID: ("R-B2",
        "the break or its adjustment is not in a state that allows this (`details.state`): "
        "e.g. approving with no adjustment proposed, proposing twice, changing a resolved "
        "break"),
}


class ReconcileError(CunguanError):
    """A reconciliation command refused with a named code (a ``Refusal``)."""
