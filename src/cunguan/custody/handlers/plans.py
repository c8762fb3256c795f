"""Finance plans (理财计划, R-C19): a plan created, bought (the amount frozen as the holding's
idle money), matched to projects as bids, redeemed at maturity; repayments on a plan's claims
re-invest in its holding."""

from datetime import timedelta
from typing import Any

from cunguan.core.money import round_half_up, to_fraction
from cunguan.custody.handlers.base import CustodyResult, Data, checked, only
from cunguan.custody.handlers.lending_commands import BidRequest
from cunguan.custody.handlers.projects import Projects
from cunguan.custody.rules import accounts as chart
from cunguan.custody.rules.refusals import CustodyError, Refusal
from cunguan.custody.rules.repayments import coupon_rate_ok
from cunguan.custody.store import lookups
from cunguan.custody.store import plans as plan_rows
from cunguan.db.connection import Connection
from cunguan.ledger.model import Command, Freeze, Release, Transfer


class Plans(Projects):
    """Finance plans; a match bids as ``Projects`` does."""

    @checked()
    def create_plan(self, tenant_id: str, request_no: str, plan_id: str, name: str,
                    annual_rate: str, term_days: int) -> CustodyResult:
        if term_days <= 0 or not coupon_rate_ok(annual_rate):
            return CustodyResult(request_no, False, Refusal.FIELD_INVALID, "bad rate or term")

        def work(conn: Connection) -> Data:
            if plan_rows.plan_exists(conn, tenant_id, plan_id):
                raise CustodyError(Refusal.PLAN_EXISTS, f"plan_id {plan_id} exists")
            plan_rows.insert_plan(
                conn, tenant_id=tenant_id, plan_id=plan_id, name=name, annual_rate=annual_rate,
                term_days=term_days, status="open")
            return {"plan_id": plan_id}
        return self.command(tenant_id, request_no, "create_plan",
                            {"plan": plan_id, "rate": annual_rate, "days": term_days}, work)

    @checked()
    def purchase_plan(self, tenant_id: str, request_no: str, user_id: str, plan_id: str,
                      amount_fen: int, *, password: str | None = None) -> CustodyResult:
        """A purchase freezes the amount; the platform matches it to projects later."""
        checked = self._password_step(tenant_id, user_id, password)
        if isinstance(checked, CustodyResult):
            return CustodyResult(request_no, False, checked.code, checked.message)

        def work(conn: Connection) -> Data:
            plan = self._plan(conn, tenant_id, plan_id)
            user = self.active_user(conn, tenant_id, user_id)
            grants = lookups.authorizations(conn, tenant_id, "bid", {user_id})
            self.need_consent(grants, user_id, "bid", amount_fen, bool(checked))
            hold = self.post(conn, tenant_id, [Freeze(request_no, user.account_no, amount_fen,
                                                      f"plan {plan_id}", None, "plan")])[0]
            matures_on = self.accounting_date(conn, tenant_id) + timedelta(days=plan.term_days)
            plan_rows.insert_holding(
                conn, tenant_id=tenant_id, holding_id=request_no, plan_id=plan_id,
                user_id=user_id, amount_fen=amount_fen, idle_fen=amount_fen,
                idle_hold_id=hold.tx_id, matures_on=matures_on, status="active")
            return {"holding_id": request_no, "matures_on": matures_on.isoformat()}
        return self.command(tenant_id, request_no, "purchase_plan",
                            {"user": user_id, "plan": plan_id, "amount": amount_fen}, work)

    @checked()
    def match_plan(self, tenant_id: str, request_no: str, holding_id: str, project_id: str,
                   amount_fen: int) -> CustodyResult:
        """The platform's matching batch step: part of a holding's idle money becomes a bid."""
        def work(conn: Connection) -> Data:
            holding = self._holding(conn, tenant_id, holding_id)
            if amount_fen > holding.idle_fen:
                raise CustodyError(Refusal.PLAN_IDLE_SHORT, "the holding has less idle money")
            self._refreeze_idle(conn, tenant_id, request_no, holding,
                                holding.idle_fen - amount_fen)
            return only(self._place_bids(conn, tenant_id, [BidRequest(
                request_no, holding.user_id, project_id, amount_fen, password_checked=True,
                holding_id=holding_id)])[0])
        return self.command(tenant_id, request_no, "match_plan",
                            {"holding": holding_id, "project": project_id,
                             "amount": amount_fen}, work)

    @checked()
    def redeem_plan(self, tenant_id: str, request_no: str, holding_id: str) -> CustodyResult:
        """At maturity: the plan's interest from the interest-distribution account, the idle
        money released. Matched claims stay the user's (they may be sold by debt transfer)."""
        def work(conn: Connection) -> Data:
            holding = self._holding(conn, tenant_id, holding_id)
            if self.accounting_date(conn, tenant_id) < holding.matures_on:
                raise CustodyError(Refusal.PLAN_NOT_MATURE, f"matures on {holding.matures_on}")
            plan = self._plan(conn, tenant_id, holding.plan_id)
            interest_fen = round_half_up(holding.amount_fen * to_fraction(plan.annual_rate)
                                         * plan.term_days / 365)
            commands: list[Command] = []
            if holding.idle_hold_id is not None:
                commands.append(Release(f"{request_no}#idle", holding.idle_hold_id, "redeemed"))
            if interest_fen:
                commands.append(Transfer(request_no, chart.INTEREST,
                                         chart.user_account_no(holding.user_id), interest_fen,
                                         "plan_interest"))
            self.post(conn, tenant_id, commands)
            plan_rows.set_holding(conn, tenant_id, holding_id, status="redeemed", idle_fen=0,
                                  idle_hold_id=None)
            return {"holding_id": holding_id, "interest_fen": interest_fen,
                    "released_fen": holding.idle_fen}
        return self.command(tenant_id, request_no, "redeem_plan", {"holding": holding_id},
                            work)

    def _plan(self, conn: Connection, tenant_id: str, plan_id: str) -> Any:
        plan = plan_rows.plan(conn, tenant_id, plan_id)
        if plan is None:
            raise CustodyError(Refusal.PLAN_NOT_FOUND, f"no plan_id {plan_id}")
        return plan

    def _holding(self, conn: Connection, tenant_id: str, holding_id: str) -> Any:
        holding = plan_rows.locked_holding(conn, tenant_id, holding_id)
        if holding is None:
            raise CustodyError(Refusal.HOLDING_NOT_FOUND, f"no holding_id {holding_id}")
        if holding.status != "active":
            raise CustodyError(Refusal.HOLDING_NOT_ACTIVE, f"the holding is {holding.status}")
        return holding

    def _refreeze_idle(self, conn: Connection, tenant_id: str, request_no: str,
                       holding: Any, idle_fen: int) -> None:
        """Holds are settled or released whole, so a changed idle amount is a new hold."""
        commands: list[Command] = []
        if holding.idle_hold_id is not None:
            commands.append(Release(f"{request_no}#idle-", holding.idle_hold_id, "plan"))
        if idle_fen:
            commands.append(Freeze(f"{request_no}#idle+", chart.user_account_no(holding.user_id),
                                   idle_fen, f"plan {holding.plan_id}", None, "plan"))
        results = self.post(conn, tenant_id, commands)
        plan_rows.set_holding(conn, tenant_id, holding.holding_id, idle_fen=idle_fen,
                              idle_hold_id=results[-1].tx_id if idle_fen else None)

    def _reinvest(self, conn: Connection, tenant_id: str, request_no: str,
                  claims: list[Any], parts: list[tuple[int, int]]) -> None:
        """Repayments on a plan's claims stay frozen in the holding, ready to re-invest."""
        for claim, (principal_fen, income_fen) in zip(claims, parts, strict=True):
            if claim.holding_id is None or not principal_fen + income_fen:
                continue
            holding = plan_rows.holding(conn, tenant_id, claim.holding_id)
            if holding is None or holding.status != "active":
                continue
            self._refreeze_idle(conn, tenant_id, f"{request_no}#{claim.claim_id}", holding,
                                holding.idle_fen + principal_fen + income_fen)
