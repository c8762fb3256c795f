"""Hostile values for every field kind of the service layer, and what a refusal must leave.

A field's hostile values are the values its kind refuses: the kind's check is the one in
``cunguan.core.fields`` (or, for a transaction password, "six ASCII digits"), so a value the
domain accepts is never offered as hostile. The named pool below is the brief's list (issue 18);
``arbitrary`` adds hypothesis's own values of every type.
"""

import math
import re
import sqlite3
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from fractions import Fraction
from functools import cache
from pathlib import Path
from typing import Any

from hypothesis import strategies as st
from sqlalchemy import Engine, inspect

from cunguan.core import fields, limits
from cunguan.core.errors import CunguanError
from cunguan.platform.schema import metadata

ERRORS_MD = Path(__file__).resolve().parents[1] / "docs" / "ERRORS.md"
#: Tables a refusal may add to: its request no.'s record and that record's callback event.
REQUEST_LOG = frozenset({"custody_requests", "outbox_events"})
#: Bookkeeping no command's outcome depends on (id blocks are reserved outside transactions).
UNWATCHED = frozenset({"id_blocks", "api_nonces", "outbox_sequencer"})
#: Codes a refusal of a hostile value may never carry.
NOT_A_REFUSAL = frozenset({"ok", "internal_error"})

_FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
_ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


def full_width(text: str) -> str:
    return text.translate(_FULL_WIDTH)


def arabic_indic(text: str) -> str:
    return text.translate(_ARABIC_INDIC)


#: The named pool (issue 18): every type a careless or hostile caller might send.
NAMED: tuple[Any, ...] = (
    0, -1, 1, 2**63, 2**64, -(2**63), 2**63 - 1, limits.amount_fen_max + 1,
    True, False,
    math.nan, math.inf, -math.inf, -0.0, 1.5, 100.0,
    Decimal("100"), Decimal("1.5"), Decimal("-1"), Decimal("NaN"), Decimal("sNaN"),
    Decimal("Infinity"), Decimal("1E+999999"), Fraction(1, 3),
    "", " ", "x" * 10_000, "\x00", "a\x00b", "\x07", "line\nbreak", "１２３", "٣", "³",
    "1,000.00", " 100 ", "100", "-1", "1e3", "NaN", "inf", "0x1F", "\ud800", "😀", "\u202e",
    "'; DROP TABLE accounts;--", "0.12", "0", "１２３４５６",
    None, [], [1], {}, {"a": 1}, (), b"", b"100", bytearray(b"1"),
    date(2026, 11, 24), datetime(2026, 11, 24, 10, 0, tzinfo=UTC), datetime(2026, 11, 24),
)


#: The part of the pool a CI run tries on every field (the rest runs under ``slow``): one value
#: of each way to be wrong — type, sign, size, float, NaN, empty, NUL, Unicode digits, spaces.
CORE: tuple[Any, ...] = (
    0, -1, 2**63, -(2**63), True, False, math.nan, math.inf, 1.5, 100.0, Decimal("100"),
    Decimal("NaN"), Decimal("sNaN"), "", " ", "x" * 10_000, "\x00", "\x07", "１２３", "٣", "³",
    "1,000.00", " 100 ", "-1", "\ud800", None, [1], {"a": 1}, b"100",
    datetime(2026, 11, 24),
)


@dataclass(frozen=True)
class Kind:
    """A field kind: whether a value is acceptable, and values worth trying on it."""

    name: str
    accepts: Callable[[Any], bool]
    extras: tuple[Any, ...] = ()

    def hostile(self, *, full: bool = True) -> list[Any]:
        """The named pool (or its core) and the kind's extras, less what the kind accepts."""
        return [v for v in (*(NAMED if full else CORE), *self.extras) if not self.accepts(v)]

    def arbitrary(self) -> st.SearchStrategy[Any]:
        """Hypothesis's values of every type, less what the kind accepts."""
        anything = st.one_of(
            st.sampled_from(self.hostile()),
            st.integers(), st.booleans(), st.floats(), _decimals, st.text(max_size=80),
            st.binary(max_size=8), st.none(), st.lists(st.integers(), max_size=2),
            st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
            st.dates(), st.datetimes())
        return anything.filter(lambda v: not self.accepts(v))


