"""What a custody account's statement says about payouts and the channel's money (R-C15):
the pure judgement of each line, before custody is asked to act on it.

A returned (退汇) or reversed (冲正) line that brings a withdrawal's money back is answered by
custody's ``statement_reversal``; any other return line is reported, never acted on, and the
caller keeps it as a break. A channel's settlement file (T+1) confirms recharges item by item;
custody settles the day's recharges as one (``settle_channel``), and the file's net is compared
with what custody settled.

Each action custody takes for a statement gets a serial no. derived from the statement, so
importing the same lines again asks custody for the same requests, which replay: nothing is
reversed or settled twice.
"""

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
from enum import StrEnum
from typing import Any, Final

from cunguan.core import limits
from cunguan.core.errors import invariant
from cunguan.reconcile.rules.statements import Direction, LineStatus, StatementLine

#: The form of a serial no. the bank's own systems give (as custody's serial nos.): a bank
#: reference of another form cannot name one of our requests and is not looked up.
_SERIAL: Final = re.compile(f"[A-Za-z0-9_.:-]{{1,{limits.request_no_length_max}}}")
#: Prefixes of the serial nos. derived here (a 40-hex digest follows; 64 characters at most).
RETURN_PREFIX: Final = "stmt-return."
SETTLEMENT_PREFIX: Final = "stmt-settle."
#: Statuses of a line that undoes a payout.
RETURN_STATUSES: Final = frozenset({LineStatus.RETURNED, LineStatus.REVERSED})


class OutcomeKind(StrEnum):
    """What became of a statement line (or a settlement day) the import acted on."""

    REVERSED = "reversed"                        # custody reversed the withdrawal now
    ALREADY_REVERSED = "already_reversed"        # this line's reversal was done before
    UNKNOWN_WITHDRAWAL = "unknown_withdrawal"    # no withdrawal carries the line's reference
    NOT_SUCCEEDED = "withdrawal_not_succeeded"   # the withdrawal was never paid, or is undone
    AMOUNT_MISMATCH = "amount_mismatch"          # the line's amount is not the payout's
    NOT_A_RETURN = "not_a_return"                # a return line that takes money out
    REFUSED = "refused"                          # custody refused (its code in ``code``)
    ITEM_CONFIRMED = "item_confirmed"            # a recharge the channel settled, as booked
    UNKNOWN_RECHARGE = "unknown_recharge"        # the channel settled what we never booked
    FEE_MISMATCH = "fee_mismatch"                # the channel took another fee than booked
    SETTLED = "settled"                          # custody settled the day, nets agree
    SETTLEMENT_MISMATCH = "settlement_mismatch"  # custody settled another net than the file's


#: The break each reported outcome is kept as (matching's break classes); absent: no break.
BREAK_CLASS: Final[Mapping[OutcomeKind, str]] = {
    OutcomeKind.UNKNOWN_WITHDRAWAL: "bank_only",
    OutcomeKind.NOT_SUCCEEDED: "status_mismatch",
    OutcomeKind.AMOUNT_MISMATCH: "amount_mismatch",
    OutcomeKind.NOT_A_RETURN: "status_mismatch",
    OutcomeKind.REFUSED: "status_mismatch",
    OutcomeKind.UNKNOWN_RECHARGE: "bank_only",
    OutcomeKind.FEE_MISMATCH: "fee_mismatch",
    OutcomeKind.SETTLEMENT_MISMATCH: "amount_mismatch",
}


@dataclass(frozen=True, slots=True)
class ReturnOutcome:
    """What the import did with one statement line (or, for a settlement, one day's lines).

    Attributes:
      line_key: the store's key of the line; a settlement day's outcome names its first line.
      kind: what became of it.
      reference: the withdrawal's or recharge's serial no. it names ("" when none is known),
        or the settlement day (ISO) for a day's outcome.
      amount_fen: the line's amount (a day's: the file's net).
      expected_fen: what the books hold for it (the payout's amount, the recharge's, the net
        custody settled), or None when nothing is known.
      request_no: the serial no. custody was (or would have been) asked under, or "".
      code: custody's refusal code for ``REFUSED``, else "".
      message: why, for people.
      difference_fen: bank minus books, as a break's (a fee mismatch's: the difference of
        the fees); 0 when the line agrees with the books.
    """

    line_key: str
    kind: OutcomeKind
    reference: str
    amount_fen: int
    expected_fen: int | None = None
    request_no: str = ""
    code: str = ""
    message: str = ""
    difference_fen: int = 0

    @property
    def is_break(self) -> bool:
        """The caller keeps it as a break: nothing was done about the line that matches it."""
        return self.kind in BREAK_CLASS

    @property
    def break_class(self) -> str:
        """The break class it is kept as ("" when it is no break)."""
        return BREAK_CLASS.get(self.kind, "")


