"""Chinese bank exports, CSV or XLSX, read through a ``ColumnMap``.

A bank's online-banking export prints, in this order: preamble lines (title, 账号, 户名, period,
期初余额 …, as "label,value" cells or "label：value" text), the header row, the table, and summary
lines (合计笔数, 借方合计, 贷方合计, 期末余额, 打印时间 …). The header row is the first row holding
every column the layout names; the table ends at the first blank row or the first row whose first
cell starts with a footer marker. Preamble and summary labels are matched exactly (whitespace and
colons ignored).

Balances: the opening balance is the preamble's (else the first line's balance less its amount);
the closing balance the summary's or preamble's (else the last line's balance). When the table has
a balance column every line's balance must continue the one before (else
``statement_balance_mismatch`` with the line). Control totals printed (count, debit and credit
sums) must equal the table's (``statement_control_totals_mismatch``).

A negative amount in a debit or credit column is red ink (红字冲正): it undoes a line of that side,
so it moves the balance the other way and the line is ``reversed``.
"""

import csv
import io
import math
import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime

from cunguan.core import limits
from cunguan.reconcile.formats import common
from cunguan.reconcile.formats.columns import ColumnMap
from cunguan.reconcile.rules.refusals import ReconcileError, Refusal
from cunguan.reconcile.rules.statements import Direction, LineStatus, Statement, StatementLine

Row = tuple[int, list[str]]
_SPACE = re.compile(r"\s+")
_LABEL_VALUE = re.compile(r"([^:：]+)[:：]\s*(.*)", re.S)
_COUNT = re.compile(r"[0-9]{1,9}", re.ASCII)
_PERIOD_DATES = re.compile(r"[0-9]{4}[-/.][0-9]{1,2}[-/.][0-9]{1,2}|[0-9]{8}", re.ASCII)


def _norm(label: str) -> str:
    return _SPACE.sub("", label).strip(":：*")


