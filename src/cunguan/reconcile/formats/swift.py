"""SWIFT MT940 (customer statement), read with the ``mt-940`` package (import name ``mt940``).

One statement per file: :20: (its reference, the statement id with :28C:), :25: (the account;
"BIC/no." keeps the no.), :28C:, :60F:/:60M: opening balance, then :61: lines each with an
optional :86: narrative, :62F:/:62M: closing balance. C/D marks the balances' sign.

A :61: line: value date (YYMMDD), entry date (MMDD), mark, amount (comma decimals), type,
customer reference (our end-to-end reference unless NONREF), "//" bank reference (NONREF or
none: the line's number in the file stands for it):

    C  credit, booked        RC  reversal of a credit: a debit, ``reversed``
    D  debit, booked         RD  reversal of a debit: a credit, ``reversed``

A reversal's customer reference is kept as the original reference too. Tag lines must be ASCII (a
Unicode digit in an amount is refused, not read as a digit); a tag that does not parse refuses
the file with its line and the package's reason.
"""

import logging
import re
from datetime import date
from decimal import Decimal
from typing import Any

import mt940

from cunguan.reconcile.formats import common
from cunguan.reconcile.rules.statements import Direction, LineStatus, Statement, StatementLine

_TAG = re.compile(r"^:(\d{2}[A-Z]?):", re.ASCII)
_ASCII_TAGS = frozenset({"20", "25", "28C", "60F", "60M", "61", "62F", "62M", "64", "65"})
_MARKS = {"C": (Direction.CREDIT, LineStatus.BOOKED), "D": (Direction.DEBIT, LineStatus.BOOKED),
          "RC": (Direction.DEBIT, LineStatus.REVERSED),
          "RD": (Direction.CREDIT, LineStatus.REVERSED)}
#: The package logs every tag it cannot match at ERROR; a refusal says it instead.
logging.getLogger("mt940").setLevel(logging.CRITICAL)


def _scan(text: str) -> list[int]:
    """The line of every :61: (for refusals); refuses non-ASCII tag lines and a second :20:."""
    lines_61: list[int] = []
    seen_20 = False
    for number, raw in enumerate(text.split("\n"), start=1):
        match = _TAG.match(raw)
        if match is None:
            continue
        tag = match.group(1)
        if tag in _ASCII_TAGS and not raw.isascii():
            common.refuse(number, f":{tag}: holds non-ASCII characters")
        if tag == "61":
            lines_61.append(number)
            common.check_line_count(len(lines_61))
        if tag == "20" and seen_20:
            common.refuse(number, "a second statement (:20:) in the file: one per file")
        seen_20 = seen_20 or tag == "20"
    return lines_61


def _parses(text: str) -> bool:
    try:
        mt940.models.Transactions().parse(text)
    except Exception:
        return False
    return True


def _failing_line(text: str) -> int:
    """The line of the first tag the package cannot parse: the shortest prefix of whole tags
    that fails, found by bisection (a tag's parse does not depend on later tags)."""
    starts = [(m.start(), text.count("\n", 0, m.start()) + 1)
              for m in re.finditer(r"^:\d{2}[A-Z]?:", text, re.M | re.ASCII)]
    ends = [offset for offset, _ in starts[1:]] + [len(text)]
    low, high = 0, len(starts) - 1
    if not starts or _parses(text[:ends[high]]):
        return 0
    while low < high:
        middle = (low + high) // 2
        if _parses(text[:ends[middle]]):
            low = middle + 1
        else:
            high = middle
    return starts[low][1]


def _parse(text: str) -> mt940.models.Transactions:
    transactions = mt940.models.Transactions()
    try:
        transactions.parse(text)
    except Exception as error:  # the package raises RuntimeError, ValueError, decimal errors
        reason = str(error.args[0] if error.args else error)[:120]
        common.refuse(_failing_line(text), f"MT940: {type(error).__name__}: {reason}")
    return transactions


def _balance(data: dict[str, object], keys: tuple[str, ...], what: str) -> tuple[int, date, str]:
    for key in keys:
        balance: Any = data.get(key)
        if balance is not None:
            amount = balance.amount
            fen = common.decimal_fen(Decimal(amount.amount), 0, what)
            when = balance.date
            day = common.within_years(date(when.year, when.month, when.day), 0, what)
            return fen, day, str(amount.currency or "")
    common.refuse(0, f"no {what} balance ({'/'.join(keys)})")


def _line(number: int, data: dict[str, object]) -> StatementLine:
    mark = str(data.get("status") or "").upper()
    if mark not in _MARKS:
        common.refuse(number, f"mark {mark!r} is none of C, D, RC, RD")
    direction, status = _MARKS[mark]
    amount = common.decimal_fen(abs(Decimal(data["amount"].amount)),  # type: ignore[attr-defined]
                                number, "amount")
    if amount == 0:
        common.refuse(number, "the amount is zero")
    value_date = data["date"]
    entry_date = data.get("entry_date") or value_date
    customer_ref = str(data.get("customer_reference") or "").strip()
    own_ref = "" if customer_ref.upper() == "NONREF" else customer_ref
    bank_ref = str(data.get("bank_reference") or "").strip()
    if not bank_ref or bank_ref.upper() == "NONREF":   # none given: the line's place
        bank_ref = f"{number}"
    narrative = " ".join(str(data.get(key) or "").strip()
                         for key in ("extra_details", "transaction_details")).strip()
    return StatementLine(
        line_no=number,
        value_date=common.within_years(date(value_date.year, value_date.month,  # type: ignore[attr-defined]
                                            value_date.day), number, "value date"),  # type: ignore[attr-defined]
        booking_date=common.within_years(date(entry_date.year, entry_date.month,  # type: ignore[attr-defined]
                                              entry_date.day), number, "entry date"),  # type: ignore[attr-defined]
        direction=direction, amount_fen=amount, bank_ref=common.check_text(bank_ref, number, "ref"),
        end_to_end_ref=common.check_text(own_ref, number, "customer reference"),
        description=common.check_text(narrative, number, ":86:"), status=status,
        original_ref=own_ref if status is LineStatus.REVERSED else "")


def read_mt940(data: bytes, account_no: str | None) -> Statement:
    """An MT940 file's one statement (balances checked)."""
    text = common.decode(data).replace("\r\n", "\n")
    lines_61 = _scan(text)
    parsed = _parse(text)
    head = parsed.data
    if "transaction_reference" not in head:
        common.refuse(1, "no :20: transaction reference: not an MT940 statement")
    if len(parsed) != len(lines_61):
        common.refuse(0, f"{len(lines_61)} :61: lines, {len(parsed)} parsed")
    opening, _, currency = _balance(head, ("final_opening_balance",
                                                      "intermediate_opening_balance"), "opening")
    closing, closing_date, _ = _balance(head, ("final_closing_balance",
                                               "intermediate_closing_balance"), "closing")
    lines = tuple(_line(number, tx.data) for number, tx in zip(lines_61, parsed, strict=True))
    stated = str(head.get("account_identification") or "").strip()
    account = common.resolve_account(stated.rsplit("/", 1)[-1].strip(), account_no)
    from_date = min([line.booking_date for line in lines] + [closing_date])
    number = f"{head.get('statement_number') or ''}/{head.get('sequence_number') or ''}"
    statement = Statement(
        source_format="mt940",
        statement_id=common.check_text(f"{head['transaction_reference']}:{number}", 1, ":20:"),
        account_no=account, currency=currency or "CNY", from_date=from_date,
        to_date=closing_date, opening_balance_fen=opening, closing_balance_fen=closing,
        lines=lines)
    return common.check_balances(statement)
