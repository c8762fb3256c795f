"""Day cutover and day-end facts (R-L7, R-L8), gathered set-based in SQL."""

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, insert, select, text, update

from cunguan.ledger.daybook import AccountDay, DayFacts
from cunguan.ledger.model import Side
from cunguan.ledger.store.tables import (
    DAY_LOCK_EXCLUSIVE_SQL,
    day_balances,
    ledger_days,
    tenants,
)

OPEN, CUT_OVER, CLOSED = "open", "cut_over", "closed"


def close_state(conn: Connection, tenant_id: str, asked: date | None
                ) -> tuple[date, date | None, date | None, bool] | None:
    """For a close (R-L7): the open day (the tenant's row locked on PostgreSQL, so that
    closes and cutovers of one tenant queue), the day cut over awaiting its close, the latest
    day closed, and whether the ``asked`` day is closed; None when there is no tenant."""
    query = select(tenants.c.accounting_date).where(tenants.c.tenant_id == tenant_id)
    if conn.dialect.name == "postgresql":
        query = query.with_for_update()
    open_day: date | None = conn.execute(query).scalar_one_or_none()
    if open_day is None:
        return None
    d = ledger_days.c
    last_closed = conn.execute(select(d.accounting_date).where(
        d.tenant_id == tenant_id, d.status == CLOSED,
    ).order_by(d.accounting_date.desc()).limit(1)).scalar_one_or_none()
    asked_closed = asked is not None and conn.execute(select(d.status).where(
        d.tenant_id == tenant_id, d.accounting_date == asked)).scalar_one_or_none() == CLOSED
    return open_day, pending_close(conn, tenant_id), last_closed, asked_closed


def pending_close(conn: Connection, tenant_id: str) -> date | None:
    """A day already cut over whose close has not passed yet (it is retried first)."""
    d = ledger_days.c
    return conn.execute(select(d.accounting_date).where(
        d.tenant_id == tenant_id, d.status == CUT_OVER).order_by(d.accounting_date)
    ).scalars().first()


def cut_over(conn: Connection, tenant_id: str,
             is_working_day: Callable[[date], bool]) -> date | None:
    """Switch the tenant's accounting date T → T+1 (日切); returns T, or None (no tenant).

    On PostgreSQL the day lock, taken exclusive, waits for every posting transaction holding
    it shared (``tables.DAY_LOCK_CLASS``), so once this commits no posting can be dated T any
    more; the row lock queues cutovers and closes of one tenant.
    """
    query = select(tenants.c.accounting_date).where(tenants.c.tenant_id == tenant_id)
    if conn.dialect.name == "postgresql":
        conn.execute(text(DAY_LOCK_EXCLUSIVE_SQL), {"tenant_id": tenant_id})
        query = query.with_for_update()
    day: date | None = conn.execute(query).scalar_one_or_none()
    if day is None:
        return None
    next_day = day + timedelta(days=1)
    conn.execute(update(tenants).where(tenants.c.tenant_id == tenant_id)
                 .values(accounting_date=next_day))
    conn.execute(update(ledger_days).where(
        ledger_days.c.tenant_id == tenant_id, ledger_days.c.accounting_date == day,
    ).values(status=CUT_OVER))
    conn.execute(insert(ledger_days).values(
        tenant_id=tenant_id, accounting_date=next_day, status=OPEN,
        is_working_day=int(is_working_day(next_day)), report=""))
    return day


def previous_close(conn: Connection, tenant_id: str, day: date) -> date | None:
    d = ledger_days.c
    return conn.execute(select(d.accounting_date).where(
        d.tenant_id == tenant_id, d.status == CLOSED, d.accounting_date < day,
    ).order_by(d.accounting_date.desc()).limit(1)).scalar_one_or_none()


_SIGNED = "CASE WHEN f.side = a.normal_side THEN f.amount_fen ELSE -f.amount_fen END"