#: Decimals of every sort but those whose exponent makes an int of millions of digits (a
#: separate, named value: Decimal("1E+999999") in the full pool).
_decimals = st.decimals(allow_nan=True, allow_infinity=True).filter(
    lambda d: not d.is_finite() or abs(d.adjusted()) < 40)


def accepted_by(check: Callable[[Any], object]) -> Callable[[Any], bool]:
    def accepts(value: Any) -> bool:
        try:
            check(value)
        except CunguanError:
            return False
        except Exception:   # a check that trips over a value refuses it (e.g. sNaN)
            return False
        return True
    return accepts


def _password_ok(value: Any) -> bool:
    return isinstance(value, str) and re.fullmatch(r"[0-9]{6}", value) is not None


def _aware_moment(value: Any) -> bool:
    return (isinstance(value, datetime) and value.tzinfo is not None
            and limits.date_earliest <= value.date() <= limits.date_latest)


def _sequence_of(kind_ok: Callable[[Any], bool]) -> Callable[[Any], bool]:
    def accepts(value: Any) -> bool:
        return (isinstance(value, (list, tuple)) and len(value) > 0
                and all(kind_ok(v) for v in value))
    return accepts


def kinds(card: str, mobile: str, password: str, user: str) -> dict[str, Kind]:
    """Every field kind, with extras derived from the world's real card, mobile, password and
    user (their full-width and Arabic-Indic twins, a NUL or a space appended …)."""
    ident = accepted_by(lambda v: fields.identifier(v, "f"))
    id_extras = (f"{user}\x00", f"{user} ", f" {user}", full_width(user), "ｕ0001",
                 "x" * (limits.identifier_length_max + 1), "a b", "a/b", "a#b")
    amount_extras = ("10000", 10000.0, Decimal("10000"), True, -10_000, Fraction(10_000),
                     limits.amount_fen_max + 1, 2**63 + 10_000)
    rate_extras = ("0.12 ", " 0.12", "0,12", "１", ".5", "5.", "1e-2", "-0.01", "Infinity",
                   "1E+999999999", 0.12, Decimal("0.12"), "0.12\x00", arabic_indic("0.12"),
                   full_width("0.12"), "2", "0." + "1" * 20)
    card_extras = (full_width(card), arabic_indic(card), f"{card}\x00", card[:-1] + "X",
                   card + "0" * 10, card[:10], int(card))
    mobile_extras = (full_width(mobile), arabic_indic(mobile), f"+86{mobile}", mobile + "1",
                     int(mobile), f"{mobile}\x00")
    password_extras = (full_width(password), arabic_indic(password), f"{password}\x00",
                       f" {password}", f"{password} ", password[:5], password + "0",
                       int(password), f"{password}\n")
    moment_extras = (datetime(2027, 1, 1), datetime(9999, 12, 31, tzinfo=UTC),
                     datetime(1, 1, 1, tzinfo=UTC), date(2027, 1, 1), "2027-01-01T00:00:00Z",
                     1_800_000_000)
    day_extras = ("2026-11-24", date(1999, 12, 31), date(2100, 1, 1), date.max, date.min,
                  datetime(2026, 11, 24, tzinfo=UTC), 20261124)
    whole = {"months": (1, 10_000), "days": (1, 100_000), "risk": (0, 10)}
    out = {
        "request_no": Kind("request_no", accepted_by(lambda v: fields.identifier(
            v, "request_no", limits.request_no_length_max)), id_extras),
        "tenant": Kind("tenant", accepted_by(lambda v: fields.identifier(
            v, "tenant_id", limits.tenant_id_length_max)),
            ("P2P\x00", "P2P ", "ｐ2p", "x" * (limits.tenant_id_length_max + 1))),
        "id": Kind("id", ident, id_extras),
        "optional_id": Kind("optional_id", lambda v: v is None or ident(v), id_extras),
        "amount": Kind("amount", accepted_by(lambda v: fields.amount_fen(v, "f")), amount_extras),
        "amount_or_zero": Kind("amount_or_zero", accepted_by(lambda v: fields.amount_fen(
            v, "f", minimum=0)), amount_extras),
        "flag": Kind("flag", accepted_by(lambda v: fields.flag(v, "f")),
                     ("true", "false", "no", 0, 1, "1", None)),
        "name": Kind("name", accepted_by(lambda v: fields.text(
            v, "f", max_length=limits.reason_length_max)),
                     ("張三\x00", "\t", "张" * 200, "\u0085", "\x1b[31m红")),
        "operator": Kind("operator", accepted_by(lambda v: fields.text(v, "f", max_length=64)),
                         ("alice\x00", "x" * 65, "\n")),
        "text": Kind("text", accepted_by(lambda v: fields.text(
            v, "f", max_length=limits.memo_length_max, allow_empty=True)),
                     ("memo\x00", "x" * 300)),
        "rate": Kind("rate", accepted_by(lambda v: fields.rate(v, "f", maximum="1")), rate_extras),
        "coupon": Kind("coupon", accepted_by(lambda v: fields.rate(v, "f", maximum="0.24")),
                       rate_extras),
        "card": Kind("card", accepted_by(lambda v: fields.digits(v, "f", min_length=15,
                                                          max_length=19)), card_extras),
        "optional_card": Kind("optional_card", lambda v: v is None or accepted_by(
            lambda w: fields.digits(w, "f", min_length=15, max_length=19))(v), card_extras),
        "mobile": Kind("mobile", accepted_by(lambda v: fields.digits(v, "f", min_length=11,
                                                              max_length=11)), mobile_extras),
        "optional_mobile": Kind("optional_mobile", lambda v: v is None or accepted_by(
            lambda w: fields.digits(w, "f", min_length=11, max_length=11))(v), mobile_extras),
        "id_no": Kind("id_no", lambda v: isinstance(v, str) and ident(v.strip()),
                      ("110105199003070\x00", full_width("110105199003071234"),
                       "11010519900307123X\n\x00")),
        "password": Kind("password", _password_ok, password_extras),
        "optional_password": Kind("optional_password", lambda v: v is None or _password_ok(v),
                                  password_extras),
        "day": Kind("day", accepted_by(lambda v: fields.day(v, "f")), day_extras),
        "moment": Kind("moment", _aware_moment, moment_extras),
        "hold_id": Kind("hold_id", accepted_by(lambda v: fields.whole_number(
            v, "f", minimum=1, maximum=limits.id_max)), (2**63, 2**64, "1", 1.0)),
        **{name: _whole(name, lo, hi) for name, (lo, hi) in whole.items()},
    }
    return out


