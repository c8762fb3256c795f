"""The reserve-fund day (R-B1..R-B3): day T's record assembled from the database — each
registered reserve bank account's statement figures and lines, the customer fund accounts'
balances and T's postings in the ledger, the other movements on the mirrored ledger accounts,
the items in transit at T−1 and T, and T's breaks — then the seven checks and the identities
run on it (the rules'), their findings stored (a run replaces the day's earlier findings).

How the ledger fills R-B3's terms: a posting on a mirrored ledger account whose other side is
a customer fund account is that customer's item on the bank account; one between mirrors of
two bank accounts an internal transfer; interest received is interest; every other one (the
platform's own money, fees swept, an approved break adjustment) the institution's own funds.
The own funds held at T−1 are the mirrors' balance less the customer fund accounts' then. A
registered quick-pay channel's account is no reserve bank account: its mirrors' balance is
the channel's money in transit (R-B3's named term), a customer item naming it a receipt the
channel collected, its settlement into a reserve account a transfer between mirrors (the two
legs net to 0) that lowers the money in transit. The
bank's management accounts (管理账户) are this ledger's customer fund accounts: the bank keeps
them here.
"""

import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from cunguan.core import fields, limits
from cunguan.db.connection import Connection, read_connection
from cunguan.reconcile.handlers.accounts import Accounts
from cunguan.reconcile.reports import build, xlsx
from cunguan.reconcile.reports import pdf as pdf_report
from cunguan.reconcile.rules import checks, register
from cunguan.reconcile.rules import reserve as r
from cunguan.reconcile.rules.classes import BusinessClass, Category, category
from cunguan.reconcile.rules.statements import Direction
from cunguan.reconcile.store import accounts as account_rows
from cunguan.reconcile.store import breaks as break_rows
from cunguan.reconcile.store import matches as transit_rows
from cunguan.reconcile.store import reserve as store
from cunguan.reconcile.store import statements as statement_rows


def _closing_at(conn: Connection, account_no: str, day: date) -> tuple[Any, int]:
    """(the statement, the account's balance at the end of ``day``) by its statements."""
    found = store.statement_for(conn, account_no, day)
    if found is None:
        return None, 0
    if found.to_date <= day:
        return found, int(found.closing_balance_fen)
    lines = store.statement_lines(conn, found.import_id)
    return found, int(found.opening_balance_fen) + sum(
        statement_rows.statement_line(row).signed_fen for row in lines
        if row.status != "pending" and row.booking_date <= day)


def bank_day(conn: Connection, row: Any, day: date) -> r.BankAccountDay | None:
    """A registered account's day T as its statements report it (None: no reserve funds)."""
    roles = register.RESERVE_ROLES[register.AccountKind(row.kind)]
    if roles is None:
        return None
    account = r.ReserveBankAccount(row.account_no, row.bank_name, roles[0], roles[1])
    _, previous = _closing_at(conn, row.account_no, day - timedelta(days=1))
    found, closing = _closing_at(conn, row.account_no, day)
    if found is None or found.to_date < day:
        return r.BankAccountDay(account, previous, closing, closing, 0, 0)
    opening = int(found.opening_balance_fen) if found.from_date == day else previous
    lines = [(line.line_key, statement_rows.statement_line(line))
             for line in store.statement_lines(conn, found.import_id)
             if line.status != "pending" and line.booking_date == day]
    credits = sum(x.amount_fen for _, x in lines if x.direction is Direction.CREDIT)
    debits = sum(x.amount_fen for _, x in lines if x.direction is Direction.DEBIT)
    return r.BankAccountDay(account, previous, opening, closing, credits, debits,
                            tuple(r.BankLine(key, x) for key, x in lines),
                            (found.statement_id,))


def _transit(rows: Sequence[Any]) -> tuple[r.InTransitItem, ...]:
    """The in-transit rows as items; a book item's class and reference from its record (the
    columns 业务分类 and 摘要 of reports 9)."""
    found = []
    for t in rows:
        item = json.loads(t.item) if t.item else {}
        cls = item.get("business_class") or None
        found.append(r.InTransitItem(t.item_key, r.Side(t.side), t.account_no,
                                     Direction(t.direction), t.amount_fen, t.value_date,
                                     BusinessClass(cls) if cls else None,
                                     str(item.get("reference", ""))))
    return tuple(found)


