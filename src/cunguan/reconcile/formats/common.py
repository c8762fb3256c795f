"""What every statement format shares: the refusal naming the line and the reason, text decoding
(UTF-8 with or without BOM, GB18030 and its subset GBK), amounts as decimal text to int fen
(never a float), dates in the layouts banks print, the file limits, the balance check and the
derived statement id.
"""

import hashlib
import re
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import NoReturn

from cunguan.core import limits
from cunguan.reconcile.rules.refusals import ReconcileError, Refusal
from cunguan.reconcile.rules.statements import Statement

_BOM = b"\xef\xbb\xbf"
#: A plain amount: ASCII digits only (``re.ASCII``: a Unicode digit is no digit here), optional
#: sign, thousands separators in groups of three, at most two decimals.
_AMOUNT = re.compile(r"([+-]?)([0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.([0-9]{1,2}))?", re.ASCII)
_DATE = re.compile(
    r"([0-9]{4})(?:([-/.])([0-9]{1,2})\2([0-9]{1,2})|([0-9]{2})([0-9]{2}))"
    r"(?:[ T][0-9]{1,2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,6})?)?)?", re.ASCII)
#: An unsigned amount of at most two decimals, as XML schemas and most files write it: read
#: without ``Decimal`` (the usual case); anything else goes the exact way.
_PLAIN_DECIMAL = re.compile(r"([0-9]{1,24})(?:\.([0-9]{1,2}))?", re.ASCII)
#: Control characters a text statement never holds (NUL among them); tab, CR, LF are layout.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def refuse(line: int, reason: str) -> NoReturn:
    """The file does not parse: refused whole, with the line (1-based; 0 for the whole file)."""
    raise ReconcileError(Refusal.STATEMENT_UNPARSABLE, f"line {line}: {reason}",
                         line=line, reason=reason)


def check_size(data: bytes) -> None:
    """Refuses a file beyond the byte limit, or one that is not bytes at all."""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise ReconcileError(Refusal.FIELD_INVALID, "a statement file is bytes",
                             field="data", reason="not bytes")
    if len(data) > limits.statement_file_bytes_max:
        raise ReconcileError(Refusal.STATEMENT_TOO_LARGE,
                             f"{len(data)} bytes > {limits.statement_file_bytes_max}",
                             bytes=len(data), limit=limits.statement_file_bytes_max)
    if not data:
        refuse(0, "the file is empty")


def check_line_count(count: int) -> None:
    if count > limits.statement_lines_max:
        raise ReconcileError(Refusal.STATEMENT_TOO_LARGE,
                             f"more than {limits.statement_lines_max} lines",
                             limit=limits.statement_lines_max)


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def decode(data: bytes) -> str:
    """The text of a bank's export: UTF-8 (a BOM is dropped), else GB18030 (which reads GBK
    alike); undecodable bytes, a UTF-16 file and control characters (NUL) are refused with the
    line they stand on."""
    raw = bytes(data)
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        refuse(1, "UTF-16 text: export the statement as UTF-8, GBK or GB18030")
    if raw.startswith(_BOM):
        raw = raw[len(_BOM):]
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as error:
            refuse(_line_of(raw, error.start), "a UTF-8 BOM, then bytes that are not UTF-8")
    else:
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            try:
                text = raw.decode("gb18030")
            except UnicodeDecodeError as error:
                refuse(_line_of(raw, error.start),
                       f"byte {error.start} is neither UTF-8 nor GBK/GB18030")
    bad = _CONTROL.search(text)
    if bad:
        refuse(text.count("\n", 0, bad.start()) + 1,
               f"control character U+{ord(bad.group()):04X} in the text")
    return text


def amount_fen(text: str, line: int, what: str = "amount", *, signed: bool = False) -> int:
    """Decimal text ("1,234.56", "-12.5", "100") to int fen, exactly.

    Refused: empty, anything but ASCII digits with one optional sign, separators in groups of
    three and a point (so NaN, "１２３", "1,2,3" and exponents), a sign where none may stand,
    more than two decimals ("12.345") and more than ``statement_amount_fen_max``.
    """
    stripped = text.strip(" \t\r\n")
    match = _AMOUNT.fullmatch(stripped)
    if not stripped:
        refuse(line, f"{what} is empty")
    if match is None:
        refuse(line, f"{what} {stripped[:40]!r} is not a decimal amount with at most 2 decimals")
    sign, whole, cents = match.groups()
    if sign and not signed:
        refuse(line, f"{what} {stripped[:40]!r} carries a sign where none may stand")
    if len(whole) > 24:
        refuse(line, f"{what} has too many digits")
    fen = int(whole.replace(",", "")) * 100 + int((cents or "").ljust(2, "0"))
    if fen > limits.statement_amount_fen_max:
        refuse(line, f"{what} exceeds {limits.statement_amount_fen_max} fen")
    return -fen if sign == "-" else fen


