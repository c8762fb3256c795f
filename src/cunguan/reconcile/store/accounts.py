"""The bank accounts register (R-B1): each account reconciled and the ledger accounts it
mirrors."""

from typing import Any

from sqlalchemy import Connection, insert, select

from cunguan.reconcile.rules.register import BankAccount
from cunguan.reconcile.store.tables import reconcile_account_mirrors, reconcile_accounts


def insert_account(conn: Connection, account: BankAccount, *, row: dict[str, Any]) -> None:
    """The account and its mirrors; ``row`` carries when and by whom."""
    conn.execute(insert(reconcile_accounts).values(
        account_no=account.account_no, bank_name=account.bank_name, kind=str(account.kind),
        currency=account.currency, tenant_id=account.tenant_id, **row))
    if account.mirrors:
        conn.execute(insert(reconcile_account_mirrors), [
            {"account_no": account.account_no, "ledger_account_no": m}
            for m in account.mirrors])


def account(conn: Connection, account_no: str, *, lock: bool = False) -> Any:
    """The register's row of the account, or None; ``lock``: held to the transaction's end
    (one import of the account's statements at a time)."""
    a = reconcile_accounts.c
    query = select(reconcile_accounts).where(a.account_no == account_no)
    return conn.execute(query.with_for_update() if lock else query).first()


def mirrors(conn: Connection, account_no: str) -> list[str]:
    """The ledger accounts the bank account mirrors, in order."""
    m = reconcile_account_mirrors.c
    return list(conn.execute(select(m.ledger_account_no).where(
        m.account_no == account_no).order_by(m.ledger_account_no)).scalars())


def accounts(conn: Connection, tenant_id: str | None = None) -> list[Any]:
    """The register (of one tenant, when given), by account no."""
    a = reconcile_accounts.c
    query = select(reconcile_accounts).order_by(a.account_no)
    if tenant_id is not None:
        query = query.where(a.tenant_id == tenant_id)
    return list(conn.execute(query).all())


def all_mirrors(conn: Connection) -> dict[str, list[str]]:
    """Every registered account's mirrors."""
    m = reconcile_account_mirrors.c
    found: dict[str, list[str]] = {}
    for account_no, ledger_no in conn.execute(select(m.account_no, m.ledger_account_no).order_by(
            m.account_no, m.ledger_account_no)).tuples():
        found.setdefault(account_no, []).append(ledger_no)
    return found
