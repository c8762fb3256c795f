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
    TENANT_NOT_FOUND = "tenant_not_found"
    DAY_NOT_CLOSED = "day_not_closed"
    PLATFORM_KEY_MISSING = "platform_key_missing"


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
    Refusal.TENANT_NOT_FOUND: ("R-C22", "no such platform"),
    Refusal.DAY_NOT_CLOSED: ("R-C22, R-L7",
        "a platform's reconciliation file is made only for a closed accounting day; this one "
        "is still open, cut over awaiting its close, or not a day of the platform "
        "(`details.business_date`)"),
    Refusal.PLATFORM_KEY_MISSING: ("R-C22",
        "the platform has no active key to sign its reconciliation file with: issue one"),
}


class ReconcileError(CunguanError):
    """A reconciliation command refused with a named code (a ``Refusal``)."""