def _pairs(conn: Connection, sql: str, **params: Any) -> dict[str, Any]:
    return {row[0]: row[1:] for row in conn.execute(text(sql), params)}


def _lines_since_close(dialect: str) -> str:
    """FROM the tenant's accounts (``a``) joined to each account's fund-log lines (``f``)
    after its line last closed (``day_balances.last_entry_seq`` of the previous close
    ``:p``; all its lines when there is none), read through the fund log's primary key.

    Per account, later lines never carry an earlier accounting date (migration 0013), so
    these are the lines of the day being closed followed by those of the days after it. On
    PostgreSQL a lateral subquery (``OFFSET 0`` keeps the planner from flattening it into a
    plain join) reads each account's lines through the primary key, where a join may scan the
    whole history; SQLite joins in nested loops by the key anyway.
    """
    since = ("f.tenant_id = a.tenant_id AND f.account_no = a.account_no "
             "AND f.entry_seq > COALESCE(b.last_entry_seq, 0)")
    lines = (f"CROSS JOIN LATERAL (SELECT * FROM fund_log f WHERE {since} OFFSET 0) f"
             if dialect == "postgresql" else f"JOIN fund_log f ON {since}")
    return ("FROM accounts a LEFT JOIN day_balances b ON b.tenant_id = a.tenant_id "
            f"AND b.accounting_date = :p AND b.account_no = a.account_no {lines} "
            "WHERE a.tenant_id = :t")


#: Per account: the day's debits and credits, the net postings dated after it, and its last
#: line dated the day or before with the balance and frozen amount after that line.
_ACCOUNT_LINES = """
WITH day AS (
    SELECT a.account_no,
        SUM(CASE WHEN f.accounting_date = :d AND f.line_kind = 'posting' AND f.side = 'D'
            THEN f.amount_fen ELSE 0 END) AS debit_fen,
        SUM(CASE WHEN f.accounting_date = :d AND f.line_kind = 'posting' AND f.side = 'C'
            THEN f.amount_fen ELSE 0 END) AS credit_fen,
        SUM(CASE WHEN f.accounting_date > :d AND f.line_kind = 'posting'
            THEN {signed} ELSE 0 END) AS later_fen,
        MAX(CASE WHEN f.accounting_date <= :d THEN f.entry_seq END) AS last_seq
    {since}
    GROUP BY a.account_no)
SELECT day.account_no, day.debit_fen, day.credit_fen, day.later_fen, day.last_seq,
    last.balance_after_fen, last.frozen_after_fen
FROM day LEFT JOIN fund_log last ON last.tenant_id = :t
    AND last.account_no = day.account_no AND last.entry_seq = day.last_seq
"""

_UNBALANCED = """
SELECT f.tx_id, SUM(CASE WHEN f.side = 'D' THEN f.amount_fen ELSE -f.amount_fen END)
{since} AND f.accounting_date = :d AND f.line_kind = 'posting'
GROUP BY f.tx_id
HAVING SUM(CASE WHEN f.side = 'D' THEN f.amount_fen ELSE -f.amount_fen END) <> 0
ORDER BY f.tx_id
"""


def gather_facts(conn: Connection, tenant_id: str, day: date) -> DayFacts:
    """Everything the checks need, read in one snapshot."""
    p = {"t": tenant_id, "d": day, "p": previous_close(conn, tenant_id, day)}
    since = _lines_since_close(conn.dialect.name)
    opening = _pairs(conn, "SELECT account_no, balance_fen, frozen_fen, last_entry_seq "
                     "FROM day_balances WHERE tenant_id = :t AND accounting_date = :p", **p)
    lines = _pairs(conn, _ACCOUNT_LINES.format(signed=_SIGNED, since=since), **p)
    held = _pairs(conn, "SELECT account_no, SUM(amount_fen) FROM holds "
                  "WHERE tenant_id = :t AND status = 'open' GROUP BY account_no", t=tenant_id)
    rows = conn.execute(text(
        "SELECT account_no, subject_code, normal_side, balance_fen, frozen_fen FROM accounts "
        "WHERE tenant_id = :t ORDER BY account_no"), {"t": tenant_id})
    accounts = [_account_day(row, opening.get(row[0], (0, 0, 0)),
                             lines.get(row[0], (0, 0, 0, None, None, None)),
                             int(held.get(row[0], (0,))[0])) for row in rows]
    unbalanced = conn.execute(text(_UNBALANCED.format(since=since)), p).all()
    return DayFacts(tenant_id, day, accounts, [(int(r[0]), int(r[1])) for r in unbalanced])


