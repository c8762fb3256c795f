"""Set-up writes on the ledger tables: tenants with their first day, accounts and their status."""

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import Connection, insert, update
from sqlalchemy.exc import IntegrityError

from cunguan.core.errors import CunguanError
from cunguan.ledger.model import AccountSpec, AccountStatus
from cunguan.ledger.store.tables import accounts, ledger_days, tenants


def tenant_exists(conn: Connection, tenant_id: str) -> bool:
    row = conn.execute(tenants.select().where(tenants.c.tenant_id == tenant_id)).first()
    return row is not None


def insert_tenant(conn: Connection, tenant_id: str, name: str, accounting_date: date, *,
                  created_at: datetime, is_working_day: bool) -> None:
    """The tenant row and its first day, open; ``tenant_exists`` when a concurrent creation
    took the id first (the look-up before found none)."""
    try:
        conn.execute(insert(tenants).values(tenant_id=tenant_id, name=name,
                                            accounting_date=accounting_date,
                                            created_at=created_at))
    except IntegrityError as exc:
        raise CunguanError("tenant_exists", f"tenant {tenant_id} exists already") from exc
    conn.execute(insert(ledger_days).values(
        tenant_id=tenant_id, accounting_date=accounting_date, status="open",
        is_working_day=int(is_working_day), report=""))


def insert_accounts(conn: Connection, tenant_id: str, specs: Sequence[AccountSpec], *,
                    opened_at: datetime) -> None:
    """New accounts, normal and empty."""
    conn.execute(insert(accounts), [{
        "tenant_id": tenant_id, "account_no": s.account_no, "owner": s.owner,
        "role": s.role, "subject_code": s.subject_code,
        "normal_side": s.normal_side.value, "status": AccountStatus.NORMAL.value,
        "flags": int(s.flags), "overdraft_limit_fen": s.overdraft_limit_fen,
        "balance_fen": 0, "frozen_fen": 0, "entry_seq": 0, "opened_at": opened_at,
    } for s in specs])


def set_account_status(conn: Connection, tenant_id: str, account_no: str,
                       status: AccountStatus) -> None:
    conn.execute(update(accounts).where(
        accounts.c.tenant_id == tenant_id, accounts.c.account_no == account_no,
    ).values(status=status.value))