class Reserve(Accounts):
    def reserve_day(self, tenant_id: str, day: date) -> r.ReserveDay:
        """Day T's record of the tenant's reserve funds, read in one snapshot."""
        tenant = fields.identifier(tenant_id, "platform", limits.tenant_id_length_max)
        day = fields.day(day, "date")
        with read_connection(self.engine, snapshot=True) as conn:
            registered = account_rows.accounts(conn, tenant)
            banks = [b for b in (bank_day(conn, row, day) for row in registered) if b]
            mirrors = {m: row.account_no for row in registered
                       for m in account_rows.mirrors(conn, row.account_no)}
            customers, items, others, stocks = self._ledger_side(conn, tenant, day, mirrors)
            channels = _channels(conn, tenant, day, registered)
            previous: list[r.InTransitItem] = []
            transit: list[r.InTransitItem] = []
            breaks: list[r.BreakItem] = []
            for bank in banks:
                number = bank.account.account_no
                previous += _transit(transit_rows.in_transit_on(conn, number, day - timedelta(1)))
                transit += _transit(transit_rows.in_transit_on(conn, number, day))
                breaks += [r.BreakItem(str(b.break_id), b.break_class, number,
                                       r.Side.BOOK if b.side == "book" else r.Side.BANK,
                                       b.amount_fen, b.difference_fen, b.item_keys)
                           for b in break_rows.of_day(conn, number, day)]
        return r.ReserveDay(
            day, tenant, tuple(banks), customers, items, others, tuple(previous),
            tuple(transit), tuple(breaks),
            registered_payees=frozenset(c.owner for c in customers if c.owner),
            management_balances=tuple(r.ManagementBalance(c.account_no, c.closing_fen)
                                      for c in customers),
            previous_stocks=stocks, channel_accounts=channels)

    def _ledger_side(self, conn: Connection, tenant: str, day: date,
                     mirrors: dict[str, str]) -> tuple[tuple[r.CustomerAccountDay, ...],
                                                       tuple[r.CustomerItem, ...],
                                                       tuple[r.Adjustment, ...],
                                                       r.ReserveStocks]:
        """The customer fund accounts and their items; the other movements of the mirrors."""
        rows = store.customer_accounts(conn, tenant, tuple(register.CUSTOMER_SUBJECTS))
        kinds = {row.account_no: register.CUSTOMER_SUBJECTS[row.subject_code] for row in rows}
        owners = {row.account_no: row.owner for row in rows}
        normal = {row.account_no: row.normal_side for row in rows}
        before = store.balances_at(conn, tenant, day - timedelta(days=1))
        after = store.balances_at(conn, tenant, day)
        mirror_sides = store.normal_sides(conn, tenant, list(mirrors))
        turnover: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        items, others = [], []
        for p in store.postings_of_day(conn, tenant, day):
            if p.account_no in kinds:
                direction = Direction.CREDIT if p.side == normal[p.account_no] \
                    else Direction.DEBIT
                turnover[p.account_no][direction is Direction.DEBIT] += p.amount_fen
                items.append(r.CustomerItem(
                    f"{p.tx_id}:{p.account_no}:{p.entry_seq}", p.business_type, p.account_no,
                    direction, p.amount_fen,
                    bank_account_no=mirrors.get(p.counterparty_account_no or "", ""),
                    counterparty_account=owners[p.account_no]))
            elif p.account_no in mirrors and p.counterparty_account_no not in kinds:
                others.append(_other(p, mirrors, mirror_sides[p.account_no]))
        customers = tuple(r.CustomerAccountDay(
            no, kind, before.get(no, 0), after.get(no, 0), turnover[no][0], turnover[no][1],
            owners[no]) for no, kind in kinds.items())
        own = sum(before.get(m, 0) for m in mirrors) - sum(before.get(no, 0) for no in kinds)
        return customers, tuple(items), tuple(others), \
            r.ReserveStocks(own_funds_fen=own)


def _channels(conn: Connection, tenant: str, day: date,
              registered: Sequence[Any]) -> tuple[r.ChannelAccountDay, ...]:
    """The registered channels' settlement accounts, their balances by the books (the mirrored
    ledger accounts, subject 1221) at the end of T−1 and of T: the channels' money in transit."""
    channels = [row for row in registered if row.kind == str(register.AccountKind.CHANNEL)]
    if not channels:
        return ()
    before = store.balances_at(conn, tenant, day - timedelta(days=1))
    after = store.balances_at(conn, tenant, day)
    found = []
    for row in channels:
        held = account_rows.mirrors(conn, row.account_no)
        found.append(r.ChannelAccountDay(row.account_no, row.bank_name,
                                         sum(before.get(m, 0) for m in held),
                                         sum(after.get(m, 0) for m in held)))
    return tuple(found)


