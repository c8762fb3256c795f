"""The custody fee (存管费, R-C2): what the bank charges each platform for custody, debited
periodically from the platform's own account (平台自有账户) to the bank's fee income.

The fee is the bank's income, not customer money, so it leaves the custody account: Dr OWN /
Cr SUMMARY — the own sub-account and the custody bank account (the summary account) both go
down by it, and the bank books the income in its own general ledger, outside the platform's
custody chart (``custody_fee_charges`` holds the month's charge and its transaction). Σ
sub-accounts = summary + in transit (R-C1) holds as before. A summary account that does not
hold the fee yet (the platform's money still in the channel, T+1) is refused
``awaiting_channel_settlement`` and nothing is recorded.

How the fee is worked out — as banks bill custody of client money — per calendar month:

* a fixed amount (``custody_fee_monthly_fen``), plus
* an annual rate (``custody_fee_annual_rate``) on the platform's average daily custody
  balance: for each accounting day of the month, the customers' and the platform's money at
  the close — the closing balances of the users' and the platform's sub-accounts, not the
  accounts in ``NOT_BILLED`` — summed over the days (balance-days) × rate / 360 (the PBOC day
  count), rounded half-up to the fen. Days before the platform was onboarded are not charged.

A month is charged once it is over and every one of its days is closed (its checks passed),
once: the period is the key. When the own account is short the charge is refused
(``platform_own_insufficient``) and the month recorded as owed, with the fee; running the
command again for that month, after the platform has paid money in, charges it.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from fractions import Fraction
from typing import Any

from cunguan.core import fields
from cunguan.core.errors import CunguanError
from cunguan.core.money import round_half_up, to_fraction
from cunguan.custody.handlers.base import CustodyResult
from cunguan.custody.rules import accounts as chart
from cunguan.custody.rules import migration as migration_rules
from cunguan.custody.rules.fields import bank_serial_no
from cunguan.custody.rules.refusals import CustodyError, Refusal
from cunguan.custody.store import fees as store
from cunguan.db.connection import Connection, Engine, read_connection
from cunguan.db.unit_of_work import in_transaction
from cunguan.ledger.model import Reject, Result, Transfer
from cunguan.ledger.service import LedgerService
from cunguan.ledger.store.queries import tenant_date

#: Days in the year the annual rate is divided by (the PBOC convention for RMB interest).
FEE_YEAR_DAYS = 360
#: The largest custody fee rate a platform may be given: 10 % a year.
FEE_ANNUAL_RATE_MAX = "0.1"
#: Accounts of a platform's chart that are not the customers' nor the platform's money, so not
#: the fee's base: the bank-held side (the summary account, channel money in transit), money
#: received but not yet allocated to a user, money advanced T+0 (the advancer's), migration
#: clearing money on its way to the users, and the bank's fee income booked there before
#: migration 0019's release.
NOT_BILLED = (*chart.BANK_HELD, chart.UNALLOCATED, chart.ADVANCE, chart.CUSTODY_FEE_INCOME,
              migration_rules.CLEARING)


@dataclass(frozen=True, slots=True)
class FeeTerms:
    """A platform's custody fee terms."""

    monthly_fen: int
    annual_rate: str


def month_bounds(period: str) -> tuple[date, date]:
    """The first and last day of a ``YYYY-MM`` period."""
    first = fields.iso_day(f"{period}-01", "period") if len(period) == 7 else None
    if first is None:
        raise fields.FieldInvalid("period", "must be a month written YYYY-MM")
    following = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    return first, following - timedelta(days=1)


def fee_fen(terms: FeeTerms, balance_days_fen: int) -> int:
    """The month's fee: the fixed part plus balance-days × rate / 360, half-up."""
    return terms.monthly_fen + round_half_up(
        Fraction(balance_days_fen) * to_fraction(terms.annual_rate) / FEE_YEAR_DAYS)


