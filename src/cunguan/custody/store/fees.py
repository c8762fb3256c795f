"""The custody fee's rows (存管费, R-C2): a platform's fee terms, each month's charge, and what
the charge is worked out from — the ledger's closed days and their closing balances."""

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from cunguan.custody.store.tables import custody_fee_charges, custody_platforms
from cunguan.ledger.store.tables import day_balances, ledger_days


def set_terms(conn: Connection, tenant_id: str, *, monthly_fen: int, annual_rate: str) -> bool:
    """A platform's fee terms set; False when there is no such platform."""
    return bool(conn.execute(update(custody_platforms).where(
        custody_platforms.c.tenant_id == tenant_id).values(
        custody_fee_monthly_fen=monthly_fen, custody_fee_annual_rate=annual_rate)).rowcount)


def terms_locked(conn: Connection, tenant_id: str) -> Any:
    """The platform's (monthly fen, annual rate), its row locked (one fee run at a time), or
    None."""
    p = custody_platforms.c
    return conn.execute(select(p.custody_fee_monthly_fen, p.custody_fee_annual_rate).where(
        p.tenant_id == tenant_id).with_for_update()).first()


def days_not_closed(conn: Connection, tenant_id: str, last: date) -> bool:
    """Is any day up to ``last`` not closed (cut over, its checks not passed yet)?"""
    d = ledger_days.c
    return conn.execute(select(d.accounting_date).where(
        d.tenant_id == tenant_id, d.accounting_date <= last, d.status != "closed",
    ).limit(1)).first() is not None


def balance_days(conn: Connection, tenant_id: str, first: date, last: date,
                 not_billed: Sequence[str]) -> tuple[int, int]:
    """(closed days from ``first`` to ``last``, Σ of each one's closing balances of the
    accounts not in ``not_billed``)."""
    d, b = ledger_days.c, day_balances.c
    closed = select(d.accounting_date).where(
        d.tenant_id == tenant_id, d.status == "closed",
        d.accounting_date.between(first, last))
    days = conn.execute(select(func.count()).select_from(closed.subquery())).scalar_one()
    held = conn.execute(select(func.coalesce(func.sum(b.balance_fen), 0)).where(
        b.tenant_id == tenant_id, b.account_no.not_in(not_billed),
        b.accounting_date.in_(closed))).scalar_one()
    return int(days), int(held)


def charge(conn: Connection, tenant_id: str, period: str) -> Any:
    """The month's charge (charged or owed), or None."""
    f = custody_fee_charges.c
    return conn.execute(select(custody_fee_charges).where(
        f.tenant_id == tenant_id, f.period == period)).first()


def charges(conn: Connection, tenant_id: str) -> list[Any]:
    """Every month charged or owed, latest first."""
    f = custody_fee_charges.c
    return list(conn.execute(select(custody_fee_charges).where(
        f.tenant_id == tenant_id).order_by(f.period.desc())).all())


def record_charge(conn: Connection, tenant_id: str, period: str, row: dict[str, Any], *,
                  exists: bool) -> None:
    """The month's charge written: a new row, or the one recorded owed before updated."""
    f = custody_fee_charges.c
    if exists:
        conn.execute(update(custody_fee_charges).where(
            f.tenant_id == tenant_id, f.period == period).values(**row))
    else:
        conn.execute(insert(custody_fee_charges).values(tenant_id=tenant_id, period=period,
                                                       **row))
