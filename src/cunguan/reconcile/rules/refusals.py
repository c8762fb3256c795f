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
    STATEMENT_TOO_LARGE = "statement_too_large"
    STATEMENT_CONTROL_TOTALS_MISMATCH = "statement_control_totals_mismatch"
    STATEMENT_ACCOUNT_MISMATCH = "statement_account_mismatch"

    BREAK_STATE_ILLEGAL = "break_state_illegal"
    BREAK_CLOSED = "break_closed"
    IN_TRANSIT_ITEM_NOT_OPEN = "in_transit_item_not_open"
    IN_TRANSIT_PAIR_UNEXPLAINED = "in_transit_pair_unexplained"
    IN_TRANSIT_PAIR_DAY_PASSED = "in_transit_pair_day_passed"
    CHECKER_IS_MAKER = "checker_is_maker"
    APPROVER_REPEATED = "approver_repeated"

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

    Refusal.BREAK_STATE_ILLEGAL: ("R-B2",
        "the break workflow does not allow this step in the case's state (assign from open, "
        "assigned or rejected; propose from assigned or rejected; approve or reject only a "
        "proposed adjustment, so nothing is approved twice; post only an approved one); "
        "`details` carry `state` and `action`"),
    Refusal.BREAK_CLOSED: ("R-B2",
        "the break is resolved or written off already: it takes notes, no other step"),
    Refusal.IN_TRANSIT_ITEM_NOT_OPEN: ("R-B2",
        "a bank line or book item paired by hand is not in transit on the account at the end "
        "of the day named (unknown, arrived already, or of another account), or one side of "
        "the pair is empty: `details.items` lists them"),
    Refusal.IN_TRANSIT_PAIR_DAY_PASSED: ("R-B2",
        "a hand pair on a day before the account's latest matched day: the later days were "
        "matched without it (`details.latest`); pair on the latest day, or match the day "
        "again once the pair is made there"),
    Refusal.IN_TRANSIT_PAIR_UNEXPLAINED: ("R-B2, R-B3",
        "the lines and items paired by hand differ (bank − books, `details.difference_fen`) "
        "and no break explains it: the break cited must be written off or resolved, with "
        "that very difference"),
    Refusal.CHECKER_IS_MAKER: ("R-B2",
        "the checker approving or rejecting a break's adjustment is its maker: the checker "
        "must be another operator (names compared NFKC-normalised and case-folded)"),
    Refusal.APPROVER_REPEATED: ("R-B2",
        "a write-off above the second-approval limit was approved by this checker already: "
        "the second approval must come from yet another operator"),

    Refusal.STATEMENT_TOO_LARGE: ("R-B2",
        "the file is larger than `statement_file_bytes_max` or holds more lines than "
        "`statement_lines_max` (core/limits.py): refused before it is read"),
    Refusal.STATEMENT_CONTROL_TOTALS_MISMATCH: ("R-B2",
        "the count or sums the file prints (a channel file's totals line, a bank export's "
        "合计 lines) are not those of its detail lines: refused whole"),
    Refusal.STATEMENT_ACCOUNT_MISMATCH: ("R-B2",
        "the file is a statement of another account than the one named for the import, or "
        "names none and none was given"),

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
