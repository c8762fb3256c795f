"""A bank export's layout as a frozen record (``ColumnMap``), and the operator's way to define a
new one in TOML or JSON: ``column_map_from_mapping(dict)``, every key checked with a named
refusal (``field_invalid`` with the key as ``field``).

A layout names, by the header text the bank prints, the columns a statement line is read from,
and the labels of the preamble lines (account, period, balances) and of the summary lines after
the table (counts, totals, closing balance). Amounts come either as two columns, debit and credit
(``借方发生额``/``贷方发生额``), or as one amount column with an optional direction column (and
an optional sign: a negative amount is a debit).

Keys of the mapping (all text unless said; ``*_labels`` and ``footer_markers`` are lists of text):

  name, date (value date column), booking_date, bank_ref, debit + credit | amount [+ direction],
  direction_debit, direction_credit (the direction column's tokens), balance, account,
  counterparty_account, counterparty_name, description (a list of columns joined by " / "),
  end_to_end_ref, reversal (a column marking a reversal, 冲正), reversal_tokens,
  account_labels, from_labels, to_labels, period_labels, opening_labels, closing_labels,
  count_labels, debit_total_labels, credit_total_labels, footer_markers, delimiter, currency.
"""

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from cunguan.reconcile.rules.refusals import ReconcileError, Refusal

_TEXT_MAX = 64
_LIST_MAX = 16


def _invalid(key: str, reason: str) -> ReconcileError:
    return ReconcileError(Refusal.FIELD_INVALID, f"column map {key}: {reason}",
                          field=key, reason=reason)


@dataclass(frozen=True, slots=True)
class ColumnMap:
    """One bank export layout. Column names are header texts as printed (whitespace ignored)."""

    name: str
    date: str
    bank_ref: str
    booking_date: str = ""
    debit: str = ""
    credit: str = ""
    amount: str = ""
    direction: str = ""
    direction_debit: tuple[str, ...] = ("借", "D", "支出", "借方", "付")
    direction_credit: tuple[str, ...] = ("贷", "C", "收入", "贷方", "收")
    balance: str = ""
    account: str = ""
    counterparty_account: str = ""
    counterparty_name: str = ""
    description: tuple[str, ...] = ()
    end_to_end_ref: str = ""
    reversal: str = ""
    reversal_tokens: tuple[str, ...] = ("冲正", "是", "Y", "1")
    account_labels: tuple[str, ...] = ("账号",)
    from_labels: tuple[str, ...] = ("起始日期", "开始日期")
    to_labels: tuple[str, ...] = ("终止日期", "结束日期", "截止日期")
    period_labels: tuple[str, ...] = ("查询期间", "交易期间", "起止日期")
    opening_labels: tuple[str, ...] = ("期初余额", "上日余额")
    closing_labels: tuple[str, ...] = ("期末余额", "本日余额")
    count_labels: tuple[str, ...] = ("合计笔数", "总笔数")
    debit_total_labels: tuple[str, ...] = ("借方合计", "借方发生额合计", "支出合计")
    credit_total_labels: tuple[str, ...] = ("贷方合计", "贷方发生额合计", "收入合计")
    footer_markers: tuple[str, ...] = ("合计", "总计", "本页", "期末余额", "打印", "导出")
    delimiter: str = ","
    currency: str = "CNY"

    def __post_init__(self) -> None:
        _check(self)

    @property
    def two_columns(self) -> bool:
        """Debit and credit in two columns (else one amount column)."""
        return bool(self.debit)

    def required_headers(self) -> tuple[str, ...]:
        """The headers a row must hold to be taken for this layout's header row."""
        named = (self.date, self.bank_ref, self.booking_date, self.debit, self.credit,
                 self.amount, self.direction, self.balance, self.account,
                 self.counterparty_account, self.counterparty_name, self.end_to_end_ref,
                 self.reversal, *self.description)
        return tuple(dict.fromkeys(name for name in named if name))


_TEXT_KEYS = ("name", "date", "bank_ref", "booking_date", "debit", "credit", "amount",
              "direction", "balance", "account", "counterparty_account", "counterparty_name",
              "end_to_end_ref", "reversal", "delimiter", "currency")
_LIST_KEYS = ("direction_debit", "direction_credit", "description", "reversal_tokens",
              "account_labels", "from_labels", "to_labels", "period_labels", "opening_labels",
              "closing_labels", "count_labels", "debit_total_labels", "credit_total_labels",
              "footer_markers")


def _check_text(key: str, value: object, *, empty_ok: bool = True) -> None:
    if not isinstance(value, str):
        raise _invalid(key, "not text")
    if not value.strip() and not (empty_ok and value == ""):
        raise _invalid(key, "empty")
    if len(value) > _TEXT_MAX or not value.isprintable():
        raise _invalid(key, f"longer than {_TEXT_MAX} or not printable")


def _check_list(key: str, value: object) -> None:
    if not isinstance(value, tuple) or len(value) > _LIST_MAX:
        raise _invalid(key, f"not a list of at most {_LIST_MAX} texts")
    for item in value:
        _check_text(key, item, empty_ok=False)


def _check(cmap: ColumnMap) -> None:
    for key in _TEXT_KEYS:
        if key != "delimiter":
            _check_text(key, getattr(cmap, key),
                        empty_ok=key not in ("name", "date", "bank_ref"))
    for key in _LIST_KEYS:
        _check_list(key, getattr(cmap, key))
    if cmap.delimiter not in (",", "\t", "|", ";"):
        raise _invalid("delimiter", "one of ',', tab, '|', ';'")
    if len(cmap.currency) != 3 or not cmap.currency.isascii() or not cmap.currency.isupper():
        raise _invalid("currency", "an ISO 4217 code")
    if bool(cmap.debit) != bool(cmap.credit):
        raise _invalid("debit", "debit and credit columns come together")
    if bool(cmap.debit) == bool(cmap.amount):
        raise _invalid("amount", "either debit + credit columns or one amount column")
    if cmap.direction and set(cmap.direction_debit) & set(cmap.direction_credit):
        raise _invalid("direction_debit", "a token is both debit and credit")
    headers = [name for name in (cmap.date, cmap.bank_ref, cmap.debit, cmap.credit,
                                 cmap.amount, cmap.balance) if name]
    if len(set(headers)) != len(headers):
        raise _invalid("date", "one column named for two roles")


def column_map_from_mapping(mapping: Mapping[str, Any]) -> ColumnMap:
    """A layout from a decoded TOML/JSON table; unknown keys, wrong types and incoherent
    layouts are refused with the key named."""
    if not isinstance(mapping, Mapping):
        raise _invalid("column_map", "not a table")
    known = {f.name for f in fields(ColumnMap)}
    for key in mapping:
        if not isinstance(key, str) or key not in known:
            raise _invalid(str(key)[:40], "unknown key")
    for key in ("name", "date", "bank_ref"):
        if key not in mapping:
            raise _invalid(key, "missing")
    values: dict[str, Any] = {}
    for key, value in mapping.items():
        if key in _LIST_KEYS:
            if not isinstance(value, list | tuple):
                raise _invalid(key, "not a list of texts")
            values[key] = tuple(value)
        else:
            values[key] = value
    return ColumnMap(**values)
