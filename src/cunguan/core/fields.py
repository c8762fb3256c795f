"""Field types of the domain: every command checks its fields here, whoever built it.

The HTTP edge, the CLI and the Python API all build commands; each field is checked once, where
the command is built, so all three refuse the same things the same way. A refusal is a
``FieldInvalid`` (code ``field_invalid``) naming the field and why — never a TypeError from
deeper down. Callers are assumed hostile or careless: bools are not ints here, floats and NaN
are not money, Unicode digits (full-width ３, Arabic-Indic ٣, superscript ³) are not digits,
and NUL or other control characters never reach a text column.
"""

import re
import unicodedata
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Final, TypeGuard
from urllib.parse import urlsplit

from cunguan.core import limits
from cunguan.core.errors import CunguanError

#: Characters an identifier (user id, project id, card-less ids, request no.) may use.
_IDENTIFIER: Final = re.compile(r"[A-Za-z0-9_.:\-]+")
#: A decimal rate as text: ASCII digits only, at most one point, no sign, no exponent.
_RATE_TEXT: Final = re.compile(r"[0-9]{1,12}(\.[0-9]{1,12})?")
#: Separators people type inside long numbers (cards, mobiles, accounts): removed, never kept.
_NUMBER_SEPARATORS: Final = str.maketrans("", "", " \t-")


