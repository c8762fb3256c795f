"""Clearing's refusals: every code a clearing command, package or item may be answered with
besides ``ok``, one enum, with each code's rule and meaning. The single source of
docs/ERRORS.md's clearing table (``scripts/errors_table.py`` writes it; tests/project/test_docs.py
checks it is current)."""

from enum import StrEnum

from cunguan.core.errors import CunguanError


class Refusal(StrEnum):
    """A clearing refusal's code."""

    FIELD_INVALID = "field_invalid"
    DUPLICATE_WITH_DIFFERENT_CONTENT = "duplicate_with_different_content"
    MESSAGE_INVALID = "message_invalid"
    BANK_UNKNOWN = "bank_unknown"
    BANK_CLOSED = "bank_closed"
    BUSINESS_TYPE_INVALID = "business_type_invalid"
    CREDIT_OVER_CEILING = "credit_over_ceiling"
    CONTROL_TOTALS_MISMATCH = "control_totals_mismatch"
    WRONG_WORK_DATE = "wrong_work_date"
    PACKAGE_EMPTY = "package_empty"
    PACKAGE_REALTIME_NOT_SINGLE = "package_realtime_not_single"
    PACKAGE_MIXED_RECEIVERS = "package_mixed_receivers"
    PACKAGE_MIXED_DEBIT_TERMS = "package_mixed_debit_terms"
    DEBIT_TERM_INVALID = "debit_term_invalid"
    ITEM_NOT_SENDERS = "item_not_senders"
    DUPLICATE_ITEM = "duplicate_item"
    CAP_EXCEEDED = "cap_exceeded"
    SESSION_UNBALANCED = "session_unbalanced"
    ITEM_STATE_INVALID = "item_state_invalid"
    NOT_ENTITLED = "not_entitled"
    REVERSAL_TOO_EARLY = "reversal_too_early"
    PACKAGE_PARTLY_NETTED = "package_partly_netted"
    ALREADY_CREDITED = "already_credited"
    RETURN_NOT_RETURNABLE = "return_not_returnable"
    SUBMITTED_IRREVOCABLE = "submitted_irrevocable"
    SYSTEM_NOT_FOUND = "system_not_found"
    SYSTEM_EXISTS = "system_exists"
    PARTICIPANT_EXISTS = "participant_exists"
    PARTICIPANT_INVALID = "participant_invalid"
    ITEM_NOT_FOUND = "item_not_found"
    PACKAGE_NOT_FOUND = "package_not_found"
    EARMARK_NOT_FOUND = "earmark_not_found"
    MESSAGE_TOO_LARGE = "message_too_large"
    BANK_BOOKS_NOT_OPEN = "bank_books_not_open"
    TRANSFER_NOT_FOUND = "transfer_not_found"