def csv_rows(text: str, delimiter: str) -> Iterator[Row]:
    """The rows of CSV text with the line each starts on."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    line = 1
    try:
        for cells in reader:
            yield line, cells
            line = reader.line_num + 1
    except csv.Error as error:
        common.refuse(reader.line_num or line, f"CSV: {error}")


def _cell_text(value: object, line: int) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        common.refuse(line, "a true/false cell where text or a number belongs")
    if isinstance(value, float):
        if not math.isfinite(value):
            common.refuse(line, "a cell that is not a finite number")
        # The shortest text that reads back as the stored double: the decimal the bank wrote.
        return repr(value)
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    text = str(value)
    if common._CONTROL.search(text):
        common.refuse(line, "control character in a cell")
    return text


def xlsx_rows(data: bytes) -> Iterator[Row]:
    """The first sheet's rows (openpyxl, read-only) with their row numbers; a zip that would
    expand beyond ``statement_xlsx_unzipped_bytes_max`` is refused before reading."""
    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(io.BytesIO(bytes(data))) as archive:
            unzipped = sum(info.file_size for info in archive.infolist())
        if unzipped > limits.statement_xlsx_unzipped_bytes_max:
            common.refuse(0, "the XLSX expands beyond the limit")
        book = load_workbook(io.BytesIO(bytes(data)), read_only=True, data_only=True)
    except ReconcileError:
        raise
    except Exception as error:  # openpyxl raises many kinds on a bad file; all mean unparsable
        common.refuse(0, f"not an XLSX workbook: {type(error).__name__}")
    try:
        sheet = book.worksheets[0]
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield number, [_cell_text(value, number) for value in values]
    except ReconcileError:
        raise
    except Exception as error:
        common.refuse(0, f"XLSX sheet unreadable: {type(error).__name__}")
    finally:
        book.close()


def label_pairs(cells: list[str]) -> dict[str, str]:
    """"label,value" cells or "label：value" text of a preamble or summary row."""
    items = [cell.strip() for cell in cells if cell.strip()]
    pairs: dict[str, str] = {}
    index = 0
    while index < len(items):
        match = _LABEL_VALUE.fullmatch(items[index])
        if match and match.group(2).strip():
            pairs[_norm(match.group(1))] = match.group(2).strip()
            index += 1
        elif index + 1 < len(items):
            pairs[_norm(match.group(1) if match else items[index])] = items[index + 1]
            index += 2
        else:
            index += 1
    return pairs


@dataclass
class _Table:
    """What reading a table gathered: labels, lines, printed column sums."""

    labels: dict[str, tuple[int, str]] = field(default_factory=dict)
    lines: list[StatementLine] = field(default_factory=list)
    debit_printed_fen: int = 0
    credit_printed_fen: int = 0
    accounts: set[str] = field(default_factory=set)


def _header_index(cells: list[str], cmap: ColumnMap) -> dict[str, int] | None:
    positions: dict[str, int] = {}
    for number, cell in enumerate(cells):
        positions.setdefault(_norm(cell), number)
    wanted = cmap.required_headers()
    if all(_norm(name) in positions for name in wanted):
        return {name: positions[_norm(name)] for name in wanted}
    return None


def _add_labels(table: _Table, line: int, cells: list[str]) -> None:
    for label, value in label_pairs(cells).items():
        table.labels.setdefault(label, (line, value))


def _is_footer(cells: list[str], cmap: ColumnMap) -> bool:
    """A blank row, or one whose first cell is a summary label or holds a footer marker."""
    texts = [cell.strip() for cell in cells if cell.strip()]
    if not texts:
        return True
    first = _norm(texts[0])
    labels = (*cmap.count_labels, *cmap.debit_total_labels, *cmap.credit_total_labels,
              *cmap.closing_labels)
    return (any(first.startswith(_norm(label)) for label in labels)
            or any(marker in first for marker in cmap.footer_markers))


def read_table(rows: Iterable[Row], cmap: ColumnMap) -> _Table:
    """Preamble labels, the table's lines and the summary labels, in one pass over the rows."""
    table = _Table()
    rows = iter(rows)
    index: dict[str, int] | None = None
    for line, cells in rows:
        index = _header_index(cells, cmap)
        if index is not None:
            break
        if line > limits.statement_preamble_rows_max:
            common.refuse(line, f"no header row holding {', '.join(cmap.required_headers())}")
        _add_labels(table, line, cells)
    if index is None:
        common.refuse(0, f"no header row holding {', '.join(cmap.required_headers())}")
    in_footer = False
    for line, cells in rows:
        in_footer = in_footer or _is_footer(cells, cmap)
        if in_footer:
            _check_not_a_line(line, cells, index, cmap)
            _add_labels(table, line, cells)
            continue
        common.check_line_count(len(table.lines) + 1)
        _add_line(table, line, cells, index, cmap)
    return table


def _check_not_a_line(line: int, cells: list[str], index: dict[str, int],
                      cmap: ColumnMap) -> None:
    at = index[cmap.date]
    if len(cells) > at and len(cells) >= len(index) and cells[at].strip():
        try:
            common.parse_date(cells[at], line)
        except ReconcileError:
            return
        common.refuse(line, "a table row after the summary lines")


def _amount_and_direction(line: int, get: dict[str, str],
                          cmap: ColumnMap) -> tuple[Direction, int, bool, int, int]:
    """(direction, amount, red ink?, as printed in the debit column, in the credit column)."""
    if cmap.two_columns:
        debit = common.amount_fen(get[cmap.debit], line, cmap.debit, signed=True) \
            if get[cmap.debit].strip() else 0
        credit = common.amount_fen(get[cmap.credit], line, cmap.credit, signed=True) \
            if get[cmap.credit].strip() else 0
        if (debit != 0) == (credit != 0):
            common.refuse(line, "exactly one of the debit and credit columns holds an amount")
        signed = credit - debit
        direction = Direction.CREDIT if signed > 0 else Direction.DEBIT
        return direction, abs(signed), (debit or credit) < 0, debit, credit
    amount = common.amount_fen(get[cmap.amount], line, cmap.amount, signed=True)
    token = get[cmap.direction].strip() if cmap.direction else ""
    if cmap.direction and token in cmap.direction_debit:
        direction = Direction.DEBIT
    elif cmap.direction and token in cmap.direction_credit:
        direction = Direction.CREDIT
    elif cmap.direction:
        common.refuse(line, f"direction {token[:20]!r} is none of the layout's tokens")
    else:
        direction = Direction.DEBIT if amount < 0 else Direction.CREDIT
    if cmap.direction and amount < 0 and direction is Direction.CREDIT:
        common.refuse(line, "a negative amount marked as a credit")
    if amount == 0:
        common.refuse(line, "the amount is zero")
    debit_printed = abs(amount) if direction is Direction.DEBIT else 0
    return direction, abs(amount), False, debit_printed, abs(amount) - debit_printed


