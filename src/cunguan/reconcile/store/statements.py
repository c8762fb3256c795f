"""Statement imports and their lines: what each bank said, kept as the bank said it, one
import per file and per statement id."""

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from sqlalchemy import Connection, insert, select

from cunguan.core import limits
from cunguan.core.process import collection_paused
from cunguan.reconcile.rules.statements import Direction, LineStatus, Statement, StatementLine
from cunguan.reconcile.store.tables import reconcile_lines, reconcile_statements

_s = reconcile_statements.c
_l = reconcile_lines.c


def by_file(conn: Connection, file_sha256: str) -> Any:
    """The import of this file, or None."""
    return conn.execute(select(reconcile_statements).where(
        _s.file_sha256 == file_sha256)).first()


def by_import(conn: Connection, import_id: int) -> Any:
    """The import of this id, or None."""
    return conn.execute(select(reconcile_statements).where(
        _s.import_id == import_id)).first()


def by_statement_id(conn: Connection, account_no: str, statement_id: str) -> Any:
    """The import of this statement of the account, or None."""
    return conn.execute(select(reconcile_statements).where(
        _s.account_no == account_no, _s.statement_id == statement_id)).first()


def last_of(conn: Connection, account_no: str) -> Any:
    """The account's latest statement (the one a new statement must continue), or None."""
    return conn.execute(select(reconcile_statements).where(_s.account_no == account_no)
                        .order_by(_s.to_date.desc(), _s.import_id.desc()).limit(1)).first()


def insert_statement(conn: Connection, statement: Statement, row: dict[str, Any]) -> int:
    """The import's row; ``row`` carries the digests, when and by whom. Its import id."""
    result = conn.execute(insert(reconcile_statements).values(
        account_no=statement.account_no, statement_id=statement.statement_id,
        source_format=statement.source_format, currency=statement.currency,
        from_date=statement.from_date, to_date=statement.to_date,
        opening_balance_fen=statement.opening_balance_fen,
        closing_balance_fen=statement.closing_balance_fen, line_count=len(statement.lines),
        **row).returning(_s.import_id))
    return int(result.scalar_one())


def line_key(import_id: int, line_no: int) -> str:
    """A line's stable key: its import and its place in the file."""
    return f"S{import_id}L{line_no}"


#: Each enum member's text, as ``str()`` gives it (a lookup instead of a call a row).
_TEXT = {member: str(member) for kind in (Direction, LineStatus) for member in kind}


def _row(import_id: int, account_no: str, line: StatementLine) -> dict[str, Any]:
    # Narrative text is kept to the column's width: it explains, it is never matched on.
    return {"import_id": import_id, "line_no": line.line_no,
            "line_key": f"S{import_id}L{line.line_no}",   # line_key(), inlined
            "account_no": account_no,
            "value_date": line.value_date, "booking_date": line.booking_date,
            "direction": _TEXT[line.direction], "amount_fen": line.amount_fen,
            "fee_fen": line.fee_fen, "status": _TEXT[line.status], "bank_ref": line.bank_ref,
            "end_to_end_ref": line.end_to_end_ref,
            "counterparty_account": line.counterparty_account,
            "counterparty_name": line.counterparty_name[:128],
            "description": line.description[:256], "balance_after_fen": line.balance_after_fen,
            "original_ref": line.original_ref}


def rows(import_id: int, account_no: str,
         lines: Sequence[StatementLine]) -> list[dict[str, Any]]:
    """The rows ``insert_lines`` writes for these lines (a dict each, kept: no collection
    while they are built, see ``collection_paused``)."""
    with collection_paused():
        return [_row(import_id, account_no, line) for line in lines]


def insert_lines(conn: Connection, import_id: int, account_no: str,
                 lines: Sequence[StatementLine]) -> None:
    if lines:
        conn.execute(insert(reconcile_lines), rows(import_id, account_no, lines))


def statement_line(row: Any) -> StatementLine:
    """A stored line as the record it was imported from."""
    return StatementLine(
        line_no=row.line_no, value_date=row.value_date, booking_date=row.booking_date,
        direction=Direction(row.direction), amount_fen=row.amount_fen, bank_ref=row.bank_ref,
        end_to_end_ref=row.end_to_end_ref, counterparty_account=row.counterparty_account,
        counterparty_name=row.counterparty_name, description=row.description,
        status=LineStatus(row.status), fee_fen=row.fee_fen,
        balance_after_fen=row.balance_after_fen, original_ref=row.original_ref)


def lines_of_day(conn: Connection, account_no: str,
                 day: date) -> list[tuple[str, str, StatementLine]]:
    """(line key, account no., line) of every line the bank booked on the account that day."""
    rows = conn.execute(select(reconcile_lines).where(
        _l.account_no == account_no, _l.booking_date == day).order_by(_l.import_id, _l.line_no))
    return [(row.line_key, row.account_no, statement_line(row)) for row in rows]


def lines_of_import(conn: Connection, import_id: int) -> list[tuple[str, StatementLine]]:
    """(line key, line) of every line of an import, in the file's order."""
    rows = conn.execute(select(reconcile_lines).where(_l.import_id == import_id)
                        .order_by(_l.line_no))
    return [(row.line_key, statement_line(row)) for row in rows]


def lines_by_key(conn: Connection, keys: Iterable[str]) -> list[tuple[str, str, StatementLine]]:
    """The lines of these keys (lines carried forward in transit)."""
    wanted = sorted(set(keys))
    step = limits.keys_per_statement_max
    rows = [row for start in range(0, len(wanted), step)
            for row in conn.execute(select(reconcile_lines).where(
                _l.line_key.in_(wanted[start:start + step])))]
    rows.sort(key=lambda row: (row.import_id, row.line_no))
    return [(row.line_key, row.account_no, statement_line(row)) for row in rows]


def statements(conn: Connection, account_no: str, first: date, last: date) -> list[Any]:
    """The account's statements whose period ends within [first, last], oldest first."""
    return list(conn.execute(select(reconcile_statements).where(
        _s.account_no == account_no, _s.to_date.between(first, last))
        .order_by(_s.to_date, _s.import_id)).all())