class PlatformFees:
    def __init__(self, engine: Engine, ledger: LedgerService) -> None:
        self.engine = engine
        self.ledger = ledger

    def set_terms(self, tenant_id: str, *, monthly_fen: int, annual_rate: str) -> FeeTerms:
        """Set a platform's custody fee terms (an operator, per the custody agreement)."""
        terms = FeeTerms(fields.amount_fen(monthly_fen, "monthly_fen", minimum=0),
                         fields.rate(annual_rate, "annual_rate", maximum=FEE_ANNUAL_RATE_MAX))
        with self.engine.begin() as conn:
            changed = store.set_terms(conn, tenant_id, monthly_fen=terms.monthly_fen,
                                      annual_rate=terms.annual_rate)
        if not changed:
            raise CustodyError(Refusal.TENANT_NOT_FOUND, f"no platform {tenant_id}")
        return terms

    def charge(self, tenant_id: str, period: str) -> CustodyResult:
        """Charge the platform's custody fee for one month (idempotent by the month)."""
        request_no = f"custody-fee:{period}"
        try:
            first, last = month_bounds(period)
            return in_transaction(self.engine, lambda conn: self._charge(
                conn, tenant_id, period, first, last))
        except CunguanError as exc:
            return CustodyResult(request_no, False, exc.code, exc.message, dict(exc.details))

    def _charge(self, conn: Connection, tenant_id: str, period: str, first: date,
                last: date) -> CustodyResult:
        request_no = f"custody-fee:{period}"
        terms = self._terms(conn, tenant_id)    # locks the platform: one fee run at a time
        if self.ledger_date(conn, tenant_id) <= last:
            raise CustodyError(Refusal.FEE_PERIOD_OPEN, f"{period} is not over for {tenant_id}")
        if store.days_not_closed(conn, tenant_id, last):
            raise CustodyError(Refusal.FEE_PERIOD_OPEN, f"{period} has days not closed yet for "
                               f"{tenant_id}: close them, then charge")
        prior = store.charge(conn, tenant_id, period)
        if prior is not None and prior.status == "charged":
            return CustodyResult(request_no, True, "ok", data=_view(prior), replayed=True)
        days, balance_days_fen = store.balance_days(conn, tenant_id, first, last, NOT_BILLED)
        row: dict[str, Any] = {
            "monthly_fen": terms.monthly_fen, "annual_rate": terms.annual_rate,
            "closed_days": days, "balance_days_fen": balance_days_fen,
            "fee_fen": fee_fen(terms, balance_days_fen),
            "attempts": (prior.attempts if prior else 0) + 1, "tx_id": None}
        if row["fee_fen"]:
            result = self.ledger.post_in(conn, tenant_id, [Transfer(
                bank_serial_no("custody-fee", period, row["attempts"]), chart.OWN,
                chart.SUMMARY,
                row["fee_fen"], "custody_fee", memo=period)])[0]
            _refusal(result)
            row["tx_id"] = result.tx_id
        row["status"] = "charged" if row["tx_id"] or not row["fee_fen"] else "owed"
        store.record_charge(conn, tenant_id, period, row, exists=prior is not None)
        if row["status"] == "owed":
            return CustodyResult(request_no, False, Refusal.PLATFORM_OWN_INSUFFICIENT,
                                 "the platform's own account cannot pay the custody fee; "
                                 "recorded as owed", {"period": period, **row})
        return CustodyResult(request_no, True, "ok", data={"period": period, **row})

    def charges(self, tenant_id: str) -> list[dict[str, Any]]:
        """Every month charged or owed, latest first."""
        with read_connection(self.engine) as conn:
            rows = store.charges(conn, tenant_id)
        return [_view(row) for row in rows]

    @staticmethod
    def ledger_date(conn: Connection, tenant_id: str) -> date:
        found = tenant_date(conn, tenant_id)
        if found is None:
            raise CustodyError(Refusal.TENANT_NOT_FOUND, f"no platform {tenant_id}")
        return found

    @staticmethod
    def _terms(conn: Connection, tenant_id: str) -> FeeTerms:
        row = store.terms_locked(conn, tenant_id)
        if row is None:
            raise CustodyError(Refusal.TENANT_NOT_FOUND, f"no platform {tenant_id}")
        return FeeTerms(int(row[0]), str(row[1]))


def _refusal(result: Result) -> None:
    """A fee the own account cannot pay leaves the month owed (the caller records it); one
    the summary account does not hold yet, or any other refusal, is answered, not recorded."""
    if result.ok:
        return
    short = result.reject is Reject.EXCEEDS_AVAILABLE
    if short and (result.detail or "").split(" ")[0] == chart.OWN:
        return
    if short:
        raise CustodyError(Refusal.AWAITING_CHANNEL_SETTLEMENT, "the summary account does not hold "
                           "the fee yet: the platform's money is still in the channel (T+1)")
    raise CustodyError(str(result.reject), result.detail or str(result.reject))


def _view(row: Any) -> dict[str, Any]:
    mapping = dict(row._mapping)
    mapping.pop("tenant_id", None)
    return mapping
