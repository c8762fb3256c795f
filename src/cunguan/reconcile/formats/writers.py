"""Statement files written in two of the shipped formats (the demo's banks, tests): a
``Statement`` out as the bytes ``read_statement`` reads back to it.

``mt940(statement, bic)`` writes SWIFT MT940 (:61: marks C, D, RD for a reversed payout
coming back, RC); ``quickpay(statement, merchant, batch)`` a quick-pay channel's settlement
file (H, T with its control totals, D records), its settlement day the statement's last day.
Both are what the readers document (``swift.py``, ``channel.py``): a line's end-to-end
reference is written as the customer reference (order no.), the bank reference as itself.
"""

from cunguan.core.money import format_yuan
from cunguan.reconcile.rules.statements import Direction, LineStatus, Statement, StatementLine

#: A :61: customer reference is at most 16 characters (SWIFT's field 61, subfield 7).
MT940_REFERENCE_LENGTH_MAX = 16


def _mt940_amount(amount_fen: int) -> str:
    return format_yuan(amount_fen, grouping=False).replace(".", ",")


def _balance(tag: str, amount_fen: int, day: object, currency: str) -> str:
    mark = "C" if amount_fen >= 0 else "D"
    return f":{tag}:{mark}{day:%y%m%d}{currency}{_mt940_amount(abs(amount_fen))}"


def _mark(line: StatementLine) -> str:
    if line.status is LineStatus.BOOKED:
        return "C" if line.direction is Direction.CREDIT else "D"
    if line.status is LineStatus.REVERSED or line.status is LineStatus.RETURNED:
        return "RD" if line.direction is Direction.CREDIT else "RC"
    raise ValueError(f"MT940 writes booked and reversed lines, not {line.status}")


def _tag_61(line: StatementLine) -> str:
    reference = line.end_to_end_ref or "NONREF"
    if len(reference) > MT940_REFERENCE_LENGTH_MAX or not reference.isascii():
        raise ValueError(f"an MT940 customer reference is ASCII, at most "
                         f"{MT940_REFERENCE_LENGTH_MAX} characters: {reference!r}")
    return (f":61:{line.value_date:%y%m%d}{line.booking_date:%m%d}{_mark(line)}"
            f"{_mt940_amount(line.amount_fen)}NTRF{reference}//{line.bank_ref}")


def mt940(statement: Statement, bic: str, number: int = 1) -> bytes:
    """The statement as one MT940 message (CRLF lines, ASCII narratives): its :20: the
    statement id (16 characters at most), its :28C: ``number``/001."""
    if len(statement.statement_id) > MT940_REFERENCE_LENGTH_MAX:
        raise ValueError(f"an MT940 :20: is at most {MT940_REFERENCE_LENGTH_MAX} characters")
    out = [f":20:{statement.statement_id}", f":25:{bic}/{statement.account_no}",
           f":28C:{number:05d}/001",
           _balance("60F", statement.opening_balance_fen, statement.from_date,
                    statement.currency)]
    for line in statement.lines:
        out.append(_tag_61(line))
        if line.description:
            out.append(f":86:{line.description}")
    out.append(_balance("62F", statement.closing_balance_fen, statement.to_date,
                        statement.currency))
    out.append("-")
    return ("\r\n".join(out) + "\r\n").encode("ascii")


def quickpay(statement: Statement, merchant: str, batch: str = "0001") -> bytes:
    """The statement's lines as a quick-pay settlement file of its last day (UTF-8)."""
    success = [item for item in statement.lines if item.direction is Direction.CREDIT]
    refunds = [item for item in statement.lines if item.direction is Direction.DEBIT]
    fees = sum(item.fee_fen for item in statement.lines)
    net = sum(i.amount_fen for i in success) - sum(i.amount_fen for i in refunds) - fees
    out = [f"H|{merchant}|{statement.to_date:%Y%m%d}|{statement.account_no}|"
           f"{statement.currency}|{batch}",
           "|".join(["T", str(len(statement.lines)), str(len(success)),
                     format_yuan(sum(i.amount_fen for i in success)), str(len(refunds)),
                     format_yuan(sum(i.amount_fen for i in refunds)), format_yuan(fees),
                     format_yuan(net)])]
    for item in statement.lines:
        status = "SUCCESS" if item.direction is Direction.CREDIT else "REFUND"
        out.append("|".join(["D", item.bank_ref, item.end_to_end_ref,
                             f"{item.value_date:%Y-%m-%d} 10:00:00",
                             format_yuan(item.amount_fen), format_yuan(item.fee_fen), status,
                             item.original_ref, item.description]))
    return ("\n".join(out) + "\n").encode("utf-8")