def _whole(name: str, minimum: int, maximum: int) -> Kind:
    return Kind(name, accepted_by(lambda v: fields.whole_number(v, "f", minimum=minimum,
                                                        maximum=maximum)),
                ("3", 3.0, Decimal(3), True, 2**31, -3))


def choice_kind(name: str, allowed: Iterable[str]) -> Kind:
    words = frozenset(str(a) for a in allowed)
    sample = sorted(words)[0]
    return Kind(name, accepted_by(lambda v: fields.choice(v, "f", words)),
                (sample.upper(), f" {sample}", f"{sample}\x00", f"{sample} ", full_width(sample),
                 sample[:-1]))


def sequence_kind(name: str, item_ok: Callable[[Any], bool], extras: Sequence[Any]) -> Kind:
    return Kind(name, _sequence_of(item_ok), tuple(extras))


# -- what a refusal must leave ------------------------------------------------------------------
@cache
def documented_codes() -> frozenset[str]:
    """Every code in the first column of docs/ERRORS.md's tables."""
    codes: set[str] = set()
    for line in ERRORS_MD.read_text(encoding="utf-8").splitlines():
        if line.startswith("| `"):
            first = line.split("|")[1]
            codes.update(re.findall(r"`([a-z_]+)`", first))
    return frozenset(codes)