#: Each refusal's rule (SPEC id, or "—") and meaning, as docs/ERRORS.md shows them.
EXPLAINED: dict[Refusal, tuple[str, str]] = {
    Refusal.FIELD_INVALID: ("—",
        "a field of the command is malformed or out of range, whoever called (HTTP, CLI, "
        "Python); `details` carries `field` and `reason`"),
    Refusal.DUPLICATE_WITH_DIFFERENT_CONTENT: ("R-L5",
        "the message id or serial no. was used for other content"),
    Refusal.MESSAGE_INVALID: ("R-S10",
        "an ISO 20022 message that is not well-formed or not valid against its XSD, with the "
        "line and the schema's reason"),
    Refusal.BANK_UNKNOWN: ("R-S1",
        "a bank code that is not a registered participant (or is the NPC or SAPS)"),
    Refusal.BANK_CLOSED: ("R-S1",
        "the participant (or the direct participant it clears through) is closed"),
    Refusal.BUSINESS_TYPE_INVALID: ("R-S1",
        "not one of the seven BEPS business types, or a type the command does not take"),
    Refusal.CREDIT_OVER_CEILING: ("R-S1",
        "a credit item above the small-value ceiling (`credit_item_max_fen`, 50,000 yuan by "
        "default): not BEPS business (`details.item_no`)"),
    Refusal.CONTROL_TOTALS_MISMATCH: ("R-S2",
        "the package's item count or amount sum is not what its items add up to"),
    Refusal.WRONG_WORK_DATE: ("R-S9",
        "the package names another working day than the system's current one"),
    Refusal.PACKAGE_EMPTY: ("R-S2",
        "a package without items, or with more than `items_per_package_max`"),
    Refusal.PACKAGE_REALTIME_NOT_SINGLE: ("R-S2",
        "a real-time package carries exactly one item"),
    Refusal.PACKAGE_MIXED_RECEIVERS: ("R-S2",
        "the items of one package go to more than one receiving clearing bank, or not to the "
        "package's receiver"),
    Refusal.PACKAGE_MIXED_DEBIT_TERMS: ("R-S2",
        "the debits of one package have different T+N answer periods"),
    Refusal.DEBIT_TERM_INVALID: ("R-S8",
        "a debit's T+N is outside 0..`debit_answer_days_max` (or a credit names one)"),
    Refusal.ITEM_NOT_SENDERS: ("R-S2",
        "an item's sending-side bank does not clear through the package's sender"),
    Refusal.DUPLICATE_ITEM: ("R-S2",
        "two items of one package with the same end-to-end id"),
    Refusal.CAP_EXCEEDED: ("R-S3, R-S4",
        "a real-time item that would push its payer bank's net debit beyond its cap: refused at"
        " once, never queued"),
    Refusal.SESSION_UNBALANCED: ("R-S5",
        "a session whose net debits do not equal its net credits: never submitted, netted again"),
    Refusal.ITEM_STATE_INVALID: ("R-S7",
        "the exception or step is not allowed in the item's (or package's) current state; "
        "`details.state`"),
    Refusal.NOT_ENTITLED: ("R-S7",
        "the bank asking is not the one the exception belongs to (revoke and return: the payer "
        "bank; stop-payment: the bank that sent the debit; reversal: the sender)"),
    Refusal.REVERSAL_TOO_EARLY: ("R-S8",
        "a real-time item may be reversed only once its receipt is overdue "
        "(`realtime_receipt_timeout_s`)"),
    Refusal.PACKAGE_PARTLY_NETTED: ("R-S7",
        "revoke takes whole packages only, and only while no item of it is netted"),
    Refusal.ALREADY_CREDITED: ("R-S7",
        "a return after the money reached the payee's account"),
    Refusal.RETURN_NOT_RETURNABLE: ("R-S7",
        "a return is not returned again: what its payee cannot take is booked to the payer "
        "bank's suspense account, so no item goes back and forth between two banks"),
    Refusal.SUBMITTED_IRREVOCABLE: ("R-S6",
        "positions submitted for settlement cannot be revoked or changed"),
    Refusal.SYSTEM_NOT_FOUND: ("R-S1",
        "no clearing system of that id (create it first: `cunguan clearing init`)"),
    Refusal.SYSTEM_EXISTS: ("R-S1",
        "a clearing system of that id exists already"),
    Refusal.PARTICIPANT_EXISTS: ("R-S1",
        "the bank code is registered already"),
    Refusal.PARTICIPANT_INVALID: ("R-S1",
        "an indirect participant must clear through an open direct one; a direct one clears "
        "through itself"),
    Refusal.ITEM_NOT_FOUND: ("R-S7",
        "no item of that id"),
    Refusal.PACKAGE_NOT_FOUND: ("R-S7",
        "no package of that sender and message id"),
    Refusal.EARMARK_NOT_FOUND: ("R-S3",
        "no active earmark of that request no."),
    Refusal.MESSAGE_TOO_LARGE: ("R-S10",
        "an ISO 20022 message file above `clearing_message_bytes_max` bytes: refused before "
        "it is read further (`details.limit`)"),
    Refusal.BANK_BOOKS_NOT_OPEN: ("R-S1",
        "a participant bank's own books (its ledger tenant with its customers' accounts) are "
        "not open: `open_bank_books` first"),
    Refusal.TRANSFER_NOT_FOUND: ("R-S7",
        "no outward transfer of that serial no. (or inward one of that item id) at the bank"),
}


class ClearingError(CunguanError):
    """A clearing command refused with a named code (a ``Refusal``)."""