def _add_line(table: _Table, line: int, cells: list[str], index: dict[str, int],
              cmap: ColumnMap) -> None:
    get = {name: cells[at] if at < len(cells) else "" for name, at in index.items()}
    value_date = common.parse_date(get[cmap.date], line, cmap.date)
    booking = (common.parse_date(get[cmap.booking_date], line, cmap.booking_date)
               if cmap.booking_date else value_date)
    direction, amount, red_ink, debit, credit = _amount_and_direction(line, get, cmap)
    bank_ref = common.check_text(get[cmap.bank_ref], line, cmap.bank_ref)
    if not bank_ref:
        common.refuse(line, f"{cmap.bank_ref} (the bank's reference) is empty")
    balance = get.get(cmap.balance, "").strip() if cmap.balance else ""
    reversed_ = red_ink or bool(cmap.reversal
                                and get[cmap.reversal].strip() in cmap.reversal_tokens)

    def text(name: str) -> str:
        return common.check_text(get[name], line, name) if name else ""

    table.lines.append(StatementLine(
        line_no=line, value_date=value_date, booking_date=booking, direction=direction,
        amount_fen=amount, bank_ref=bank_ref, end_to_end_ref=text(cmap.end_to_end_ref),
        counterparty_account=text(cmap.counterparty_account),
        counterparty_name=text(cmap.counterparty_name),
        description=" / ".join(t for t in (text(n) for n in cmap.description) if t),
        status=LineStatus.REVERSED if reversed_ else LineStatus.BOOKED,
        balance_after_fen=(common.amount_fen(balance, line, cmap.balance, signed=True)
                           if balance else None)))
    table.debit_printed_fen += debit
    table.credit_printed_fen += credit
    if cmap.account:
        table.accounts.add(text(cmap.account))


def _label(table: _Table, labels: tuple[str, ...]) -> tuple[int, str] | None:
    for label in labels:
        found = table.labels.get(_norm(label))
        if found is not None:
            return found
    return None


def _label_amount(table: _Table, labels: tuple[str, ...]) -> int | None:
    found = _label(table, labels)
    if found is None:
        return None
    line, value = found
    # Some banks print the currency before the figure ("人民币 1,234.56", "CNY1,234.56").
    figure = re.sub(r"^(人民币|CNY|RMB|元)\s*", "", value.strip())
    figure = re.sub(r"\s*元$", "", figure)
    return common.amount_fen(figure, line, labels[0], signed=True)


def _period(table: _Table) -> tuple[date, date] | None:
    if not table.lines:
        return None
    dates = [line.booking_date for line in table.lines]
    return min(dates), max(dates)


def _stated_period(table: _Table, cmap: ColumnMap) -> tuple[date, date] | None:
    start, end = _label(table, cmap.from_labels), _label(table, cmap.to_labels)
    if start and end:
        return (common.parse_date(start[1], start[0], cmap.from_labels[0]),
                common.parse_date(end[1], end[0], cmap.to_labels[0]))
    period = _label(table, cmap.period_labels)
    if period:
        found = _PERIOD_DATES.findall(period[1])
        if len(found) != 2:
            common.refuse(period[0], f"period {period[1][:40]!r} does not hold two dates")
        return (common.parse_date(found[0], period[0], "period"),
                common.parse_date(found[1], period[0], "period"))
    return _period(table)