def decimal_fen(value: Decimal | str, line: int, what: str = "amount") -> int:
    """An exact decimal (XML's xs:decimal, MT940's amount) to int fen; a third decimal that is
    not zero, a non-finite value or one beyond the limit is refused."""
    plain = _PLAIN_DECIMAL.fullmatch(value.strip()) if isinstance(value, str) else None
    if plain is not None:
        whole, cents = plain.groups()
        plain_fen = int(whole) * 100 + (int(cents.ljust(2, "0")) if cents else 0)
        if plain_fen > limits.statement_amount_fen_max:
            refuse(line, f"{what} exceeds {limits.statement_amount_fen_max} fen")
        return plain_fen
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except InvalidOperation:
        refuse(line, f"{what} {str(value)[:40]!r} is not a decimal")
    if not number.is_finite():
        refuse(line, f"{what} is not finite")
    fen = number * 100
    if fen != fen.to_integral_value():
        refuse(line, f"{what} {number} has more than 2 decimals")
    if abs(fen) > limits.statement_amount_fen_max:
        refuse(line, f"{what} exceeds {limits.statement_amount_fen_max} fen")
    return int(fen)


def parse_date(text: str, line: int, what: str = "date") -> date:
    """20261207, 2026-12-07, 2026/12/07, 2026.12.07, each optionally followed by a time."""
    stripped = text.strip()
    match = _DATE.fullmatch(stripped)
    if match is None:
        refuse(line, f"{what} {stripped[:40]!r} is not a date (20261207, 2026-12-07, 2026/12/07)")
    year, _, month, day, month8, day8 = match.groups()
    try:
        found = date(int(year), int(month or month8), int(day or day8))
    except ValueError:
        refuse(line, f"{what} {stripped[:40]!r} is no day of the calendar")
    return within_years(found, line, what)


def within_years(found: date, line: int, what: str = "date") -> date:
    """A date of a statement, refused beyond the years the bank deals in."""
    if not limits.date_earliest <= found <= limits.date_latest:
        refuse(line, f"{what} {found} is beyond the years the bank deals in "
                     f"({limits.date_earliest} to {limits.date_latest})")
    return found


def check_text(value: str, line: int, what: str) -> str:
    """A text field as given, stripped; refused beyond the field limit."""
    stripped = value.strip()
    if len(stripped) > limits.statement_field_chars_max:
        refuse(line, f"{what} is longer than {limits.statement_field_chars_max} characters")
    return stripped


def derived_id(source_format: str, account_no: str, from_date: date, to_date: date,
               data: bytes) -> str:
    """A statement id for a format that has none: account, dates and the file's hash."""
    digest = hashlib.sha256(bytes(data)).hexdigest()[:16]
    return f"{source_format}:{account_no}:{from_date:%Y%m%d}-{to_date:%Y%m%d}:{digest}"


def resolve_account(stated: str, given: str | None) -> str:
    """The statement's account: the one the file states, else the one given; both, differing,
    or neither is a refusal."""
    if given is not None and (not isinstance(given, str) or not given.strip()):
        raise ReconcileError(Refusal.FIELD_INVALID, "account_no is a non-empty string",
                             field="account_no", reason="empty or not text")
    wanted = given.strip() if given else ""
    if stated and wanted and stated != wanted:
        raise ReconcileError(Refusal.STATEMENT_ACCOUNT_MISMATCH,
                             f"the file is of account {stated}, not {wanted}",
                             stated=stated, given=wanted)
    if not stated and not wanted:
        raise ReconcileError(Refusal.STATEMENT_ACCOUNT_MISMATCH,
                             "the file names no account and none was given",
                             stated="", given="")
    return stated or wanted


def check_keys(statement: Statement) -> None:
    """What the store keys on fits its columns, and a bank reference stands once."""
    if len(statement.account_no) > limits.bank_account_no_length_max:
        refuse(0, f"account no. longer than {limits.bank_account_no_length_max}")
    if not statement.statement_id or len(statement.statement_id) > limits.statement_id_length_max:
        refuse(0, f"statement id empty or longer than {limits.statement_id_length_max}")
    seen: set[str] = set()
    longest = limits.reconcile_key_length_max
    for line in statement.lines:
        if max(len(line.bank_ref), len(line.end_to_end_ref), len(line.original_ref)) > longest:
            refuse(line.line_no, f"a reference longer than {longest} characters")
        if line.bank_ref in seen:
            refuse(line.line_no, f"bank reference {line.bank_ref[:40]!r} stands twice")
        seen.add(line.bank_ref)


def check_balances(statement: Statement) -> Statement:
    """Opening balance plus the booked lines must be the closing balance (R-B3); the keys the
    store needs are checked on the way (``check_keys``)."""
    check_keys(statement)
    if not statement.balances_continue():
        expected = statement.opening_balance_fen + statement.movement_fen
        raise ReconcileError(
            Refusal.STATEMENT_BALANCE_MISMATCH,
            f"opening {statement.opening_balance_fen} + movement {statement.movement_fen} = "
            f"{expected}, but the closing balance stated is {statement.closing_balance_fen}",
            opening_fen=statement.opening_balance_fen, movement_fen=statement.movement_fen,
            closing_fen=statement.closing_balance_fen)
    return statement
