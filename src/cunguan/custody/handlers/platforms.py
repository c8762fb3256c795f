"""Platforms (R-C1, R-C2): onboarded by the operator, and funding their own accounts."""

from datetime import date

from cunguan.custody.handlers.base import CustodyResult, Data, checked
from cunguan.custody.handlers.common import CustodyCommon
from cunguan.custody.rules import accounts as chart
from cunguan.custody.rules.refusals import Refusal
from cunguan.custody.store import platforms as platform_rows
from cunguan.db.connection import Connection
from cunguan.ledger import rules
from cunguan.ledger.model import Transfer


class Platforms(CustodyCommon):
    def onboard_platform(self, tenant_id: str, name: str, accounting_date: date) -> None:
        """Open a platform: its tenant, summary account and platform accounts (operator). A
        malformed id, name or date is refused ``field_invalid`` naming it, before anything is
        written; the name is stored as ``fields.text`` normalizes it."""
        tenant_id, name, accounting_date = rules.tenant_fields(tenant_id, name, accounting_date)
        self.ledger.create_tenant(tenant_id, name, accounting_date)
        self.ledger.open_accounts(tenant_id, chart.platform_chart(tenant_id))
        with self.engine.begin() as conn:
            platform_rows.insert_platform(conn, {
                "tenant_id": tenant_id, "name": name,
                "quick_pay_fee_rate": self.policy.quick_pay_fee_rate,
                "quick_pay_fee_payer": self.policy.quick_pay_fee_payer,
                "withdrawal_review": int(self.policy.withdrawal_review),
                "created_at": self.clock(), "strict_reserved_phone": 0,
                "custody_fee_monthly_fen": self.policy.custody_fee_monthly_fen,
                "custody_fee_annual_rate": self.policy.custody_fee_annual_rate})

    @checked()
    def fund_platform(self, tenant_id: str, request_no: str, account_no: str,
                      amount_fen: int) -> CustodyResult:
        """The platform pays its own money into the summary account for one of its accounts
        (own, marketing, risk reserve, interest distribution)."""
        if account_no not in (chart.OWN, chart.MARKETING, chart.RISK_RESERVE, chart.INTEREST):
            return CustodyResult(request_no, False, Refusal.ACCOUNT_NOT_FUNDABLE, account_no)

        def work(conn: Connection) -> Data:
            result = self.post(conn, tenant_id, [Transfer(
                request_no, chart.SUMMARY, account_no, amount_fen, "platform_funding",
                funding=True)])[0]
            return {"tx_id": result.tx_id}
        return self.command(tenant_id, request_no, "fund_platform",
                            {"account": account_no, "amount": amount_fen}, work)