#: A settlement outcome is the same record (its ``reference`` the day or the recharge).
SettlementOutcome = ReturnOutcome


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:40]


def return_request_no(line_key: str) -> str:
    """The serial no. of the reversal a return line asks custody for: the same line, the same
    no., so a second import replays the first one's answer."""
    return RETURN_PREFIX + _digest(line_key)


def settlement_request_no(settle_on: date) -> str:
    """The serial no. of the channel settlement of a day: one per platform and day, whichever
    file shows it (a corrected file replays the settlement, never settles twice)."""
    return SETTLEMENT_PREFIX + _digest(settle_on.isoformat())


def references(line: StatementLine) -> list[str]:
    """The line's references that may be one of our serial nos., most telling first: the
    end-to-end reference the payout carried, then the reference of the line it undoes."""
    found: list[str] = []
    for ref in (line.end_to_end_ref.strip(), line.original_ref.strip()):
        if _SERIAL.fullmatch(ref) and ref not in found:
            found.append(ref)
    return found


def is_return(line: StatementLine) -> bool:
    return line.status in RETURN_STATUSES


@dataclass(frozen=True, slots=True)
class PayoutSeen:
    """A withdrawal as custody shows it: its serial no., amount paid out and state."""

    withdrawal_no: str
    amount_fen: int
    status: str

    @classmethod
    def of(cls, view: Mapping[str, Any]) -> "PayoutSeen":
        return cls(str(view["request_no"]), int(view["amount_fen"]), str(view["status"]))


def judge_return(key: str, line: StatementLine, payout: PayoutSeen | None,
                 reversed_by_this_line: bool) -> ReturnOutcome | None:
    """None: custody should reverse ``payout`` for this line (or replay its reversal); else
    the outcome to report. ``reversed_by_this_line``: custody recorded this line's reversal
    request before (a re-import)."""
    request_no = return_request_no(key)
    ref = payout.withdrawal_no if payout else (references(line) or [""])[0]

    def report(kind: OutcomeKind, message: str) -> ReturnOutcome:
        expected = payout.amount_fen if payout else None
        difference = (line.amount_fen - expected if kind is OutcomeKind.AMOUNT_MISMATCH
                      and expected is not None else line.amount_fen)
        return ReturnOutcome(key, kind, ref, line.amount_fen, expected, request_no, "",
                             message, difference)
    if line.direction is not Direction.CREDIT:
        return report(OutcomeKind.NOT_A_RETURN,
                      "a returned or reversed payout brings money back: this line takes it out")
    if payout is None:
        return report(OutcomeKind.UNKNOWN_WITHDRAWAL,
                      "no withdrawal of the platform carries the line's reference")
    if payout.amount_fen != line.amount_fen:
        return report(OutcomeKind.AMOUNT_MISMATCH,
                      f"the payout was {payout.amount_fen} fen, the line {line.amount_fen}")
    if payout.status != "succeeded" and not reversed_by_this_line:
        return report(OutcomeKind.NOT_SUCCEEDED, f"the withdrawal is {payout.status}")
    return None


@dataclass(frozen=True, slots=True)
class RechargeSeen:
    """A quick-pay recharge as custody recorded it (its request's result)."""

    request_no: str
    amount_fen: int
    fee_fen: int
    settle_on: date

    @classmethod
    def of(cls, request_no: str, status: Mapping[str, Any] | None) -> "RechargeSeen | None":
        """From custody's request record; None unless it is a recharge custody accepted."""
        if not status or status.get("operation") != "recharge" or status.get("status") != "ok":
            return None
        result = status["result"]
        return cls(request_no, int(result["amount_fen"]), int(result["channel_fee_fen"]),
                   date.fromisoformat(str(result["settle_on"])))