class FieldInvalid(CunguanError):
    """A command's field is malformed or out of range; ``details`` name the field and why."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__("field_invalid", f"{field}: {reason}", field=field, reason=reason)


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def amount_fen(value: object, field: str = "amount_fen", *, minimum: int = 1,
               maximum: int = limits.amount_fen_max) -> int:
    """A money amount: an int number of fen within ``[minimum, maximum]`` (positive unless a
    field says otherwise). Bools, floats, NaN, Decimals, strings and None are refused."""
    if type(value) is int and minimum <= value <= maximum:   # the usual case, at once
        return value
    if not _is_int(value):
        raise FieldInvalid(field, f"must be an int number of fen, got {type(value).__name__}")
    if value < minimum:
        raise FieldInvalid(field, f"must be at least {minimum} fen")
    if value > maximum:
        raise FieldInvalid(field, f"must be at most {maximum} fen")
    return value


def whole_number(value: object, field: str, *, minimum: int, maximum: int) -> int:
    """A count or a small number (months, days, a risk level): an int (not a bool) within
    ``[minimum, maximum]``."""
    if not _is_int(value):
        raise FieldInvalid(field, f"must be an int, got {type(value).__name__}")
    if not minimum <= value <= maximum:
        raise FieldInvalid(field, f"must be from {minimum} to {maximum}")
    return value


def flag(value: object, field: str) -> bool:
    """A yes/no field: a real bool only (1, "true" and None are refused)."""
    if not isinstance(value, bool):
        raise FieldInvalid(field, f"must be true or false, got {type(value).__name__}")
    return value


def text(value: object, field: str, *, max_length: int, allow_empty: bool = False) -> str:
    """Free text for people (a name, a reason, a plan's title): a str of at most
    ``max_length`` characters, stripped of surrounding white space, NFC-normalized, without
    NUL or other control characters."""
    if not isinstance(value, str):
        raise FieldInvalid(field, f"must be text, got {type(value).__name__}")
    cleaned = unicodedata.normalize("NFC", value.strip())
    if not cleaned and not allow_empty:
        raise FieldInvalid(field, "must not be empty")
    if len(cleaned) > max_length:
        raise FieldInvalid(field, f"must be at most {max_length} characters")
    if any(unicodedata.category(ch) in ("Cc", "Cs") for ch in cleaned):
        raise FieldInvalid(field, "must not contain control characters")
    return cleaned


def identifier(value: object, field: str,
               max_length: int = limits.identifier_length_max) -> str:
    """An id a platform or the bank chose (user, project, plan, listing, request no.): ASCII
    letters, digits and ``_ . : -``, 1 to ``max_length`` characters, taken exactly as given."""
    if type(value) is str and len(value) <= max_length and _IDENTIFIER.fullmatch(value):
        return value
    if not isinstance(value, str):
        raise FieldInvalid(field, f"must be text, got {type(value).__name__}")
    if not 0 < len(value) <= max_length:
        raise FieldInvalid(field, f"must be 1 to {max_length} characters")
    if _IDENTIFIER.fullmatch(value) is None:
        raise FieldInvalid(field, "may use only ASCII letters, digits and _ . : -")
    return value


def optional_identifier(value: object, field: str,
                        max_length: int = limits.identifier_length_max) -> str | None:
    """An identifier, or None where the field may be left out."""
    return None if value is None else identifier(value, field, max_length)


def digits(value: object, field: str, *, min_length: int, max_length: int) -> str:
    """A number people type (a card no., a mobile, an account no.): white space around it and
    spaces, tabs and hyphens between digits are removed, then only ASCII digits 0-9 may
    remain. The normalized form is what is checked, stored and compared, so "6222 0212 …"
    and "62220212…" are one card."""
    if not isinstance(value, str):
        raise FieldInvalid(field, f"must be text, got {type(value).__name__}")
    # already normalized (as nearly every request sends it): the same object back, so that
    # a record holding it needs no copy
    cleaned = value if value.isascii() and value.isdigit() else \
        value.strip().translate(_NUMBER_SEPARATORS)
    if not cleaned.isascii() or not cleaned.isdigit():
        raise FieldInvalid(field, "must be ASCII digits 0-9")
    if not min_length <= len(cleaned) <= max_length:
        raise FieldInvalid(field, f"must be {min_length} to {max_length} digits")
    return cleaned


def rate(value: object, field: str, *, maximum: str) -> str:
    """A non-negative decimal rate written as text ("0.0015"), at most ``maximum``; ASCII
    digits only. Given back as sent (its text is what the request log compares)."""
    if not isinstance(value, str) or _RATE_TEXT.fullmatch(value) is None:
        raise FieldInvalid(field, "must be a decimal number written as text, e.g. \"0.0015\"")
    try:
        too_large = Decimal(value) > Decimal(maximum)
    except InvalidOperation as exc:   # unreachable after the pattern, kept for safety
        raise FieldInvalid(field, "not a decimal number") from exc
    if too_large:
        raise FieldInvalid(field, f"must be at most {maximum}")
    return value


def day(value: object, field: str, *, earliest: date = limits.date_earliest,
        latest: date = limits.date_latest) -> date:
    """A calendar date within the years the bank deals in (a date, not a datetime)."""
    if isinstance(value, datetime) or not isinstance(value, date):
        raise FieldInvalid(field, f"must be a date, got {type(value).__name__}")
    if not earliest <= value <= latest:
        raise FieldInvalid(field, f"must be from {earliest} to {latest}")
    return value


def iso_day(value: object, field: str) -> date:
    """A date written as ``YYYY-MM-DD`` in ASCII digits (a CLI option, a query parameter)."""
    if not isinstance(value, str) or re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value) is None:
        raise FieldInvalid(field, "must be a date written YYYY-MM-DD")
    try:
        parsed = date.fromisoformat(value)
    except ValueError as exc:
        raise FieldInvalid(field, "is not a calendar date") from exc
    return day(parsed, field)


def choice(value: object, field: str, allowed: frozenset[str] | tuple[str, ...]) -> str:
    """One of a fixed set of words."""
    if not isinstance(value, str) or value not in allowed:
        raise FieldInvalid(field, f"must be one of {', '.join(sorted(allowed))}")
    return value


def iso_instant(value: object, field: str) -> datetime:
    """A moment written in ISO 8601 with its UTC offset ("2026-11-23T17:15:00+08:00"), as a CLI
    option or query parameter gives it. Without an offset a time is ambiguous: refused."""
    example = "e.g. 2026-11-23T17:15:00+08:00"
    if not isinstance(value, str) or not value.isascii():
        raise FieldInvalid(field, f"must be an ISO time with its UTC offset, {example}")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise FieldInvalid(field, f"must be an ISO time with its UTC offset, {example}") from exc
    if parsed.tzinfo is None:
        raise FieldInvalid(field, f"needs its UTC offset, {example}")
    day(parsed.date(), field)
    return parsed


#: A web address's characters: printable ASCII without space (RFC 3986; others go
#: percent-encoded).
_URL_TEXT: Final = re.compile(r"[!-~]+")


def web_url(value: object, field: str, *, max_length: int = limits.url_length_max) -> str:
    """An http or https URL with a host (a callback, a return URL): printable ASCII, no white
    space or control characters, at most ``max_length`` characters, a valid port if any."""
    if not isinstance(value, str):
        raise FieldInvalid(field, f"must be text, got {type(value).__name__}")
    if not 0 < len(value) <= max_length or _URL_TEXT.fullmatch(value) is None:
        raise FieldInvalid(field, f"must be 1 to {max_length} printable ASCII characters")
    try:
        parts = urlsplit(value)
        port_ok = parts.port is None or parts.port > 0
    except ValueError as exc:   # a bad port or IPv6 literal
        raise FieldInvalid(field, "is not a URL") from exc
    if parts.scheme not in ("http", "https") or not parts.hostname or not port_ok:
        raise FieldInvalid(field, "must be an http or https URL with a host")
    return value

