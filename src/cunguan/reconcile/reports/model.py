"""The report model: what a reserve-fund report says, before any format. A report is a title,
columns and rows of int fen, text and counts; an item-level row keeps the ids of its source
lines (ledger transactions, statement lines), so every figure is traceable (R-B5). The XLSX and
PDF renderers only lay these out."""

import unicodedata
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from cunguan.core.errors import invariant


def printable(text: str) -> str:
    """Text as a report may show it: control characters (NUL and the like, which a hostile
    statement may carry and which XLSX and PDF cannot hold) and lone surrogates become U+FFFD."""
    return "".join("\ufffd" if unicodedata.category(c) in ("Cc", "Cs") and c not in "\t\n"
                   else c for c in text)


class ColumnKind(StrEnum):
    TEXT = "text"
    MONEY = "money"   # int fen, shown in yuan with two decimals
    COUNT = "count"   # int


class Aggregate(StrEnum):
    """How a column of a period (a month) follows from its days."""

    SUM = "sum"       # flows: the days' sum
    FIRST = "first"   # opening balances: the first day's
    LAST = "last"     # closing balances and open items: the last day's
    NONE = "none"     # text, or rows listed item by item


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    title: str
    kind: ColumnKind = ColumnKind.MONEY
    aggregate: Aggregate = Aggregate.SUM


Cell = int | str


@dataclass(frozen=True, slots=True)
class Row:
    """One row: its cells in column order, a stable key (the same row of each day has the same
    key, so that a month's row is the days' rows aggregated), and its sources."""

    key: str
    cells: tuple[Cell, ...]
    sources: tuple[str, ...] = ()
    total: bool = False


@dataclass(frozen=True, slots=True)
class Report:
    """One report of the set.

    Attributes:
      code: its number in the set ("1", "1-1" … "13"); a per-account variant (分账户表) adds
        the account (``3/C001``).
      title: its title as used in practice (R-B5).
      institution: whose reserve funds.
      period_from: the first day it covers.
      period_to: the last day it covers.
      account: the bank account or bank of a per-account variant, or "".
      columns: its columns.
      rows: its rows.
      notes: where its figures come from, shown under the table.
    """

    code: str
    title: str
    institution: str
    period_from: date
    period_to: date
    columns: tuple[Column, ...]
    rows: tuple[Row, ...]
    account: str = ""
    notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        width = len(self.columns)
        for row in self.rows:
            invariant(len(row.cells) == width, f"report {self.code}: row {row.key} has "
                      f"{len(row.cells)} cells for {width} columns")
            for column, cell in zip(self.columns, row.cells, strict=True):
                money = column.kind is not ColumnKind.TEXT
                invariant(isinstance(cell, int) == money and not isinstance(cell, bool),
                          f"report {self.code}: {column.key} of {row.key} is {cell!r}")

    def column_index(self, key: str) -> int:
        for index, column in enumerate(self.columns):
            if column.key == key:
                return index
        raise KeyError(key)

    def row(self, key: str) -> Row:
        for row in self.rows:
            if row.key == key:
                return row
        raise KeyError(key)

    def value(self, row_key: str, column_key: str) -> Cell:
        return self.row(row_key).cells[self.column_index(column_key)]


@dataclass(frozen=True, slots=True)
class ReportSet:
    """The reports of one period: a day (daily) or a month (monthly)."""

    institution: str
    period_from: date
    period_to: date
    monthly: bool
    reports: tuple[Report, ...]

    @property
    def title(self) -> str:
        kind = "月报" if self.monthly else "日报"
        span = (f"{self.period_from:%Y-%m}" if self.monthly else f"{self.period_to}")
        return f"{self.institution} 客户备付金报表({kind} {span})"

    def get(self, code: str) -> Report:
        for report in self.reports:
            if report.code == code:
                return report
        raise KeyError(code)
