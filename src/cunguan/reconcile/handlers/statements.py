"""Importing a bank statement (R-B2 (3), R-C15): the file parsed whole, then written in one
transaction or not at all; then, for a custody platform's custody account or a quick-pay
channel's, custody's actions the lines ask for (``custody_actions.py``), on a replay too
(they replay: nothing happens twice).

Idempotent twice over: the same file again (by its SHA-256) answers the first import, before
it is even parsed; the same statement id of the account again answers it too when its content
is the same (another file of the same statement), and is refused
``duplicate_with_different_content`` when not. A statement whose opening balance does not
continue the closing balance of the account's last one (or that starts before it ends) is
refused ``statement_not_continuous``: a gap or an overlap would make every later balance check
wrong, so nothing of it is written.
"""

import hashlib
import json
from dataclasses import dataclass, fields, is_dataclass, replace
from operator import attrgetter
from typing import Any, Final

from cunguan.core import limits
from cunguan.db.connection import Connection, read_connection
from cunguan.reconcile import formats
from cunguan.reconcile.handlers.base import Progress, no_progress
from cunguan.reconcile.handlers.custody_actions import CustodyActions
from cunguan.reconcile.rules import register
from cunguan.reconcile.rules.refusals import ReconcileError, Refusal
from cunguan.reconcile.rules.returns import OutcomeKind, ReturnOutcome
from cunguan.reconcile.rules.statements import Statement, StatementLine
from cunguan.reconcile.store import statements as store


@dataclass(frozen=True, slots=True)
class Imported:
    """What an import answers (the first import's, on a replay), with what custody did for
    its lines (R-C15): ``outcomes`` one per line acted on (and per channel day settled)."""

    import_id: int
    account_no: str
    statement_id: str
    lines: int
    opening_balance_fen: int
    closing_balance_fen: int
    replayed: bool
    outcomes: tuple[ReturnOutcome, ...] = ()

    @property
    def reversed(self) -> int:
        """Withdrawals reversed for the file's lines (now or by an earlier import of it)."""
        return sum(o.kind in (OutcomeKind.REVERSED, OutcomeKind.ALREADY_REVERSED)
                   for o in self.outcomes)

    @property
    def settled_days(self) -> int:
        return sum(o.kind is OutcomeKind.SETTLED for o in self.outcomes)

    @property
    def breaks(self) -> int:
        """Lines (or channel days) custody could not act on, kept as breaks."""
        return sum(o.is_break for o in self.outcomes)


def _imported(row: Any, *, replayed: bool) -> Imported:
    return Imported(row.import_id, row.account_no, row.statement_id, row.line_count,
                    row.opening_balance_fen, row.closing_balance_fen, replayed)


def content_digest(statement: Statement) -> str:
    """The statement's content, whatever file or format it came in: the SHA-256 of the JSON of
    ``dataclasses.asdict(statement)`` without its source format (stored with every import, so
    it never changes: a replay is recognised by it)."""
    content = _plain(statement)
    content.pop("source_format")
    return hashlib.sha256(json.dumps(content, sort_keys=True, default=str).encode()).hexdigest()


_LINE_FIELDS: Final = tuple(f.name for f in fields(StatementLine))
_line_values: Final = attrgetter(*_LINE_FIELDS)


def _plain(value: Any) -> Any:
    """What ``asdict`` makes of ``value`` for JSON, without its deep copies of every leaf (the
    same JSON; a third of the time on a million lines, where ``asdict`` took as long as reading
    them). A statement line's fields are all leaves."""
    if type(value) is StatementLine:
        return dict(zip(_LINE_FIELDS, _line_values(value), strict=True))
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, tuple | list):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {_plain(key): _plain(item) for key, item in value.items()}
    return value


