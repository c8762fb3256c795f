"""Platforms' daily reconciliation files (R-C22): each file made is recorded once per platform
and day with its sha256 (``reconcile_platform_files``), and the closed day's ledger it is made
from is read here — the accounts that moved and their fund-log lines of the day, found through
the day close's snapshots (``day_balances``: each account's last line of each closed day), so
the fund log is read by its primary key, never scanned by date.
"""

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Date,
    ForeignKeyConstraint,
    String,
    Table,
    and_,
    func,
    insert,
    select,
)

from cunguan.core import limits
from cunguan.db.schema import UtcDateTime, metadata
from cunguan.ledger.store.daybook import CLOSED, previous_close
from cunguan.ledger.store.tables import day_balances, fund_log, ledger_days, tenants
from cunguan.reconcile.rules.platform_files import AccountTotals, FileLine

reconcile_platform_files = Table(
    "reconcile_platform_files", metadata,
    Column("tenant_id", String(limits.tenant_id_length_max), primary_key=True),
    Column("business_date", Date, primary_key=True),
    Column("sha256", String(64), nullable=False),
    Column("size_bytes", BigInteger, nullable=False),
    Column("lines", BigInteger, nullable=False),
    Column("postings", BigInteger, nullable=False),
    Column("credit_fen", BigInteger, nullable=False),
    Column("debit_fen", BigInteger, nullable=False),
    Column("accounts", BigInteger, nullable=False),
    #: The signature's nonce and time, kept so that every issue of the file is signed alike.
    Column("nonce", String(limits.nonce_length_max), nullable=False),
    Column("generated_at", UtcDateTime(), nullable=False),
    ForeignKeyConstraint(["tenant_id"], ["tenants.tenant_id"]),
)


def day_status(conn: Connection, tenant_id: str, day: date) -> tuple[bool, str | None]:
    """Whether the platform exists, and the status of its accounting day ``day`` (open,
    cut_over, closed; None when it has no such day)."""
    known = conn.execute(select(tenants.c.tenant_id).where(
        tenants.c.tenant_id == tenant_id)).scalar_one_or_none() is not None
    d = ledger_days.c
    status = conn.execute(select(d.status).where(
        d.tenant_id == tenant_id, d.accounting_date == day)).scalar_one_or_none()
    return known, status


def is_closed(status: str | None) -> bool:
    return status == CLOSED


def _moved(conn: Connection, tenant_id: str, day: date) -> tuple[Any, Any, Any]:
    """The day's snapshot ``b`` of each account, joined to the previous close's ``p``, and the
    condition that the account has lines dated the day (its last line moved)."""
    b, p = day_balances.alias("b"), day_balances.alias("p")
    joined = b.outerjoin(p, and_(p.c.tenant_id == b.c.tenant_id,
                                 p.c.account_no == b.c.account_no,
                                 p.c.accounting_date == previous_close(conn, tenant_id, day)))
    where = and_(b.c.tenant_id == tenant_id, b.c.accounting_date == day,
                 b.c.last_entry_seq > func.coalesce(p.c.last_entry_seq, 0))
    return (b, p, joined), where, func.coalesce(p.c.last_entry_seq, 0)


def day_accounts(conn: Connection, tenant_id: str, day: date) -> list[AccountTotals]:
    """The platform's accounts that moved on the closed day ``day``, with the close's
    opening (the previous close's, 0 for an account new that day) and closing figures."""
    (b, p, joined), where, _ = _moved(conn, tenant_id, day)
    rows = conn.execute(select(
        b.c.account_no, b.c.normal_side, func.coalesce(p.c.balance_fen, 0),
        func.coalesce(p.c.frozen_fen, 0), b.c.debit_fen, b.c.credit_fen, b.c.balance_fen,
        b.c.frozen_fen).select_from(joined).where(where))
    return [AccountTotals(r[0], r[1], int(r[2]), int(r[3]), int(r[4]), int(r[5]), int(r[6]),
                          int(r[7])) for r in rows]


def day_lines(conn: Connection, tenant_id: str, day: date) -> list[FileLine]:
    """Every fund-log line of the platform's accounts dated ``day`` (closed): per account,
    those after its previous close's last line up to this close's last line."""
    (b, _, joined), where, after_seq = _moved(conn, tenant_id, day)
    f = fund_log.c
    rows = conn.execute(select(
        f.account_no, f.entry_seq, f.tx_id, f.line_kind, f.side, f.amount_fen,
        f.balance_after_fen, f.frozen_after_fen, f.counterparty_account_no, f.request_no,
        f.business_type, f.accounting_date, f.posted_at,
    ).select_from(joined.join(fund_log, and_(
        f.tenant_id == b.c.tenant_id, f.account_no == b.c.account_no,
        f.entry_seq > after_seq, f.entry_seq <= b.c.last_entry_seq))).where(
        where, f.accounting_date == day).order_by(f.account_no, f.entry_seq))
    return [FileLine(r[0], int(r[1]), int(r[2]), r[3], r[4], int(r[5]), int(r[6]), int(r[7]),
                     r[8] or "", r[9], r[10], r[11], r[12]) for r in rows]


def file_record(conn: Connection, tenant_id: str, day: date) -> Any:
    """The record of the platform's file of ``day``, or None when none was made."""
    c = reconcile_platform_files.c
    return conn.execute(select(reconcile_platform_files).where(
        c.tenant_id == tenant_id, c.business_date == day)).one_or_none()


def insert_file_record(conn: Connection, tenant_id: str, day: date, sha256: str,
                       size_bytes: int, totals: dict[str, int], nonce: str,
                       generated_at: datetime) -> None:
    """Record a file made (a concurrent twin loses on the key; its retry reads this one)."""
    conn.execute(insert(reconcile_platform_files).values(
        tenant_id=tenant_id, business_date=day, sha256=sha256, size_bytes=size_bytes,
        nonce=nonce, generated_at=generated_at, **totals))
