"""The codes this layer writes: transaction statuses (pacs.002), each clearing refusal as an ISO
20022 status reason (``ExternalStatusReason1Code``) where one fits, else as a proprietary code
(the refusal's own name), and the proprietary reasons of returns, reversals, cancellations and
their answers."""

from enum import StrEnum

from cunguan.clearing.rules.refusals import Refusal


class TxStatus(StrEnum):
    """``ExternalPaymentTransactionStatus1Code`` values this system reports."""

    ACCEPTED_TECHNICAL = "ACTC"     # package taken at intake, checks passed
    ACCEPTED_SETTLEMENT = "ACSP"    # paid and netted: settles in its session
    SETTLED = "ACSC"                # its session settled
    PENDING = "PDNG"                # waiting: queued over the cap, or for the other bank's answer
    REJECTED = "RJCT"               # refused


#: Each clearing refusal's ISO 20022 status reason code, where the external code list has one
#: that says the same; a refusal not here is reported as ``Prtry`` = its own code.
ISO_REASONS: dict[Refusal, str] = {
    Refusal.FIELD_INVALID: "FF01",              # InvalidFileFormat
    Refusal.MESSAGE_INVALID: "FF01",            # InvalidFileFormat
    Refusal.DUPLICATE_WITH_DIFFERENT_CONTENT: "DU01",  # DuplicateMessageID
    Refusal.BANK_UNKNOWN: "RC08",               # InvalidClearingSystemMemberIdentifier
    Refusal.BUSINESS_TYPE_INVALID: "FF05",      # InvalidLocalInstrumentCode
    Refusal.CREDIT_OVER_CEILING: "AM02",        # NotAllowedAmount
    Refusal.WRONG_WORK_DATE: "DT01",            # InvalidDate
    Refusal.DUPLICATE_ITEM: "AM05",             # Duplication
    Refusal.CAP_EXCEEDED: "AM04",               # InsufficientFunds (the net debit cap)
    # Count or sum: the refusal's text names both figures; AM10 is InvalidControlSum.
    Refusal.CONTROL_TOTALS_MISMATCH: "AM10",
}


def status_reason(refusal: Refusal) -> tuple[str, str]:
    """``("Cd", iso code)`` or ``("Prtry", the refusal's code)`` for ``StsRsnInf/Rsn``."""
    code = ISO_REASONS.get(refusal)
    return ("Cd", code) if code is not None else ("Prtry", refusal.value)


#: ``StsRsnInf/Rsn/Prtry`` of a receipt the answering bank refused (its customer's account
#: could not pay or take the item).
RECEIPT_REFUSED = "RECEIPT_REFUSED"
#: ``RtrRsnInf/Rsn/Cd`` of a return (R-S7): MS03, reason not specified, agent generated.
RETURN_REASON = "MS03"
#: ``RvslRsnInf/Rsn/Prtry`` of a reversal (R-S8): the real-time item's receipt did not come in
#: time.
REVERSAL_REASON = "RECEIPT_TIMEOUT"
#: ``CxlRsnInf/Rsn/Prtry`` of a camt.056: which BEPS exception the request is (R-S7).
REVOKE = "BEPS-REVOKE"
STOP_PAYMENT = "BEPS-STOP"
#: ``Sts/Conf`` of a camt.029 answer: CNCL (cancelled as requested) or RJCR (request refused);
#: ``TxCxlSts`` of each item: ACCR (accepted) or RJCR.
RESOLVED = "CNCL"
REFUSED = "RJCR"
