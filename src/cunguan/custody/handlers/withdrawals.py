"""Money out (R-C15, R-C16, R-C17): withdrawals, their review, the channel's answers and the
bank statement's reversals."""

from collections.abc import Sequence
from typing import Any

from cunguan.core.clock import CST
from cunguan.core.errors import CunguanError
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
from cunguan.custody.handlers.commands import CardRequest, ChannelAnswer
from cunguan.custody.handlers.common import CustodyCommon, need_card
from cunguan.custody.rules import accounts as chart
from cunguan.custody.rules import withdrawals as payouts
from cunguan.custody.rules.refusals import CustodyError, Refusal
from cunguan.custody.store import lookups
from cunguan.custody.store import withdrawals as withdrawal_rows
from cunguan.db.connection import Connection
from cunguan.ledger.model import Command, Freeze, Payee, Release, Result, Reverse, Settle, Transfer


class Withdrawals(CustodyCommon):
    @checked()
    def withdraw(self, tenant_id: str, request_no: str, user_id: str, card_no: str,
                 amount_fen: int, password: str | None = None, *,
                 urgent: bool = False) -> CustodyResult:
        """Hold amount + fee, pick the rail, and wait for review or the channel's answer
        (a BEPS payout goes into the custody bank's next package at once, or once reviewed).
        ``urgent``: the platform wants it paid at once, so never batched by BEPS."""
        return self._card_command(self.withdraws, tenant_id, request_no, user_id, card_no,
                                  amount_fen, password, urgent=urgent)

    @set_based(CardRequest)
    def withdraws(self, tenant_id: str, requests: Sequence["CardRequest"],
                  gate: Gate | None = None) -> list[CustodyResult]:
        """Many withdrawals in one DB transaction, set-based; each answers as ``withdraw``
        would, the ones before it in the call counted (free withdrawals, HVPS quota, money)."""
        return self.records_many(tenant_id, "withdraw", requests, self._withdraw, gate)

    def _withdraw(self, conn: Connection, tenant_id: str,
                  requests: Sequence["CardRequest"]) -> list[Data | CunguanError]:
        user_ids = {r.user_id for r in requests}
        users = lookups.users(conn, tenant_id, user_ids)
        grants = lookups.authorizations(conn, tenant_id, "withdraw", user_ids)
        cards = lookups.bound_cards(conn, tenant_id, {r.card_no for r in requests})
        accounts = lookups.account_states(conn, tenant_id,
                                          {chart.user_account_no(u) for u in user_ids})
        now = self.clock()
        today = now.astimezone(CST).date()
        month = now.astimezone(CST).strftime("%Y-%m")
        taken, hvps_used_fen = withdrawal_rows.so_far(conn, tenant_id, user_ids, month, today,
                                                      self.policy.fees.free_per_month)
        so_far = {u: payouts.WithdrawnSoFar(taken.get(u, 0), hvps_used_fen.get(u, 0))
                  for u in user_ids}
        status = "pending_review" if self.policy.withdrawal_review else "processing"
        rows: list[Data] = []
        to_beps: list[Data] = []

        def plan(r: CardRequest) -> Planned:
            user = need_active(users, r.user_id)
            self.need_consent(grants, r.user_id, "withdraw", r.amount_fen, r.password_checked)
            card = need_card(cards, r.user_id, r.card_no)
            beps_code = self._beps_code(card.bank_code)
            before = so_far[r.user_id]
            fee_fen, paid_fen = payouts.fee_or_refuse(r.amount_fen, before.this_month,
                                                      self.policy.fees)
            account = accounts.get(user.account_no)
            if account is None:
                raise CustodyError(Refusal.USER_NOT_FOUND, f"no account for user {r.user_id}")
            payouts.need_withdrawable(account.available_fen, r.amount_fen, fee_fen,
                                      before.this_month, self.policy.fees)
            rail = payouts.rail_or_refuse(paid_fen, now, before.hvps_today_fen, self.calendar,
                                          self.policy.routing,
                                          beps_reachable=beps_code is not None,
                                          urgent=r.urgent)
            so_far[r.user_id] = payouts.count_hold(account, before, paid_fen, fee_fen, rail)

            def done(results: list[Result]) -> Data:
                hold_id = results[0].tx_id
                rows.append({"tenant_id": tenant_id, "request_no": r.request_no,
                             "user_id": r.user_id, "card_no": r.card_no,
                             "amount_fen": paid_fen, "fee_fen": fee_fen, "rail": rail.value,
                             "hold_id": hold_id, "settle_tx_id": None, "status": status,
                             "month": month, "business_date": today, "created_at": now})
                if rail is payouts.Rail.BEPS and status == "processing":
                    to_beps.append(rows[-1])
                return {"status": status, "rail": rail.value, "amount_fen": paid_fen,
                        "fee_fen": fee_fen, "hold_id": hold_id}
            return Planned([Freeze(r.request_no, user.account_no, paid_fen + fee_fen,
                                   "withdrawal in flight", None, "withdrawal")], done)

        outcomes = self.post_each(conn, tenant_id, [attempt(plan, r) for r in requests])
        if rows:
            withdrawal_rows.insert_withdrawals(conn, rows)
        for row in to_beps:
            self._send_by_beps(conn, tenant_id, row["request_no"], row["user_id"],
                               row["card_no"], row["amount_fen"])
        return outcomes

    def _beps_code(self, card_bank_code: str) -> str | None:
        """The CNAPS code BEPS pays this card's bank by, when BEPS is a rail here."""
        return None if self.beps is None else self.policy.routing.beps_code_of(card_bank_code)

    def _send_by_beps(self, conn: Connection, tenant_id: str, withdrawal_no: str,
                      user_id: str, card_no: str, amount_fen: int) -> None:
        """The payout as an ordinary credit in the custody bank's next BEPS package, in this
        transaction (the user's hold stays in custody: BEPS holds nothing)."""
        beps, routing = self.beps, self.policy.routing
        card = lookups.bound_cards(conn, tenant_id, [card_no]).get(card_no)
        code = None if card is None else self._beps_code(card.bank_code)
        if beps is None or routing.beps_bank_code is None or code is None:
            raise CustodyError(Refusal.WITHDRAWAL_WRONG_STATE,
                               "BEPS is no rail for this payout any more")
        user = lookups.users(conn, tenant_id, [user_id])[user_id]
        beps.send_credit_in(
            conn, hold=False, bank=routing.beps_bank_code,
            serial_no=payouts.beps_serial_no(tenant_id, withdrawal_no),
            customer_account=user.account_no, customer_name=tenant_id,
            creditor_bank=code, creditor_account=card_no, creditor_name=user.name,
            amount_fen=amount_fen)

    def beps_answers(self, tenant_id: str) -> list[CustodyResult]:
        """BEPS's answers to the platform's payouts in flight by BEPS, taken as the
        channel's: an item netted pays the withdrawal out (settled), one BEPS refused or
        that was revoked fails it (its hold released)."""
        beps, bank = self.beps, self.policy.routing.beps_bank_code
        if beps is None or bank is None:
            return []
        with self.engine.connect() as conn:
            in_flight = withdrawal_rows.in_flight(conn, tenant_id, payouts.Rail.BEPS.value)
        answers = []
        for no in in_flight:
            serial = payouts.beps_serial_no(tenant_id, no)
            state = beps.transfer(bank, serial)["state"]
            if state in ("settled", "released"):
                answers.append(ChannelAnswer(f"beps:{serial}", no, state == "settled"))
        return self.channel_results(tenant_id, answers) if answers else []

    @checked()
    def review_withdrawal(self, tenant_id: str, request_no: str, withdrawal_no: str,
                          approved: bool) -> CustodyResult:
        """The platform's review step: approved goes on to the bank, refused releases."""
        def work(conn: Connection) -> Data:
            row = self._withdrawal(conn, tenant_id, withdrawal_no, "pending_review")
            if approved:
                status = "processing"
                if row.rail == payouts.Rail.BEPS.value:
                    self._send_by_beps(conn, tenant_id, withdrawal_no, row.user_id,
                                       row.card_no, row.amount_fen)
            else:
                self.post(conn, tenant_id, [Release(request_no, row.hold_id, "review refused")])
                status = "refused"
            self._set_withdrawal(conn, tenant_id, withdrawal_no, status=status)
            return {"withdrawal": withdrawal_no, "status": status}
        return self.command(tenant_id, request_no, "review_withdrawal",
                            {"withdrawal": withdrawal_no, "approved": approved}, work)

    @checked()
    def channel_result(self, tenant_id: str, request_no: str, withdrawal_no: str,
                       succeeded: bool) -> CustodyResult:
        """The channel's answer: paid (money leaves the summary account, fee to the fee
        account) or failed (the hold is released)."""
        return self.channel_results(
            tenant_id, [ChannelAnswer(request_no, withdrawal_no, succeeded)])[0]

    @set_based(ChannelAnswer)
    def channel_results(self, tenant_id: str, answers: Sequence["ChannelAnswer"],
                        gate: Gate | None = None) -> list[CustodyResult]:
        """Many of the channel's answers in one DB transaction, set-based; each answers as
        ``channel_result`` would."""
        return self.records_many(tenant_id, "channel_result", answers, self._channel_result,
                                 gate)

    def _channel_result(self, conn: Connection, tenant_id: str,
                        answers: Sequence["ChannelAnswer"]) -> list[Data | CunguanError]:
        found = withdrawal_rows.by_no(conn, tenant_id, {a.withdrawal_no for a in answers})
        states = {no: row.status for no, row in found.items()}
        summary = lookups.account_states(conn, tenant_id, [chart.SUMMARY]).get(chart.SUMMARY)
        summary_fen = summary.available_fen if summary else 0
        updates: list[Data] = []

        def plan(a: ChannelAnswer) -> Planned:
            nonlocal summary_fen
            row = found.get(a.withdrawal_no)
            if row is None:
                raise CustodyError(Refusal.WITHDRAWAL_NOT_FOUND, f"no request_no {a.withdrawal_no}")
            if states[a.withdrawal_no] != "processing":
                raise CustodyError(Refusal.WITHDRAWAL_WRONG_STATE,
                                   f"withdrawal is {states[a.withdrawal_no]}")
            if a.succeeded:
                payees = [Payee(chart.SUMMARY, row.amount_fen)]
                if row.fee_fen:
                    payees.append(Payee(chart.FEE, row.fee_fen))
                advance = self._advance(a.request_no, row.amount_fen - summary_fen)
                commands: list[Command] = [*advance, Settle(a.request_no, row.hold_id,
                                                            tuple(payees), "withdrawal")]
                summary_fen += sum(t.amount_fen for t in advance) - row.amount_fen
                status = "succeeded"
            else:
                commands = [Release(a.request_no, row.hold_id, "channel failed")]
                status = "failed"
            states[a.withdrawal_no] = status  # a second answer in this call finds it answered

            def done(results: list[Result]) -> Data:
                updates.append({"request_no": a.withdrawal_no,
                                "status": status,
                                "settle_tx_id": results[-1].tx_id if a.succeeded else None})
                return {"withdrawal": a.withdrawal_no, "status": status}
            return Planned(commands, done)

        outcomes = self.post_each(conn, tenant_id, [attempt(plan, a) for a in answers])
        withdrawal_rows.set_withdrawals(conn, tenant_id, updates)
        return outcomes

    def _advance(self, request_no: str, shortfall_fen: int) -> list[Transfer]:
        """T+0 (R-C15): when the summary account holds less than the payout because the
        channel has not settled yet, the advancer pays the difference in (Dr SUMMARY /
        Cr ADVANCE); the channel's settlement pays it back."""
        if shortfall_fen <= 0:
            return []
        if self.policy.advance_funder is None:
            raise CustodyError(Refusal.AWAITING_CHANNEL_SETTLEMENT,
                               "the money is not settled by the channel yet (T+1)")
        return [Transfer(f"{request_no}#advance", chart.SUMMARY, chart.ADVANCE, shortfall_fen,
                         "advance_funding", memo=self.policy.advance_funder)]

    @checked()
    def statement_reversal(self, tenant_id: str, request_no: str,
                           withdrawal_no: str) -> CustodyResult:
        """The bank statement shows the payout came back (冲正): the withdrawal fails and the
        money, fee included, returns to the user by a linked reversal."""
        def work(conn: Connection) -> Data:
            row = self._withdrawal(conn, tenant_id, withdrawal_no, "succeeded")
            self.post(conn, tenant_id, [Reverse(request_no, row.settle_tx_id,
                                                "payout returned", "withdrawal_reversal")])
            self._set_withdrawal(conn, tenant_id, withdrawal_no, status="reversed")
            return {"withdrawal": withdrawal_no, "status": "reversed"}
        return self.command(tenant_id, request_no, "statement_reversal",
                            {"withdrawal": withdrawal_no}, work)

    @staticmethod
    def _withdrawal(conn: Connection, tenant_id: str, withdrawal_no: str, status: str) -> Any:
        row = withdrawal_rows.withdrawal(conn, tenant_id, withdrawal_no)
        if row is None:
            raise CustodyError(Refusal.WITHDRAWAL_NOT_FOUND, f"no request_no {withdrawal_no}")
        if row.status != status:
            raise CustodyError(Refusal.WITHDRAWAL_WRONG_STATE, f"withdrawal is {row.status}")
        return row

    @staticmethod
    def _set_withdrawal(conn: Connection, tenant_id: str, withdrawal_no: str,
                        **values: Any) -> None:
        withdrawal_rows.set_withdrawals(conn, tenant_id, [{"request_no": withdrawal_no,
                                                            **values}])