def _other(p: Any, mirrors: dict[str, str], normal_side: str) -> r.Adjustment:
    """A mirror's posting not against a customer account, as its R-B3 term (a posting on the
    mirror's normal side is money in). Between two mirrors it is an internal transfer (each
    side once); interest in is interest; the rest is the institution's own funds."""
    signed = p.amount_fen if p.side == normal_side else -p.amount_fen
    key, bank = f"{p.tx_id}:{p.account_no}:{p.entry_seq}", mirrors[p.account_no]
    if p.counterparty_account_no in mirrors:
        return r.Adjustment(key, r.AdjustmentKind.INTERNAL_TRANSFER, signed, bank)
    if category(p.business_type) is Category.INTEREST and signed > 0:
        return r.Adjustment(key, r.AdjustmentKind.INTEREST_RECEIVED, signed, bank)
    return r.Adjustment(key, r.AdjustmentKind.OWN_FUNDS_DEPOSITED, signed, bank,
                        p.business_type)


@dataclass(frozen=True, slots=True)
class ReportFiles:
    """The files one report run wrote."""

    paths: tuple[Path, ...]
    days: int


class ReserveChecks(Reserve):
    def run_checks(self, tenant_id: str, day: date) -> checks.CheckRun:
        """Day T's seven checks and R-B3 identities (R-B2), their findings stored for the day
        (a run replaces the day's earlier findings)."""
        record = self.reserve_day(tenant_id, day)
        run = checks.run_checks(record, self.ledger.calendar)
        rows = [{"rule": f.rule, "check_name": f.check, "severity": str(f.severity),
                 "message": f.message, "details": json.dumps(
                     {"account_no": f.account_no, "amount_fen": f.amount_fen,
                      "sources": list(f.sources)}, ensure_ascii=False)}
                for f in run.findings]
        self.unit(lambda conn: store.replace_findings(conn, record.institution, record.day,
                                                      rows, self.clock()))
        return run

    def findings(self, tenant_id: str, day: date) -> list[dict[str, Any]]:
        """The findings stored for the day, in the order the checks found them."""
        tenant = fields.identifier(tenant_id, "platform", limits.tenant_id_length_max)
        with read_connection(self.engine) as conn:
            return [row._asdict() for row in store.findings(conn, tenant,
                                                            fields.day(day, "date"))]

    def write_reports(self, tenant_id: str, first: date, last: date, out_dir: Path, *,
                      monthly: bool, pdf: bool) -> ReportFiles:
        """The R-B5 report set of the days ``first``…``last`` as XLSX (and PDF) in ``out_dir``."""
        stem, report_set, days = self._report_set(tenant_id, first, last, monthly=monthly)
        out_dir.mkdir(parents=True, exist_ok=True)
        paths = [out_dir / f"{stem}.xlsx"]
        paths[0].write_bytes(xlsx.render_xlsx(report_set))
        if pdf:
            paths.append(out_dir / f"{stem}.pdf")
            paths[1].write_bytes(pdf_report.render_pdf(report_set))
        return ReportFiles(tuple(paths), days)

    def render_report(self, tenant_id: str, period: str, file_format: str) -> tuple[str, bytes]:
        """The R-B5 report set of a day (``YYYY-MM-DD``) or a month (``YYYY-MM``) as one file,
        ``xlsx`` or ``pdf``: its name and bytes (what an operator downloads)."""
        first, last, monthly = report_period(period)
        kind = fields.choice(file_format, "format", REPORT_FORMATS)
        stem, report_set, _ = self._report_set(tenant_id, first, last, monthly=monthly)
        render = xlsx.render_xlsx if kind == "xlsx" else pdf_report.render_pdf
        return f"{stem}.{kind}", render(report_set)

    def _report_set(self, tenant_id: str, first: date, last: date, *,
                    monthly: bool) -> tuple[str, Any, int]:
        first, last = fields.day(first, "date"), fields.day(last, "date")
        if last < first or (last - first).days >= limits.report_days_max:
            raise fields.FieldInvalid("date", f"a period of 1 to {limits.report_days_max} days")
        days = [self.reserve_day(tenant_id, first + timedelta(days=n))
                for n in range((last - first).days + 1)]
        stem = f"reserve_{days[0].institution}_{first:%Y%m}" if monthly else \
            f"reserve_{days[0].institution}_{first:%Y%m%d}"
        return stem, build.report_set(days, monthly=monthly), len(days)


#: The files a report set is rendered as.
REPORT_FORMATS = ("xlsx", "pdf")


def report_period(text: object) -> tuple[date, date, bool]:
    """A report's period as written: ``YYYY-MM-DD`` a day, ``YYYY-MM`` a month; its first and
    last day and whether it is a month."""
    if isinstance(text, str) and len(text) == 7:
        first = fields.iso_day(f"{text}-01", "period")
        last = (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
        return first, last, True
    day = fields.iso_day(text, "period")
    return day, day, False
