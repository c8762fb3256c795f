"""How a message's values become the domain's and back: amounts in CNY decimal text to int fen
(exactly: a fraction of a fen or another currency is refused), the BEPS business type in
``LclInstrm/Prtry`` and a debit's T+N in ``CtgyPurp/Prtry``, dates and times."""

import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from cunguan.clearing.iso20022.schemas import invalid
from cunguan.clearing.rules.parameters import BusinessType
from cunguan.clearing.rules.refusals import ClearingError, Refusal

CURRENCY = "CNY"
#: ``ClrSysMmbId/ClrSysId/Cd``: the member ids are CNAPS bank codes (行号).
CLEARING_SYSTEM = "CNAPS"
#: ``SttlmInf/ClrSys/Prtry``: the clearing system the messages settle in.
SETTLEMENT_SYSTEM = "BEPS"

#: ``PmtTpInf/LclInstrm/Prtry`` of a pacs.008 (credits, information) or pacs.003 (debits).
CREDIT_TYPES = {"BEPS-ORDINARY": BusinessType.ORDINARY_CREDIT,
                "BEPS-PERIODIC": BusinessType.PERIODIC_CREDIT,
                "BEPS-REALTIME": BusinessType.REALTIME_CREDIT,
                "BEPS-INFORMATION": BusinessType.INFORMATION}
DEBIT_TYPES = {"BEPS-ORDINARY": BusinessType.ORDINARY_DEBIT,
               "BEPS-PERIODIC": BusinessType.PERIODIC_DEBIT,
               "BEPS-REALTIME": BusinessType.REALTIME_DEBIT}
LOCAL_INSTRUMENT = {kind: code for table in (CREDIT_TYPES, DEBIT_TYPES)
                    for code, kind in table.items()}

#: ``CtgyPurp/Prtry`` of a debit: its answer period, ``T+N`` (absent: T+0).
_TERM = re.compile(r"T\+([0-9]{1,2})", re.ASCII)
#: An amount as the XSD lets it through (``xs:decimal``), sign and all; the fen check follows.
_DECIMAL = re.compile(r"[+-]?[0-9]*(\.[0-9]*)?", re.ASCII)
_FEN = Decimal(100)


#: The usual shape of an amount (``1234.50``): read as whole fen without a Decimal.
_PLAIN = re.compile(r"([0-9]{1,15})(?:\.([0-9]{0,2}))?", re.ASCII)


def fen(text: str, currency: str | None, line: int, what: str) -> int:
    """A CNY amount in decimal text as int fen, exactly."""
    if currency is not None and currency != CURRENCY:
        invalid(line, f"{what}: currency {currency}, BEPS clears {CURRENCY} only")
    plain = _PLAIN.fullmatch(text)
    if plain is not None:
        whole, part = plain.groups()
        return int(whole) * 100 + int((part or "").ljust(2, "0"))
    if not _DECIMAL.fullmatch(text) or not text.strip("+-."):
        invalid(line, f"{what}: {text!r} is not a decimal amount")
    try:
        value = Decimal(text) * _FEN
    except InvalidOperation:
        invalid(line, f"{what}: {text!r} is not a decimal amount")
    if value != value.to_integral_value():
        invalid(line, f"{what}: {text} is not a whole number of fen")
    return int(value)


def amount_text(fen_value: int) -> str:
    """Int fen as the decimal text of CNY (``12.30``); never a float."""
    sign = "-" if fen_value < 0 else ""
    whole, part = divmod(abs(fen_value), 100)
    return f"{sign}{whole}.{part:02d}"


def business_type(code: str, *, debit: bool, line: int) -> BusinessType:
    table = DEBIT_TYPES if debit else CREDIT_TYPES
    if code not in table:
        raise ClearingError(Refusal.BUSINESS_TYPE_INVALID,
                            f"line {line}: LclInstrm/Prtry {code!r} is none of "
                            f"{', '.join(sorted(table))}", line=line)
    return table[code]


def debit_term(code: str, line: int) -> int:
    """A debit's N from ``T+N`` (empty: 0)."""
    if not code:
        return 0
    match = _TERM.fullmatch(code)
    if match is None:
        invalid(line, f"CtgyPurp/Prtry {code!r}: a debit's answer period is written T+N")
    return int(match.group(1))


def term_text(days: int) -> str:
    return f"T+{days}"


def iso_date(text: str, line: int, what: str) -> date:
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        invalid(line, f"{what}: {text!r} is not a date")


def iso_datetime(moment: datetime) -> str:
    """An ``ISODateTime`` to the second (with its UTC offset when the moment has one)."""
    return moment.replace(microsecond=0).isoformat()
