"""The plain records the writers take: what a message says, built by a handler from the
clearing store and the ledger (the writers read nothing themselves)."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from cunguan.clearing.iso20022.codes import TxStatus
from cunguan.clearing.rules.refusals import Refusal


@dataclass(frozen=True, slots=True)
class Header:
    """Who sends an outgoing message to whom, and its id.

    Attributes:
      message_id: the message's id (``MsgId``, ``Assgnmt/Id``), at most 35 characters.
      created_at: when it was made (``CreDtTm``).
      sender_bank: the instructing (assigning) agent's CNAPS code.
      receiver_bank: the instructed (assigned) agent's CNAPS code.
    """

    message_id: str
    created_at: datetime
    sender_bank: str
    receiver_bank: str


@dataclass(frozen=True, slots=True)
class Original:
    """A transaction of an earlier message that a status, return, reversal or cancellation is
    about.

    Attributes:
      message_id: the original message's ``MsgId``.
      message_name: its name and version (``pacs.008.001.09``, ``pacs.003.001.08``).
      end_to_end_id: the transaction's ``EndToEndId``.
      amount_fen: its amount (0 when unknown or an information item).
    """

    message_id: str
    message_name: str
    end_to_end_id: str
    amount_fen: int = 0


@dataclass(frozen=True, slots=True)
class StatusLine:
    """One transaction's status in a pacs.002.

    Attributes:
      original: the transaction reported on.
      status: the ISO status (``TxStatus``).
      refusal: why it was refused, when it was (reported as an ISO or proprietary reason).
      proprietary_reason: a reason code of this system's own when no refusal names it.
      note: free text (``AddtlInf``, cut to 105 characters).
    """

    original: Original
    status: TxStatus
    refusal: Refusal | None = None
    proprietary_reason: str = ""
    note: str = ""


@dataclass(frozen=True, slots=True)
class GroupStatus:
    """A whole message's status in a pacs.002 (an intake's answer: taken or refused whole).

    Attributes:
      message_id: the original message's ``MsgId``.
      message_name: its name and version.
      status: ACTC when taken, RJCT when refused.
      count: the original's transaction count, if known.
      refusal: why it was refused.
      note: free text.
    """

    message_id: str
    message_name: str
    status: TxStatus
    count: int | None = None
    refusal: Refusal | None = None
    note: str = ""


@dataclass(frozen=True, slots=True)
class Cancellation:
    """A camt.056 request (revoke or stop-payment, R-S7) or the camt.029 answering it.

    Attributes:
      case_id: the request's id (``Assgnmt/Id``; the answer's ``RslvdCase/Id``).
      kind: ``codes.REVOKE`` or ``codes.STOP_PAYMENT``.
      items: the transactions concerned (all of a package for a revoke).
      whole_package: the request is for the whole original message (``GrpCxl``).
    """

    case_id: str
    kind: str
    items: Sequence[Original]
    whole_package: bool = False


@dataclass(frozen=True, slots=True)
class StatementEntry:
    """One booked movement of a settlement account.

    Attributes:
      amount_fen: > 0.
      credit: True when it raised the balance.
      booking_date: its accounting date.
      reference: the ledger's reference (``AcctSvcrRef``), at most 35 characters.
      kind: the ledger's business type (``BkTxCd/Prtry/Cd``).
      description: free text (``AddtlNtryInf``).
    """

    amount_fen: int
    credit: bool
    booking_date: date
    reference: str
    kind: str
    description: str = ""


@dataclass(frozen=True, slots=True)
class AccountStatement:
    """A participant's settlement account over some days (camt.053).

    Attributes:
      statement_id: ``Stmt/Id``.
      account_no: the settlement account.
      owner_name: the participant's name.
      date_from, date_to: the days covered.
      opening_fen, closing_fen: the balance before the first and after the last day.
      entries: the movements, oldest first; opening + Σ signed entries = closing.
    """

    statement_id: str
    account_no: str
    owner_name: str
    date_from: date
    date_to: date
    opening_fen: int
    closing_fen: int
    entries: Sequence[StatementEntry] = field(default_factory=tuple)