@dataclass
class Snapshot:
    rows: dict[str, Counter[Any]] = field(default_factory=dict)
    columns: dict[str, list[str]] = field(default_factory=dict)


def watched_tables(engine: Engine) -> list[str]:
    present = set(inspect(engine).get_table_names())
    return [t.name for t in metadata.sorted_tables
            if t.name in present and t.name not in UNWATCHED]


def snapshot(engine: Engine, tables: Sequence[str]) -> Snapshot:
    """Every row of every watched table, read through the driver (SQLAlchemy's result
    machinery would cost ~1 ms a table, and a snapshot is taken twice a call)."""
    shot = Snapshot()
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        for name in tables:
            cursor.execute(f"SELECT * FROM {name}")  # names from the schema, not input
            shot.columns[name] = [d[0] for d in cursor.description]
            shot.rows[name] = Counter(tuple(row) for row in cursor.fetchall())
        cursor.close()
        raw.rollback()
    finally:
        raw.close()
    return shot


def changes(tables: Sequence[str], before: Snapshot, after: Snapshot, tenant_id: str,
            request_no_prefix: str | None) -> list[str]:
    """What changed between two snapshots, less a refusal's own record in the request log
    (its platform's, under this call's fresh request no., status rejected)."""
    found = []
    for name in tables:
        gone = before.rows[name] - after.rows[name]
        new = after.rows[name] - before.rows[name]
        if name in REQUEST_LOG:
            names = after.columns[name]
            new = Counter({row: n for row, n in new.items()
                           if not _own_refusal(dict(zip(names, row, strict=True)), tenant_id,
                                               request_no_prefix)})
        if gone or new:
            sample = next(iter(new or gone))
            found.append(f"{name}: {sum(gone.values())} rows gone, "
                         f"{sum(new.values())} new/changed, e.g. {_short(sample)}")
    return found


class Watch:
    """The watched tables of one database, compared around each call. On SQLite a call that
    committed nothing (``PRAGMA data_version`` of a probe connection unchanged) is not read
    again: the last snapshot stands, so the common case (a refusal that writes nothing) costs
    one pragma instead of two reads of every table. PostgreSQL is read before and after."""

    def __init__(self, engine: Engine, tables: Sequence[str]) -> None:
        self.engine, self.tables = engine, list(tables)
        self._probe = (sqlite3.connect(engine.url.database or "", isolation_level=None)
                       if engine.dialect.name == "sqlite" else None)
        self._version: int | None = None
        self._last = Snapshot()

    def _data_version(self) -> int | None:
        if self._probe is None:
            return None
        return int(self._probe.execute("PRAGMA data_version").fetchone()[0])

    def before(self) -> None:
        """Make the last snapshot the database's state now (re-read only if it changed)."""
        version = self._data_version()
        if version is None or version != self._version or not self._last.rows:
            self._last, self._version = snapshot(self.engine, self.tables), version

    def changes(self, tenant_id: str, request_no_prefix: str | None) -> list[str]:
        """What the call since ``before`` changed (see ``changes``)."""
        version = self._data_version()
        if version is not None and version == self._version:
            return []
        after = snapshot(self.engine, self.tables)
        found = changes(self.tables, self._last, after, tenant_id, request_no_prefix)
        self._last, self._version = after, version
        return found

    def close(self) -> None:
        if self._probe is not None:
            self._probe.close()


def _own_refusal(row: dict[str, Any], tenant_id: str, prefix: str | None) -> bool:
    return (prefix is not None and row.get("tenant_id") == tenant_id
            and str(row.get("request_no", "")).startswith(prefix)
            and row.get("status") == "rejected")


def _short(value: Any, width: int = 160) -> str:
    text = repr(value)
    return text if len(text) <= width else text[:width] + "…"


def describe(value: Any) -> str:
    """A value as the report names it (long ones shortened)."""
    return _short(value, 40)