def _balances(table: _Table, cmap: ColumnMap) -> tuple[int, int]:
    opening = _label_amount(table, cmap.opening_labels)
    closing = _label_amount(table, cmap.closing_labels)
    first = table.lines[0] if table.lines else None
    if opening is None and first is not None and first.balance_after_fen is not None:
        opening = first.balance_after_fen - first.signed_fen
    if closing is None and table.lines and table.lines[-1].balance_after_fen is not None:
        closing = table.lines[-1].balance_after_fen
    if opening is None or closing is None:
        common.refuse(0, "the file states no opening or no closing balance")
    running = opening
    for line in table.lines:
        running += line.signed_fen
        if line.balance_after_fen is not None and line.balance_after_fen != running:
            raise ReconcileError(
                Refusal.STATEMENT_BALANCE_MISMATCH,
                f"line {line.line_no}: balance {line.balance_after_fen} does not continue "
                f"the balance before it ({running - line.signed_fen} + {line.signed_fen})",
                line=line.line_no, expected_fen=running, stated_fen=line.balance_after_fen)
    return opening, closing


def _check_totals(table: _Table, cmap: ColumnMap) -> None:
    count = _label(table, cmap.count_labels)
    if count is not None:
        if not _COUNT.fullmatch(count[1].strip()):
            common.refuse(count[0], f"count {count[1][:20]!r} is not a whole number")
        _totals_equal(count[0], "count", int(count[1]), len(table.lines))
    for labels, computed in ((cmap.debit_total_labels, table.debit_printed_fen),
                             (cmap.credit_total_labels, table.credit_printed_fen)):
        stated = _label_amount(table, labels)
        found = _label(table, labels)
        if stated is not None and found is not None:
            _totals_equal(found[0], labels[0], stated, computed)


def _totals_equal(line: int, what: str, stated: int, computed: int) -> None:
    if stated != computed:
        raise ReconcileError(Refusal.STATEMENT_CONTROL_TOTALS_MISMATCH,
                             f"line {line}: {what} stated {stated}, the lines give {computed}",
                             line=line, total=what, stated=stated, computed=computed)


def statement_from_rows(rows: Iterable[Row], cmap: ColumnMap, *, source_format: str,
                        data: bytes, account_no: str | None) -> Statement:
    """The statement a bank export's rows make under a layout (balances checked)."""
    table = read_table(rows, cmap)
    stated_account = _label(table, cmap.account_labels)
    accounts = set(table.accounts)
    if stated_account:
        accounts.add(_SPACE.sub("", stated_account[1]))
    accounts.discard("")
    if len(accounts) > 1:
        raise ReconcileError(Refusal.STATEMENT_ACCOUNT_MISMATCH,
                             f"the file names several accounts: {sorted(accounts)[:3]}",
                             stated=",".join(sorted(accounts)[:3]), given=account_no or "")
    account = common.resolve_account(accounts.pop() if accounts else "", account_no)
    period = _stated_period(table, cmap)
    if period is None:
        common.refuse(0, "the file states no period and holds no lines")
    opening, closing = _balances(table, cmap)
    _check_totals(table, cmap)
    statement = Statement(
        source_format=source_format,
        statement_id=common.derived_id(source_format, account, period[0], period[1], data),
        account_no=account, currency=cmap.currency, from_date=period[0], to_date=period[1],
        opening_balance_fen=opening, closing_balance_fen=closing, lines=tuple(table.lines))
    return common.check_balances(statement)


def read_csv(data: bytes, cmap: ColumnMap, *, source_format: str,
             account_no: str | None) -> Statement:
    text = common.decode(data)
    return statement_from_rows(csv_rows(text, cmap.delimiter), cmap,
                               source_format=source_format, data=data, account_no=account_no)


def read_xlsx(data: bytes, cmap: ColumnMap, *, source_format: str,
              account_no: str | None) -> Statement:
    return statement_from_rows(xlsx_rows(data), cmap, source_format=source_format, data=data,
                               account_no=account_no)
