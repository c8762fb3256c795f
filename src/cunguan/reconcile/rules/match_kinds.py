"""The names matching records: the rule that matched a group and the class of a break."""

from enum import StrEnum


class MatchRule(StrEnum):
    """The rule that matched a group."""

    REFERENCE = "reference"
    AMOUNT_DATE = "amount_date"
    GROUP_ONE_TO_MANY = "group_1n"     # one bank line, several book items
    GROUP_MANY_TO_ONE = "group_n1"     # several bank lines, one book item
    MANUAL = "manual"                  # in-transit items paired by an operator (人工勾对)


class BreakClass(StrEnum):
    """What is wrong with an item the matching could not clear."""

    BANK_ONLY = "bank_only"                 # 长款: on the statement, not in the books
    BOOK_ONLY = "book_only"                 # 短款: in the books, not on the statement
    AMOUNT_MISMATCH = "amount_mismatch"
    STATUS_MISMATCH = "status_mismatch"     # e.g. a payout the bank returned
    FEE_MISMATCH = "fee_mismatch"
    DUPLICATE = "duplicate"


__all__ = ["BreakClass", "MatchRule"]