class Statements(CustodyActions):
    def import_file(self, data: bytes, format_name: str, *, operator: str,
                    account_no: str | None = None,
                    progress: Progress = no_progress) -> Imported:
        """Parse ``data`` in ``format_name`` and import it; the same file again is a replay."""
        who = register.operator(operator)
        if not isinstance(data, bytes | bytearray):
            raise ReconcileError(Refusal.FIELD_INVALID, "data: the file's bytes", field="data",
                                 reason=f"must be bytes, got {type(data).__name__}")
        if account_no is not None:
            account_no = register.bank_account_no(account_no, "account")
        file_sha256 = hashlib.sha256(data).hexdigest()
        with read_connection(self.engine) as conn:
            found = store.by_file(conn, file_sha256)
        if found is not None:
            return self._acted(_imported(found, replayed=True), who)
        statement = formats.read_statement(data, format_name, account_no=account_no)
        if account_no is not None and statement.account_no != account_no:
            raise ReconcileError(Refusal.FIELD_INVALID, f"the statement is of account "
                                 f"{statement.account_no}, not {account_no}", field="account",
                                 reason="not the statement's account")
        return self.import_statement(statement, file_sha256=file_sha256, operator=who,
                                     progress=progress)

    def import_statement(self, statement: Statement, *, file_sha256: str, operator: str,
                         progress: Progress = no_progress) -> Imported:
        """Import a parsed statement (its file's digest given): one transaction."""
        who = register.operator(operator)
        digest = content_digest(statement)

        def work(conn: Connection) -> Imported:
            # The account's row locked first: its imports queue, so each sees the last one.
            account = self.need_account(conn, statement.account_no, lock=True)
            found = store.by_file(conn, file_sha256)
            if found is None:
                found = self._same_statement(conn, statement, digest)
            if found is not None:
                return _imported(found, replayed=True)
            self._check(conn, statement, account)
            import_id = store.insert_statement(conn, statement, {
                "file_sha256": file_sha256, "content_sha256": digest,
                "imported_at": self.clock(), "operator": who})
            total, step = len(statement.lines), limits.import_progress_every_lines
            for start in range(0, total, step):
                store.insert_lines(conn, import_id, statement.account_no,
                                   statement.lines[start:start + step])
                progress(min(start + step, total), total)
            return Imported(import_id, statement.account_no, statement.statement_id, total,
                            statement.opening_balance_fen, statement.closing_balance_fen,
                            replayed=False)
        return self._acted(self.unit(work), who)

    def _acted(self, imported: Imported, operator: str) -> Imported:
        outcomes = self.act_on_import(imported.import_id, imported.account_no, operator)
        return replace(imported, outcomes=outcomes)

    def _same_statement(self, conn: Connection, statement: Statement, digest: str) -> Any:
        """The earlier import of this statement id, when its content is the same; another
        content under the id is refused."""
        found = store.by_statement_id(conn, statement.account_no, statement.statement_id)
        if found is not None and found.content_sha256 != digest:
            raise ReconcileError(
                Refusal.DUPLICATE_WITH_DIFFERENT_CONTENT,
                f"statement {statement.statement_id} of {statement.account_no} was imported "
                f"(import {found.import_id}) with other content", import_id=found.import_id)
        return found

    def _check(self, conn: Connection, statement: Statement, account: Any) -> None:
        """The account's currency, the balances adding up and continuing."""
        if statement.currency != account.currency:
            raise ReconcileError(Refusal.FIELD_INVALID, f"the statement is in "
                                 f"{statement.currency}, the account in {account.currency}",
                                 field="currency", reason="not the account's currency")
        if not statement.balances_continue():
            raise ReconcileError(Refusal.STATEMENT_BALANCE_MISMATCH,
                                 f"opening {statement.opening_balance_fen} + movement "
                                 f"{statement.movement_fen} ≠ closing "
                                 f"{statement.closing_balance_fen}")
        last = store.last_of(conn, statement.account_no)
        if last is None or not statement.balances_stated:
            return   # a file that states no balances (a channel's) continues nothing
        if (statement.opening_balance_fen != last.closing_balance_fen
                or statement.from_date < last.to_date):
            raise ReconcileError(
                Refusal.STATEMENT_NOT_CONTINUOUS,
                f"statement {statement.statement_id} opens at {statement.opening_balance_fen} "
                f"from {statement.from_date}; the last one ({last.statement_id}) closed at "
                f"{last.closing_balance_fen} on {last.to_date}",
                last_statement_id=last.statement_id,
                last_closing_balance_fen=last.closing_balance_fen,
                opening_balance_fen=statement.opening_balance_fen)