def _account_day(account: Any, opening: Any, lines: Any, held_fen: int) -> AccountDay:
    """An account's day from its row, its previous snapshot (balance, frozen, last line) and
    its lines since (``_ACCOUNT_LINES``); an account without a line dated the day or before
    since the snapshot keeps the snapshot's balance, frozen amount and last line."""
    account_no, subject_code, side, balance_fen, frozen_fen = account
    opening_fen, opening_frozen_fen, opening_seq = (int(v) for v in opening)
    debit_fen, credit_fen, later_fen, last_seq, last_fen, last_frozen_fen = lines
    moved = last_seq is not None
    return AccountDay(
        account_no, subject_code, Side(side), opening_fen, int(debit_fen), int(credit_fen),
        int(last_fen) if moved else opening_fen, int(later_fen), balance_fen, frozen_fen,
        held_fen, int(last_seq) if moved else opening_seq,
        int(last_frozen_fen) if moved else opening_frozen_fen)


def record_close(conn: Connection, facts: DayFacts, report: str, closed_at: datetime) -> bool:
    """Mark the day closed and snapshot its balances — only if it is still cut over: False
    when another close got there first (a day closes once)."""
    if not mark_day(conn, facts.tenant_id, facts.accounting_date, CLOSED, report, closed_at):
        return False
    rows = [{
        "tenant_id": facts.tenant_id, "accounting_date": facts.accounting_date,
        "account_no": a.account_no, "subject_code": a.subject_code,
        "normal_side": a.normal_side.value, "balance_fen": a.closing_fen,
        "frozen_fen": a.last_line_frozen_fen, "debit_fen": a.debit_fen,
        "credit_fen": a.credit_fen, "last_entry_seq": a.last_entry_seq,
    } for a in facts.accounts]
    if rows:
        conn.execute(insert(day_balances), rows)
    return True


def mark_day(conn: Connection, tenant_id: str, day: date, status: str, report: str,
             closed_at: datetime | None) -> bool:
    """Set a cut-over day's status and report; False when the day is no longer cut over."""
    return conn.execute(update(ledger_days).where(
        ledger_days.c.tenant_id == tenant_id, ledger_days.c.accounting_date == day,
        ledger_days.c.status == CUT_OVER,
    ).values(status=status, report=report, closed_at=closed_at)).rowcount == 1


def list_days(conn: Connection, tenant_id: str, rows_max: int) -> list[tuple[Any, ...]]:
    d = ledger_days.c
    return [tuple(r) for r in conn.execute(select(
        d.accounting_date, d.status, d.is_working_day, d.closed_at, d.report,
    ).where(d.tenant_id == tenant_id).order_by(d.accounting_date.desc()).limit(rows_max))]


def subject_balances(conn: Connection, tenant_id: str, day: date) -> list[tuple[Any, ...]]:
    """(subject, normal side, debits, credits, closing balance) per subject for a closed day."""
    return [tuple(r) for r in conn.execute(text(
        "SELECT subject_code, normal_side, SUM(debit_fen), SUM(credit_fen), SUM(balance_fen) "
        "FROM day_balances WHERE tenant_id = :t AND accounting_date = :d "
        "GROUP BY subject_code, normal_side ORDER BY subject_code"),
        {"t": tenant_id, "d": day})]
