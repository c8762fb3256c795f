"""Money in (R-C7): quick-pay recharges, the channel's T+1 settlement (which also repays a T+0
advance), and offline transfers into the summary account."""

from collections.abc import Sequence
from datetime import date

from cunguan.core.errors import CunguanError
from cunguan.core.money import apply_rate
from cunguan.custody.handlers.base import (
    CustodyResult,
    Data,
    Gate,
    Planned,
    attempt,
    checked,
    need_active,
    set_based,
)
from cunguan.custody.handlers.commands import CardRequest
from cunguan.custody.handlers.common import CustodyCommon, need_card
from cunguan.custody.rules import accounts as chart
from cunguan.custody.rules.refusals import CustodyError, Refusal
from cunguan.custody.store import cards as card_rows
from cunguan.custody.store import lookups
from cunguan.custody.store import recharges as recharge_rows
from cunguan.db.connection import Connection
from cunguan.ledger.model import Command, Result, Transfer
from cunguan.ledger.store.queries import get_account


class MoneyIn(CustodyCommon):
    @checked()
    def recharge(self, tenant_id: str, request_no: str, user_id: str, card_no: str,
                 amount_fen: int, password: str | None = None) -> CustodyResult:
        """Quick-pay recharge: available at once; the channel settles T+1 less its fee."""
        return self._card_command(self.recharges, tenant_id, request_no, user_id, card_no,
                                  amount_fen, password)

    @set_based(CardRequest)
    def recharges(self, tenant_id: str, requests: Sequence["CardRequest"],
                  gate: Gate | None = None) -> list[CustodyResult]:
        """Many quick-pay recharges in one DB transaction, set-based; each answers as
        ``recharge`` would (under standing authorizations: no passwords here)."""
        return self.records_many(tenant_id, "recharge", requests, self._recharge, gate)

    def _recharge(self, conn: Connection, tenant_id: str,
                  requests: Sequence["CardRequest"]) -> list[Data | CunguanError]:
        """Each recharge: transit → user, and its channel fee payer → transit, as one chain."""
        user_ids = {r.user_id for r in requests}
        users = lookups.users(conn, tenant_id, user_ids)
        cards = lookups.bound_cards(conn, tenant_id, {r.card_no for r in requests})
        grants = lookups.authorizations(conn, tenant_id, "recharge", user_ids)
        settle_on = self.calendar.next_working_day(self.accounting_date(conn, tenant_id))
        rows: list[Data] = []

        def plan(r: CardRequest) -> Planned:
            need_active(users, r.user_id)
            card = need_card(cards, r.user_id, r.card_no)
            if not card.quick_pay:
                raise CustodyError(Refusal.BANK_NOT_SUPPORTED,
                                   f"{card.bank_name} cards cannot recharge by quick pay")
            self.need_consent(grants, r.user_id, "recharge", r.amount_fen, r.password_checked)
            fee_fen = apply_rate(r.amount_fen, self.policy.quick_pay_fee_rate)
            account_no = chart.user_account_no(r.user_id)
            commands: list[Command] = [Transfer(r.request_no, chart.CHANNEL_TRANSIT, account_no,
                                                r.amount_fen, "recharge")]
            if fee_fen:
                payer = account_no if self.policy.quick_pay_fee_payer == "user" else chart.OWN
                commands.append(Transfer(f"{r.request_no}#fee", payer, chart.CHANNEL_TRANSIT,
                                         fee_fen, "channel_fee"))

            def done(results: list[Result]) -> Data:
                rows.append({"tenant_id": tenant_id, "request_no": r.request_no,
                             "user_id": r.user_id, "channel": "quick_pay",
                             "amount_fen": r.amount_fen, "fee_fen": fee_fen,
                             "settle_on": settle_on, "settled": 0})
                return {"tx_id": results[0].tx_id, "amount_fen": r.amount_fen,
                        "channel_fee_fen": fee_fen, "settle_on": settle_on.isoformat()}
            return Planned(commands, done)

        outcomes = self.post_each(conn, tenant_id, [attempt(plan, r) for r in requests])
        if rows:
            recharge_rows.insert_recharges(conn, rows)
        return [self._own_short(o) for o in outcomes]

    def _own_short(self, outcome: Data | CunguanError) -> Data | CunguanError:
        """The platform's own account could not pay a recharge's channel fee: say so."""
        if (isinstance(outcome, CunguanError) and outcome.code == "exceeds_available"
                and self.policy.quick_pay_fee_payer != "user"
                and str(outcome.details.get("ledger_request_no", "")).endswith("#fee")):
            return CustodyError(Refusal.PLATFORM_OWN_INSUFFICIENT,
                                "the platform's own account cannot pay the channel fee")
        return outcome

    @checked()
    def settle_channel(self, tenant_id: str, request_no: str, settle_on: date) -> CustodyResult:
        """The channel paid the day's quick-pay recharges into the summary account (T+1)."""
        def work(conn: Connection) -> Data:
            net_fen, count = recharge_rows.due(conn, tenant_id, settle_on)
            if net_fen:
                self.post(conn, tenant_id, [Transfer(request_no, chart.SUMMARY,
                                                     chart.CHANNEL_TRANSIT, net_fen,
                                                     "channel_settlement")])
            repaid_fen = self._repay_advance(conn, tenant_id, request_no)
            recharge_rows.mark_settled(conn, tenant_id, settle_on)
            return {"recharges": count, "net_fen": net_fen, "advance_repaid_fen": repaid_fen}
        return self.command(tenant_id, request_no, "settle_channel",
                            {"settle_on": settle_on.isoformat()}, work)

    def _repay_advance(self, conn: Connection, tenant_id: str, request_no: str) -> int:
        advance = get_account(conn, tenant_id, chart.ADVANCE)
        summary = get_account(conn, tenant_id, chart.SUMMARY)
        if advance is None or summary is None:
            return 0
        repay_fen = min(advance.balance_fen, summary.available_fen)
        if repay_fen > 0:
            self.post(conn, tenant_id, [Transfer(f"{request_no}#advance", chart.ADVANCE,
                                                 chart.SUMMARY, repay_fen,
                                                 "advance_repayment")])
        return max(repay_fen, 0)

    @checked()
    def offline_transfer(self, tenant_id: str, request_no: str, payer_card_no: str,
                         amount_fen: int) -> CustodyResult:
        """A transfer into the summary account, allocated by the payer's bound card; an
        unknown card parks the money as unallocated for an operator (R-C7)."""
        def work(conn: Connection) -> Data:
            owner = card_rows.bound_owner(conn, tenant_id, payer_card_no)
            account_no = chart.user_account_no(owner) if owner else chart.UNALLOCATED
            result = self.post(conn, tenant_id, [Transfer(
                request_no, chart.SUMMARY, account_no, amount_fen, "offline_recharge")])[0]
            return {"tx_id": result.tx_id, "allocated_to": owner or "unallocated"}
        return self.command(tenant_id, request_no, "offline_transfer",
                            {"card": payer_card_no, "amount": amount_fen}, work)