def arrived_on(lines: list[tuple[str, StatementLine]],
               settled: date) -> list[tuple[str, StatementLine]]:
    """A channel settlement file's lines as the money arrived: each trade's value on the day
    the file settles (its statement's last day), whichever day it was traded."""
    return [(key, replace(line, value_date=settled)) for key, line in lines]


def settled_lines(lines: list[tuple[str, StatementLine]]) -> dict[date, list[tuple[str,
                                                                                StatementLine]]]:
    """A channel settlement file's booked money-in lines, by the day the money arrived."""
    days: dict[date, list[tuple[str, StatementLine]]] = {}
    for key, line in lines:
        if line.status is LineStatus.BOOKED and line.direction is Direction.CREDIT:
            days.setdefault(line.value_date, []).append((key, line))
    return dict(sorted(days.items()))


def judge_item(key: str, line: StatementLine, recharge: RechargeSeen | None) -> ReturnOutcome:
    """One settled item of a channel file against the recharge it names."""
    if recharge is None:
        ref = (references(line) or [""])[0]
        return ReturnOutcome(key, OutcomeKind.UNKNOWN_RECHARGE, ref, line.amount_fen,
                             message="no recharge of the platform carries the reference",
                             difference_fen=line.amount_fen)
    kind, message = OutcomeKind.ITEM_CONFIRMED, "settled as booked"
    if recharge.amount_fen != line.amount_fen:
        kind, message = OutcomeKind.AMOUNT_MISMATCH, (
            f"the recharge was {recharge.amount_fen} fen, the item {line.amount_fen}")
    elif line.fee_fen != recharge.fee_fen:
        kind, message = OutcomeKind.FEE_MISMATCH, (
            f"the booked channel fee was {recharge.fee_fen} fen, the channel's {line.fee_fen}")
    difference_fen = (line.amount_fen - recharge.amount_fen
                      if kind is OutcomeKind.AMOUNT_MISMATCH else
                      recharge.fee_fen - line.fee_fen)   # more fee taken: less money in
    return ReturnOutcome(key, kind, recharge.request_no, line.amount_fen, recharge.amount_fen,
                         message=message, difference_fen=difference_fen)


def file_net_fen(lines: list[tuple[str, StatementLine]]) -> int:
    """What the channel paid for the day: each item less its fee."""
    return sum(line.amount_fen - line.fee_fen for _, line in lines)


def judge_day(settle_on: date, lines: list[tuple[str, StatementLine]], request_no: str,
              settled_net_fen: int) -> ReturnOutcome:
    """The day custody settled against the file's net for it."""
    net_fen = file_net_fen(lines)
    same = net_fen == settled_net_fen
    return ReturnOutcome(
        lines[0][0], OutcomeKind.SETTLED if same else OutcomeKind.SETTLEMENT_MISMATCH,
        settle_on.isoformat(), net_fen, settled_net_fen, request_no,
        message="the channel's net is what custody settled" if same else
        f"the file's net is {net_fen} fen, custody settled {settled_net_fen}",
        difference_fen=net_fen - settled_net_fen)


#: The keys of the breaks an import keeps start so (matching's are bare 64-hex digests): a
#: matching run of the day never takes one for its own, to drop when it does not find it.
IMPORT_BREAK_PREFIX: Final = "stmt."


def is_import_break_key(break_key: str) -> bool:
    return break_key.startswith(IMPORT_BREAK_PREFIX)


def break_row(account_no: str, outcome: ReturnOutcome, line: StatementLine) -> dict[str, Any]:
    """The break an outcome is kept as (``outcome.is_break``), on the day the bank booked
    its line; its key is the account's, the line's and the outcome kind's: the same import
    again keeps the same break, never a second one."""
    invariant(outcome.is_break, "only an outcome that is a break is kept as one")
    key = IMPORT_BREAK_PREFIX + _digest(account_no, outcome.line_key, str(outcome.kind))
    return {"break_key": key, "account_no": account_no, "as_of": line.booking_date,
            "break_class": outcome.break_class, "side": "bank",
            "item_keys": f"bank:{outcome.line_key}", "value_date": line.value_date,
            "amount_fen": outcome.amount_fen, "difference_fen": outcome.difference_fen,
            "note": f"{outcome.kind}: {outcome.message}"}
