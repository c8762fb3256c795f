"""What a day's reserve-fund record is filled from (R-B1): each reserve bank account's
statement figures for day T, the customer fund accounts' balances and T's postings in the
ledger (read here, never written), and the findings stored for a day."""

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, and_, delete, func, insert, select, tuple_

from cunguan.ledger.store.tables import accounts, day_balances, fund_log, ledger_days
from cunguan.reconcile.store.tables import (
    reconcile_findings,
    reconcile_lines,
    reconcile_statements,
)

_s = reconcile_statements.c
_l = reconcile_lines.c
_f = reconcile_findings.c


def statement_for(conn: Connection, account_no: str, day: date) -> Any:
    """The statement covering ``day``, else the last one ending before it, else None."""
    covering = conn.execute(select(reconcile_statements).where(
        _s.account_no == account_no, _s.from_date <= day, _s.to_date >= day)
        .order_by(_s.to_date.desc(), _s.import_id.desc()).limit(1)).first()
    if covering is not None:
        return covering
    return conn.execute(select(reconcile_statements).where(
        _s.account_no == account_no, _s.to_date < day)
        .order_by(_s.to_date.desc(), _s.import_id.desc()).limit(1)).first()


def statement_lines(conn: Connection, import_id: int) -> list[Any]:
    """A statement's lines in file order."""
    return list(conn.execute(select(reconcile_lines).where(_l.import_id == import_id)
                             .order_by(_l.line_no)).all())


def customer_accounts(conn: Connection, tenant_id: str,
                      subject_codes: Sequence[str]) -> list[Any]:
    """The tenant's ledger accounts under these subjects (the customer fund accounts)."""
    a = accounts.c
    return list(conn.execute(select(a.account_no, a.owner, a.subject_code, a.normal_side).where(
        a.tenant_id == tenant_id, a.subject_code.in_(list(subject_codes)))
        .order_by(a.account_no)).all())


def _closed(conn: Connection, tenant_id: str, day: date) -> bool:
    d = ledger_days.c
    return conn.execute(select(d.status).where(
        d.tenant_id == tenant_id, d.accounting_date == day)).scalar_one_or_none() == "closed"


def balances_at(conn: Connection, tenant_id: str, day: date) -> dict[str, int]:
    """Every account's balance at the end of ``day``: the day close's snapshot when the day
    is closed, else its last line dated then or before (a scan of the tenant's fund log)."""
    if _closed(conn, tenant_id, day):
        b = day_balances.c
        return dict(conn.execute(select(b.account_no, b.balance_fen).where(
            b.tenant_id == tenant_id, b.accounting_date == day)).tuples().all())
    f = fund_log.c
    last = select(f.account_no, func.max(f.entry_seq).label("seq")).where(
        f.tenant_id == tenant_id, f.accounting_date <= day).group_by(f.account_no).subquery()
    rows = conn.execute(select(f.account_no, f.balance_after_fen).where(
        f.tenant_id == tenant_id,
        tuple_(f.account_no, f.entry_seq).in_(select(last.c.account_no, last.c.seq))))
    return {account_no: int(balance) for account_no, balance in rows.tuples()}


def postings_of_day(conn: Connection, tenant_id: str, day: date) -> list[Any]:
    """The tenant's postings dated ``day``, in posting order of each account. When the day
    before is closed, each account's lines are read after its last line of that day (by the
    fund log's key, migration 0013: there is no index on the date), else the log is scanned."""
    f, b = fund_log.c, day_balances.c
    query = select(
        f.account_no, f.entry_seq, f.tx_id, f.side, f.amount_fen, f.counterparty_account_no,
        f.request_no, f.business_type).where(
        f.tenant_id == tenant_id, f.accounting_date == day, f.line_kind == "posting")
    if _closed(conn, tenant_id, day - timedelta(days=1)):
        query = query.select_from(fund_log.outerjoin(day_balances, and_(
            b.tenant_id == f.tenant_id, b.account_no == f.account_no,
            b.accounting_date == day - timedelta(days=1)))).where(
            f.entry_seq > func.coalesce(b.last_entry_seq, 0))
    return list(conn.execute(query.order_by(f.account_no, f.entry_seq)).all())


def replace_findings(conn: Connection, tenant_id: str, day: date,
                     rows: Sequence[dict[str, Any]], run_at: datetime) -> None:
    """The day's findings: the last run's replace the ones before."""
    conn.execute(delete(reconcile_findings).where(_f.tenant_id == tenant_id, _f.as_of == day))
    if rows:
        conn.execute(insert(reconcile_findings), [
            {**row, "tenant_id": tenant_id, "as_of": day, "run_at": run_at} for row in rows])


def findings(conn: Connection, tenant_id: str, day: date) -> list[Any]:
    return list(conn.execute(select(reconcile_findings).where(
        _f.tenant_id == tenant_id, _f.as_of == day).order_by(_f.finding_id)).all())


def normal_sides(conn: Connection, tenant_id: str, account_nos: Sequence[str]) -> dict[str, str]:
    """The ledger accounts' normal sides (D or C)."""
    a = accounts.c
    return dict(conn.execute(select(a.account_no, a.normal_side).where(
        a.tenant_id == tenant_id, a.account_no.in_(list(account_nos)))).tuples().all())
