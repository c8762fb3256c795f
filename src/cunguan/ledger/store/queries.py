"""Read-side queries over the ledger tables: accounts, fund log, holds, requests."""

from datetime import date, timedelta

from sqlalchemy import Connection, Select, bindparam, func, literal_column, select

from cunguan.ledger.model import (
    Account,
    AccountFlag,
    AccountStatus,
    FundLogLine,
    Hold,
    HoldStatus,
    LineKind,
    Side,
)
from cunguan.ledger.store.tables import (
    accounts,
    day_balances,
    fund_log,
    holds,
    tenants,
    transactions,
)

#: Values per IN list, below SQLite's bound-parameter limit.
_IN_CHUNK = 5_000


def tenant_date(conn: Connection, tenant_id: str) -> date | None:
    """The tenant's open accounting date (no lock: for reads and set-up)."""
    value: date | None = conn.execute(select(tenants.c.accounting_date).where(
        tenants.c.tenant_id == tenant_id)).scalar_one_or_none()
    return value


def tenant_ids(conn: Connection) -> list[str]:
    return list(conn.execute(select(tenants.c.tenant_id).order_by(tenants.c.tenant_id))
                .scalars())


_c = accounts.c
#: Built once: every custody command reads an account (building costs ~5× executing).
_GET_ACCOUNT = select(
    _c.tenant_id, _c.account_no, _c.owner, _c.role, _c.subject_code, _c.normal_side, _c.status,
    _c.flags, _c.overdraft_limit_fen, _c.balance_fen, _c.frozen_fen, _c.entry_seq,
).where(_c.tenant_id == bindparam("tenant_id"), _c.account_no == bindparam("account_no"))


def get_account(conn: Connection, tenant_id: str, account_no: str) -> Account | None:
    row = conn.execute(_GET_ACCOUNT, {"tenant_id": tenant_id, "account_no": account_no}).first()
    if row is None:
        return None
    return Account(row[0], row[1], row[2], row[3], row[4], Side(row[5]), AccountStatus(row[6]),
                   AccountFlag(row[7]), row[8], row[9], row[10], row[11])


def existing_account_nos(conn: Connection, tenant_id: str, account_nos: list[str]) -> set[str]:
    c = accounts.c
    found: set[str] = set()
    for start in range(0, len(account_nos), _IN_CHUNK):
        chunk = account_nos[start:start + _IN_CHUNK]
        found.update(conn.execute(select(c.account_no).where(
            c.tenant_id == tenant_id, c.account_no.in_(chunk))).scalars())
    return found


def list_accounts(conn: Connection, tenant_id: str) -> list[Account]:
    c = accounts.c
    nos = conn.execute(select(c.account_no).where(c.tenant_id == tenant_id)
                       .order_by(c.account_no)).scalars().all()
    found = [get_account(conn, tenant_id, no) for no in nos]
    return [a for a in found if a is not None]


def fund_log_page(conn: Connection, tenant_id: str, account_no: str, *, date_from: date | None,
                  date_to: date | None, after_seq: int, rows_max: int) -> list[FundLogLine]:
    """One page of an account's fund log in posting order; page on with the last entry_seq."""
    f = fund_log.c
    if date_from is not None:   # start after the account's last line of the day before
        after_seq = max(after_seq, _closed_through(conn, tenant_id, account_no,
                                                   date_from - timedelta(days=1)))
    query = select(
        f.account_no, f.entry_seq, f.tx_id, f.line_kind, f.side, f.amount_fen,
        f.balance_after_fen, f.frozen_after_fen, f.available_after_fen,
        f.counterparty_account_no, f.request_no, f.business_type, f.accounting_date,
        f.posted_at,
    ).where(f.tenant_id == tenant_id, f.account_no == account_no, f.entry_seq > after_seq)
    if date_from is not None:
        query = query.where(f.accounting_date >= date_from)
    if date_to is not None:
        query = query.where(f.accounting_date <= date_to)
    rows = conn.execute(query.order_by(f.entry_seq).limit(rows_max))
    return [FundLogLine(r[0], r[1], r[2], LineKind(r[3]), Side(r[4]) if r[4] else None, r[5],
                        r[6], r[7], r[8], r[9], r[10], r[11], r[12], r[13])
            for r in rows]


def _closed_through(conn: Connection, tenant_id: str, account_no: str, day: date) -> int:
    """The account's last fund-log line dated ``day`` or before, if ``day`` is closed (else
    0): every later line is dated after ``day`` (migration 0013), so a scan for lines from
    the next day on starts there instead of at the account's first line."""
    d = day_balances.c
    value = conn.execute(select(d.last_entry_seq).where(
        d.tenant_id == tenant_id, d.accounting_date == day, d.account_no == account_no)
    ).scalar_one_or_none()
    return int(value or 0)


def balance_at(conn: Connection, tenant_id: str, account_no: str, day: date) -> int:
    """The balance at the end of accounting date ``day``: the last fund-log line on or before."""
    f = fund_log.c
    value = conn.execute(
        select(f.balance_after_fen)
        .where(f.tenant_id == tenant_id, f.account_no == account_no, f.accounting_date <= day)
        .order_by(f.entry_seq.desc()).limit(1)).scalar_one_or_none()
    return int(value or 0)


def get_hold(conn: Connection, tenant_id: str, hold_id: int) -> Hold | None:
    h = holds.c
    row = conn.execute(select(
        h.tenant_id, h.hold_id, h.account_no, h.amount_fen, h.status, h.reason, h.expires_at,
        h.created_at, h.closed_tx_id,
    ).where(h.tenant_id == tenant_id, h.hold_id == hold_id)).first()
    if row is None:
        return None
    return Hold(row[0], row[1], row[2], row[3], HoldStatus(row[4]), row[5],
                row[6], row[7], row[8])


#: Open holds, as the holds' partial indexes name them (a literal: a bound parameter would not
#: let the planner use them).
_OPEN_HOLD = holds.c.status == literal_column(f"'{HoldStatus.OPEN.value}'")


def open_holds_total(conn: Connection, tenant_id: str, account_no: str) -> int:
    return int(conn.execute(open_holds_sum(tenant_id, account_no)).scalar_one())


def open_holds_sum(tenant_id: str, account_no: str) -> Select[tuple[int]]:
    h = holds.c
    return select(func.coalesce(func.sum(h.amount_fen), 0)).where(
        h.tenant_id == tenant_id, h.account_no == account_no, _OPEN_HOLD)


def expired_hold_ids(conn: Connection, tenant_id: str, now_utc: object, rows_max: int
                     ) -> list[int]:
    return list(conn.execute(expired_holds(tenant_id, now_utc, rows_max)).scalars())


def expired_holds(tenant_id: str, now_utc: object, rows_max: int) -> Select[tuple[int]]:
    """The open holds past their expiry, longest overdue first (in the order of
    ``ix_holds_open_by_expiry``, so a sweep reads only the rows it returns)."""
    h = holds.c
    return (select(h.hold_id).where(h.tenant_id == tenant_id, _OPEN_HOLD,
                                    h.expires_at.is_not(None), h.expires_at <= now_utc)
            .order_by(h.expires_at, h.hold_id).limit(rows_max))


def request_status(conn: Connection, tenant_id: str, request_no: str
                   ) -> tuple[int, str, str, date] | None:
    """(tx_id, kind, business_type, accounting_date) of an applied request, or None."""
    t = transactions.c
    row = conn.execute(select(t.tx_id, t.kind, t.business_type, t.accounting_date).where(
        t.tenant_id == tenant_id, t.request_no == request_no)).first()
    return None if row is None else (row[0], row[1], row[2], row[3])
