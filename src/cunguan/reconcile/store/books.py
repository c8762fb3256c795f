"""The books' side, read from the ledger (the kernel's tables; read here, never written): the
postings of the ledger accounts a bank account mirrors, as ``BookItem``s, and balances."""

from collections.abc import Sequence
from datetime import date, timedelta

from sqlalchemy import Connection, select

from cunguan.ledger.store.tables import accounts, day_balances, fund_log, tenants
from cunguan.reconcile.rules.classes import classify
from cunguan.reconcile.rules.statements import BookItem, Direction

#: The business type of a break's adjustment: the bank already shows it (it is the break), so
#: it is not a book item waiting for the bank.
ADJUSTMENT_BUSINESS_TYPE = "recon_adjustment"


def _start_after(conn: Connection, tenant_id: str, account_no: str, day: date) -> int:
    """The account's last line dated before ``day`` when that day is closed (else 0): the
    scan for ``day``'s lines starts after it, by the fund log's key (migration 0013)."""
    d = day_balances.c
    value = conn.execute(select(d.last_entry_seq).where(
        d.tenant_id == tenant_id, d.account_no == account_no,
        d.accounting_date == day - timedelta(days=1))).scalar_one_or_none()
    return int(value or 0)


def item_id(tenant_id: str, ledger_account_no: str, entry_seq: int) -> str:
    """A book item's stable id: its fund-log line."""
    return f"{tenant_id}/{ledger_account_no}/{entry_seq}"


def book_items(conn: Connection, tenant_id: str, bank_account_no: str,
               mirrors: Sequence[str], day: date) -> list[BookItem]:
    """The postings dated ``day`` on the mirrored ledger accounts, seen from the bank account:
    a posting that raises the mirror's balance is money in (a credit on the statement); each
    with its R-B4 class, so a returned payout's reversal pairs with the bank's return line."""
    f, a = fund_log.c, accounts.c
    items: list[BookItem] = []
    for ledger_no in mirrors:
        normal = conn.execute(select(a.normal_side).where(
            a.tenant_id == tenant_id, a.account_no == ledger_no)).scalar_one_or_none()
        if normal is None:
            continue
        rows = conn.execute(select(
            f.entry_seq, f.side, f.amount_fen, f.request_no, f.business_type).where(
            f.tenant_id == tenant_id, f.account_no == ledger_no,
            f.entry_seq > _start_after(conn, tenant_id, ledger_no, day),
            f.accounting_date == day, f.line_kind == "posting",
            f.business_type != ADJUSTMENT_BUSINESS_TYPE).order_by(f.entry_seq))
        items.extend(BookItem(
            item_id=item_id(tenant_id, ledger_no, r.entry_seq), account_no=bank_account_no,
            value_date=day,
            direction=Direction.CREDIT if r.side == normal else Direction.DEBIT,
            amount_fen=r.amount_fen, reference=r.request_no,
            business_class=str(classify(r.business_type) or "")) for r in rows)
    return items


def balance_at(conn: Connection, tenant_id: str, ledger_account_nos: Sequence[str],
               day: date) -> int:
    """Σ of the accounts' balances at the end of ``day`` (their last line dated then or
    before): what the bank should hold for them."""
    f = fund_log.c
    total = 0
    for ledger_no in ledger_account_nos:
        value = conn.execute(select(f.balance_after_fen).where(
            f.tenant_id == tenant_id, f.account_no == ledger_no, f.accounting_date <= day)
            .order_by(f.entry_seq.desc()).limit(1)).scalar_one_or_none()
        total += int(value or 0)
    return total


def ledger_account_exists(conn: Connection, tenant_id: str, account_no: str) -> bool:
    a = accounts.c
    return conn.execute(select(a.account_no).where(
        a.tenant_id == tenant_id, a.account_no == account_no)).first() is not None


def accounting_date(conn: Connection, tenant_id: str) -> date | None:
    """The tenant's open accounting date (a break resolved by its adjustment is resolved
    on the day the adjustment is booked)."""
    t = tenants.c
    value = conn.execute(select(t.accounting_date).where(
        t.tenant_id == tenant_id)).scalar_one_or_none()
    return None if value is None else value
