"""Day cutover and day-end facts (R-L7, R-L8), gathered set-based in SQL."""

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, insert, select, text, update

from cunguan.adapters.store.tables import day_balances, ledger_days, tenants
from cunguan.ledger.daybook import AccountDay, DayFacts
from cunguan.ledger.model import Side

OPEN, CUT_OVER, CLOSED = "open", "cut_over", "closed"


def pending_close(conn: Connection, tenant_id: str) -> date | None:
    """A day already cut over whose close has not passed yet (it is retried first)."""
    d = ledger_days.c
    return conn.execute(select(d.accounting_date).where(
        d.tenant_id == tenant_id, d.status == CUT_OVER).order_by(d.accounting_date)
    ).scalars().first()


def cut_over(conn: Connection, tenant_id: str,
             is_working_day: Callable[[date], bool]) -> date | None:
    """Switch the tenant's accounting date T → T+1 (日切); returns T, or None (no tenant).

    On PostgreSQL the row lock waits for every posting transaction holding the share lock, so
    once this commits no posting can be dated T any more.
    """
    query = select(tenants.c.accounting_date).where(tenants.c.tenant_id == tenant_id)
    if conn.dialect.name == "postgresql":
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


def gather_facts(conn: Connection, tenant_id: str, day: date) -> DayFacts:
    """Everything the checks need, read in one snapshot."""
    prev = previous_close(conn, tenant_id, day)
    p = {"t": tenant_id, "d": day}
    opening = _pairs(conn, "SELECT account_no, balance_fen FROM day_balances "
                     "WHERE tenant_id = :t AND accounting_date = :p", t=tenant_id, p=prev)
    moves = _pairs(conn, "SELECT account_no, "
                   "SUM(CASE WHEN side = 'D' THEN amount_fen ELSE 0 END), "
                   "SUM(CASE WHEN side = 'C' THEN amount_fen ELSE 0 END) FROM fund_log "
                   "WHERE tenant_id = :t AND accounting_date = :d AND line_kind = 'posting' "
                   "GROUP BY account_no", **p)
    last = _pairs(conn, "SELECT f.account_no, f.balance_after_fen FROM fund_log f JOIN ("
                  "SELECT account_no, MAX(entry_seq) AS seq FROM fund_log "
                  "WHERE tenant_id = :t AND accounting_date = :d GROUP BY account_no) x "
                  "ON f.account_no = x.account_no AND f.entry_seq = x.seq "
                  "WHERE f.tenant_id = :t", **p)
    later = _pairs(conn, f"SELECT f.account_no, SUM({_SIGNED}) FROM fund_log f "
                   "JOIN accounts a ON a.tenant_id = f.tenant_id AND a.account_no = f.account_no "
                   "WHERE f.tenant_id = :t AND f.accounting_date > :d "
                   "AND f.line_kind = 'posting' GROUP BY f.account_no", **p)
    held = _pairs(conn, "SELECT account_no, SUM(amount_fen) FROM holds "
                  "WHERE tenant_id = :t AND status = 'open' GROUP BY account_no", t=tenant_id)
    rows = conn.execute(text(
        "SELECT account_no, subject_code, normal_side, balance_fen, frozen_fen FROM accounts "
        "WHERE tenant_id = :t ORDER BY account_no"), {"t": tenant_id})
    accounts = []
    for account_no, subject_code, side, balance_fen, frozen_fen in rows:
        opening_fen = int(opening.get(account_no, (0,))[0])
        debit_fen, credit_fen = (int(v) for v in moves.get(account_no, (0, 0)))
        last_line = last.get(account_no)
        accounts.append(AccountDay(
            account_no, subject_code, Side(side), opening_fen, debit_fen, credit_fen,
            int(last_line[0]) if last_line else opening_fen,
            int(later.get(account_no, (0,))[0]), balance_fen, frozen_fen,
            int(held.get(account_no, (0,))[0])))
    unbalanced = conn.execute(text(
        "SELECT tx_id, SUM(CASE WHEN side = 'D' THEN amount_fen ELSE -amount_fen END) "
        "FROM fund_log WHERE tenant_id = :t AND accounting_date = :d AND line_kind = 'posting' "
        "GROUP BY tx_id HAVING SUM(CASE WHEN side = 'D' THEN amount_fen ELSE -amount_fen END) "
        "<> 0 ORDER BY tx_id"), p).all()
    return DayFacts(tenant_id, day, accounts, [(int(r[0]), int(r[1])) for r in unbalanced])


def record_close(conn: Connection, facts: DayFacts, report: str, closed_at: datetime) -> None:
    """Snapshot the day's balances and mark the day closed."""
    frozen: dict[str, int] = dict(conn.execute(text(
        "SELECT f.account_no, f.frozen_after_fen FROM fund_log f JOIN ("
        "SELECT account_no, MAX(entry_seq) AS seq FROM fund_log "
        "WHERE tenant_id = :t AND accounting_date <= :d GROUP BY account_no) x "
        "ON f.account_no = x.account_no AND f.entry_seq = x.seq WHERE f.tenant_id = :t"),
        {"t": facts.tenant_id, "d": facts.accounting_date}).tuples().all())
    rows = [{
        "tenant_id": facts.tenant_id, "accounting_date": facts.accounting_date,
        "account_no": a.account_no, "subject_code": a.subject_code,
        "normal_side": a.normal_side.value, "balance_fen": a.closing_fen,
        "frozen_fen": int(frozen.get(a.account_no, 0)), "debit_fen": a.debit_fen,
        "credit_fen": a.credit_fen,
    } for a in facts.accounts]
    if rows:
        conn.execute(insert(day_balances), rows)
    mark_day(conn, facts.tenant_id, facts.accounting_date, CLOSED, report, closed_at)


def mark_day(conn: Connection, tenant_id: str, day: date, status: str, report: str,
             closed_at: datetime | None) -> None:
    conn.execute(update(ledger_days).where(
        ledger_days.c.tenant_id == tenant_id, ledger_days.c.accounting_date == day,
    ).values(status=status, report=report, closed_at=closed_at))


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
